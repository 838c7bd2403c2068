"""Outlier detectors, the control plane's half: fit one on the live version's training dataset (a
Celery task on the ``cpu`` queue, never in the web process), publish it to the data plane, and
report the recent outlier rate. The detector itself is ``shipyard_ml.outliers``."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from shipyard.core.errors import DomainConflict, DomainError
from shipyard.serving.lifecycle import _after_change, _locked
from shipyard.serving.models import Deployment, OutlierDetector, PredictionLog

logger = logging.getLogger(__name__)


@transaction.atomic
def detector_request(*, deployment: Deployment, quantile: float = 0.99, by: Any = None) -> OutlierDetector:
    """Fit (or refit) a detector for the live version; 400 naming ``training_dataset`` when the
    version has none to fit on."""
    if not 0.5 <= quantile <= 0.9999:
        raise DomainError("Must be between 0.5 and 0.9999.", field="quantile")
    d = _locked(deployment)
    version = d.live_version
    if version.training_dataset_id is None:
        raise DomainError(
            f"Version {version.number} has no training dataset to fit a detector on; register it with one.",
            field="training_dataset",
        )
    detector, _ = OutlierDetector.objects.update_or_create(
        deployment=d,
        version=version,
        defaults={"state": OutlierDetector.State.FITTING, "quantile": quantile, "error": ""},
    )
    from shipyard.serving.tasks import fit_outlier_detector

    pk = detector.pk
    transaction.on_commit(lambda: fit_outlier_detector.delay(pk))
    return detector


@transaction.atomic
def detector_remove(*, deployment: Deployment) -> int:
    d = _locked(deployment)
    deleted, _ = OutlierDetector.objects.filter(deployment=d).delete()
    if not deleted:
        raise DomainConflict("This deployment has no outlier detector.", field="detector")
    _after_change(d)
    return deleted


def detector_fit(*, detector_id: int) -> str:
    """The task's work: read the training rows, fit, store the detector, publish. Safe to run twice."""
    import numpy as np
    import pandas as pd

    from shipyard.registry import storage
    from shipyard.registry.selectors import dataset_path
    from shipyard.serving.selectors import _version_route
    from shipyard_ml.outliers import fit

    detector = (
        OutlierDetector.objects.select_related("version__training_dataset", "deployment").filter(pk=detector_id).first()
    )
    if detector is None:
        return "gone"
    version = detector.version
    try:
        if version.training_dataset is None:
            raise ValueError("the version has no training dataset")
        names = [f.name for f in _version_route(version).schema.features]
        frame = pd.read_parquet(dataset_path(version.training_dataset))
        missing = [n for n in names if n not in frame.columns]
        if not names or missing:
            raise ValueError(f"the training dataset lacks the input features {missing[:5] or 'of the signature'}")
        x = frame[names].to_numpy(dtype=np.float64)
        fitted = fit(x, quantile=detector.quantile)
        temp = storage.new_temp_path(".npz")
        temp.write_bytes(fitted.dumps())
        blob = storage.hash_file(temp)
        storage.store().commit(temp, blob)
    except (ValueError, KeyError, OSError) as exc:
        logger.warning("cannot fit the outlier detector %s: %s", detector_id, exc)
        OutlierDetector.objects.filter(pk=detector_id).update(state=OutlierDetector.State.FAILED, error=str(exc)[:2000])
        return "failed"
    with transaction.atomic():
        OutlierDetector.objects.filter(pk=detector_id).update(
            state=OutlierDetector.State.READY,
            threshold=fitted.threshold,
            training_rows=fitted.rows,
            artifact_key=blob.key,
            error="",
            updated_at=timezone.now(),
        )
        _after_change(detector.deployment)
    return "ready"


def detector_report(*, deployment: Deployment, minutes: int = 60) -> dict[str, Any]:
    detector = deployment.outlier_detectors.select_related("version").order_by("-updated_at").first()
    since = timezone.now() - dt.timedelta(minutes=minutes)
    counts = PredictionLog.objects.filter(
        deployment_id=deployment.pk, created_at__gte=since, is_outlier__isnull=False
    ).aggregate(n=Count("id"), flagged=Count("id", filter=Q(is_outlier=True)))
    scored, flagged = counts["n"] or 0, counts["flagged"] or 0
    return {
        "detector": None
        if detector is None
        else {
            "version": detector.version.number,
            "state": detector.state,
            "method": "mahalanobis (scikit-learn LedoitWolf)",
            "quantile": detector.quantile,
            "threshold": detector.threshold,
            "training_rows": detector.training_rows,
            "error": detector.error,
            "updated_at": detector.updated_at,
        },
        "minutes": minutes,
        "scored": scored,
        "outliers": flagged,
        "rate": flagged / scored if scored else None,
    }
