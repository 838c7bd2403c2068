"""Serving benchmark: Shipyard against MLServer, LitServe, BentoML and Ray Serve, one server at a time,
on the same ONNX files (digits MLP 64-128-128-10 and a wide MLP 64-1024-1024-10, exported once per
run), with the same load generator (wrk, closed loop, keep-alive) at 1, 16 and 64 clients.

Shipyard runs as `make up` runs it (bench/serving_shipyard.py): `shipyard_run` with its gateway,
serving worker and web processes, a private redis-server and a `<db>_bench` PostgreSQL database.
Each peer runs from its own virtualenv under var/bench-venvs/<peer> (bench/peers.py), with its own
adaptive batching (max batch 32), one model replica and onnxruntime on 1 intra-op thread.

Besides the table: Shipyard's Open Inference Protocol REST path at 64 clients, its 1-client p50,
the busy-neighbour figure (a deployment saturated by 64 clients, another's 1-client p50), the
ratios against the best peer at 64 clients, and, when Shipyard misses 2x the best peer or the
lowest p99, a py-spy profile of CPU time per layer.

    python -m bench serving [--peers all|none|mlserver,litserve,bentoml,rayserve] [--seconds 5]
                            [--models digits,wide] [--quick] [--profile] [--no-shipyard]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import wrk
from bench.common import REPO
from bench.wrk import Cell

CLIENTS = (1, 16, 64)
MODELS = {"digits": ((128, 128), 10), "wide": ((1024, 1024), 2)}  # hidden layers, training epochs
LABELS = {"digits": "MLP 64-128-128-10", "wide": "MLP 64-1024-1024-10"}
SHIPYARD = "Shipyard"

Results = dict[str, dict[str, dict[int, Cell]]]  # server -> model -> clients -> cell


def export_models(work: Path, models: list[str]) -> dict[str, Path]:
    from shipyard.serving.demo import train_digits_onnx

    files = {}
    for name in models:
        hidden, epochs = MODELS[name]
        files[name] = work / f"{name}.onnx"
        metrics = train_digits_onnx(files[name], hidden=hidden, epochs=epochs)
        print(f"{name}: {LABELS[name]}, test accuracy {metrics['accuracy']:.3f}", flush=True)
    return files


def sample_row() -> list[float]:
    from sklearn.datasets import load_digits

    return [float(v) for v in load_digits().data[7]]


# ----------------------------------------------------------------------------------- Shipyard
def run_shipyard(
    files: dict[str, Path],
    row: list[float],
    work: Path,
    args: argparse.Namespace,
    notes: list[str],
    peer_results: Results,
) -> tuple[dict[str, dict[int, Cell]], dict[str, object]]:
    from bench.peers import v2_body
    from bench.serving_shipyard import ShipyardStack

    stack = ShipyardStack(work / "shipyard", args.serving_processes)
    extra: dict[str, object] = {"gateway": stack.has_gateway}
    if not stack.has_gateway:
        notes.append("Shipyard has no gateway process yet: measured through the Django web path (gunicorn gthread).")
    cells: dict[str, dict[int, Cell]] = {}
    try:
        stack.start()
        token = stack.setup({**{m: str(p) for m, p in files.items()}, "neighbour": str(next(iter(files.values())))})
        auth = {"Authorization": f"Token {token}"}
        body = json.dumps({"inputs": [row]}).encode()
        url = {dep: f"{stack.url}/serve/bench/{dep}/predict" for dep in [*files, "neighbour"]}
        for dep in url:
            stack.wait_ready(url[dep], body, auth)
        for model in files:
            cells[model] = {}
            for c in CLIENTS:
                cells[model][c] = wrk.measure(url[model], body, clients=c, seconds=args.seconds, headers=auth)
                print(f"  {SHIPYARD} {model} {c:>2} clients: {cells[model][c].row()}", flush=True)
        first = next(iter(files))
        if stack.has_gateway:
            v2_url = f"{stack.url}/v2/models/bench.{first}/infer"
            v2 = json.dumps(v2_body(row)).encode()
            stack.wait_ready(v2_url, v2, auth)
            # Back to back with the own JSON path again, so that the ratio holds on a noisy machine.
            own = wrk.measure(url[first], body, clients=64, seconds=args.seconds, headers=auth)
            v2_cell = wrk.measure(v2_url, v2, clients=64, seconds=args.seconds, headers=auth)
            extra["v2"] = (own, v2_cell)
            print(f"  {SHIPYARD} V2 REST {first} 64 clients: {v2_cell.row()} (own JSON just before: {own.row()})")
        # Busy neighbour: the other deployment's 1-client p50, quiet and while `first` takes 64 clients.
        quiet = wrk.measure(url["neighbour"], body, clients=1, seconds=args.seconds, headers=auth)
        busy_load = wrk.start(url[first], body, clients=64, seconds=args.seconds + 3, headers=auth)
        time.sleep(1.5)
        busy = wrk.measure(url["neighbour"], body, clients=1, seconds=args.seconds, headers=auth, warmup=0)
        extra["neighbour"] = (quiet, busy, wrk.result(busy_load))
        print(f"  busy neighbour: quiet p50 {quiet.p50:.2f} ms, busy p50 {busy.p50:.2f} ms", flush=True)
        # Profiled while the stack is up, when the target against the peers is missed (or when asked).
        _, missed = verdicts({**peer_results, SHIPYARD: cells}, list(files), extra)
        if missed or args.profile:
            extra["profile"] = profile(stack, url[first], body, auth, args.seconds)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        notes.append(f"Shipyard did not run: {exc}")
    finally:
        stack.close()
    return cells, extra


def profile(stack: object, url: str, body: bytes, headers: dict[str, str], seconds: float) -> list[str]:
    """py-spy on the data-plane process and the serving worker under 64-client load: CPU per layer."""
    from concurrent.futures import ThreadPoolExecutor

    from bench.serving_shipyard import ShipyardStack, profile_summary, py_spy

    assert isinstance(stack, ShipyardStack)
    front = "shipyard.gateway" if stack.has_gateway else "gunicorn"
    targets = {
        name: stack.pids(marker)[:1] for name, marker in ((front, front), ("serving worker", "shipyard.serving.worker"))
    }
    window, rate = max(3.0, seconds), 200
    load = wrk.start(url, body, clients=64, seconds=window + 3, headers=headers)
    time.sleep(1.5)
    with ThreadPoolExecutor(len(targets)) as pool:
        futures = {name: pool.submit(py_spy, pids[0], window, rate) for name, pids in targets.items() if pids}
        samples = {name: f.result() for name, f in futures.items()}
    cell = wrk.result(load)
    requests = cell.rps * window
    lines = [f"profile: py-spy for {window:.0f} s at 64 clients ({cell.rps:,.0f} req/s during the window)"]
    for name, pids in targets.items():
        lines += (
            profile_summary(name, samples[name], rate=rate, requests=requests) if pids else [f"  {name}: not found"]
        )
    return lines


# ----------------------------------------------------------------------------------- peers
def run_peers(
    names: list[str], files: dict[str, Path], row: list[float], work: Path, seconds: float, notes: list[str]
) -> Results:
    from bench.peers import PEERS, Running, venv_python

    results: Results = {}
    for name in names:
        peer = PEERS[name]
        python, version = venv_python(peer)
        if python is None:
            notes.append(f"{peer.label} skipped: {version}")
            print(f"  {peer.label}: {version}", flush=True)
            continue
        label = f"{peer.label} {version}"
        results[label] = {}
        for model, onnx in files.items():
            server = Running(peer, python, onnx, work / name / model, row)
            try:
                server.wait_ready()
                results[label][model] = {}
                for c in CLIENTS:
                    cell = wrk.measure(server.url, server.body, clients=c, seconds=seconds)
                    results[label][model][c] = cell
                    print(f"  {label} {model} {c:>2} clients: {cell.row()}", flush=True)
            except RuntimeError as exc:
                notes.append(f"{label} on {model} did not run: {exc}")
                print(f"  {label} {model}: {exc}", flush=True)
            finally:
                server.close()
    return results


# ----------------------------------------------------------------------------------- report
def table(results: Results, model: str) -> list[str]:
    lines = [f"| {LABELS[model]} | " + " | ".join(f"{c} client{'s' * (c > 1)}" for c in CLIENTS) + " |"]
    lines.append("|---" * (len(CLIENTS) + 1) + "|")
    for server, per_model in results.items():
        cells = per_model.get(model, {})
        lines.append(f"| {server} | " + " | ".join(cells[c].row() if c in cells else "n/a" for c in CLIENTS) + " |")
    return lines


def verdicts(results: Results, models: list[str], extra: dict[str, object]) -> tuple[list[str], bool]:
    """Ratios against the best peer at 64 clients and the issue's targets; (lines, whether Shipyard
    missed the 2x or the lower-p99 target against the peers)."""
    lines: list[str] = []
    missed = False
    ours = results.get(SHIPYARD, {})
    for model in models:
        peers = {s: m[model][64] for s, m in results.items() if s != SHIPYARD and 64 in m.get(model, {})}
        mine = ours.get(model, {}).get(64)
        if not peers or mine is None:
            continue
        best = max(peers, key=lambda s: peers[s].rps)
        ratio = mine.rps / peers[best].rps
        lower_p99 = all(mine.p99 < p.p99 for p in peers.values())
        missed |= ratio < 2 or not lower_p99
        lines.append(
            f"{LABELS[model]}, 64 clients: Shipyard {mine.rps:,.0f} req/s = {ratio:.2f}x the best peer ({best}, "
            f"{peers[best].rps:,.0f}) [target >= 2x: {'met' if ratio >= 2 else 'MISSED'}]; p99 {mine.p99:.1f} ms vs "
            f"{', '.join(f'{s} {p.p99:.1f}' for s, p in peers.items())} [lower than every peer: "
            f"{'met' if lower_p99 else 'MISSED'}]; errors {mine.errors}"
        )
        for server, cell in peers.items():
            lines.append(f"    vs {server}: {mine.rps / cell.rps:.2f}x req/s, p99 {mine.p99 / cell.p99:.2f}x")
    if models and 1 in ours.get(models[0], {}):
        p50 = ours[models[0]][1].p50
        lines.append(f"1-client p50: {p50:.2f} ms [target <= 2 ms: {'met' if p50 <= 2 else 'MISSED'}]")
    v2_pair = extra.get("v2")
    if isinstance(v2_pair, tuple):
        own, v2 = v2_pair
        gap = (v2.rps - own.rps) / own.rps * 100
        lines.append(
            f"V2 REST at 64 clients: {v2.rps:,.0f} req/s (p99 {v2.p99:.1f} ms, errors {v2.errors}) vs own JSON "
            f"{own.rps:,.0f} measured just before: {gap:+.1f} % [target within 10 %: {'met' if gap >= -10 else 'MISSED'}]"
        )
    neighbour = extra.get("neighbour")
    if isinstance(neighbour, tuple):
        quiet, busy, load = neighbour
        added = busy.p50 - quiet.p50
        lines.append(
            f"busy neighbour: 1-client p50 {quiet.p50:.2f} ms quiet, {busy.p50:.2f} ms while another deployment "
            f"serves 64 clients ({load.rps:,.0f} req/s): +{added:.2f} ms [target <= 5 ms: {'met' if added <= 5 else 'MISSED'}]"
        )
    return lines, missed


def machine() -> list[str]:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()[:10]
    mem = next((ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")), "")
    load = os.getloadavg()
    return [
        f"nproc: {os.cpu_count()}; {mem.split(':')[-1].strip()} memory; Python {platform.python_version()}; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}",
        *lscpu,
    ]


def main(argv: list[str]) -> int:
    from bench.peers import PEERS

    parser = argparse.ArgumentParser(prog="python -m bench serving")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per cell (after 1 s warm-up)")
    parser.add_argument("--quick", action="store_true", help="2 s per cell")
    parser.add_argument("--peers", default="all", help="all, none, or a comma list of " + ",".join(PEERS))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--no-shipyard", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="profile Shipyard even when it meets the targets against the peers"
    )
    parser.add_argument("--serving-processes", type=int, default=1)
    args = parser.parse_args(argv)
    args.seconds = 2.0 if args.quick else args.seconds
    peers = [] if args.peers == "none" else list(PEERS) if args.peers == "all" else args.peers.split(",")
    models = args.models.split(",")
    if unknown := sorted(set(peers) - set(PEERS)) + sorted(set(models) - set(MODELS)):
        parser.error(f"unknown: {', '.join(unknown)}")
    wrk.ensure_wrk()
    sys.path[:0] = [str(REPO / "platform"), str(REPO / "workers")]
    notes: list[str] = []
    results: Results = {}
    extra: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="shipyard-bench-") as tmp:
        work = Path(tmp)
        files = export_models(work, models)
        row = sample_row()
        print(f"wrk closed loop, keep-alive, {args.seconds:g} s per cell after a 1 s warm-up", flush=True)
        # One server at a time: the peers first, then Shipyard (profiled while it is up, if it misses a target).
        results.update(run_peers(peers, files, row, work, args.seconds, notes))
        if not args.no_shipyard:
            results = {SHIPYARD: {}, **results}
            results[SHIPYARD], extra = run_shipyard(files, row, work, args, notes, results)
    lines, _ = verdicts(results, models, extra)
    profiled = extra.get("profile")
    if isinstance(profiled, list):
        lines += profiled

    print("\ncells: req/s / p50 ms / p99 ms / errors")
    for model in models:
        print()
        print("\n".join(table(results, model)))
    print()
    print("\n".join(lines))
    for note in notes:
        print(f"note: {note}")
    print("\n" + "\n".join(machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
