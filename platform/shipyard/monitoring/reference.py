"""Monitoring configuration and the training reference a deployment's inputs are compared with."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.db import transaction

from shipyard.core import outbound
from shipyard.core.errors import DomainError
from shipyard.monitoring.models import (
    DriftMetric,
    DriftRule,
    MonitorConfig,
    Operator,
)

logger = logging.getLogger(__name__)

BUCKET_SECONDS = 300
INGEST_CHUNK = 5000
#: one ingest run folds chunks for at most this long, then lets the next run go on
INGEST_BUDGET_S = 20.0
#: request ids of undecodable log rows kept to show
INVALID_EXAMPLES = 20
#: ingest lag (seconds) above which an alert fires
INGEST_LAG_ALERT_S = 60.0
#: rows behind are counted up to this many (the count costs what it counts)
LAG_COUNT_LIMIT = 1_000_000
#: the flywheel's default history
FLYWHEEL_DAYS = 30
DRIFT_INTERVAL_S = 300
APP_FINE_BINS = 500
PREDICTION_FEATURE = "prediction"
CONFIG_FIELDS = {
    "window_kind",
    "window_n",
    "staleness_limit_days",
    "confidence_threshold",
    "skew_sample_size",
    "skew_max_mismatch",
    "invariant_max_rate",
    "outlier_max_rate",
    "latency_max_ratio",
    "quality_max_drop",
    "correlation_max_gap",
    "fairness_max_accuracy_difference",
    "fairness_max_demographic_parity_difference",
    "fairness_max_equalized_odds_difference",
    "health_window_minutes",
    "health_min_requests",
    "error_rate_max",
    "latency_p99_max_ms",
    "webhook_url",
    "email_to",
}


def config_for(deployment: Any) -> MonitorConfig:
    config, _ = MonitorConfig.objects.get_or_create(deployment=deployment)
    return config


@transaction.atomic
def config_update(*, deployment: Any, values: dict[str, Any], by: Any = None) -> MonitorConfig:
    config = MonitorConfig.objects.select_for_update().get(pk=config_for(deployment).pk)
    unknown = set(values) - CONFIG_FIELDS
    if unknown:
        raise DomainError("Unknown setting.", field=sorted(unknown)[0])
    if values.get("webhook_url"):
        try:
            outbound.check_url(values["webhook_url"])
        except outbound.UnsafeURL as exc:
            raise DomainError(f"This webhook URL is not allowed ({exc}).", field="webhook_url") from None
    for name, value in values.items():
        setattr(config, name, value)
    config.save()
    return config


def monitoring_link(deployment: Any, tab: str = "") -> str:
    base = f"/monitoring/{deployment.project.slug}/{deployment.name}"
    return f"{base}?tab={tab}" if tab else base


def _kind_of(dtype: str) -> str:
    return "numeric" if dtype in {"numeric", "integer", "float", "number"} else "categorical"


def input_features(version: Any) -> list[str]:
    """Model input feature names in input order: the signature's, else the training schema's."""
    names = (version.signature or {}).get("features") or []
    if names:
        return [str(n) for n in names]
    if version.training_dataset_id:
        schema = version.training_dataset.schema or {}
        label = schema.get("label") or version.training_dataset.label_column
        return [f["name"] for f in schema.get("features", []) if f.get("name") != label]
    return []


def reference_build(*, dataset_version: Any, features: list[str]) -> dict[str, Any]:
    """Bin the training dataset (features + the label as the reference prediction distribution)."""
    import pandas as pd

    from shipyard.registry.selectors import dataset_path
    from shipyard_ml import summaries

    frame = pd.read_parquet(dataset_path(dataset_version))
    schema = {f["name"]: f for f in (dataset_version.schema or {}).get("features", [])}
    columns: dict[str, Any] = {}
    kinds: dict[str, Any] = {}
    for name in features:
        if name in frame.columns:
            columns[name] = frame[name].to_numpy()
            kinds[name] = _kind_of(str(schema.get(name, {}).get("dtype", "numeric")))
    label = dataset_version.label_column or (dataset_version.schema or {}).get("label") or ""
    if label and label in frame.columns:
        values = frame[label].to_numpy()
        unique = pd.unique(values)
        columns[PREDICTION_FEATURE] = values
        dtype = str(schema.get(label, {}).get("dtype", ""))
        kinds[PREDICTION_FEATURE] = "categorical" if len(unique) <= 50 or dtype == "categorical" else "numeric"
    reference = summaries.build_reference(columns, kinds=kinds, fine_bins=APP_FINE_BINS)
    return {**reference.to_dict(), "input_features": features}


def reference_ensure(config: MonitorConfig) -> dict[str, Any] | None:
    """The live version's reference (rebuilt when the live version changed); None without a dataset."""
    deployment = config.deployment
    version = deployment.live_version
    if config.reference and config.reference_version_id == version.pk:
        return config.reference
    if not version.training_dataset_id:
        return None
    dataset_version = version.training_dataset
    data = reference_build(dataset_version=dataset_version, features=input_features(version))
    with transaction.atomic():
        MonitorConfig.objects.filter(pk=config.pk).update(
            reference=data, reference_version=version, reference_dataset=dataset_version
        )
        existing = set(DriftRule.objects.filter(deployment=deployment).values_list("feature", flat=True))
        DriftRule.objects.bulk_create(
            [
                DriftRule(deployment=deployment, feature=f["name"])
                for f in data["features"]
                if f["name"] not in existing
            ],
            ignore_conflicts=True,
        )
    config.reference, config.reference_version, config.reference_dataset = data, version, dataset_version
    return data


@transaction.atomic
def drift_rule_update(
    *, deployment: Any, feature: str, metric: str, operator: str, threshold: float, enabled: bool = True
) -> DriftRule:
    if metric not in DriftMetric.values:
        raise DomainError(f"must be one of: {', '.join(DriftMetric.values)}", field="metric")
    if operator not in Operator.values:
        raise DomainError(f"must be one of: {', '.join(Operator.values)}", field="operator")
    if not isinstance(threshold, int | float) or not math.isfinite(threshold):
        raise DomainError("must be a finite number", field="threshold")
    rule, _ = DriftRule.objects.select_for_update().get_or_create(deployment=deployment, feature=feature)
    rule.metric, rule.operator, rule.threshold, rule.enabled = metric, operator, float(threshold), bool(enabled)
    rule.save()
    return rule
