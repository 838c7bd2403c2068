"""The Redis protocol between the web process and the serving workers. Pure: no Django imports.

One shared request list (``QUEUE``) serves every deployment, so any number of workers on any
number of machines share the load. The web process ``LPUSH``es a request message and blocks on
``BLPOP`` of the message's private reply key, up to the deployment's request timeout. A worker
moves messages from the right end of the queue into its own processing list (``BLMOVE`` for the
first one, then a Lua script for the rest of the batch), runs one inference call per model
version in the batch, pushes each caller's reply and deletes its processing list. A worker that
dies mid-batch leaves its processing list behind; once its heartbeat key expires, any other
worker moves those messages back onto the consuming end of the queue (``REQUEUE`` script), so
they are answered; messages whose deadline passed are dropped (their callers already got a 503).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PREFIX = "shipyard:serving"
QUEUE = f"{PREFIX}:queue"
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


def stats_key(deployment_id: int, version_id: int, minute: int) -> str:
    return f"{PREFIX}:stats:{deployment_id}:{version_id}:{minute}"


def version_key(version_id: int, sha256: str) -> str:
    return f"{version_id}:{sha256[:16]}"


# Move up to ARGV[1] messages from the consuming end of KEYS[1] into KEYS[2]; returns them.
MOVE_MANY = """
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not v then break end
  out[i] = v
end
return out
"""

# Give a dead worker's in-flight messages back to the queue's consuming end, then forget the worker.
REQUEUE = """
local n = 0
while true do
  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not v then break end
  n = n + 1
end
redis.call('SREM', KEYS[3], ARGV[1])
return n
"""


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
    extra: dict[str, Any] = field(default_factory=dict)

    def dumps(self) -> str:
        return json.dumps(
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
            },
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> Request:
        """Parse one queue item; :class:`ProtocolError` for anything that is not a request message."""
        try:
            d = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
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
            )
        except KeyError as exc:
            raise ProtocolError(f"missing field {exc}") from None
        except (TypeError, ValueError, OverflowError) as exc:
            raise ProtocolError(f"bad field value ({exc.__class__.__name__})") from None
        for name in ("id", "version_key", "artifact_key", "format", "reply"):
            if not isinstance(getattr(request, name), str):
                raise ProtocolError(f"{name} must be a string")
        if not request.reply.startswith(f"{PREFIX}:reply:"):
            raise ProtocolError("reply is not a reply key")
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

    def dumps(self) -> str:
        body: dict[str, Any] = {"ok": self.ok, "worker": self.worker}
        if self.ok:
            body["outputs"] = self.outputs
            if self.probabilities is not None:
                body["probabilities"] = self.probabilities
            if self.confidence is not None:
                body["confidence"] = self.confidence
        else:
            body.update(code=self.code, message=self.message)
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: bytes | str) -> Reply:
        d = json.loads(raw)
        if not d.get("ok"):
            return cls(
                ok=False,
                worker=str(d.get("worker", "")),
                code=str(d.get("code") or "error"),
                message=str(d.get("message", "")),
            )
        return cls(
            ok=True,
            worker=str(d.get("worker", "")),
            outputs=d["outputs"],
            probabilities=d.get("probabilities"),
            confidence=d.get("confidence"),
        )


def ok_reply(outputs: list[Any], probabilities: list[Any] | None, confidence: list[Any] | None, worker: str) -> str:
    return Reply(ok=True, worker=worker, outputs=outputs, probabilities=probabilities, confidence=confidence).dumps()


def error_reply(code: str, message: str, worker: str) -> str:
    return Reply(ok=False, worker=worker, code=code, message=message).dumps()


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

    def dumps(self) -> str:
        return json.dumps(
            {
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
            },
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> LogRecord:
        """One buffered record; :class:`ProtocolError` for anything else (the drain skips it)."""
        try:
            d = json.loads(raw)
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
            )
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise ProtocolError(f"not a prediction-log record ({exc.__class__.__name__})") from None


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
