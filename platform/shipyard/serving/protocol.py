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


def ok_reply(outputs: list[Any], probabilities: list[Any] | None, confidence: list[Any] | None, worker: str) -> str:
    body: dict[str, Any] = {"ok": True, "outputs": outputs, "worker": worker}
    if probabilities is not None:
        body["probabilities"] = probabilities
    if confidence is not None:
        body["confidence"] = confidence
    return json.dumps(body, separators=(",", ":"))


def error_reply(code: str, message: str, worker: str) -> str:
    return json.dumps({"ok": False, "code": code, "message": message, "worker": worker}, separators=(",", ":"))
