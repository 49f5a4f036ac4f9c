"""Webhook received → CFDI stamped and emailed, at a modest steady rate (issue 3).

    python bench/webhook_to_stamped.py [--rate 10] [--duration 30] [--events N] [--port 8767] [--drain 300]

A fresh embedded installation (`timbra serve`: gunicorn + the in-process worker, SQLite, sandbox
PAC, email outbox) with the demo issuer's test-mode Stripe connection receives signed,
Stripe-shaped `invoice.paid` events, open loop at `--rate` per second for `--duration` seconds
(or `--events` in all), each a new payment of the demo customer. When every event is processed
and every invoice delivered (or `--drain` runs out), it takes per event the time from `received_at`
(stored by the webhook before its 2xx) to the moment the CFDI's email landed in the outbox (the
.eml file's mtime: stamped, rendered and sent), and prints p50/p99 against the goals: p50 ≤ 1 s,
p99 ≤ 3 s.

Unlike bench/webhook_ack.py (50/s for 60 s, which measures the acknowledgement and leaves a
backlog), the rate here is below the worker's capacity, so the figure is the pipeline's own
latency, not queueing behind a backlog.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import demo, fresh_env, median, pct, spawn, stop, wait_http  # noqa: E402
from webhook_ack import database_counts, fire, pipeline_latency, warm_up  # noqa: E402

GOALS = {"p50": 1.0, "p99": 3.0}  # seconds, webhook received → CFDI stamped and emailed


def wait_done(env: dict[str, str], expected: int, drain: float) -> dict[str, object]:
    """Poll until `expected` events are processed/failed and as many invoices are delivered/held."""
    deadline = time.monotonic() + drain
    counts = database_counts(env)
    while time.monotonic() < deadline:
        events: dict[str, int] = counts["event_status"]  # type: ignore[assignment]
        invoices: dict[str, int] = counts["invoice_status"]  # type: ignore[assignment]
        if (events.get("processed", 0) + events.get("failed", 0) >= expected
                and invoices.get("delivered", 0) + invoices.get("held", 0) >= expected):
            break
        time.sleep(1)
        counts = database_counts(env)
    return counts


def report(name: str, values: list[float], expected: int) -> bool:
    p50, p99 = median(values), pct(values, 99)
    ok = len(values) == expected and p50 <= GOALS["p50"] and p99 <= GOALS["p99"]
    print(f"webhook received -> CFDI {name}: p50 {p50:.2f} s, p99 {pct(values, 99):.2f} s, "
          f"max {max(values, default=float('nan')):.2f} s (n={len(values)} of {expected}) "
          f"[goal p50 <= {GOALS['p50']:g} s, p99 <= {GOALS['p99']:g} s: {'MET' if ok else 'NOT MET'}]")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="events per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--events", type=int, help="total events (overrides --duration)")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--drain", type=float, default=300.0, help="seconds to wait for the worker afterwards")
    args = parser.parse_args()
    duration = args.events / args.rate if args.events else args.duration

    env = fresh_env({"PORT": str(args.port)})
    info = demo(env)
    url, secret = str(info["stripe_webhook_url"]), str(info["stripe_signing_secret"])
    server = spawn(env, "serve", "--port", str(args.port))
    try:
        wait_http(f"http://127.0.0.1:{args.port}/healthz")
        warm = warm_up(url, secret, n=8)
        # Let the warm-up events finish so they do not queue ahead of the measured ones.
        wait_done(env, warm, drain=120)
        latencies, statuses, elapsed = fire(url, secret, rate=args.rate, duration=duration)
        expected = len(latencies) + warm
        counts = wait_done(env, expected, drain=args.drain)
    finally:
        stop(server)
    print(f"\n== webhook -> stamped -> emailed: {len(latencies)} signed invoice.paid at {args.rate:g}/s "
          f"(sent in {elapsed:.1f} s, after {warm} warm-up events), embedded timbra serve ==")
    print(f"ack: p50 {median(latencies):.1f} ms, p99 {pct(latencies, 99):.1f} ms; HTTP statuses {statuses}")
    print(f"events {counts['event_status']}, invoices {counts['invoice_status']}")
    latency = pipeline_latency(env, skip_prefix="evt_benchw")  # not the warm-up events
    return 0 if report("stamped and emailed", latency, len(latencies)) else 1


if __name__ == "__main__":
    sys.exit(main())
