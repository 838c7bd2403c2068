"""The Celery app: Redis broker, four queues, late acks, tasks discovered in every app."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipyard.config.settings.dev")

app = Celery("shipyard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("cpu", "gpu", "serving", "monitoring")]
# Route by task-name prefix; job tasks pick `cpu` or `gpu` per job when they are enqueued.
app.conf.task_routes = {
    "serving.*": {"queue": "serving"},
    "monitoring.*": {"queue": "monitoring"},
    "*": {"queue": "cpu"},
}
app.autodiscover_tasks()

# Import for its side effect: worker heartbeats and device logging on worker start.
import shipyard.core.worker_signals  # noqa: E402,F401
