"""Rubric model-7 on production: fairlearn's MetricFrame over the sensitive groups of the live version's
labelled feedback (the same report as the ``fairness`` job, on ``data="feedback"``).

Groups are the training dataset's sensitive features that the model takes as inputs (read from the
logged inputs) and its sensitive slices (the filter language over the inputs, the label and the
prediction). A sensitive column the requests do not carry cannot be judged on feedback; it is listed
as skipped (the fairness job judges it on evaluation data).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shipyard.monitoring.models import Feedback, MonitorConfig, MonitorKind, MonitorRun, Status

#: how far back labelled feedback counts
FEEDBACK_DAYS = 30
#: fewer labelled predictions than this: no verdict
MIN_FEEDBACK = 20


def _save(
    config: MonitorConfig, status: str, value: float | None, summary: str, detail: dict, now: dt.datetime
) -> MonitorRun:
    return MonitorRun.objects.create(
        deployment=config.deployment,
        kind=MonitorKind.FAIRNESS,
        computed_at=now,
        status=status,
        value=value,
        summary=summary[:300],
        detail=detail,
    )


def run_fairness(config: MonitorConfig, now: dt.datetime) -> MonitorRun:
    import numpy as np
    import pandas as pd

    from shipyard.monitoring.ingest import row_values, scalar_output
    from shipyard.monitoring.reference import input_features
    from shipyard_ml.fairness import fairness_report, groups_of
    from shipyard_ml.slices import SliceError

    deployment = config.deployment
    version = deployment.live_version
    dv = version.training_dataset
    sensitive = list((dv.sensitive_features or []) if dv is not None else [])
    if dv is None or not sensitive:
        return _save(config, Status.NO_DATA, None, "the training dataset marks no sensitive features", {}, now)
    items = list(
        Feedback.objects.filter(
            deployment=deployment, version_id=version.pk, created_at__gte=now - dt.timedelta(days=FEEDBACK_DAYS)
        ).values("inputs", "prediction", "label")
    )
    if len(items) < MIN_FEEDBACK:
        return _save(
            config, Status.NO_DATA, None, f"{len(items)} labelled predictions; fairness needs {MIN_FEEDBACK}", {}, now
        )
    names = input_features(version)
    frame = pd.DataFrame([row_values(i["inputs"], names) for i in items], columns=names)
    label_name = dv.label_column or "label"
    y_true = [scalar_output(i["label"]) for i in items]
    y_pred = [scalar_output(i["prediction"]) for i in items]
    frame[label_name] = y_true
    frame["prediction"] = y_pred
    slices = {s["name"]: s["filter"] for s in (dv.slices or [])}
    columns = [n for n in sensitive if n in names]
    chosen = [{"name": n, "filter": slices[n]} for n in sensitive if n not in names and n in slices]
    skipped = [n for n in sensitive if n not in names and n not in slices]
    try:
        groupings = groups_of(frame, columns=columns, slices=chosen)
    except SliceError as exc:
        return _save(config, Status.NO_DATA, None, f"a sensitive slice cannot be evaluated on feedback: {exc}", {}, now)
    if not groupings:
        return _save(
            config, Status.NO_DATA, None, f"sensitive features not carried by requests: {', '.join(skipped)}", {}, now
        )
    labels = sorted({str(v) for v in y_true + y_pred})
    index = {name: i for i, name in enumerate(labels)}
    report = fairness_report(
        np.array([index[str(v)] for v in y_true]),
        np.array([index[str(v)] for v in y_pred]),
        groupings,
        class_names=labels,
        max_accuracy_difference=config.fairness_max_accuracy_difference,
        max_demographic_parity_difference=config.fairness_max_demographic_parity_difference,
        max_equalized_odds_difference=config.fairness_max_equalized_odds_difference,
        data="feedback",
    )
    worst = max(
        (
            max(g.accuracy_difference, g.demographic_parity_difference, g.equalized_odds_difference)
            for g in report.groupings
        ),
        default=0.0,
    )
    detail: dict[str, Any] = {**report.to_dict(), "skipped": skipped}
    return _save(config, Status.OK if report.passed else Status.FAIL, worst, report.summary, detail, now)
