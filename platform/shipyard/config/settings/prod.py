"""Production: secure cookies, HSTS, HTTPS redirect (behind a TLS-terminating proxy).

Passes ``manage.py check --deploy --fail-level WARNING`` with a real SECRET_KEY.
"""

from shipyard.config import env
from shipyard.config.settings.base import *  # noqa: F403
from shipyard.config.settings.base import SECRET_KEY

if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise env.EnvError("SECRET_KEY must be set to a random string of at least 50 characters in production")

DEBUG = env.env_bool("DEBUG", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
