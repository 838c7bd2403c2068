"""Benchmarks: `make bench` runs every `bench/bench_*.py`; each prints ratios against a baseline
or peer measured in the same run. Figures are recorded in docs/benchmarks.md with the machine."""
