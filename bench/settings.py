"""Settings for the benchmarks' web processes: the platform's settings plus a bare JSON endpoint."""

from shipyard.config import env
from shipyard.config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env.env_str("SECRET_KEY", "") or "bench-insecure-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.urls"
LOG_LEVEL = "warning"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
