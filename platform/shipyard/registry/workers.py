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


def run_module(
    module: str, args: list[str], *, field: str, timeout: float | None = None, stdin: bytes = b""
) -> dict[str, Any]:
    timeout = timeout or float(settings.REGISTRY_CHECK_TIMEOUT_S)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", module, *args],
            input=stdin,
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


def validate_artifact(
    path: Path, fmt: str, *, recipe: str = "", recipe_config: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Check the artifact in a child process; with ``recipe`` (a built-in one), also that the weights fit it.

    A refusal names the field it is about: ``artifact``, or ``recipe`` for weights that do not fit.
    """
    args, stdin = ["validate", str(path), fmt], b""
    if recipe:
        args += ["--recipe", recipe]
        stdin = json.dumps(recipe_config or {}).encode()
    report = run_module("shipyard_ml.artifacts", args, field="artifact", stdin=stdin)
    if not report["ok"]:
        field = "recipe" if report.get("input_field") == "recipe" else "artifact"
        raise DomainError(report.get("message") or "the artifact was rejected", field=field, code="rejected")
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
