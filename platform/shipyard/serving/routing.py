"""What the predict path needs to know about a deployment, and the traffic split. Pure: no Django."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from shipyard.serving.validation import InputSchema


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

    def pick(self, routing_key: str | None = None) -> VersionRoute:
        if self.canary is not None and choose_canary(self.weight, routing_key, str(self.deployment_id)):
            return self.canary
        return self.live
