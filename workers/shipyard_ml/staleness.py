"""The impact of model staleness (rubric model-4): accuracy against model age on recent labelled data.

Several versions of one model, each trained at a known date, are evaluated on the same recent
labelled rows. A least-squares line (``scipy.stats.linregress``) of accuracy against age in weeks
estimates the accuracy lost per week; the loss expected over the retraining interval must stay
under the tolerance, and the labelled data must be fresh. No Django.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from shipyard_ml.evaluate import predict_in_batches
from shipyard_ml.evidence_reports import StalenessPoint, StalenessReport
from shipyard_ml.loading import Predictor
from shipyard_ml.recipe_types import Cancelled, Progress, ShouldStop, TrainingData, never_stop, no_progress


@dataclass
class DatedVersion:
    version: int
    trained_at: datetime
    #: "declared" (params.trained_at) or "registered" (the registration time)
    date_source: str
    predict: Predictor
    live: bool = False


class TooFewVersions(ValueError):
    """Fewer than two dated versions could be evaluated."""


def median_interval_days(dates: Sequence[datetime]) -> float | None:
    """The median gap between consecutive training dates, in days (none with fewer than two dates)."""
    ordered = sorted(dates)
    gaps = [(b - a).total_seconds() / 86400.0 for a, b in itertools.pairwise(ordered)]
    return float(np.median(gaps)) if gaps else None


def staleness_impact(
    versions: list[DatedVersion],
    data: TrainingData,
    *,
    data_date: datetime,
    now: datetime,
    fresh_days: float,
    tolerance: float,
    retrain_interval_days: float | None,
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> StalenessReport:
    """Evaluate each version on ``data``; fit accuracy against age; judge the loss over the retraining interval."""
    from scipy.stats import linregress

    if len(versions) < 2:
        raise TooFewVersions(f"staleness needs at least two dated versions; found {len(versions)}")
    points: list[StalenessPoint] = []
    for i, v in enumerate(sorted(versions, key=lambda v: v.trained_at)):
        if should_stop():
            raise Cancelled(f"stopped before version {v.version}")
        logits = predict_in_batches(v.predict, data.X_eval)
        accuracy = float((logits.argmax(1) == data.y_eval).mean()) if len(data.y_eval) else math.nan
        age_days = (data_date - v.trained_at).total_seconds() / 86400.0
        points.append(
            StalenessPoint(
                version=v.version,
                trained_at=v.trained_at.isoformat(),
                date_source=v.date_source,
                age_days=round(age_days, 3),
                accuracy=round(accuracy, 6),
                live=v.live,
            )
        )
        progress(100.0 * (i + 1) / len(versions), f"v{v.version}: accuracy {accuracy:.4f} at {age_days:.1f} days old")
    ages = np.array([p.age_days / 7.0 for p in points])
    accs = np.array([p.accuracy for p in points])
    if len(set(ages.tolist())) < 2:
        raise TooFewVersions("staleness needs versions trained at two different dates; every version has the same one")
    fit = linregress(ages, accs)
    slope = float(fit.slope)
    loss_per_week = -slope
    interval_source = "declared"
    interval = retrain_interval_days
    if interval is None:
        interval = median_interval_days([v.trained_at for v in versions])
        interval_source = "measured"
    interval = float(interval or 0.0)
    expected_loss = max(loss_per_week, 0.0) * interval / 7.0
    data_age_days = (now - data_date).total_seconds() / 86400.0
    fresh = data_age_days <= fresh_days
    within = expected_loss <= tolerance
    passed = fresh and within
    reasons = []
    if not fresh:
        reasons.append(f"the labelled data is {data_age_days:.0f} days old (fresh: {fresh_days:g})")
    if not within:
        reasons.append(f"expected loss {expected_loss:.4f} over {interval:.0f} days exceeds {tolerance:g}")
    summary = (
        f"{len(points)} versions: {loss_per_week * 100:+.2f} accuracy points lost per week; "
        f"retraining every {interval:.0f} days ({interval_source}) loses {expected_loss:.4f}"
        + (f" (tolerance {tolerance:g})" if passed else f"; {'; '.join(reasons)}")
    )
    return StalenessReport(
        passed=passed,
        summary=summary,
        metric="accuracy",
        points=points,
        slope_per_week=round(slope, 6),
        intercept=round(float(fit.intercept), 6),
        r_value=None if not math.isfinite(float(fit.rvalue)) else round(float(fit.rvalue), 4),
        loss_per_week=round(loss_per_week, 6),
        retrain_interval_days=round(interval, 3),
        interval_source=interval_source,
        expected_loss=round(expected_loss, 6),
        tolerance=tolerance,
        data_date=data_date.isoformat(),
        data_age_days=round(data_age_days, 3),
        fresh_days=fresh_days,
        fresh=fresh,
        rows=len(data.y_eval),
    )
