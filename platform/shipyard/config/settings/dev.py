"""Local development (``make up``): DEBUG on unless the environment says otherwise."""

from shipyard.config import env
from shipyard.config.settings.base import *  # noqa: F403
from shipyard.config.settings.base import ALLOWED_HOSTS

DEBUG = env.env_bool("DEBUG", True)
SECRET_KEY = env.env_str("SECRET_KEY", "") or "dev-insecure-secret-key-change-me-0123456789abcdefghijklmnop"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "[::1]"]
LOG_FORMAT = "text"
