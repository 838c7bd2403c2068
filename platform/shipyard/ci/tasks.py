"""Thin Celery adapters for the CI app (routed to the `cpu` queue by the "*" route in config/celery.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="ci.process_delivery", acks_late=True, reject_on_worker_lost=True)
def process_delivery(delivery_id: int) -> None:
    from shipyard.ci.deliveries import delivery_process

    delivery_process(delivery_id=delivery_id)


@shared_task(name="ci.notify_outbound", acks_late=True, reject_on_worker_lost=True)
def notify_outbound(notification_id: int) -> None:
    from shipyard.ci.services import notification_send

    notification_send(notification_id=notification_id)
