"""Settings shared by every environment. All environment reads go through ``shipyard.config.env``."""

from __future__ import annotations

from pathlib import Path

from shipyard.config import env

REPO_ROOT = Path(__file__).resolve().parents[4]
BASE_DIR = REPO_ROOT

SECRET_KEY = env.env_str("SECRET_KEY", "")
# Old keys still accepted for sessions and for decrypting stored secrets while SECRET_KEY rotates.
SECRET_KEY_FALLBACKS = env.env_list("SECRET_KEY_FALLBACKS", [])
DEBUG = env.env_bool("DEBUG", False)
ALLOWED_HOSTS = env.env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.env_list("CSRF_TRUSTED_ORIGINS", [])

_database_url = env.env_str("DATABASE_URL", "")
if not _database_url:
    raise env.EnvError(
        "DATABASE_URL is not set. Run through `make up` / `make test` (they start the embedded "
        "PostgreSQL and Redis under var/), or export DATABASE_URL=postgres://user@host:5432/shipyard"
    )
DATABASES = {"default": env.parse_database_url(_database_url).as_django()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.parse_redis_url(env.env_str("REDIS_URL", "redis://127.0.0.1:6379/0"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "shipyard.core",
    "shipyard.accounts",
    "shipyard.projects",
    "shipyard.rubric",
    "shipyard.ci",
    "shipyard.registry",
    "shipyard.jobs",
    "shipyard.serving",
    "shipyard.monitoring",
    "shipyard.releases",
]

MIDDLEWARE = [
    "shipyard.core.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "shipyard.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shipyard.core.middleware.ServiceUnavailableMiddleware",
    "shipyard.core.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shipyard.accounts.middleware.AdminLoginThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shipyard.config.urls"
WSGI_APPLICATION = "shipyard.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Reverse proxies in front of web that set X-Forwarded-For (the shipped nginx: 1). 0 ignores the
# header and takes REMOTE_ADDR as the client; see shipyard.core.clientip.
TRUSTED_PROXY_COUNT = env.env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# API tokens stop being accepted this many days after they were issued; 0: never (a token may still
# carry its own expiry, chosen at creation).
TOKEN_TTL_DAYS = env.env_int("TOKEN_TTL_DAYS", 0, minimum=0)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.env_str("STATIC_ROOT", str(REPO_ROOT / "var" / "static")))
try:  # WhiteNoise warns at every start when the folder is missing; collectstatic fills it in images
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
except OSError:
    pass
FRONTEND_DIST = REPO_ROOT / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise's compressed manifest storage once collectstatic has run (shipyard.core.staticfiles).
    "staticfiles": {"BACKEND": "shipyard.core.staticfiles.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Cached for a year: Vite's content-hashed build output (assets/<name>-<8-character hash>.<ext>,
# with its gzip and Brotli copies from the build) and collectstatic's hashed copies.
WHITENOISE_IMMUTABLE_FILE_TEST = r"^/static/(assets/[^/]+-[\w-]{8}|.+\.[0-9a-f]{12})\.\w+$"

ARTIFACT_ROOT = Path(env.env_str("ARTIFACT_ROOT", str(REPO_ROOT / "var" / "artifacts"))).resolve()
STORAGE_BACKEND = env.env_choice("STORAGE_BACKEND", "local", ("local", "s3"))
S3_BUCKET = env.env_str("S3_BUCKET", "")
S3_ENDPOINT_URL = env.env_str("S3_ENDPOINT_URL", "")
MAX_UPLOAD_BYTES = env.env_int("MAX_UPLOAD_BYTES", 2 * 1024**3, minimum=1)
CI_WEBHOOK_MAX_BYTES = env.env_int("CI_WEBHOOK_MAX_BYTES", 25 * 1024**2, minimum=1)
# Outgoing requests (CI notifications, alert webhooks) may reach internal addresses only when an operator
# says so; CI_OUTBOUND_ALLOW_PRIVATE is the former name, still read when the new one is unset.
OUTBOUND_ALLOW_PRIVATE = env.env_bool_renamed("OUTBOUND_ALLOW_PRIVATE", "CI_OUTBOUND_ALLOW_PRIVATE", False)
CI_SECRET_GRACE_HOURS = env.env_int("CI_SECRET_GRACE_HOURS", 24, minimum=0)
# Training code a job may run besides the built-in recipes: exact `package.module:function` entry
# points chosen by the operator (never by the API). Empty: built-in recipes only.
SHIPYARD_RECIPE_ALLOWLIST = env.env_entry_points("SHIPYARD_RECIPE_ALLOWLIST")
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024**2
# The largest JSON body an API endpoint parses (uploads are multipart and have MAX_UPLOAD_BYTES).
API_MAX_JSON_BYTES = env.env_int("API_MAX_JSON_BYTES", 1024**2, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024**2
REGISTRY_CHECK_TIMEOUT_S = env.env_int("REGISTRY_CHECK_TIMEOUT_S", 300, minimum=1)
REGISTRY_ORPHAN_GRACE_S = env.env_int("REGISTRY_ORPHAN_GRACE_S", 24 * 3600, minimum=0)
# The PII scan of each dataset upload (rubric data-5): rows scanned (a seeded sample beyond this),
# and the region phone numbers without a country code are read in.
REGISTRY_PII_SAMPLE_ROWS = env.env_int("REGISTRY_PII_SAMPLE_ROWS", 20_000, minimum=1)
REGISTRY_PII_REGION = env.env_str("REGISTRY_PII_REGION", "US")
MONITORING_WEBHOOK_TIMEOUT_S = env.env_float("MONITORING_WEBHOOK_TIMEOUT_S", 5.0)
PORT = env.env_int("PORT", 8000, minimum=1)
PUBLIC_URL = env.env_str("PUBLIC_URL", f"http://127.0.0.1:{PORT}")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "shipyard",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Set on every HTML response by ContentSecurityPolicyMiddleware. Mantine injects <style> elements
# and style attributes at run time, hence 'unsafe-inline' for styles only; no inline script anywhere.
CONTENT_SECURITY_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'", "'unsafe-inline'"),
    "img-src": ("'self'", "data:", "blob:"),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}
CSRF_FAILURE_VIEW = "shipyard.core.views.csrf_failure"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "shipyard.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "shipyard.core.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "shipyard.core.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "shipyard.core.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # login: per client address; login_username: per username (both for every login entry point).
    "DEFAULT_THROTTLE_RATES": {"login": "20/min", "login_username": "10/min"},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Shipyard API",
    "DESCRIPTION": "Self-hosted MLOps: ML Test Score rubric, CI evidence, registry, jobs, serving, monitoring.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI and ReDoc from the project's own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AnswerStatusEnum": "shipyard.rubric.scoring.STATUSES",
        "ArtifactFormatEnum": "shipyard.registry.models.ArtifactFormat",
        "BanditPolicyEnum": "shipyard.serving.models.BanditPolicy",
        "DatasetFormatEnum": "shipyard.registry.models.DatasetFormat",
        "JobKindEnum": "shipyard.jobs.models.JobKind",
        "JobStatusEnum": "shipyard.jobs.models.JobStatus",
        "MonitorKindEnum": "shipyard.monitoring.models.MonitorKind",
        "WindowKindEnum": "shipyard.monitoring.models.WindowKind",
        "MonitorStatusEnum": "shipyard.monitoring.models.Status",
        "AlertStatusEnum": "shipyard.monitoring.models.AlertStatus",
        "RunStatusEnum": "shipyard.ci.models.RunStatus",
        "CaseStatusEnum": "shipyard.ci.models.CaseStatus",
        "DeliveryStatusEnum": "shipyard.ci.models.DeliveryStatus",
        "MetricKindEnum": "shipyard.ci.models.MetricKind",
        "EventKindEnum": "shipyard.serving.models.EventKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # each job kind's params model and report (shipyard_ml.job_params, shipyard_ml.reports)
        "shipyard.jobs.api.schema.add_job_contracts",
    ],
}

# Celery: Redis broker; results live in Postgres records, not in a result backend.
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
#: The Celery queues: the one list (config/celery.py declares exactly these).
CELERY_QUEUES = ("cpu", "gpu", "monitoring")
#: What /healthz and /metrics count live workers by: the Celery queues and the batched serving
#: workers (python -m shipyard.serving.worker), which read Redis directly rather than a queue.
WORKER_KINDS = (*CELERY_QUEUES, "serving")

# Serving workers (python -m shipyard.serving.worker) and the /serve path.
SERVING_CONCURRENCY = env.env_int("SERVING_CONCURRENCY", 1, minimum=1)
SERVING_ORT_THREADS = env.env_int("SERVING_ORT_THREADS", 1, minimum=1)
SERVING_CONFIG_TTL_S = env.env_float("SERVING_CONFIG_TTL_S", 0.5)
SERVING_MAX_ROWS = env.env_int("SERVING_MAX_ROWS", 1024, minimum=1)
#: largest predict body accepted (a JSON 413 above it, before the body is read)
SERVING_MAX_BODY_BYTES = env.env_int("SERVING_MAX_BODY_BYTES", 8 * 1024**2, minimum=1024)
# A canary weight (percent) above this is gated like a promote (the version must pass the quality gate).
SERVING_CANARY_GATE_WEIGHT = env.env_int("SERVING_CANARY_GATE_WEIGHT", 50, minimum=0, maximum=100)

LOG_LEVEL = env.env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error"))
LOG_FORMAT = env.env_choice("LOG_FORMAT", "json", ("json", "text"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "shipyard.core.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL.upper()},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
    },
}
