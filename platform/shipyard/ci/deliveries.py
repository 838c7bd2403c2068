"""CI deliveries: store a signed delivery once (refusing a replayed signature), then process it into
a run; every delivery ends processed, ignored or failed with a reason."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from shipyard.ci import payloads
from shipyard.ci.junit import JunitError
from shipyard.ci.models import CIRun, Delivery, DeliveryStatus
from shipyard.ci.services import run_record
from shipyard.core.errors import DomainConflict

logger = logging.getLogger(__name__)


def signature_digest(replay_key: str) -> str:
    """What is stored of a verified signature: its SHA-256 ("" for token schemes)."""
    return hashlib.sha256(replay_key.encode()).hexdigest() if replay_key else ""


@transaction.atomic
def delivery_receive(
    *,
    project: Any,
    provider: str,
    delivery_id: str,
    event: str,
    body: bytes,
    content_type: str,
    query: dict[str, str],
    replay_key: str = "",
) -> tuple[Delivery, bool]:
    """Store a verified delivery once and queue its parsing after commit. Returns (delivery, created).

    The same delivery id again is a duplicate (the first delivery is returned). A new delivery id
    carrying a signature that an earlier delivery already used is a replayed request: DomainConflict
    with code ``replay``.
    """
    digest = signature_digest(replay_key)
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                project=project,
                provider=provider,
                delivery_id=delivery_id[:200],
                event=event[:100],
                content_type=content_type[:100],
                query=query,
                body=body,
                size=len(body),
                signature_digest=digest,
            )
    except IntegrityError:
        existing = Delivery.objects.filter(project=project, provider=provider, delivery_id=delivery_id[:200]).first()
        if existing is not None:
            return existing, False
        if digest and Delivery.objects.filter(project=project, signature_digest=digest).exists():
            raise DomainConflict(
                "This signature was already used by another delivery: a replayed request is not stored again.",
                field="signature",
                code="replay",
            ) from None
        raise  # the other insert rolled back; let the sender retry
    from shipyard.ci.tasks import process_delivery

    pk = delivery.pk
    transaction.on_commit(lambda: process_delivery.delay(pk))
    return delivery, True


def _finish(delivery: Delivery, status: str, error: str = "", run: CIRun | None = None) -> Delivery:
    delivery.status = status
    delivery.error = error[:2000]
    delivery.processed_at = timezone.now()
    delivery.run = run
    delivery.save(update_fields=["status", "error", "processed_at", "run"])
    return delivery


#: errors of the database connection itself: the delivery stays queued and is processed on redelivery
_TRANSIENT = (OperationalError, InterfaceError)


def delivery_process(*, delivery_id: int) -> Delivery | None:
    """Parse a stored delivery and record its run. Safe to run twice: a finished delivery is left alone.

    Every delivery ends ``processed``, ``ignored`` or ``failed`` with a reason, whatever its body
    makes the parser or the recording raise (a body nested 100,000 deep, a value the database
    refuses): the error is logged with its traceback and its type is recorded on the delivery.
    Only a lost database connection leaves it ``queued`` for the next attempt.
    """
    try:
        return _delivery_process(delivery_id=delivery_id)
    except _TRANSIENT:
        raise
    except Exception as exc:  # recorded on the delivery and logged, not hidden
        logger.exception("CI delivery %s could not be recorded", delivery_id)
        with transaction.atomic():
            delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
            if delivery is None or delivery.status != DeliveryStatus.QUEUED:
                return delivery
            return _finish(
                delivery, DeliveryStatus.FAILED, f"the delivery could not be recorded ({type(exc).__name__})"
            )


def _parse(delivery: Delivery) -> payloads.Report:
    """The delivery's report; PayloadError with the reason for anything the parsers raise."""
    try:
        return payloads.normalise(
            delivery.provider,
            bytes(delivery.body),
            event=delivery.event,
            delivery_id=delivery.delivery_id,
            content_type=delivery.content_type,
            query=delivery.query,
        )
    except (payloads.PayloadError, JunitError):
        raise
    except RecursionError:
        raise payloads.PayloadError("the body is nested too deeply to parse") from None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError, MemoryError) as exc:
        logger.warning("CI delivery %s: the parser raised", delivery.pk, exc_info=True)
        raise payloads.PayloadError(f"the body could not be parsed ({type(exc).__name__})") from exc


@transaction.atomic
def _delivery_process(*, delivery_id: int) -> Delivery | None:
    delivery = Delivery.objects.select_for_update().select_related("project").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.QUEUED:
        return delivery
    try:
        report = _parse(delivery)
    except (payloads.PayloadError, JunitError) as exc:
        return _finish(delivery, DeliveryStatus.FAILED, str(exc))
    if report.ignored:
        return _finish(delivery, DeliveryStatus.IGNORED, report.ignored)
    run = run_record(
        project=delivery.project, provider=delivery.provider, report=report, received_at=delivery.received_at
    )
    return _finish(delivery, DeliveryStatus.PROCESSED, run=run)
