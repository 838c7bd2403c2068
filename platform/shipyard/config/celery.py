"""The Celery app: Redis broker, four queues, late acks, tasks discovered in every app."""

from __future__ import annotations

import os

from celery import Celery
from django.conf import settings
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipyard.config.settings.dev")

app = Celery("shipyard")
app.config_from_object("django.conf:settings", namespace="CELERY")
# One direct exchange per queue, so a message reaches exactly the queue it was sent to. (A bare
# `Queue(name)` binds every queue to the default exchange and routing key, and each message is
# copied into all of them.) The exchange names are distinct from the queue names on purpose.
app.conf.task_queues = [
    Queue(name, Exchange(f"shipyard.{name}", type="direct"), routing_key=name) for name in settings.CELERY_QUEUES
]
app.conf.task_default_queue = "cpu"
app.conf.task_default_exchange = "shipyard.cpu"
app.conf.task_default_routing_key = "cpu"
# Route by task-name prefix; job tasks pick `cpu` or `gpu` per job when they are enqueued. Serving
# housekeeping (drain, canary analysis) runs beside the monitors; inference itself runs in the
# batched serving workers (`python -m shipyard.serving.worker`), which read Redis directly.
app.conf.task_routes = {
    "serving.*": {"queue": "monitoring"},
    "monitoring.*": {"queue": "monitoring"},
    "releases.*": {"queue": "monitoring"},
    "*": {"queue": "cpu"},
}
app.autodiscover_tasks()

# Serving: fold request counters and the sampled prediction log into Postgres, analyse canaries,
# keep log partitions and the workers' warm set up to date.
app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "serving-drain": {"task": "serving.drain", "schedule": 5.0, "options": {"queue": "monitoring", "expires": 30}},
    "serving-canary-analysis": {
        "task": "serving.canary_analysis",
        "schedule": 15.0,
        "options": {"queue": "monitoring", "expires": 60},
    },
    "serving-maintain": {"task": "serving.maintain", "schedule": 3600.0, "options": {"queue": "monitoring"}},
    "serving-log-archive": {"task": "serving.log_archive", "schedule": 3600.0, "options": {"queue": "monitoring"}},
}

# Monitoring: ingest the prediction log continuously (each deployment's run goes on while there are
# rows; a new one starts 5 s after it ends), run every monitor (drift at most every 5 minutes),
# replay a sample for training/serving skew hourly, prune old series daily.
app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "monitoring-ingest-all": {"task": "monitoring.ingest_all", "schedule": 5.0, "options": {"expires": 10}},
    "monitoring-run-all": {"task": "monitoring.run_all", "schedule": 60.0, "options": {"expires": 120}},
    "monitoring-skew-all": {"task": "monitoring.skew_all", "schedule": 3600.0, "options": {"expires": 1800}},
    "monitoring-prune": {"task": "monitoring.prune", "schedule": 86400.0},
}

# Registry: remove blobs no version references (a crash between storage and row) and abandoned
# upload temp files, once they are a day old (REGISTRY_ORPHAN_GRACE_S), so uploads in flight are safe.
app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "registry-orphan-blobs": {
        "task": "registry.orphan_blobs_delete",
        "schedule": 86400.0,
        "options": {"queue": "cpu", "expires": 3600},
    },
}

# Releases: pushes from CI move forward on the events that concern them; this sweep catches any
# event missed while no worker listened.
app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "releases-follow": {"task": "releases.follow", "schedule": 15.0, "options": {"queue": "monitoring", "expires": 60}},
}

# Import for its side effect: worker heartbeats and device logging on worker start.
import shipyard.core.worker_signals  # noqa: E402,F401
