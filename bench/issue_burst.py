"""N invoices from API request to emailed PDF, sandbox PAC.

    python bench/issue_burst.py N [--postgres] [--workers 2] [--concurrency 8] [--profile 200] [--new-connections]

Phase 1 (stage profile): one process runs the real services on `--profile` invoices and prints the
median ms of each stage: build+seal, stamp (sandbox PAC), PDF, email, and database (the rest).
Phase 2 (throughput): a real installation — embedded (`timbra serve`: gunicorn + consumer) or, with
--postgres, PostgreSQL for data and queue, `timbra serve --no-worker` plus `--workers` `timbra worker`
processes — receives N `POST /api/v1/invoices` over HTTP from `--concurrency` client threads, each on
its own keep-alive connection as an SDK or requests.Session client sends them (`--new-connections`: a
TCP connection per request, as a client with no session does); the clock
stops when the last invoice is delivered (PDF rendered, email written). Prints invoices/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import demo, fresh_env, median, pct, spawn, stop, wait_http  # noqa: E402

PROFILE_SCRIPT = Path(__file__).resolve().parent / "_stage_profile.py"


def profile_stages(n: int) -> None:
    env = fresh_env()
    demo(env)
    out = subprocess.run([sys.executable, str(PROFILE_SCRIPT), str(n)], env=env, check=True, text=True,
                         capture_output=True).stdout
    print(out, end="")


_client = threading.local()


def post_invoice(port: int, key: str, body: bytes, *, keep_alive: bool = True) -> float:
    """One POST on this client thread's own keep-alive connection, as an API client with a
    session (requests.Session, an SDK) sends it; `keep_alive=False`: a new connection each time."""
    start = time.perf_counter()
    conn = getattr(_client, "conn", None) if keep_alive else None
    if conn is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    _client.conn = None  # kept again below only once this request went through
    try:
        conn.request("POST", "/api/v1/invoices", body=body, headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex})
        response = conn.getresponse()
        response.read()
    except (http.client.HTTPException, OSError):
        conn.close()  # a broken connection is not reused; the bench reports the failure
        raise
    if keep_alive:
        _client.conn = conn
    else:
        conn.close()
    assert response.status in (200, 201, 202), response.status
    return (time.perf_counter() - start) * 1000


STATUS_COUNTS = "SELECT status, COUNT(*) FROM invoicing_invoice GROUP BY status"


def delivered_count(env: dict[str, str]) -> dict[str, int]:
    """Invoices per status, read straight from the database: a poll must not start a Django process
    every half second (that stole a core from the workers being measured)."""
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            return dict(conn.execute(STATUS_COUNTS).fetchall())
    conn = sqlite3.connect(f"file:{Path(env['TIMBRA_HOME']) / 'timbra.sqlite3'}?mode=ro", uri=True, timeout=30)
    try:
        return dict(conn.execute(STATUS_COUNTS).fetchall())
    finally:
        conn.close()


def tree_cpu_seconds(roots: list[int]) -> float:
    """User + system CPU of these processes and all their descendants (Linux /proc), so the
    figure covers gunicorn's workers and the consumer's worker processes too."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        pid = int(stat.parent.name)
        parents[pid], ticks[pid] = int(fields[1]), int(fields[11]) + int(fields[12])
    wanted, frontier = set(roots), list(roots)
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in wanted]
        wanted.update(children)
        frontier.extend(children)
    return sum(ticks.get(pid, 0) for pid in wanted) / os.sysconf("SC_CLK_TCK")


def throughput(n: int, *, postgres: str | None, workers: int, concurrency: int, port: int,
               keep_alive: bool = True) -> None:
    extra = {"PORT": str(port)}
    if postgres:
        extra |= {"DATABASE_URL": postgres, "TIMBRA_QUEUE_URL": postgres}
    env = fresh_env(extra)
    info = demo(env)
    procs = [spawn(env, "serve", "--no-worker", "--port", str(port))] if postgres else \
        [spawn(env, "serve", "--port", str(port))]
    procs += [spawn(env, "worker", "--workers", "1") for _ in range(workers if postgres else 0)]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz")
        body = json.dumps({"customer_id": info["customer_id"], "forma_pago": "04",
                           "lines": [{"product_id": info["product_id"], "cantidad": "1"}]}).encode()
        cpu_before = tree_cpu_seconds([p.pid for p in procs])
        client_before = time.process_time()
        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(lambda _: post_invoice(port, str(info["api_key"]), body,
                                                               keep_alive=keep_alive), range(n)))
        accepted = time.perf_counter() - start
        client_cpu = time.process_time() - client_before
        counts: dict[str, int] = {}
        while time.perf_counter() - start < max(600, n):
            counts = delivered_count(env)
            if counts.get("delivered", 0) + counts.get("held", 0) >= n:
                break
            time.sleep(0.5)
        elapsed = time.perf_counter() - start
        cpu = tree_cpu_seconds([p.pid for p in procs]) - cpu_before
    finally:
        stop(*procs)
    mode = f"PostgreSQL + {workers} worker processes" if postgres else "embedded (SQLite, timbra serve)"
    connections = "keep-alive connections" if keep_alive else "a new connection per request"
    print(f"\n== throughput: {n} invoices, {mode}, {concurrency} client threads, {connections} ==")
    print(f"API accepted all in {accepted:.1f} s  (POST p50 {median(latencies):.0f} ms, p99 {pct(latencies, 99):.0f} ms; "
          f"the load generator used {client_cpu * 1000 / n:.1f} ms of CPU per request)")
    print(f"final states: {counts}")
    print(f"end to end (first request → last emailed PDF): {elapsed:.1f} s = {n / elapsed:.1f} invoices/s")
    print(f"server CPU (web + queue + workers): {cpu * 1000 / n:.1f} ms per invoice; "
          f"{os.cpu_count()} cores at 100 % would allow {os.cpu_count() * n / cpu:.0f} invoices/s")


def _pg_database() -> str:
    import psycopg

    url = os.environ.get("TIMBRA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"timbra_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{url.rsplit('/', 1)[0]}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--profile", type=int, default=200, help="invoices in the stage profile (0 to skip)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--new-connections", action="store_true",
                        help="open a new HTTP connection for every request (default: one keep-alive per client thread)")
    args = parser.parse_args()
    if args.profile:
        profile_stages(args.profile)
    throughput(args.n, postgres=_pg_database() if args.postgres else None, workers=args.workers,
               concurrency=args.concurrency, port=args.port, keep_alive=not args.new_connections)


if __name__ == "__main__":
    main()
