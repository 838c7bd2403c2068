"""Periodic serving tasks (thin adapters over services). They run on the `monitoring` queue: the
`serving` queue is the serving workers' Redis request list, not a Celery queue."""

from __future__ import annotations

from typing import Any

from celery import shared_task

QUEUE = "monitoring"


@shared_task(name="serving.drain", queue=QUEUE, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def drain() -> dict[str, int]:
    """Fold request counters into rollups and bulk-write the sampled prediction log."""
    from shipyard.serving import drain
    from shipyard.serving.dataplane import serving_redis
    from shipyard.serving.shadow_service import shadow_drain

    r = serving_redis()
    return {"rollups": drain.drain_stats(r), "logs": drain.drain_prediction_log(r), "shadow": shadow_drain(r)}


@shared_task(
    name="serving.canary_analysis", queue=QUEUE, acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def canary_analysis() -> list[dict[str, Any]]:
    """Analyse every deployment with a canary taking traffic (each at its own interval)."""
    from shipyard.serving import canary, drain
    from shipyard.serving.dataplane import serving_redis
    from shipyard.serving.models import Deployment

    drain.drain_stats(serving_redis())
    results = []
    for pk in Deployment.objects.filter(canary_version__isnull=False, canary_weight__gt=0).values_list("pk", flat=True):
        results.append({"deployment": pk, **canary.canary_analyze(deployment_id=pk)})
    return results


@shared_task(name="serving.maintain", queue=QUEUE, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def maintain() -> dict[str, Any]:
    """Monthly log partitions ahead of time, rollup compaction, and what the data plane reads from
    Redis: the warm set, every deployment's route, valid tokens and memberships (after a Redis restart)."""
    from shipyard.accounts.tokens import tokens_resync
    from shipyard.serving import bandit_service, drain, lifecycle, shadow_service

    return {
        "shadow_pruned": shadow_service.shadow_prune(),
        "bandits": bandit_service.bandits_rebuild(),
        "partitions": drain.prediction_log_partitions_ensure(),
        "compacted": drain.rollups_compact(),
        "warm": lifecycle.warm_rebuild(),
        "tokens": tokens_resync(),
    }


@shared_task(
    name="serving.fit_outlier_detector", queue="cpu", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def fit_outlier_detector(detector_id: int) -> str:
    """Fit a deployment's outlier detector on its version's training dataset."""
    from shipyard.serving.outlier_service import detector_fit

    return detector_fit(detector_id=detector_id)


@shared_task(name="serving.log_archive", queue=QUEUE, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def log_archive() -> dict[str, Any]:
    """The prediction log's retention: export months past each deployment's hot days to Parquet,
    verify, then drop their partitions."""
    from shipyard.serving.archive import log_archive_run

    return log_archive_run()
