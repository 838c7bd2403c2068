"""Pure analysis: lockfile parsing and diffs, metric policies and regression checks."""

from __future__ import annotations

import json
import re
import statistics
import tomllib
from dataclasses import dataclass

_NAME = re.compile(r"[-_.]+")
_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def canonical(name: str) -> str:
    """PEP 503 name normalisation."""
    return _NAME.sub("-", name).lower()


def parse_lockfile(text: str) -> dict[str, str]:
    """Package -> version (or specifier) from a requirements file, pip freeze, poetry/uv lock or package-lock.json."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or nested too deeply to be a lockfile
            data = None
        if isinstance(data, dict):
            packages: dict[str, str] = {}
            for path, info in (data.get("packages") or {}).items():
                if path and isinstance(info, dict) and "version" in info:
                    packages[path.rsplit("node_modules/", 1)[-1]] = str(info["version"])
            for name, info in (data.get("dependencies") or {}).items():
                if isinstance(info, dict) and "version" in info:
                    packages.setdefault(name, str(info["version"]))
            return packages
    if "[[package]]" in text:
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError):
            data = {}
        return {
            canonical(str(p["name"])): str(p.get("version", ""))
            for p in data.get("package", [])
            if isinstance(p, dict) and "name" in p
        }
    packages = {}
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].split(";", 1)[0].strip()
        if not line or line.startswith(("#", "-", "--")) or "://" in line:
            continue
        line = line.rstrip("\\").strip()
        match = _REQ.match(line)
        if not match:
            continue
        spec = match.group(3).strip()
        packages[canonical(match.group(1))] = spec[2:].strip() if spec.startswith("==") else spec
    return packages


@dataclass
class DependencyDiff:
    added: dict[str, str]
    removed: dict[str, str]
    changed: dict[str, list[str]]  # name -> [old, new]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def summary(self) -> str:
        parts = []
        if self.added:
            parts.append("added " + ", ".join(f"{k} {v}".strip() for k, v in sorted(self.added.items())))
        if self.removed:
            parts.append("removed " + ", ".join(sorted(self.removed)))
        if self.changed:
            parts.append(
                "changed " + ", ".join(f"{k} {a or '?'} -> {b or '?'}" for k, (a, b) in sorted(self.changed.items()))
            )
        return "; ".join(parts)


def diff_packages(old: dict[str, str], new: dict[str, str]) -> DependencyDiff:
    return DependencyDiff(
        added={k: v for k, v in new.items() if k not in old},
        removed={k: v for k, v in old.items() if k not in new},
        changed={k: [old[k], v] for k, v in new.items() if k in old and old[k] != v},
    )


@dataclass(frozen=True)
class Policy:
    direction: str  # higher | lower
    tolerance: float
    relative: bool
    kind: str  # quality | performance


_PERFORMANCE = (
    "latency",
    "throughput",
    "qps",
    "rps",
    "size",
    "memory",
    "mem_",
    "_ms",
    "_seconds",
    "duration",
    "time",
    "flops",
)
_LOWER_QUALITY = ("loss", "error", "rmse", "mae", "mse", "perplexity", "wer", "cer", "ece", "brier")


def default_policy(metric: str) -> Policy:
    """Sensible defaults by name: accuracy-like higher-better 1 point; latency lower-better 10 %; ..."""
    name = metric.lower()
    if any(token in name for token in _PERFORMANCE):
        higher = any(token in name for token in ("throughput", "qps", "rps", "per_s", "per_second"))
        return Policy("higher" if higher else "lower", 0.10, True, "performance")
    if any(token in name for token in _LOWER_QUALITY):
        return Policy("lower", 0.05, True, "quality")
    # accuracy, f1, precision, recall, auc, map, ndcg, ... as fractions in [0, 1]: 1 point = 0.01
    return Policy("higher", 0.01, False, "quality")


@dataclass(frozen=True)
class Verdict:
    baseline: float | None
    regression: bool


def judge(value: float, history: list[float], policy: Policy) -> Verdict:
    """Compare a value with the median of the baseline history. No history: no verdict (not a regression)."""
    if not history:
        return Verdict(None, False)
    baseline = float(statistics.median(history))
    allowed = abs(baseline) * policy.tolerance if policy.relative else policy.tolerance
    if policy.direction == "higher":
        regression = value < baseline - allowed
    else:
        regression = value > baseline + allowed
    return Verdict(baseline, regression)
