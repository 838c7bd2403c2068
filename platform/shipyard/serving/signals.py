"""Signals the serving app sends; apps above it in the dependency order listen."""

from __future__ import annotations

from django.dispatch import Signal

#: something a person should hear about a deployment (e.g. an automatic rollback);
#: kwargs: ``deployment``, ``message``
deployment_notice = Signal()

#: a deployment changed (a canary, a promote, a rollback...: one audit event), sent once the change
#: commits; kwargs: ``deployment_id``, ``kind`` (an ``EventKind``), ``version_id`` (the event's target)
deployment_changed = Signal()
