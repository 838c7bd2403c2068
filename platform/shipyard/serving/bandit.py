"""Multi-armed bandit routing among a deployment's versions. Pure policy plus the Redis reads and
writes both data planes (the web process and the gateway) share; no Django.

Each arm is a model version; its reward is user feedback (a correct prediction = 1, a wrong one
= 0). The state of a bandit is one Redis hash (:func:`state_key`): per arm ``s:<version id>``
successes and ``f:<version id>`` failures, so every gateway and web process reads and updates the
same arms, and a restarted process finds them where they were. The key carries the bandit's
*epoch* (when it was started), so restarting a bandit starts from fresh priors while feedback for
requests of the old one cannot leak into it. Redis may lose the hash; the control plane rebuilds
it from the feedback rows in Postgres (``bandit_service.bandit_rebuild``).

Policies (the posterior of an arm is ``Beta(1 + successes, 1 + failures)``):

- ``thompson``: draw one sample from each arm's posterior and take the largest;
- ``epsilon_greedy``: with probability ``epsilon`` a uniformly random arm, otherwise the arm with
  the highest posterior mean.

Both keep a minimum exploration share: with probability ``min_share × arms`` the arm is drawn
uniformly, so each arm gets at least ``min_share`` of the traffic whatever its posterior.
With a routing key the first choice for that key is remembered (:func:`sticky_key`, a week), so
one user keeps seeing the same version.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PREFIX = "shipyard:serving:bandit"
POLICIES = ("thompson", "epsilon_greedy")
#: how long an arm's state and a routing key's arm are kept after their last update
STATE_TTL_S = 90 * 24 * 3600
STICKY_TTL_S = 7 * 24 * 3600


def state_key(deployment_id: int, epoch: int) -> str:
    return f"{PREFIX}:{deployment_id}:{epoch}"


def sticky_key(deployment_id: int, epoch: int, routing_key: str) -> str:
    digest = hashlib.blake2b(routing_key.encode(), digest_size=12).hexdigest()
    return f"{PREFIX}:{deployment_id}:{epoch}:key:{digest}"


@dataclass(frozen=True)
class ArmState:
    version_id: int
    successes: int = 0
    failures: int = 0

    @property
    def alpha(self) -> int:
        return 1 + self.successes

    @property
    def beta(self) -> int:
        return 1 + self.failures

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


def parse_state(raw: dict[Any, Any], arms: Sequence[int]) -> dict[int, ArmState]:
    """Each arm's counts from a state hash (missing fields and unknown arms are zero/ignored)."""
    text = {
        (k.decode() if isinstance(k, bytes) else str(k)): int(float(v.decode() if isinstance(v, bytes) else v))
        for k, v in raw.items()
    }
    return {vid: ArmState(vid, max(0, text.get(f"s:{vid}", 0)), max(0, text.get(f"f:{vid}", 0))) for vid in arms}


@dataclass(frozen=True)
class BanditConfig:
    policy: str
    epsilon: float
    min_share: float
    epoch: int
    #: the arms' version ids, in the order the control plane lists them
    arms: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "epsilon": self.epsilon,
            "min_share": self.min_share,
            "epoch": self.epoch,
            "arms": list(self.arms),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BanditConfig:
        policy = str(d["policy"])
        if policy not in POLICIES:
            raise ValueError(f"unknown bandit policy {policy!r}")
        arms = tuple(int(a) for a in d["arms"])
        if len(arms) < 2:
            raise ValueError("a bandit needs two arms or more")
        return cls(
            policy=policy,
            epsilon=float(d["epsilon"]),
            min_share=float(d["min_share"]),
            epoch=int(d["epoch"]),
            arms=arms,
        )


def choose(config: BanditConfig, state: dict[int, ArmState], rng: random.Random | None = None) -> int:
    """The version id of the arm this request goes to."""
    rng = rng or _rng
    arms = config.arms
    explore = min(1.0, config.min_share * len(arms))
    if config.policy == "epsilon_greedy":
        explore = max(explore, config.epsilon)
    if rng.random() < explore:
        return arms[rng.randrange(len(arms))]
    stats = [state.get(vid) or ArmState(vid) for vid in arms]
    if config.policy == "thompson":
        draws = [rng.betavariate(a.alpha, a.beta) for a in stats]
        return arms[max(range(len(arms)), key=draws.__getitem__)]
    best = max(a.mean for a in stats)
    leaders = [a.version_id for a in stats if a.mean == best]
    return leaders[rng.randrange(len(leaders))]


_rng = random.Random()


def reward_fields(version_id: int, correct: bool, undo: bool = False) -> list[tuple[str, int]]:
    """The hash increments for one reward (``undo`` takes a previous one back: a changed label)."""
    name = f"{'s' if correct else 'f'}:{version_id}"
    return [(name, -1 if undo else 1)]


def pick_sync(r: Any, deployment_id: int, config: BanditConfig, routing_key: str | None) -> int:
    """Choose an arm with the state in Redis (``redis.Redis``); sticky per routing key."""
    key = state_key(deployment_id, config.epoch)
    pipe = r.pipeline(transaction=False)
    pipe.hgetall(key)
    sticky = sticky_key(deployment_id, config.epoch, routing_key) if routing_key else None
    if sticky:
        pipe.get(sticky)
    got = pipe.execute()
    remembered = _remembered(got[1] if sticky else None, config)
    if remembered is not None:
        return remembered
    chosen = choose(config, parse_state(got[0], config.arms))
    if sticky:
        if not r.set(sticky, chosen, nx=True, ex=STICKY_TTL_S):  # another process chose first: keep its arm
            remembered = _remembered(r.get(sticky), config)
            return remembered if remembered is not None else chosen
    return chosen


async def pick_async(r: Any, deployment_id: int, config: BanditConfig, routing_key: str | None) -> int:
    """:func:`pick_sync` on an asyncio Redis client (the gateway)."""
    key = state_key(deployment_id, config.epoch)
    pipe = r.pipeline(transaction=False)
    pipe.hgetall(key)
    sticky = sticky_key(deployment_id, config.epoch, routing_key) if routing_key else None
    if sticky:
        pipe.get(sticky)
    got = await pipe.execute()
    remembered = _remembered(got[1] if sticky else None, config)
    if remembered is not None:
        return remembered
    chosen = choose(config, parse_state(got[0], config.arms))
    if sticky:
        if not await r.set(sticky, chosen, nx=True, ex=STICKY_TTL_S):
            remembered = _remembered(await r.get(sticky), config)
            return remembered if remembered is not None else chosen
    return chosen


def _remembered(raw: Any, config: BanditConfig) -> int | None:
    if raw is None:
        return None
    try:
        vid = int(raw)
    except (TypeError, ValueError):
        return None
    return vid if vid in config.arms else None


def reward_sync(r: Any, deployment_id: int, epoch: int, version_id: int, correct: bool, undo: bool = False) -> None:
    """Add one reward to an arm (the feedback path; idempotency is the caller's: once per request)."""
    key = state_key(deployment_id, epoch)
    pipe = r.pipeline(transaction=True)
    for name, amount in reward_fields(version_id, correct, undo):
        pipe.hincrby(key, name, amount)
    pipe.expire(key, STATE_TTL_S)
    pipe.execute()
