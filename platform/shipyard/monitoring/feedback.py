"""Feedback and the flywheel: user corrections, and exporting them into the next dataset version."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from django.db import IntegrityError, transaction

from shipyard.core.errors import DomainError
from shipyard.monitoring.ingest import decoded_only, row_values, scalar_output
from shipyard.monitoring.models import (
    Feedback,
    FlywheelExport,
)
from shipyard.monitoring.reference import input_features

logger = logging.getLogger(__name__)


def _label_type_ok(label: Any, prediction: Any) -> bool:
    if label is None or isinstance(label, dict):
        return False
    prediction = scalar_output(prediction)
    label = scalar_output(label)
    if isinstance(prediction, bool):
        return isinstance(label, bool)
    if isinstance(prediction, int):
        return isinstance(label, int) and not isinstance(label, bool)
    if isinstance(prediction, float):
        return isinstance(label, int | float) and not isinstance(label, bool) and math.isfinite(label)
    if isinstance(prediction, str):
        return isinstance(label, str)
    if isinstance(prediction, list):
        return isinstance(label, list)
    return True


def outputs_equal(a: Any, b: Any) -> bool:
    a, b = scalar_output(a), scalar_output(b)
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def feedback_submit(*, deployment: Any, request_id: str, label: Any, by: Any = None) -> tuple[Feedback, bool]:
    """Record a user's label for one logged prediction. Idempotent per request id: a repeat with the
    same label is a no-op, a different label replaces it. Unknown request id: NotFound."""
    from rest_framework.exceptions import NotFound

    from shipyard.serving.logstore import log_row_by_request_id

    if not isinstance(request_id, str) or not request_id or len(request_id) > 40:
        raise DomainError("must be a request id returned by predict", field="request_id")
    log = log_row_by_request_id(
        deployment.pk, request_id, columns=("created_at", "version_id", "inputs", "outputs", "confidence")
    )
    if log is None or not decoded_only([log])[0]:
        raise NotFound(f"No logged prediction '{request_id}' for this deployment.")
    if not _label_type_ok(label, log["outputs"]):
        kind = type(scalar_output(log["outputs"])).__name__
        raise DomainError(f"must be of the model's output type ({kind})", field="label")
    correct = outputs_equal(label, log["outputs"])
    with transaction.atomic():
        existing = Feedback.objects.select_for_update().filter(deployment=deployment, request_id=request_id).first()
        if existing is not None:
            if existing.label != label:
                previous = existing.correct
                existing.label, existing.correct = label, correct
                existing.save(update_fields=["label", "correct", "updated_at"])
                if previous != correct:
                    _reward_arm(deployment.pk, log, correct, previous)
            return existing, False
        try:
            with transaction.atomic():
                created = (
                    Feedback.objects.create(
                        deployment=deployment,
                        request_id=request_id,
                        version_id=log["version_id"],
                        predicted_at=log["created_at"],
                        inputs=log["inputs"],
                        prediction=log["outputs"],
                        label=label,
                        confidence=log["confidence"],
                        correct=correct,
                        submitted_by=by if getattr(by, "is_authenticated", False) else None,
                    ),
                    True,
                )
            _reward_arm(deployment.pk, log, correct, None)
            return created
        except IntegrityError:
            return Feedback.objects.get(deployment=deployment, request_id=request_id), False


def _reward_arm(deployment_id: int, log: Any, correct: bool, previous: bool | None) -> None:
    """Once the feedback commits, reward the bandit arm that served the request (if a bandit routed
    it): once per request id, and again only when a changed label flips its correctness."""
    from shipyard.serving.bandit_service import bandit_reward

    version_id, predicted_at = log["version_id"], log["created_at"]
    transaction.on_commit(
        lambda: bandit_reward(
            deployment_id=deployment_id,
            version_id=version_id,
            predicted_at=predicted_at,
            correct=correct,
            previous=previous,
        )
    )


def flywheel_export(
    *,
    deployment: Any,
    by: Any = None,
    slice_name: str = "",
    feedback_ids: list[int] | None = None,
    since: Any = None,
    until: Any = None,
) -> FlywheelExport:
    """ "Add to dataset": a new version of the training dataset = base rows + corrected examples
    (of the predictions made in [since, until) when given). Each example's inputs are read from the
    prediction log through its one interface, hot or cold alike (the feedback's own copy when the
    log no longer holds the row)."""
    import tempfile
    from pathlib import Path

    import pandas as pd

    from shipyard.monitoring.selectors import mistakes_queryset, slice_filter
    from shipyard.registry.datasets import dataset_version_create
    from shipyard.registry.selectors import dataset_path

    version = deployment.live_version
    base = version.training_dataset
    if base is None:
        raise DomainError("The live version has no training dataset to add examples to.", field="dataset")
    mistakes = mistakes_queryset(deployment)
    if feedback_ids:
        mistakes = mistakes.filter(pk__in=feedback_ids)
    if since is not None:
        mistakes = mistakes.filter(predicted_at__gte=since)
    if until is not None:
        mistakes = mistakes.filter(predicted_at__lt=until)
    items = slice_filter(list(mistakes), slice_name, deployment)
    if not items:
        raise DomainError("There are no corrected examples to add.", field="feedback_ids")
    frame = pd.read_parquet(dataset_path(base))
    label = base.label_column or (base.schema or {}).get("label") or "label"
    names = input_features(version)
    from shipyard.serving.logcodec import Undecodable
    from shipyard.serving.logstore import log_rows_by_request_ids

    logged = log_rows_by_request_ids(deployment.pk, [fb.request_id for fb in items], columns=("inputs",))
    rows = []
    for fb in items:
        inputs = logged.get(fb.request_id, {}).get("inputs")
        if inputs is None or isinstance(inputs, Undecodable):
            inputs = fb.inputs
        values = row_values(inputs, names)
        row = dict(zip(names, values, strict=True))
        row[label] = scalar_output(fb.label)
        rows.append(row)
    added = pd.DataFrame(rows)
    for column in frame.columns:
        if column in added.columns:
            try:
                added[column] = added[column].astype(frame[column].dtype)
            except (TypeError, ValueError):
                pass
    combined = pd.concat([frame, added[[c for c in frame.columns if c in added.columns]]], ignore_index=True)
    ids = sorted(fb.pk for fb in items)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{base.dataset.name}-flywheel.parquet"
        combined.to_parquet(path, index=False)
        new_version = dataset_version_create(
            project=deployment.project,
            dataset_name=base.dataset.name,
            file_or_path=path,
            format="parquet",
            label_column=base.label_column,
            slices=[{"name": s["name"], "filter": s["filter"]} for s in (base.slices or [])],
            description=f"v{base.number} + {len(items)} corrected examples from deployment {deployment.name}",
            tags={"source": "flywheel", "deployment": deployment.name},
            parent=base,
            idempotency_key=f"flywheel:{deployment.pk}:{json.dumps(ids)}"[:200],
            by=by if getattr(by, "is_authenticated", False) else None,
        )
    export, _ = FlywheelExport.objects.get_or_create(
        deployment=deployment,
        dataset_version=new_version,
        defaults={
            "base_version": base,
            "examples": len(items),
            "feedback_ids": ids,
            "created_by": by if getattr(by, "is_authenticated", False) else None,
        },
    )
    return export
