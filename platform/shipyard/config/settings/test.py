"""Test settings: the same engines as production (PostgreSQL, Redis), faster hashing."""

from shipyard.config import env
from shipyard.config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env.env_str("SECRET_KEY", "") or "test-secret-key-not-for-production-0123456789abcdefghijkl"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]

# Tests use their own Redis logical database so they never touch a developer's queues.
from shipyard.config.settings.base import CACHES, REDIS_URL  # noqa: E402

REDIS_URL = env.with_redis_db(REDIS_URL, env.env_int("TEST_REDIS_DB", 13, minimum=0))
CELERY_BROKER_URL = REDIS_URL
CACHES = {"default": {**CACHES["default"], "LOCATION": REDIS_URL}}
from shipyard.config.settings.base import REST_FRAMEWORK  # noqa: E402

REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "10000/min"}}

# The training specs the job tests run as team code (tests/jobs/broken_recipes.py), allowlisted
# the way an operator would allowlist a team's entry points.
SHIPYARD_RECIPE_ALLOWLIST = ["tests.jobs.broken_recipes:explode", "tests.jobs.broken_recipes:slow"]
