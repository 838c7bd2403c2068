"""Local development (``make up``): DEBUG stays off unless the environment opts in with ``DEBUG=1``.

Django's debug pages show settings, paths and tracebacks to whoever triggers an error, and
``make up`` may listen on a reachable address, so debugging is a deliberate choice.
"""

from shipyard.config import env
from shipyard.config.settings.base import *  # noqa: F403
from shipyard.config.settings.base import ALLOWED_HOSTS

DEBUG = env.env_bool("DEBUG", False)
SECRET_KEY = env.env_str("SECRET_KEY", "") or "dev-insecure-secret-key-change-me-0123456789abcdefghijklmnop"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "[::1]"]
LOG_FORMAT = "text"
