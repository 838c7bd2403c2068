"""What the predict path needs to know about a deployment, the traffic split, and what a served
request answers and logs. Pure: no Django.

A :class:`DeploymentRoute` is also the control plane's message to the gateway processes: it is
published to Redis as JSON (:meth:`DeploymentRoute.dumps`) on every change and read back with
:meth:`DeploymentRoute.loads`, so both sides use this one definition."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis

from shipyard.serving import bandit
from shipyard.serving.bandit import BanditConfig
from shipyard.serving.protocol import LogRecord, ProtocolError, Reply, dumps
from shipyard.serving.validation import Feature, InputSchema


def choose_canary(weight: float, routing_key: str | None = None, salt: str = "") -> bool:
    """True when this request goes to the canary: a share ``weight`` (percent) of requests.

    With a routing key (e.g. a user id) the choice is sticky: the same key always lands on the
    same side for a given deployment (``salt``) and weight, and raising the weight only moves
    keys from live to canary, never back.
    """
    if weight <= 0:
        return False
    if weight >= 100:
        return True
    if routing_key:
        digest = hashlib.blake2b(f"{salt}:{routing_key}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % 10_000 < weight * 100
    return random.random() * 100 < weight


@dataclass(frozen=True)
class VersionRoute:
    version_id: int
    number: int
    version_key: str
    artifact_key: str
    format: str
    schema: InputSchema = field(default_factory=InputSchema, compare=False)
    #: the version's signature (inputs, outputs, features) as registered
    signature: dict[str, Any] = field(default_factory=dict, compare=False)
    #: an ensemble version: how its members' outputs combine ("mean", "weighted", "vote"), the
    #: weights (weighted) and the members, run in one batch on the worker
    combine: str = ""
    weights: tuple[float, ...] = ()
    members: tuple[VersionRoute, ...] = field(default=(), compare=False)

    def ensemble_spec(self, members: bool = False) -> dict[str, Any] | None:
        """The ``ensemble`` of a request message for this version (None for a plain version)."""
        if not self.members:
            return None
        return {
            "c": self.combine,
            "w": list(self.weights) if self.weights else None,
            "m": [[m.version_key, m.artifact_key, m.format] for m in self.members],
            "r": members,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "combine": self.combine,
            "weights": list(self.weights),
            "members": [m.as_dict() for m in self.members],
            "version_id": self.version_id,
            "number": self.number,
            "version_key": self.version_key,
            "artifact_key": self.artifact_key,
            "format": self.format,
            "signature": self.signature,
            "width": self.schema.width,
            "features": [
                {
                    "name": f.name,
                    "kind": f.kind,
                    "minimum": f.minimum,
                    "maximum": f.maximum,
                    "categories": sorted(f.categories, key=repr) if f.categories is not None else None,
                    "nullable": f.nullable,
                }
                for f in self.schema.features
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VersionRoute:
        features = [
            Feature(
                name=str(f["name"]),
                kind=str(f["kind"]),
                minimum=f.get("minimum"),
                maximum=f.get("maximum"),
                categories=frozenset(f["categories"]) if f.get("categories") is not None else None,
                nullable=bool(f.get("nullable", False)),
            )
            for f in d.get("features") or []
        ]
        return cls(
            version_id=int(d["version_id"]),
            number=int(d["number"]),
            version_key=str(d["version_key"]),
            artifact_key=str(d["artifact_key"]),
            format=str(d["format"]),
            schema=InputSchema(features=features, width=d.get("width")),
            signature=dict(d.get("signature") or {}),
            combine=str(d.get("combine") or ""),
            weights=tuple(float(w) for w in d.get("weights") or ()),
            members=tuple(VersionRoute.from_dict(m) for m in d.get("members") or ()),
        )


@dataclass(frozen=True)
class DeploymentRoute:
    deployment_id: int
    project_id: int
    team_id: int
    name: str
    live: VersionRoute
    canary: VersionRoute | None
    weight: int
    max_batch: int
    max_delay_ms: float
    timeout_s: float
    reject_invalid: bool
    sample_rate: float
    key_hashes: frozenset[str] = frozenset()
    #: multi-armed bandit routing among ``arms`` (replaces the canary split while set)
    bandit: BanditConfig | None = None
    arms: tuple[VersionRoute, ...] = ()
    #: a version that gets a mirrored share (0..1) of the requests; its answers are never returned
    shadow: VersionRoute | None = None
    shadow_share: float = 0.0
    #: fitted outlier detectors: (version id, detector artifact key, threshold)
    detectors: tuple[tuple[int, str, float], ...] = ()

    def detector_for(self, version_id: int) -> dict[str, Any] | None:
        """The ``outlier`` of a request message served by ``version_id`` (None: no detector)."""
        for vid, key, threshold in self.detectors:
            if vid == version_id:
                return {"k": key, "t": threshold}
        return None

    def pick(self, routing_key: str | None = None) -> VersionRoute:
        """The version of a fixed split (live or canary); a bandit's arm comes from :meth:`arm`."""
        if self.canary is not None and choose_canary(self.weight, routing_key, str(self.deployment_id)):
            return self.canary
        return self.live

    def arm(self, version_id: int) -> VersionRoute:
        """The bandit arm serving ``version_id`` (live when it is no longer an arm)."""
        for version in self.arms:
            if version.version_id == version_id:
                return version
        return self.live

    def dumps(self) -> str:
        return dumps(
            {
                "deployment_id": self.deployment_id,
                "project_id": self.project_id,
                "team_id": self.team_id,
                "name": self.name,
                "live": self.live.as_dict(),
                "canary": self.canary.as_dict() if self.canary is not None else None,
                "weight": self.weight,
                "max_batch": self.max_batch,
                "max_delay_ms": self.max_delay_ms,
                "timeout_s": self.timeout_s,
                "reject_invalid": self.reject_invalid,
                "sample_rate": self.sample_rate,
                "key_hashes": sorted(self.key_hashes),
                "bandit": self.bandit.as_dict() if self.bandit is not None else None,
                "arms": [a.as_dict() for a in self.arms],
                "shadow": self.shadow.as_dict() if self.shadow is not None else None,
                "shadow_share": self.shadow_share,
                "detectors": [list(d) for d in self.detectors],
            }
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> DeploymentRoute:
        """A published route; :class:`ProtocolError` for anything else."""
        try:
            d = orjson.loads(raw)
            return cls(
                deployment_id=int(d["deployment_id"]),
                project_id=int(d["project_id"]),
                team_id=int(d["team_id"]),
                name=str(d["name"]),
                live=VersionRoute.from_dict(d["live"]),
                canary=VersionRoute.from_dict(d["canary"]) if d.get("canary") else None,
                weight=int(d["weight"]),
                max_batch=int(d["max_batch"]),
                max_delay_ms=float(d["max_delay_ms"]),
                timeout_s=float(d["timeout_s"]),
                reject_invalid=bool(d["reject_invalid"]),
                sample_rate=float(d["sample_rate"]),
                key_hashes=frozenset(str(h) for h in d.get("key_hashes") or []),
                bandit=BanditConfig.from_dict(d["bandit"]) if d.get("bandit") else None,
                arms=tuple(VersionRoute.from_dict(a) for a in d.get("arms") or []),
                shadow=VersionRoute.from_dict(d["shadow"]) if d.get("shadow") else None,
                shadow_share=float(d.get("shadow_share") or 0.0),
                detectors=tuple((int(v), str(k), float(t)) for v, k, t in d.get("detectors") or []),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ProtocolError(f"not a deployment route ({exc.__class__.__name__})") from None


def pick_version(route: DeploymentRoute, r: Any, routing_key: str | None = None) -> VersionRoute:
    """The version this request goes to: a bandit's arm from the shared state in Redis (``r``, a
    ``redis.Redis``), otherwise the fixed split. Without Redis a bandit falls back to live."""
    if route.bandit is None:
        return route.pick(routing_key)
    try:
        return route.arm(bandit.pick_sync(r, route.deployment_id, route.bandit, routing_key))
    except redis.RedisError:
        return route.live


async def pick_version_async(route: DeploymentRoute, r: Any, routing_key: str | None = None) -> VersionRoute:
    """:func:`pick_version` on an asyncio Redis client (the gateway)."""
    if route.bandit is None:
        return route.pick(routing_key)
    try:
        return route.arm(await bandit.pick_async(r, route.deployment_id, route.bandit, routing_key))
    except (redis.RedisError, OSError):
        return route.live


def failure_status(code: str) -> tuple[int, str | None, int | None]:
    """(HTTP status, field at fault, Retry-After seconds) for a worker's failed reply."""
    if code == "model_unavailable":
        return 503, None, 5
    return 422, "inputs", None


def member_outputs(version: VersionRoute, answer: Reply) -> list[dict[str, Any]] | None:
    """Each ensemble member's version number and its own outputs, from a worker's reply."""
    if not version.members or answer.members is None or len(answer.members) != len(version.members):
        return None
    return [{"version": m.number, **result} for m, result in zip(version.members, answer.members, strict=True)]


def sampled(rate: float) -> bool:
    """Whether this request's rows go to the prediction log (a share ``rate`` of requests)."""
    return rate > 0 and (rate >= 1 or random.random() < rate)


def log_records(
    *,
    t: float,
    deployment_id: int,
    version_id: int,
    request_ids: list[str],
    rows: list[Any],
    outputs: list[Any],
    confidence: list[Any] | None,
    latency_ms: float,
    routing_key: str | None,
    violations: list[dict[str, Any]],
    outlier_score: list[float] | None = None,
    is_outlier: list[bool] | None = None,
) -> list[LogRecord]:
    """One prediction-log record per row of a served request."""
    return [
        LogRecord(
            t=t,
            deployment_id=deployment_id,
            version_id=version_id,
            request_id=request_ids[i],
            inputs=rows[i],
            outputs=outputs[i],
            confidence=confidence[i] if confidence else None,
            latency_ms=latency_ms,
            routing_key=routing_key or "",
            violations=[v for v in violations if v["row"] == i],
            outlier_score=outlier_score[i] if outlier_score and i < len(outlier_score) else None,
            is_outlier=is_outlier[i] if is_outlier and i < len(is_outlier) else None,
        )
        for i in range(len(rows))
    ]


def predict_body(
    *,
    outputs: list[Any],
    probabilities: list[Any] | None,
    confidence: list[Any] | None,
    model_version: int,
    request_ids: list[str],
    violations: list[dict[str, Any]],
    members: list[dict[str, Any]] | None = None,
    outlier_score: list[float] | None = None,
    is_outlier: list[bool] | None = None,
) -> dict[str, Any]:
    """The JSON body of a served ``predict`` call (``members``: an ensemble's members' own outputs,
    when the caller asked)."""
    result: dict[str, Any] = {"outputs": outputs, "model_version": model_version, "request_ids": request_ids}
    if members is not None:
        result["members"] = members
    if outlier_score is not None and is_outlier is not None:
        result["outlier_score"], result["is_outlier"] = outlier_score, is_outlier
    if probabilities is not None:
        result["probabilities"] = probabilities
    if confidence is not None:
        result["confidence"] = confidence
    if violations:
        result["violations"] = violations
    return result


@dataclass(frozen=True)
class Failure:
    """A predict call that got no usable answer: what the caller is told."""

    status: int
    code: str
    message: str
    field: str | None = None
    retry_after: int | None = None


#: Redis could not take the request
UNAVAILABLE = Failure(503, "unavailable", "The serving queue is unavailable; try again shortly.", retry_after=1)


def answer_failure(answer: Reply | None, *, timeout_s: float) -> Failure:
    """The failure for no answer in time (``None``) or a worker's error reply."""
    if answer is None:
        message = f"No serving worker answered within {timeout_s:g}s; try again shortly."
        return Failure(503, "timeout", message, retry_after=1)
    status, field_name, retry_after = failure_status(answer.code)
    return Failure(status, answer.code, answer.message, field_name, retry_after)


def record_answer(
    stats: Any,
    *,
    route: DeploymentRoute,
    version: VersionRoute,
    message_id: str,
    rows: list[Any],
    answer: Reply,
    latency_ms: float,
    routing_key: str | None,
    violations: list[dict[str, Any]],
    now: float,
) -> list[str]:
    """Count a successful call (and sample its rows into the prediction log) on ``stats`` (the web
    process's or the gateway's counters, the same ``record`` signature); returns the request ids."""
    request_ids = [f"{message_id}-{i}" for i in range(len(rows))]
    logs = None
    if sampled(route.sample_rate):
        logs = log_records(
            t=now,
            deployment_id=route.deployment_id,
            version_id=version.version_id,
            request_ids=request_ids,
            rows=rows,
            outputs=answer.outputs,
            confidence=answer.confidence,
            latency_ms=latency_ms,
            routing_key=routing_key,
            violations=violations,
            outlier_score=answer.outlier_score,
            is_outlier=answer.is_outlier,
        )
    stats.record(
        deployment_id=route.deployment_id,
        version_id=version.version_id,
        latency_ms=latency_ms,
        status="ok",
        violations=len(violations),
        confidences=answer.confidence,
        logs=logs,
    )
    return request_ids
