"""Rubric model-2 ("offline and online metrics correlate"): for each version of a deployment with both an
evaluate job's offline accuracy and an online accuracy from feedback, the gap between the two and the
rank correlation across versions."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from shipyard.monitoring.models import MonitorConfig, MonitorKind, MonitorRun, Status
from shipyard.monitoring.reference import monitoring_link
from shipyard.monitoring.selectors import feedback_accuracy_by_version, offline_accuracy_by_version

#: how far back feedback counts towards a version's online accuracy
FEEDBACK_DAYS = 90
#: a passing or failing observation is recorded again at most this often while it does not change
EVIDENCE_EVERY = dt.timedelta(hours=1)


def rank_correlation(offline: list[float], online: list[float]) -> tuple[float | None, str]:
    """Spearman's rho across versions, or None with the reason when it is not defined."""
    if len(offline) < 2:
        return None, f"rank correlation needs at least two versions with both metrics ({len(offline)} so far)"
    if len(set(offline)) == 1 or len(set(online)) == 1:
        return None, "rank correlation is undefined: one of the metrics is the same for every version"
    from scipy.stats import spearmanr

    rho = float(spearmanr(offline, online).statistic)
    if not math.isfinite(rho):
        return None, "rank correlation is undefined: one of the metrics is the same for every version"
    return rho, ""


def run_correlation(config: MonitorConfig, now: dt.datetime) -> MonitorRun:
    """Compare every version's offline accuracy with its accuracy from feedback; fail on a gap over the tolerance."""
    from shipyard.registry.models import ModelVersion

    deployment = config.deployment
    online = feedback_accuracy_by_version(deployment=deployment, since=now - dt.timedelta(days=FEEDBACK_DAYS))
    offline = offline_accuracy_by_version(version_ids=sorted(online))
    tolerance = config.correlation_max_gap
    both = sorted(set(online) & set(offline))
    numbers = dict(ModelVersion.objects.filter(pk__in=both).values_list("pk", "number"))
    versions = []
    for version_id in both:
        gap = online[version_id] - offline[version_id]["value"]
        versions.append(
            {
                "version_id": version_id,
                "version": numbers.get(version_id),
                "offline": round(offline[version_id]["value"], 4),
                "online": round(online[version_id], 4),
                "gap": round(gap, 4),
                "within": abs(gap) <= tolerance,
                "evaluate_job": offline[version_id]["job"],
            }
        )
    rho, why = rank_correlation([offline[v]["value"] for v in both], [online[v] for v in both])
    detail: dict[str, Any] = {
        "metric": "accuracy",
        "tolerance": tolerance,
        "feedback_days": FEEDBACK_DAYS,
        "versions": versions,
        "spearman": rho,
        "spearman_note": why,
        "without_offline": sorted(set(online) - set(offline)),
    }
    if not versions:
        summary = (
            "no version has both an evaluate job's accuracy and feedback"
            if online
            else "no feedback yet: online accuracy comes from feedback"
        )
        return _save(config, Status.NO_DATA, None, summary, detail, now)
    worst = max(versions, key=lambda v: abs(v["gap"]))
    outside = [v for v in versions if not v["within"]]
    correlation = f"Spearman {rho:.2f}" if rho is not None else why
    if outside:
        summary = (
            f"{len(outside)} of {len(versions)} versions differ by more than {tolerance:g} "
            f"(v{worst['version']}: offline {worst['offline']:.3f}, online {worst['online']:.3f}); {correlation}"
        )
    else:
        summary = f"{len(versions)} version(s) within {tolerance:g} of their offline accuracy; {correlation}"
    run = _save(config, Status.FAIL if outside else Status.OK, abs(worst["gap"]), summary, detail, now)
    _evidence(config, run)
    return run


def _save(
    config: MonitorConfig, status: str, value: float | None, summary: str, detail: dict[str, Any], now: dt.datetime
) -> MonitorRun:
    return MonitorRun.objects.create(
        deployment=config.deployment,
        kind=MonitorKind.CORRELATION,
        computed_at=now,
        status=status,
        value=value,
        summary=summary[:300],
        detail=detail,
    )


def _evidence(config: MonitorConfig, run: MonitorRun) -> None:
    """model-2 evidence with the per-version table; on a change of verdict, else at most hourly.

    It carries the monitor's evidence key, so the generic monitor evidence that follows it finds
    this observation and adds none of its own.
    """
    from shipyard.rubric.models import Evidence
    from shipyard.rubric.services import evidence_record

    deployment = config.deployment
    key = f"monitor:{deployment.pk}:{MonitorKind.CORRELATION.value}"
    passed = run.status == Status.OK
    last = Evidence.objects.filter(project_id=deployment.project_id, key=key).order_by("-observed_at").first()
    if last is not None and last.passed == passed and run.computed_at - last.observed_at < EVIDENCE_EVERY:
        return
    evidence_record(
        project=deployment.project,
        test_id="model-2",
        source="monitor",
        passed=passed,
        title=f"Offline/online correlation on {deployment.name}: {run.summary}"[:300],
        link=monitoring_link(deployment, MonitorKind.CORRELATION.value),
        key=key,
        detail={"deployment": deployment.name, "kind": MonitorKind.CORRELATION.value, **run.detail},
        observed_at=run.computed_at,
    )
