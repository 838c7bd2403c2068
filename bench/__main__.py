"""Run benchmarks: `python -m bench [name ...] [--flag value ...]` (names are bench_<name>.py
modules, default all; the flags go to each named benchmark).

Each module defines ``main(argv: list[str]) -> int``. Benchmarks are not tests: they print
figures and ratios, and never assert on timings.
"""

from __future__ import annotations

import importlib
import pkgutil
import platform
import sys
import time
from pathlib import Path


def machine() -> str:
    import os

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    available = sorted(
        m.name.removeprefix("bench_") for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")
    )
    # Leading words name benchmarks; everything from the first flag on goes to each benchmark.
    first_flag = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names, flags = argv[:first_flag] or available, argv[first_flag:]
    unknown = sorted(set(names) - set(available))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    print(f"machine: {machine()}")
    failures = 0
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.bench_{name}")
        code = module.main(flags)
        print(f"--- {name}: {time.perf_counter() - started:.1f}s, exit {code}")
        failures += bool(code)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
