"""What a deployment's bandit has done: each arm's share of the requests and its posterior (Beta
mean and 95 % credible interval, from scipy), now and minute by minute since the bandit started."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import redis
from django.db.models import Sum
from scipy import stats

from shipyard.serving import bandit
from shipyard.serving.bandit_service import _outcomes
from shipyard.serving.dataplane import serving_redis
from shipyard.serving.models import Deployment, PredictionRollup
from shipyard.serving.selectors import bandit_config

#: most minutes the history returns (the latest)
HISTORY_POINTS = 240


def _posterior(successes: int, failures: int) -> dict[str, float]:
    a, b = 1 + successes, 1 + failures
    low, high = stats.beta.ppf([0.025, 0.975], a, b)
    return {"mean": a / (a + b), "low": float(low), "high": float(high)}


def bandit_report(*, deployment: Deployment) -> dict[str, Any]:
    config = bandit_config(deployment)
    base: dict[str, Any] = {
        "active": config is not None,
        "policy": deployment.bandit_policy if config else "",
        "epsilon": deployment.bandit_epsilon,
        "min_share": deployment.bandit_min_share,
        "started_at": deployment.bandit_started_at if config else None,
        "state_source": "none",
        "arms": [],
        "history": [],
    }
    if config is None or deployment.bandit_started_at is None:
        return base
    since = deployment.bandit_started_at
    numbers = {a.version_id: a.version.number for a in deployment.bandit_arms.select_related("version")}
    outcomes = _outcomes(deployment, since, list(config.arms))
    raw: dict[Any, Any] | None
    try:
        r: Any = serving_redis()
        raw = r.hgetall(bandit.state_key(deployment.pk, config.epoch))
    except redis.RedisError:
        raw = None
    if raw:
        state = bandit.parse_state(raw, config.arms)
        base["state_source"] = "redis"
    else:  # Redis lost it (or no feedback yet): count the feedback rows
        totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for _, vid, ok, total in outcomes:
            totals[vid][0] += ok
            totals[vid][1] += total - ok
        state = {vid: bandit.ArmState(vid, *totals[vid]) for vid in config.arms}
        base["state_source"] = "database"
    start_bucket = since.replace(second=0, microsecond=0)
    rollups = (
        PredictionRollup.objects.filter(
            deployment=deployment, version_id__in=config.arms, bucket_start__gte=start_bucket
        )
        .values("bucket_start", "version_id")
        .annotate(n=Sum("count"))
    )
    requests: dict[dt.datetime, dict[int, int]] = defaultdict(dict)
    for row in rollups:
        requests[row["bucket_start"]][row["version_id"]] = int(row["n"] or 0)
    rewards: dict[dt.datetime, dict[int, tuple[int, int]]] = defaultdict(dict)
    for minute, vid, ok, total in outcomes:
        rewards[minute][vid] = (ok, total - ok)
    total_requests = {vid: sum(m.get(vid, 0) for m in requests.values()) for vid in config.arms}
    all_requests = sum(total_requests.values())
    for vid in config.arms:
        arm = state[vid]
        base["arms"].append(
            {
                "version": numbers.get(vid, 0),
                "version_id": vid,
                "requests": total_requests[vid],
                "share": total_requests[vid] / all_requests if all_requests else None,
                "successes": arm.successes,
                "failures": arm.failures,
                "alpha": arm.alpha,
                "beta": arm.beta,
                **_posterior(arm.successes, arm.failures),
            }
        )
    cumulative = {vid: [0, 0] for vid in config.arms}
    history: list[dict[str, Any]] = []
    for minute in sorted(set(requests) | set(rewards)):
        n = requests.get(minute, {})
        minute_total = sum(n.values())
        for vid in config.arms:
            ok, bad = rewards.get(minute, {}).get(vid, (0, 0))
            cumulative[vid][0] += ok
            cumulative[vid][1] += bad
            history.append(
                {
                    "t": minute,
                    "version": numbers.get(vid, 0),
                    "requests": n.get(vid, 0),
                    "share": n.get(vid, 0) / minute_total if minute_total else None,
                    **_posterior(*cumulative[vid]),
                }
            )
    base["history"] = history[-HISTORY_POINTS * len(config.arms) :]
    return base
