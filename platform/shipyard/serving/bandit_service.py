"""Bandit routing, the control plane's half: start and stop a deployment's bandit, reward an arm
from feedback, rebuild the arms' state after Redis lost it, and report each arm's share and
posterior over time. The policy and the data plane's reads live in ``serving.bandit``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import redis
from django.db import transaction
from django.utils import timezone

from shipyard.core.errors import DomainConflict, DomainError
from shipyard.serving import bandit
from shipyard.serving.dataplane import serving_redis
from shipyard.serving.lifecycle import _after_change, _check_version, _event, _locked
from shipyard.serving.models import BanditArm, Deployment, EventKind
from shipyard.serving.selectors import bandit_config

logger = logging.getLogger(__name__)

#: most arms one bandit routes among
MAX_ARMS = 8

#: Where an arm's rewards come from: (deployment, since, version_ids) -> [(minute, version id,
#: correct, total)] of feedback received since ``since``. The monitoring app owns feedback and
#: registers its source when it starts (``MonitoringConfig.ready``).
OutcomeSource = Callable[..., list[tuple[dt.datetime, int, int, int]]]
_outcome_sources: list[OutcomeSource] = []


def outcome_source_register(source: OutcomeSource) -> None:
    if source not in _outcome_sources:
        _outcome_sources.append(source)


def _outcomes(
    deployment: Deployment, since: dt.datetime, versions: list[int]
) -> list[tuple[dt.datetime, int, int, int]]:
    out: list[tuple[dt.datetime, int, int, int]] = []
    for source in _outcome_sources:
        out.extend(source(deployment=deployment, since=since, version_ids=versions))
    return sorted(out)


@transaction.atomic
def bandit_start(
    *,
    deployment: Deployment,
    versions: list[Any],
    policy: str = "thompson",
    epsilon: float = 0.1,
    min_share: float = 0.02,
    by: Any,
    reason: str = "",
) -> Deployment:
    """Route among ``versions`` with a bandit, from fresh priors (a new epoch)."""
    if len(versions) < 2:
        raise DomainError("A bandit needs two versions or more to choose between.", field="versions")
    if len(versions) > MAX_ARMS:
        raise DomainError(f"A bandit routes among at most {MAX_ARMS} versions.", field="versions")
    if len({v.pk for v in versions}) != len(versions):
        raise DomainError("Each version may be an arm once.", field="versions")
    if policy not in bandit.POLICIES:
        raise DomainError(f"Choose one of {', '.join(bandit.POLICIES)}.", field="policy")
    if not 0.0 <= epsilon <= 1.0:
        raise DomainError("Must be between 0 and 1.", field="epsilon")
    if not 0.0 <= min_share <= 0.5 or min_share * len(versions) > 1.0:
        raise DomainError(f"Must be between 0 and {1 / len(versions):g} (1 / the number of arms).", field="min_share")
    d = _locked(deployment)
    for version in versions:
        try:
            _check_version(d.model, version)
        except DomainError as exc:
            raise DomainError(exc.message, field="versions") from None
    if d.canary_version_id is not None and d.canary_weight > 0:
        raise DomainConflict("Promote or roll back the canary before starting a bandit.", field="canary")
    d.bandit_policy, d.bandit_epsilon, d.bandit_min_share = policy, epsilon, min_share
    d.bandit_started_at = timezone.now()
    d.save(update_fields=["bandit_policy", "bandit_epsilon", "bandit_min_share", "bandit_started_at", "updated_at"])
    BanditArm.objects.filter(deployment=d).delete()
    BanditArm.objects.bulk_create(BanditArm(deployment=d, version=v, position=i) for i, v in enumerate(versions))
    _event(
        d,
        EventKind.BANDIT,
        by,
        reason=reason,
        detail={
            "policy": policy,
            "epsilon": epsilon,
            "min_share": min_share,
            "versions": [v.number for v in versions],
        },
    )
    _after_change(d, *versions)
    return d


@transaction.atomic
def bandit_stop(*, deployment: Deployment, by: Any, reason: str = "") -> Deployment:
    """Back to the fixed split: every request to the live version (and a canary, if one is set)."""
    d = _locked(deployment)
    if not d.bandit_policy:
        raise DomainConflict("This deployment has no bandit.", field="bandit")
    arms = [a.version.number for a in d.bandit_arms.select_related("version")]
    d.bandit_policy = ""
    d.save(update_fields=["bandit_policy", "updated_at"])
    BanditArm.objects.filter(deployment=d).delete()
    _event(d, EventKind.BANDIT_STOP, by, reason=reason, detail={"versions": arms})
    _after_change(d)
    return d


def bandit_reward(
    *, deployment_id: int, version_id: int, predicted_at: dt.datetime, correct: bool, previous: bool | None = None
) -> bool:
    """One feedback's reward for the arm that served the request: called once when the feedback is
    created (``previous`` None) and again only when a changed label flips its correctness (the old
    reward is taken back). Requests served before the bandit started, or by a version that is not
    an arm, reward nothing. Returns whether an arm was updated."""
    d = Deployment.objects.filter(pk=deployment_id).prefetch_related("bandit_arms").first()
    config = bandit_config(d) if d is not None else None
    if d is None or config is None or version_id not in config.arms:
        return False
    if d.bandit_started_at is None or predicted_at < d.bandit_started_at:
        return False
    if previous is not None and previous == correct:
        return False
    r = serving_redis()
    try:
        if previous is not None:
            bandit.reward_sync(r, d.pk, config.epoch, version_id, previous, undo=True)
        bandit.reward_sync(r, d.pk, config.epoch, version_id, correct)
    except redis.RedisError as exc:
        logger.warning("cannot reward bandit arm %s of deployment %s: %s", version_id, d.pk, exc)
        return False
    return True


def bandit_rebuild(*, deployment: Deployment, force: bool = False) -> bool:
    """Write the arms' counts from the feedback in Postgres when Redis has none (after Redis lost
    its data) or always with ``force``. Returns whether it wrote them."""
    config = bandit_config(deployment)
    if config is None or deployment.bandit_started_at is None:
        return False
    r: Any = serving_redis()
    key = bandit.state_key(deployment.pk, config.epoch)
    if not force and r.exists(key):
        return False
    mapping: dict[str, int] = {}
    for vid in config.arms:
        mapping[f"s:{vid}"] = mapping[f"f:{vid}"] = 0
    for _, vid, ok, total in _outcomes(deployment, deployment.bandit_started_at, list(config.arms)):
        mapping[f"s:{vid}"] += ok
        mapping[f"f:{vid}"] += total - ok
    pipe = r.pipeline(transaction=True)
    pipe.delete(key)
    pipe.hset(key, mapping=mapping)
    pipe.expire(key, bandit.STATE_TTL_S)
    pipe.execute()
    return True


def bandits_rebuild() -> int:
    """:func:`bandit_rebuild` for every deployment with a bandit (start-up and hourly)."""
    n = 0
    for d in Deployment.objects.exclude(bandit_policy="").prefetch_related("bandit_arms"):
        try:
            n += bandit_rebuild(deployment=d)
        except redis.RedisError as exc:
            logger.warning("cannot rebuild the bandit of deployment %s: %s", d.pk, exc)
            break
    return n
