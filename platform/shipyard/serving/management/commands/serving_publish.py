"""``manage.py serving_publish``: rebuild everything the data plane reads from Redis.

Every deployment's route (``serving.publish``), the state of every bandit that Redis lost
(from the feedback in Postgres, ``serving.bandit_service``), every valid API token and every
user's teams (``accounts.tokens``). ``shipyard_run`` runs it before the gateway starts; the hourly
``serving.maintain`` task does it too. Safe to run at any time.
"""

from __future__ import annotations

from typing import Any

import redis
from django.core.management.base import BaseCommand, CommandError

from shipyard.accounts.tokens import tokens_resync
from shipyard.serving.bandit_service import bandits_rebuild
from shipyard.serving.publish import routes_rebuild


class Command(BaseCommand):
    help = "Publish every deployment's route, the warm set, valid tokens and memberships to Redis."

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            routes = routes_rebuild()
            tokens = tokens_resync()
            bandits_rebuild()
        except redis.RedisError as exc:
            raise CommandError(f"Cannot publish to Redis: {exc}") from None
        self.stdout.write(f"Published {routes} deployment route(s) and {tokens} token(s) to the data plane.")
