"""The Redis protocol between the data plane (the gateway process and the web process's predict
view) and the serving workers. Pure: no Django imports.

Every deployment has its own request list (:func:`queue_key`), so a busy deployment never delays
another's requests. A caller ``LPUSH``es a request message onto its deployment's list and rings
the doorbell (:data:`DOORBELL`, a short list whose items name the queue that got work). The
message says where its reply goes: the web process blocks on a private reply key per request,
a gateway process reads all its replies from one list (:func:`reply_list`) and matches them to
callers by message id.

A worker serves all lists fairly: the ``TAKE`` script moves up to a batch of messages from the
first non-empty list, starting at a rotating index, into the worker's processing list; when all
lists are empty it blocks on the doorbell. It runs one inference call per model version in the
batch, pushes each caller's reply and deletes its processing list. A worker that dies mid-batch
leaves its processing list behind; once its heartbeat key expires, any other worker moves those
messages back onto the consuming end of their own lists (``REQUEUE`` script), so they are
answered; messages whose deadline passed are dropped (their callers already got a 503).

The shared list :data:`QUEUE` is still served (messages without a queue of their own land there).
"""

from __future__ import annotations

import bisect
import json
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from shipyard.serving.ensemble_spec import ensemble_spec

# the workers' Lua scripts (fair take, batch fill, requeue of a dead worker's messages)
from shipyard.serving.scripts import MOVE_MANY, REQUEUE, TAKE  # noqa: F401

PREFIX = "shipyard:serving"
QUEUE = f"{PREFIX}:queue"
#: set of every deployment's request list (written by the control plane; workers scan these)
QUEUES = f"{PREFIX}:queues"
#: list a caller pushes the name of the request list it filled; idle workers block on it
DOORBELL = f"{PREFIX}:doorbell"
#: most doorbell rings kept (more would only wake workers that find nothing)
DOORBELL_MAX = 64
WORKERS = f"{PREFIX}:workers"
#: hash version_key -> JSON {"artifact_key", "format", "input_name"}: versions to keep warm
WARM = f"{PREFIX}:warm"
#: list of JSON prediction-log records (sampled), drained in bulk into Postgres
PLOG = f"{PREFIX}:plog"
#: set of stats hash keys waiting to be folded into PredictionRollup
STATS_KEYS = f"{PREFIX}:stats-keys"

HEARTBEAT_TTL_S = 3
REPLY_TTL_S = 30


def processing_key(worker_id: str) -> str:
    return f"{PREFIX}:processing:{worker_id}"


def heartbeat_key(worker_id: str) -> str:
    return f"{PREFIX}:worker:{worker_id}"


def reply_key(message_id: str) -> str:
    return f"{PREFIX}:reply:{message_id}"


def reply_list(gateway_id: str) -> str:
    """The one list a gateway process reads all its replies from."""
    return f"{PREFIX}:reply:gateway:{gateway_id}"


def queue_key(deployment_id: int) -> str:
    """A deployment's own request list."""
    return f"{PREFIX}:queue:{deployment_id}"


def route_key(project: str, deployment: str) -> str:
    """Where the control plane publishes a deployment's routing config (JSON, see ``routing``)."""
    return f"{PREFIX}:route:{project}:{deployment}"


#: a gateway process's heartbeat key prefix (``/healthz`` and the docs count them)
GATEWAY_PREFIX = f"{PREFIX}:gateway:"


def dumps(value: Any) -> str:
    """Compact JSON (orjson; the standard library for what orjson cannot encode, e.g. big ints)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"))


def loads(raw: bytes | str) -> Any:
    """JSON text as written by :func:`dumps` (orjson; the standard library for what orjson cannot
    read, e.g. big ints or NaN)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def stats_key(deployment_id: int, version_id: int, minute: int) -> str:
    return f"{PREFIX}:stats:{deployment_id}:{version_id}:{minute}"


def version_key(version_id: int, sha256: str) -> str:
    return f"{version_id}:{sha256[:16]}"


class ProtocolError(ValueError):
    """A queue item that is not a well-formed request message (the worker logs and drops it)."""


@dataclass
class Request:
    """One caller's request: one or more rows for one model version."""

    id: str
    version_key: str
    artifact_key: str
    format: str
    rows: list[Any]
    reply: str
    deadline: float  # unix time after which nobody waits for the answer
    max_batch: int = 32
    max_delay_ms: float = 5.0
    #: the request list the message was pushed onto (where a reaper gives it back)
    queue: str = QUEUE
    extra: dict[str, Any] = field(default_factory=dict)
    #: an ensemble version's members: {"c": combine, "w": weights, "m": [[version key, artifact key,
    #: format], ...], "r": whether the reply carries each member's output}
    ensemble: dict[str, Any] | None = None
    #: a mirrored request's live side, echoed in the reply (see ``serving.shadow``)
    shadow: dict[str, Any] | None = None
    #: the outlier detector to score the rows with: {"k": its artifact key, "t": threshold or None}
    outlier: dict[str, Any] | None = None

    def dumps(self) -> str:
        return dumps(
            {
                "id": self.id,
                "v": self.version_key,
                "a": self.artifact_key,
                "f": self.format,
                "x": self.rows,
                "r": self.reply,
                "d": self.deadline,
                "b": self.max_batch,
                "w": self.max_delay_ms,
                "q": self.queue,
                **({"e": self.ensemble} if self.ensemble is not None else {}),
                **({"s": self.shadow} if self.shadow is not None else {}),
                **({"o": self.outlier} if self.outlier is not None else {}),
            }
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> Request:
        """Parse one queue item; :class:`ProtocolError` for anything that is not a request message."""
        try:
            d = orjson.loads(raw)
        except (ValueError, RecursionError) as exc:  # orjson.JSONDecodeError is a ValueError
            raise ProtocolError(f"not JSON ({exc.__class__.__name__})") from None
        return cls.from_dict(d)

    @classmethod
    def from_dict(cls, d: Any) -> Request:
        if not isinstance(d, dict):
            raise ProtocolError(f"expected an object, got {type(d).__name__}")
        try:
            request = cls(
                id=d["id"],
                version_key=d["v"],
                artifact_key=d["a"],
                format=d["f"],
                rows=d["x"],
                reply=d["r"],
                deadline=float(d["d"]),
                max_batch=int(d.get("b", 32)),
                max_delay_ms=float(d.get("w", 5.0)),
                queue=d.get("q", QUEUE),
                ensemble=ensemble_spec(d.get("e")),
                shadow=d.get("s") if isinstance(d.get("s"), dict) else None,
                outlier=d["o"] if isinstance(d.get("o"), dict) and isinstance(d["o"].get("k"), str) else None,
            )
        except KeyError as exc:
            raise ProtocolError(f"missing field {exc}") from None
        except (TypeError, ValueError, OverflowError) as exc:
            raise ProtocolError(f"bad field value ({exc.__class__.__name__})") from None
        for name in ("id", "version_key", "artifact_key", "format", "reply", "queue"):
            if not isinstance(getattr(request, name), str):
                raise ProtocolError(f"{name} must be a string")
        if not request.reply.startswith(f"{PREFIX}:reply:"):
            raise ProtocolError("reply is not a reply key")
        if request.queue != QUEUE and not request.queue.startswith(f"{QUEUE}:"):
            raise ProtocolError("queue is not a request list")
        if not isinstance(request.rows, list) or not request.rows:
            raise ProtocolError("rows must be a non-empty list")
        if request.max_batch < 1 or not 0.0 <= request.max_delay_ms <= 60_000.0:
            raise ProtocolError("batch settings out of range")
        return request


@dataclass
class Reply:
    """A worker's answer to one request, pushed onto the request's reply key."""

    ok: bool
    worker: str
    outputs: list[Any] = field(default_factory=list)
    probabilities: list[Any] | None = None
    confidence: list[Any] | None = None
    code: str = ""
    message: str = ""
    #: the request message's id (a gateway matches replies to callers by it)
    id: str = ""
    #: an ensemble's members' own results, in member order, when the request asked for them
    members: list[dict[str, Any]] | None = None
    #: per row, the outlier detector's score and verdict (when the deployment has a detector)
    outlier_score: list[float] | None = None
    is_outlier: list[bool] | None = None

    def dumps(self) -> str:
        body: dict[str, Any] = {"ok": self.ok, "worker": self.worker, "id": self.id}
        if self.ok:
            body["outputs"] = self.outputs
            if self.probabilities is not None:
                body["probabilities"] = self.probabilities
            if self.confidence is not None:
                body["confidence"] = self.confidence
            if self.members is not None:
                body["members"] = self.members
        else:
            body.update(code=self.code, message=self.message)
        return dumps(body)

    @classmethod
    def loads(cls, raw: bytes | str) -> Reply:
        d = orjson.loads(raw)
        if not d.get("ok"):
            return cls(
                ok=False,
                worker=str(d.get("worker", "")),
                code=str(d.get("code") or "error"),
                message=str(d.get("message", "")),
                id=str(d.get("id", "")),
            )
        return cls(
            ok=True,
            worker=str(d.get("worker", "")),
            outputs=d["outputs"],
            probabilities=d.get("probabilities"),
            confidence=d.get("confidence"),
            id=str(d.get("id", "")),
            members=d.get("members") if isinstance(d.get("members"), list) else None,
            outlier_score=d.get("os") if isinstance(d.get("os"), list) else None,
            is_outlier=d.get("io") if isinstance(d.get("io"), list) else None,
        )


def ok_reply(
    outputs: list[Any], probabilities: Any, confidence: Any, worker: str, id: str = "", members: Any = None
) -> str:
    return Reply(True, worker, outputs, probabilities, confidence, id=id, members=members).dumps()


def error_reply(code: str, message: str, worker: str, id: str = "") -> str:
    return Reply(ok=False, worker=worker, code=code, message=message, id=id).dumps()


@dataclass
class LogRecord:
    """One sampled prediction, buffered by the web process and drained into ``PredictionLog``."""

    t: float  # unix time
    deployment_id: int
    version_id: int
    request_id: str
    inputs: Any
    outputs: Any
    confidence: float | None
    latency_ms: float
    routing_key: str = ""
    violations: list[dict[str, Any]] = field(default_factory=list)
    outlier_score: float | None = None
    is_outlier: bool | None = None

    def dumps(self) -> str:
        return dumps(
            {
                "os": self.outlier_score,
                "io": self.is_outlier,
                "t": self.t,
                "d": self.deployment_id,
                "v": self.version_id,
                "id": self.request_id,
                "x": self.inputs,
                "y": self.outputs,
                "c": self.confidence,
                "ms": round(self.latency_ms, 3),
                "k": self.routing_key,
                "vi": self.violations,
            }
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> LogRecord:
        """One buffered record; :class:`ProtocolError` for anything else (the drain skips it)."""
        try:
            d = loads(raw)
            return cls(
                t=float(d["t"]),
                deployment_id=int(d["d"]),
                version_id=int(d["v"]),
                request_id=str(d["id"])[:40],
                inputs=d["x"],
                outputs=d["y"],
                confidence=d.get("c"),
                latency_ms=float(d.get("ms", 0.0)),
                routing_key=str(d.get("k") or "")[:200],
                violations=list(d.get("vi") or []),
                outlier_score=float(d["os"]) if d.get("os") is not None else None,
                is_outlier=bool(d["io"]) if d.get("io") is not None else None,
            )
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise ProtocolError(f"not a prediction-log record ({exc.__class__.__name__})") from None


#: the latency histogram's edges (ms) in a stats hash and in the rollups: bucket i counts latencies
#: <= edge i, the last bucket the rest
LATENCY_EDGES_MS: tuple[float, ...] = (
    0.5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000,
)  # fmt: skip

#: counters a stats hash holds besides the latency histogram (h0..hN) and the two float sums
STATS_COUNTERS = ("count", "errors", "timeouts", "violations", "conf_n")
STATS_SUMS = ("lat_sum", "conf_sum")


@dataclass
class StatsDelta:
    """Request counters of one (deployment, version, minute): what web processes add to a Redis hash
    (``HINCRBY``/``HINCRBYFLOAT`` on :func:`stats_key`) and the drain folds into ``PredictionRollup``."""

    count: int = 0
    errors: int = 0
    timeouts: int = 0
    violations: int = 0
    conf_n: int = 0
    lat_sum: float = 0.0
    conf_sum: float = 0.0
    #: latency histogram: bucket index -> requests
    hist: dict[int, int] = field(default_factory=dict)

    def to_hash(self) -> dict[str, int | float]:
        out: dict[str, int | float] = {name: getattr(self, name) for name in (*STATS_COUNTERS, *STATS_SUMS)}
        out.update({f"h{i}": n for i, n in self.hist.items()})
        return {k: v for k, v in out.items() if v}

    @classmethod
    def from_hash(cls, fields: dict[Any, Any]) -> StatsDelta:
        text = {
            (k.decode() if isinstance(k, bytes) else str(k)): (v.decode() if isinstance(v, bytes) else str(v))
            for k, v in fields.items()
        }

        def count(name: str) -> int:
            return int(float(text.get(name, 0)))

        return cls(
            count=count("count"),
            errors=count("errors"),
            timeouts=count("timeouts"),
            violations=count("violations"),
            conf_n=count("conf_n"),
            lat_sum=float(text.get("lat_sum", 0.0)),
            conf_sum=float(text.get("conf_sum", 0.0)),
            hist={int(k[1:]): int(v) for k, v in text.items() if k[:1] == "h" and k[1:].isdecimal()},
        )

    def observe(
        self, *, latency_ms: float, status: str, violations: int = 0, confidences: list[float] | None = None
    ) -> None:
        """Count one request (``status`` "ok" or the error code; "timeout" also counts as a timeout)."""
        self.count += 1
        if status != "ok":
            self.errors += 1
        if status == "timeout":
            self.timeouts += 1
        self.violations += violations
        self.lat_sum += latency_ms
        bucket = bisect.bisect_left(LATENCY_EDGES_MS, latency_ms)
        self.hist[bucket] = self.hist.get(bucket, 0) + 1
        if confidences:
            self.conf_sum += sum(confidences)
            self.conf_n += len(confidences)

    def add(self, other: StatsDelta) -> None:
        for name in (*STATS_COUNTERS, *STATS_SUMS):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for i, n in other.hist.items():
            self.hist[i] = self.hist.get(i, 0) + n


def parse_stats_key(key: bytes | str) -> tuple[int, int, int]:
    """(deployment id, version id, minute) of a :func:`stats_key`; ValueError for anything else."""
    text = key.decode() if isinstance(key, bytes) else key
    prefix = f"{PREFIX}:stats:"
    if not text.startswith(prefix):
        raise ValueError(f"not a stats key: {text!r}")
    dep, ver, minute = text[len(prefix) :].split(":")
    return int(dep), int(ver), int(minute)


def stats_flush(pipe: Any, counts: dict[tuple[int, int, int], StatsDelta], logs: list[str]) -> None:
    """Queue on a Redis pipeline (sync or asyncio) the commands that add ``counts`` (keyed by
    deployment, version and minute) to their stats hashes and append ``logs`` to the log buffer."""
    for (dep, ver, minute), c in counts.items():
        key = stats_key(dep, ver, minute)
        for name, value in c.to_hash().items():
            if name in STATS_SUMS:
                pipe.hincrbyfloat(key, name, value)
            else:
                pipe.hincrby(key, name, int(value))
        pipe.expire(key, 7 * 24 * 3600)
        pipe.sadd(STATS_KEYS, key)
    if logs:
        pipe.rpush(PLOG, *logs)


#: most sampled prediction-log records a process buffers between two flushes
MAX_BUFFERED_LOGS = 20_000


class StatsAccumulator:
    """Request counters per (deployment, version, minute) and sampled log records, between two
    flushes. The web process flushes it from a thread, the gateway from its event loop; neither
    holds a lock here (the caller does, where threads share it)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[int, int, int], StatsDelta] = {}
        self.logs: list[str] = []

    def record(
        self,
        *,
        deployment_id: int,
        version_id: int,
        latency_ms: float,
        status: str,
        violations: int = 0,
        confidences: list[float] | None = None,
        logs: list[LogRecord] | None = None,
        now: float | None = None,
    ) -> None:
        key = (deployment_id, version_id, int((time.time() if now is None else now) // 60))
        delta = self.counts.get(key)
        if delta is None:
            delta = self.counts[key] = StatsDelta()
        delta.observe(latency_ms=latency_ms, status=status, violations=violations, confidences=confidences)
        if logs and len(self.logs) < MAX_BUFFERED_LOGS:
            self.logs.extend(record.dumps() for record in logs)

    def take(self) -> tuple[dict[tuple[int, int, int], StatsDelta], list[str]]:
        counts, logs = self.counts, self.logs
        self.counts, self.logs = {}, []
        return counts, logs
