"""Signals the serving app sends; apps above it in the dependency order listen."""

from __future__ import annotations

from django.dispatch import Signal

#: something a person should hear about a deployment (e.g. an automatic rollback);
#: kwargs: ``deployment``, ``message``
deployment_notice = Signal()
