"""Run the ML-side checks (``shipyard_ml.artifacts``, ``shipyard_ml.datasets``) in a child process.

The web process never imports torch, onnx or pandas-heavy code paths: validation and summaries
run in a short-lived ``python -m`` subprocess with a timeout, so a hostile artifact can at worst
crash or stall that child, and "validated before accepted" stays synchronous.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings

from shipyard.core.errors import DomainError

WORKERS_ROOT = Path(settings.REPO_ROOT) / "workers"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(WORKERS_ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def run_module(module: str, args: list[str], *, field: str, timeout: float | None = None) -> dict[str, Any]:
    timeout = timeout or float(settings.REGISTRY_CHECK_TIMEOUT_S)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", module, *args],
            capture_output=True,
            timeout=timeout,
            env=_env(),
            cwd=str(settings.REPO_ROOT),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DomainError(f"checking the file took longer than {int(timeout)} s", field=field) from None
    try:
        result: dict[str, Any] = json.loads(proc.stdout.decode() or "null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        result = {}
    if not isinstance(result, dict) or "ok" not in result:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise DomainError(f"the file could not be checked: {tail[0][:300]}", field=field)
    return result


def validate_artifact(path: Path, fmt: str) -> dict[str, Any]:
    report = run_module("shipyard_ml.artifacts", ["validate", str(path), fmt], field="artifact")
    if not report["ok"]:
        raise DomainError(report.get("message") or "the artifact was rejected", field="artifact", code="rejected")
    return report


def summarize_dataset(
    path: Path, fmt: str, normalized_out: Path, *, label: str, slices: list[dict[str, str]]
) -> dict[str, Any]:
    summary = run_module(
        "shipyard_ml.datasets",
        ["summarize", str(path), fmt, str(normalized_out), "--label", label, "--slices", json.dumps(slices)],
        field="file",
    )
    if not summary["ok"]:
        message = summary.get("message") or "the dataset was rejected"
        field = (
            "label_column"
            if message.startswith("label column")
            else "slices"
            if message.startswith("slice")
            else "file"
        )
        raise DomainError(message, field=field, code="rejected")
    return summary
