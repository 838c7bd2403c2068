"""Signals the jobs app sends; apps above it in the dependency order listen."""

from __future__ import annotations

from django.dispatch import Signal

#: a job reached a final status (sent once the change commits); kwargs: ``job_id``, ``status``
job_finished = Signal()
