"""Stripe webhook acknowledgement under a steady stream of signed events (issue 3).

    python bench/webhook_ack.py [--rate 50] [--duration 60] [--port 8766] [--drain 300]

A fresh installation (`timbra serve`: gunicorn + the embedded worker, SQLite) with the demo
issuer's test-mode Stripe connection receives `--rate` signed `invoice.paid` events per
second for `--duration` seconds, open loop (each request leaves at its scheduled time,
whatever the previous ones are doing), each for a new payment of the demo customer.
Prints the acknowledgement latency (p50/p99/max), checks that every acknowledged event
is stored (rows counted in the database), then waits up to `--drain` seconds for the
worker to invoice them and prints webhook received → CFDI stamped and → emailed.
Target (issue 3): ack p99 ≤ 50 ms, nothing lost.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import hmac
import json
import re
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, demo, fresh_env, median, pct, spawn, stop, wait_http  # noqa: E402

# A real Stripe-shaped invoice.paid (API 2024-06-20): the same one the tests use.
TEMPLATE = json.loads((ROOT / "tests" / "unit" / "payments" / "fixtures" / "invoice_paid.json").read_text())


def make_event(i: int, run: str) -> bytes:
    data = copy.deepcopy(TEMPLATE)
    data["id"] = f"evt_bench{run}{i:07d}"
    data["created"] = int(time.time())
    obj = data["data"]["object"]
    obj |= {
        "id": f"in_bench{run}{i:07d}",
        "charge": f"ch_bench{run}{i:07d}",
        "payment_intent": f"pi_bench{run}{i:07d}",
        "number": f"BENCH-{i:05d}",
    }
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


def signed_post(url: str, secret: str, payload: bytes) -> tuple[float, int]:
    stamp = int(time.time())
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        url,
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": f"t={stamp},v1={signature}",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        },
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return (time.perf_counter() - start) * 1000, status


def warm_up(url: str, secret: str, n: int = 32) -> int:
    """Load each gunicorn worker's code (URLconf, stripe) before measuring; these are stored too."""
    run = "w" + hex(int(time.time()))[-5:]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda i: signed_post(url, secret, make_event(i, run))[1], range(n)))
    assert set(statuses) == {200}, statuses
    return n


def fire(url: str, secret: str, *, rate: float, duration: float) -> tuple[list[float], dict[int, int], float]:
    """Open-loop load: event i leaves at start + i / rate. Returns latencies, status counts, elapsed."""
    total = int(rate * duration)
    run = hex(int(time.time()))[-6:]
    payloads = [make_event(i, run) for i in range(total)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def send(i: int) -> None:
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        ms, status = signed_post(url, secret, payloads[i])
        with lock:
            latencies.append(ms)
            statuses[status] = statuses.get(status, 0) + 1

    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(send, range(total)))
    return latencies, statuses, time.perf_counter() - start


def _sqlite(env: dict[str, str]) -> sqlite3.Connection:
    # Straight to the database file, read-only: a poll must not start a Django process (that
    # costs a core-second and would slow the very worker being measured).
    return sqlite3.connect(f"file:{Path(env['TIMBRA_HOME']) / 'timbra.sqlite3'}?mode=ro", uri=True, timeout=30)


def database_counts(env: dict[str, str]) -> dict[str, object]:
    conn = _sqlite(env)
    try:
        events = dict(conn.execute("SELECT status, COUNT(*) FROM payments_webhookevent GROUP BY status").fetchall())
        invoices = dict(conn.execute("SELECT status, COUNT(*) FROM invoicing_invoice GROUP BY status").fetchall())
    finally:
        conn.close()
    return {"events": sum(events.values()), "event_status": events, "invoice_status": invoices}


def pipeline_latency(env: dict[str, str], *, skip_prefix: str = "") -> list[float]:
    """Per event, seconds from the webhook's arrival (`received_at`, stored before the 2xx) to
    the moment its CFDI's email was written to the outbox (the .eml file's mtime): the whole
    pipeline, stamped and emailed. (The invoice's own timestamps are the job's clock, read
    once when the job starts, so they would hide the work itself.)"""
    conn = _sqlite(env)
    try:
        rows = [(received, uuid) for received, uuid, event_id in conn.execute(
            "SELECT e.received_at, i.uuid, e.event_id FROM payments_webhookevent e "
            "JOIN invoicing_invoice i ON i.id = e.invoice_id WHERE i.uuid IS NOT NULL")
            if not (skip_prefix and event_id.startswith(skip_prefix))]
    finally:
        conn.close()
    written = {}
    for eml in (Path(env["TIMBRA_HOME"]) / "outbox").glob("*.eml"):
        head = eml.read_bytes()[:4096]
        match = re.search(rb"X-Timbra-Invoice: ([0-9A-Fa-f-]{36})", head)
        if match:
            written[match.group(1).decode().upper()] = eml.stat().st_mtime
    latencies = []
    for received_at, uuid in rows:
        received = datetime.fromisoformat(received_at).replace(tzinfo=UTC).timestamp()
        if uuid.upper() in written:
            latencies.append(written[uuid.upper()] - received)
    return latencies


def renice_worker(serve_pid: int, increment: int) -> None:
    """Lower the priority of `timbra serve` and its Huey workers, not of gunicorn (Linux /proc)."""
    import os

    def children(pid: int) -> list[int]:
        path = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(c) for c in path.read_text().split()] if path.exists() else []

    def cmdline(pid: int) -> str:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")

    for pid in [serve_pid, *children(serve_pid)]:
        if "gunicorn" not in cmdline(pid):
            os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, pid) + increment)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="events per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--drain", type=float, default=300.0, help="seconds to wait for the worker afterwards"
    )
    parser.add_argument(
        "--nice-worker",
        type=int,
        default=0,
        help="renice the embedded worker processes by N (the web server keeps its priority)",
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="web server only (ack cost without the embedded worker competing for the CPU)",
    )
    args = parser.parse_args()

    env = fresh_env({"PORT": str(args.port)})
    info = demo(env)
    server = spawn(env, "serve", "--port", str(args.port), *(["--no-worker"] if args.no_worker else []))
    try:
        wait_http(f"http://127.0.0.1:{args.port}/healthz")
        if args.nice_worker:
            renice_worker(server.pid, args.nice_worker)
        warm = warm_up(str(info["stripe_webhook_url"]), str(info["stripe_signing_secret"]))
        latencies, statuses, elapsed = fire(
            str(info["stripe_webhook_url"]),
            str(info["stripe_signing_secret"]),
            rate=args.rate,
            duration=args.duration,
        )
        sent = len(latencies) + warm
        acked = statuses.get(200, 0) + warm
        counts = database_counts(env)
        mode = "web only (--no-worker)" if args.no_worker else "embedded timbra serve (web + worker)"
        print(
            f"\n== webhook ack: {len(latencies)} signed invoice.paid at {args.rate:g}/s for {args.duration:g} s "
            f"(sent in {elapsed:.1f} s, after {warm} warm-up events), {mode} =="
        )
        print(
            f"ack latency: p50 {median(latencies):.1f} ms, p99 {pct(latencies, 99):.1f} ms, "
            f"max {max(latencies):.1f} ms"
        )
        print(f"HTTP statuses: {statuses}")
        print(
            f"stored rows: {counts['events']} of {acked} acknowledged -> "
            f"{'nothing lost' if counts['events'] == acked == sent else 'MISMATCH'}"
        )
        if args.no_worker:
            return
        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline:
            done = counts["event_status"].get("processed", 0) + counts["event_status"].get("failed", 0)
            delivered = counts["invoice_status"].get("delivered", 0)
            if done >= sent and delivered >= sent:
                break
            time.sleep(2)
            counts = database_counts(env)
        print(f"after the worker: events {counts['event_status']}, invoices {counts['invoice_status']}")
        values = pipeline_latency(env)
        print(
            f"webhook received -> CFDI stamped and emailed: p50 {median(values):.2f} s, p99 {pct(values, 99):.2f} s "
            f"(n={len(values)}; under sustained load the queue grows, so this is a backlog figure)"
        )
    finally:
        stop(server)


if __name__ == "__main__":
    main()
