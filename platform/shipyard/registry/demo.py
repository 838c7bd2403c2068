"""Demo data for the registry: the four scikit-learn datasets (and the digits labelled since the last
retraining), three trained models and the digits MLP's earlier versions, trained at declared dates.

Training runs in a child process (``python -m shipyard_ml.registry_demo``) so this process never
imports torch. Idempotent: every version carries an ``idempotency_key``; a second run registers
nothing new and trains nothing when all demo versions exist.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from shipyard.registry import aliases, datasets, policy, privacy, versions, workers
from shipyard.registry.models import DatasetVersion, ModelVersion

DEMO_KEY = "demo:v1"


def _source_commit() -> str:
    """The demo models are trained by this checkout's built-in recipes: record its commit."""
    from django.conf import settings

    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=settings.REPO_ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


MODEL_NAMES = ("digits-mlp", "digits-cnn", "iris-mlp")
MODEL_PROJECTS = {"digits-mlp": "digits-classifier", "digits-cnn": "digits-classifier", "iris-mlp": "iris-species"}
#: the four scikit-learn datasets and the digits labelled since the last retraining
DATASET_COUNT = 5
#: a state_dict per model, ONNX exports of the two MLPs, and the digits MLP's three earlier versions
VERSION_COUNT = len(MODEL_NAMES) + 2 + 3


def _done(ctx: Any, skip_models: bool) -> bool:
    datasets = DatasetVersion.objects.filter(idempotency_key=DEMO_KEY, dataset__project__in=ctx.projects.values())
    if datasets.count() < DATASET_COUNT:
        return False
    if skip_models:
        return True
    return (
        ModelVersion.objects.filter(
            idempotency_key__startswith=DEMO_KEY, model__project__in=ctx.projects.values()
        ).count()
        >= VERSION_COUNT
    )


#: the digits team's data governance (rubric data-4 and data-5); the other demo projects have none yet
GOVERNED_PROJECT = "digits-classifier"
DIGITS_OWNER, DIGITS_SOURCE = "vision-team", "sklearn.datasets.load_digits"
DIGITS_POLICY = {
    "mode": "block",
    "forbidden_features": ["*email*", "*name*", "*phone*", "*ssn*", "*address*", "zip*"],
    "require_owner": True,
    "allowed_owners": [DIGITS_OWNER],
    "approved_sources": ["sklearn.datasets.*"],
    "forbid_sensitive_inputs": True,
    "sensitive_min_role": "maintainer",
}


def seed(ctx: Any) -> None:
    skip_models = bool(ctx.options.get("skip_heavy"))
    if _done(ctx, skip_models):
        ctx.stdout.write("registry: demo datasets and models already present")
    else:
        with tempfile.TemporaryDirectory(prefix="shipyard-demo-") as tmp:
            args = [tmp, *(["--skip-models"] if skip_models else [])]
            manifest = workers.run_module("shipyard_ml.registry_demo", args, field="demo", timeout=900)
            _register(ctx, manifest)
        ctx.stdout.write("registry: demo datasets and models registered")
    _governance(ctx)


def _governance(ctx: Any) -> None:
    """digits-classifier: its feature policy (which re-checks the latest dataset and model versions:
    fresh data-4 evidence) and a PII scan of its datasets' latest versions (fresh data-5 evidence).
    The scans run here, in the seed, so the evidence does not wait for a worker; every other
    upload is scanned on a worker."""
    project = ctx.projects.get(GOVERNED_PROJECT)
    if project is None:
        return
    policy.feature_policy_set(project=project, data=DIGITS_POLICY, by=ctx.user)
    latest = (
        DatasetVersion.objects.filter(dataset__project=project).order_by("dataset_id", "-number").distinct("dataset_id")
    )
    for version in latest:
        privacy.pii_scan_run(version_id=version.pk)
    ctx.stdout.write("registry: digits-classifier feature policy checked and its datasets scanned for PII")


def _feature_meta(info: dict[str, Any]) -> dict[str, Any] | None:
    if info["project"] != GOVERNED_PROJECT:
        return None
    return {column: {"owner": DIGITS_OWNER, "source": DIGITS_SOURCE} for column in info["features"]}


def _register(ctx: Any, manifest: dict[str, Any]) -> None:
    dataset_versions: dict[str, DatasetVersion] = {}
    for name, info in manifest["datasets"].items():
        project = ctx.projects[info["project"]]
        dataset_versions[name] = datasets.dataset_version_create(
            project=project,
            dataset_name=name.replace("_", "-"),
            file_or_path=Path(info["path"]),
            format="csv",
            label_column="label",
            slices=info["slices"],
            description=info["description"],
            tags={"source": "scikit-learn"},
            idempotency_key=DEMO_KEY,
            feature_meta=_feature_meta(info),
            by=ctx.user,
        )
    commit = _source_commit()

    def common(spec: dict[str, Any], **params: Any) -> dict[str, Any]:
        return {
            "git_commit": commit,
            "project": ctx.projects[MODEL_PROJECTS[spec["name"]]],
            "model_name": spec["name"],
            "metrics": spec["metrics"],
            "slice_metrics": spec["slice_metrics"],
            "params": {**spec["params"], **params},
            "signature": spec["signature"],
            "environment": spec["environment"],
            "training_dataset": dataset_versions[spec["dataset"]],
            "tags": {"demo": "true"},
            "by": ctx.user,
        }

    # the digits MLP's earlier versions first, so version numbers follow the training dates
    now = timezone.now()
    for spec in manifest.get("history", []):
        versions.model_version_create(
            artifact_file_or_path=Path(spec["state_dict"]),
            format="state_dict",
            framework="pytorch",
            recipe=spec["recipe"],
            recipe_config=spec["config"],
            description=(
                f"Trained {spec['days_ago'] // 7} weeks ago on the {spec['train_rows']} training rows collected "
                f"by then ({spec['share']:.0%} of today's)."
            ),
            idempotency_key=f"{DEMO_KEY}:{spec['name']}:history:{spec['days_ago']}",
            **common(
                spec,
                trained_at=(now - timedelta(days=spec["days_ago"])).isoformat(),
                train_rows=spec["train_rows"],
            ),
        )
    for spec in manifest["models"]:
        base = versions.model_version_create(
            artifact_file_or_path=Path(spec["state_dict"]),
            format="state_dict",
            framework="pytorch",
            recipe=spec["recipe"],
            recipe_config=spec["config"],
            description=f"Built-in recipe {spec['recipe']} trained on {spec['dataset']} (seed 0).",
            idempotency_key=f"{DEMO_KEY}:{spec['name']}:state_dict",
            **common(spec, trained_at=now.isoformat(), train_rows=spec["train_rows"]),
        )
        if not base.model.aliases.exists():
            aliases.alias_set(version=base, name="champion", by=ctx.user, reason="demo seed")
        if spec.get("onnx_path"):
            versions.model_version_create(
                artifact_file_or_path=Path(spec["onnx_path"]),
                format="onnx",
                framework="onnx",
                description="ONNX export of the state_dict version.",
                parent=base,
                idempotency_key=f"{DEMO_KEY}:{spec['name']}:onnx",
                **common(spec, trained_at=now.isoformat(), train_rows=spec["train_rows"]),
            )
    ctx.stdout.write(json.dumps({"registered_models": [m["name"] for m in manifest["models"]]}))
