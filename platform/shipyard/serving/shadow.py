"""Shadow traffic, the data plane's half: mirror a share of a deployment's requests to a shadow
version after the live answer is in, never returning the shadow's output. Pure: no Django.

The web process and the gateway push the mirrored request onto the deployment's own shadow list
(:func:`shadow_queue`, served by the workers like any request list) once the caller's answer is
known, so the caller never waits for the shadow. The message carries the live side
(``protocol.Request.shadow``: the live version, its outputs and latency, when the mirror was
pushed) and names :data:`REPLIES` as its reply list. The worker echoes that context with the time
it answered (:func:`annotate`); the control plane's drain pops the replies and logs each row with
its agreement and both latencies (``shadow_service.shadow_collect``).
"""

from __future__ import annotations

import random
import time
from typing import Any

import orjson

from shipyard.serving import protocol

#: the one list every shadow reply goes to (collected by the drain)
REPLIES = f"{protocol.PREFIX}:reply:shadow"
#: most shadow replies kept waiting for the drain (older ones are dropped)
MAX_WAITING = 100_000


def shadow_queue(deployment_id: int) -> str:
    """A deployment's shadow request list (its own, so a live batch never waits for a shadow)."""
    return f"{protocol.queue_key(deployment_id)}:shadow"


def due(share: float) -> bool:
    """Whether this request is mirrored (a share ``share`` of requests, 0..1)."""
    return share > 0 and (share >= 1 or random.random() < share)


def shadow_message(
    *,
    route: Any,
    message_id: str,
    rows: list[Any],
    live_version_id: int,
    live_outputs: list[Any],
    live_ms: float,
    request_ids: list[str],
) -> protocol.Request:
    """The mirrored request for ``route.shadow`` (a :class:`~shipyard.serving.routing.DeploymentRoute`)."""
    shadow = route.shadow
    now = time.time()
    return protocol.Request(
        id=f"shadow-{message_id}",
        version_key=shadow.version_key,
        artifact_key=shadow.artifact_key,
        format=shadow.format,
        rows=rows,
        reply=REPLIES,
        deadline=now + max(route.timeout_s, 30.0),
        max_batch=route.max_batch,
        max_delay_ms=route.max_delay_ms,
        queue=shadow_queue(route.deployment_id),
        ensemble=shadow.ensemble_spec(False),
        shadow={
            "d": route.deployment_id,
            "lv": live_version_id,
            "sv": shadow.version_id,
            "t": now,
            "y": live_outputs,
            "ms": round(live_ms, 3),
            "ids": request_ids,
        },
    )


def push_commands(pipe: Any, message: protocol.Request) -> None:
    """Queue the commands that push a shadow message (and ring the doorbell) on a pipeline."""
    pipe.lpush(message.queue, message.dumps())
    pipe.lpush(protocol.DOORBELL, message.queue)
    pipe.ltrim(protocol.DOORBELL, 0, protocol.DOORBELL_MAX - 1)


def annotate(body: str, context: dict[str, Any]) -> str:
    """A worker's reply to a shadow request, with the live side echoed and the time it answered."""
    d = orjson.loads(body)
    d["s"] = {**context, "done": time.time()}
    return protocol.dumps(d)
