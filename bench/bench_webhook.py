"""Webhook ingestion benchmark: signed deliveries carrying a 1,000-case JUnit report, against gunicorn.

Measures the acknowledgement (verify the HMAC, store the raw delivery once, enqueue the parse
after commit, answer 202) one client at a time (latency p50/p99) and with concurrent clients
(deliveries per second), next to a bare Django endpoint that receives the same body and parses it
as JSON (the baseline, same server, same run). Parsing the JUnit happens later in a worker and is
not part of the acknowledgement; it is timed separately, in-process.

Runs on loopback: gunicorn gthread (2 workers x 8 threads) on a free port, the configured
PostgreSQL (a `<db>_webhookbench` database, migrated on first use) and Redis (logical db 14).

    python -m bench webhook [--deliveries 300] [--clients 8]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import statistics
import sys
import threading
import time
import uuid
from typing import Any

from bench.common import REPO, bench_env, free_port, percentile, prepare_database, run_django, start_gunicorn


def junit_document(cases: int) -> str:
    rows = []
    for i in range(cases):
        tag = " [mlts:infra-1]" if i == 0 else ""
        body = ""
        if i % 50 == 7:
            body = f'<failure message="assert {i} == {i + 1}">Traceback (most recent call last):\n  File "test_{i % 20}.py", line {i}\nAssertionError</failure>'
        rows.append(
            f'<testcase classname="tests.test_module_{i % 20}" name="test_case_{i}{tag}" time="0.{i % 997:03d}">{body}</testcase>'
        )
    return f'<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="{cases}">{"".join(rows)}</testsuite></testsuites>'


def prepare(env: dict[str, str]) -> str:
    """Create and migrate the bench database; make a project and return its CI secret."""
    prepare_database(env)
    script = (
        "from shipyard.accounts.models import Team\n"
        "from shipyard.projects.models import Project\n"
        "from shipyard.ci.services import secret_rotate\n"
        "team, _ = Team.objects.get_or_create(slug='bench', defaults={'name': 'Bench'})\n"
        "project, _ = Project.objects.get_or_create(slug='bench-webhook', defaults={'team': team, 'name': 'Bench webhook'})\n"
        "project.ci_deliveries.all().delete(); project.ci_runs.all().delete()\n"
        "print(secret_rotate(project=project, grace_hours=0)[1])\n"
    )
    return run_django(env, script)


def signed(secret: str, body: bytes) -> dict[str, str]:
    t = int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Shipyard-Signature": f"t={t},v1={mac}",
        "X-Shipyard-Delivery": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }


def send(conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
    started = time.perf_counter()
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status, time.perf_counter() - started


def run_load(port: int, path: str, body: bytes, make_headers: Any, total: int, clients: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    per_client = total // clients

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(per_client):
            status, took = send(conn, path, body, make_headers())
            with lock:
                latencies.append(took)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "n": len(latencies),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "per_s": len(latencies) / elapsed,
        "statuses": statuses,
    }


def parse_time_in_process(document: str) -> float:
    from shipyard.ci import junit

    started = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        junit.parse(document)
    return (time.perf_counter() - started) / rounds * 1000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench webhook")
    parser.add_argument("--deliveries", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args(argv)

    env = bench_env("webhookbench")
    sys.path[:0] = [str(REPO / "platform")]
    secret = prepare(env)
    document = junit_document(args.cases)
    body = json.dumps(
        {"run": {"id": "bench", "branch": "main", "commit": "0" * 40}, "junit": document, "metrics": {"accuracy": 0.9}}
    ).encode()
    port = free_port()
    server = start_gunicorn(env, port, workers=2, threads=8, timeout=60)
    webhook = "/api/v1/projects/bench-webhook/ci/webhook/"
    try:
        # warm up both paths (imports, connections)
        run_load(port, webhook, body, lambda: signed(secret, body), 20, 2)
        run_load(port, "/bench/bare", body, lambda: {"Content-Type": "application/json"}, 20, 2)
        results = {}
        for name, path, headers in (
            ("bare", "/bench/bare", lambda: {"Content-Type": "application/json"}),
            ("webhook", webhook, lambda: signed(secret, body)),
        ):
            results[(name, 1)] = run_load(port, path, body, headers, args.deliveries // 2, 1)
            results[(name, args.clients)] = run_load(port, path, body, headers, args.deliveries, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()  # the queued parse tasks: nobody consumes them here

    print(f"body: {len(body) / 1024:.0f} KiB JSON carrying a {args.cases}-case JUnit report; gunicorn gthread 2x8")
    print(f"{'endpoint':<10} {'clients':>7} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}  statuses")
    for (name, clients), r in results.items():
        print(
            f"{name:<10} {clients:>7} {r['n']:>5} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['per_s']:>8.1f}  {r['statuses']}"
        )
    one, many = results[("webhook", 1)], results[("webhook", args.clients)]
    bare_one, bare_many = results[("bare", 1)], results[("bare", args.clients)]
    print(
        f"webhook ack p50 {one['p50_ms']:.1f} ms, p99 {one['p99_ms']:.1f} ms (1 client); "
        f"{many['per_s']:.0f} deliveries/s at {args.clients} clients"
    )
    print(
        f"ratio vs bare endpoint: p50 x{one['p50_ms'] / bare_one['p50_ms']:.2f}, "
        f"throughput x{many['per_s'] / bare_many['per_s']:.2f}"
    )
    print(
        f"JUnit parse of the {args.cases}-case report (in the worker, not in the ack): {parse_time_in_process(document):.1f} ms"
    )
    bad = sum(v for r in results.values() for k, v in r["statuses"].items() if k not in (200, 202))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
