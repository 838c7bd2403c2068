"""Demo models for serving: a digits MLP (and a wide MLP for the compute-bound benchmark) trained
with torch on scikit-learn's bundled digits and exported to ONNX, and registering one as a
model version. Training is pure (torch imported lazily); registration needs Django.

    python -m shipyard.serving.demo --project demo --model digits --deployment digits
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path
from typing import Any

FEATURES = [f"pixel_{i}" for i in range(64)]


def train_digits_onnx(
    path: Path,
    *,
    hidden: tuple[int, ...] = (128, 64),
    epochs: int = 15,
    seed: int = 0,
    corrupt: bool = False,
    prescaled: bool = False,
) -> dict[str, float]:
    """Train an MLP on digits, export it to ONNX at ``path`` (dynamic batch axis); returns test metrics.

    ``corrupt`` shuffles the training labels: a version that loads and serves but predicts badly.
    ``prescaled``: the model expects pixels already preprocessed outside the model (inverted and scaled
    to [0, 1], see :func:`prescale`): it evaluates well on preprocessed data and badly on the raw pixels
    a client sends (a training/serving skew).
    """
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from torch import nn

    torch.manual_seed(seed)
    x, y = load_digits(return_X_y=True)
    x = prescale(x) if prescaled else x
    x_tr, x_te, y_tr, y_te = train_test_split(x.astype(np.float32), y, test_size=0.25, random_state=seed, stratify=y)
    if corrupt:
        y_tr = np.random.default_rng(seed).permutation(y_tr)
    layers: list[nn.Module] = []
    width = 64
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, 10))
    body = nn.Sequential(*layers)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = body

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(x if prescaled else x / 16.0)

    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr).long()
    for _ in range(epochs):
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 64):
            idx = perm[i : i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = float((model(torch.from_numpy(x_te)).argmax(1).numpy() == y_te).mean())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (torch.zeros(1, 64),),
            str(tmp),
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            dynamo=False,
        )
    os.replace(tmp, path)
    return {"accuracy": round(acc, 4)}


def prescale(x: Any) -> Any:
    """The preprocessing a ``prescaled`` model expects (outside the model): pixels 0..16 inverted to 1..0."""
    return (16.0 - x) / 16.0


SIGNATURE = {
    "inputs": [{"name": "input", "dtype": "float32", "shape": [-1, 64]}],
    "outputs": [{"name": "logits", "dtype": "float32", "shape": [-1, 10]}],
    "features": FEATURES,
}
DATASET_SCHEMA = {
    "features": [{"name": n, "dtype": "numeric", "min": 0, "max": 16, "nullable": False} for n in FEATURES],
    "label": "target",
}


def register_onnx_version(
    *, project: Any, model_name: str, onnx_path: Path, metrics: dict[str, float], by: Any = None
) -> Any:
    """Store the ONNX file content-addressed and create the model version (with a digits dataset schema)."""
    import shutil

    from django.db import transaction

    from shipyard.registry import storage
    from shipyard.registry.models import Dataset, DatasetVersion, ModelVersion, RegisteredModel

    tmp = storage.new_temp_path(".onnx")
    shutil.copyfile(onnx_path, tmp)
    blob = storage.hash_file(tmp)
    storage.store().commit(tmp, blob)
    with transaction.atomic():
        model, _ = RegisteredModel.objects.get_or_create(project=project, name=model_name)
        dataset, _ = Dataset.objects.get_or_create(project=project, name="digits")
        dv = dataset.versions.order_by("-number").first()
        if dv is None:
            dv = DatasetVersion.objects.create(
                dataset=dataset,
                number=1,
                format="csv",
                file_key=blob.key,
                sha256=blob.sha256,
                size_bytes=blob.size,
                row_count=1797,
                schema=DATASET_SCHEMA,
                label_column="target",
            )
        number = (model.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        return ModelVersion.objects.create(
            model=model,
            number=number,
            format="onnx",
            framework="pytorch",
            artifact_key=blob.key,
            artifact_sha256=blob.sha256,
            artifact_size=blob.size,
            artifact_filename=onnx_path.name,
            signature=SIGNATURE,
            metrics=metrics,
            training_dataset=dv,
            author=by,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Register demo digits versions and deploy one.")
    parser.add_argument("--project", required=True)
    parser.add_argument("--model", default="digits")
    parser.add_argument("--deployment", default="digits")
    parser.add_argument("--versions", type=int, default=2)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipyard.config.settings.dev")
    import tempfile

    import django

    django.setup()
    from shipyard.projects.models import Project
    from shipyard.serving import lifecycle
    from shipyard.serving.models import Deployment

    project = Project.objects.get(slug=args.project)
    versions = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.versions):
            path = Path(tmp) / f"digits-{seed}.onnx"
            metrics = train_digits_onnx(path, seed=seed)
            versions.append(
                register_onnx_version(project=project, model_name=args.model, onnx_path=path, metrics=metrics)
            )
            print(f"registered {args.model} v{versions[-1].number}: {metrics}")
    if not Deployment.objects.filter(project=project, name=args.deployment).exists():
        lifecycle.deployment_create(
            project=project, name=args.deployment, model=versions[0].model, version=versions[0], by=None, reason="demo"
        )
        print(
            f"deployed v{versions[0].number} as {args.deployment}: POST /serve/{project.slug}/{args.deployment}/predict"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


#: (project, deployment, model): each deployed at its newest ONNX version
DEMO_DEPLOYMENTS = [("digits-classifier", "digits", "digits-mlp"), ("iris-species", "iris", "iris-mlp")]
#: the digits deployment's history, in days ago: live with the version trained two weeks ago, then
#: today's version canaried, promoted, and a rollback drill (back and forward again)
DIGITS_ROLLOUT_DAYS = {"create": 13.0, "canary": 3.0, "promote": 2.05, "rollback": 2.03, "deploy": 2.01}


def _digits_rollout(ctx: Any, project: Any, version: Any) -> Any:
    """Create `digits` with the previous digits-mlp version and take today's through a canary, a
    promotion and a rollback drill: real lifecycle calls (their events and the infra-6 and infra-7
    evidence), the events dated along the last two weeks."""
    import datetime as dt

    from django.utils import timezone

    from shipyard.registry.models import ModelVersion
    from shipyard.serving import lifecycle
    from shipyard.serving.models import DeploymentEvent

    previous = (
        ModelVersion.objects.filter(model=version.model, format="state_dict", number__lt=version.number)
        .exclude(pk=version.parent_id)
        .order_by("-number")
        .first()
    )
    if previous is None:
        return lifecycle.deployment_create(
            project=project, name="digits", model=version.model, version=version, by=ctx.user, reason="demo workspace"
        )
    user = ctx.user
    d = lifecycle.deployment_create(
        project=project, name="digits", model=version.model, version=previous, by=user, reason="first release"
    )
    d = lifecycle.deployment_canary(
        deployment=d, version=version, weight=10, by=user, reason="retrained on two more weeks of data"
    )
    d = lifecycle.deployment_promote(deployment=d, by=user, reason="canary healthy for a day")
    d = lifecycle.deployment_rollback(deployment=d, by=user, reason="rollback drill")
    d = lifecycle.deployment_deploy(deployment=d, version=version, by=user, reason="rollback drill: forward again")
    now = timezone.now()
    for event in DeploymentEvent.objects.filter(deployment=d):
        days = DIGITS_ROLLOUT_DAYS.get(str(event.kind))
        if days is not None:
            DeploymentEvent.objects.filter(pk=event.pk).update(created_at=now - dt.timedelta(days=days))
    return d


def seed(ctx: Any) -> None:
    """Demo deployments: the registry demo's digits MLP (ONNX) served as `digits` in digits-classifier
    (after a canary, a promotion and a rollback drill), and its iris MLP as `iris` in iris-species.

    Idempotent: an existing deployment is left as it is.
    """
    from shipyard.registry.models import ModelVersion
    from shipyard.serving import lifecycle
    from shipyard.serving.models import Deployment

    for slug, name, model_name in DEMO_DEPLOYMENTS:
        project = ctx.projects.get(slug)
        if project is None or Deployment.objects.filter(project=project, name=name).exists():
            continue
        version = (
            ModelVersion.objects.filter(model__project=project, model__name=model_name, format="onnx")
            .select_related("model")
            .order_by("-number")
            .first()
        )
        if version is None:  # the registry demo was skipped (--skip-heavy)
            ctx.stdout.write(f"serving: no ONNX {model_name} registered; skipping the demo deployment")
            continue
        if name == "digits":
            _digits_rollout(ctx, project, version)
        else:
            lifecycle.deployment_create(
                project=project, name=name, model=version.model, version=version, by=ctx.user, reason="demo workspace"
            )
        ctx.stdout.write(f"serving: deployed {model_name} v{version.number} as /serve/{project.slug}/{name}/predict")
