"""Celery adapters for jobs. Thin: they take ids and call the runner/services.

Redelivery after a worker dies: the database is the record, so recovery does not depend on
Redis' visibility timeout. Every worker, when it starts and then every RECOVER_EVERY_S seconds,
requeues running jobs whose process is gone: on its own host it checks the recorded pid; for
other hosts it checks their heartbeat in Redis (a SIGKILLed worker stops beating within
``heartbeat.TTL_SECONDS``). The task itself claims its job under a row lock, so a duplicate
delivery (the original message coming back after the visibility timeout, or a pool child's
message requeued by ``reject_on_worker_lost``) finds the job finished or held and does nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown

logger = logging.getLogger("shipyard.jobs")
RECOVER_EVERY_S = 5.0
_stop = threading.Event()


@shared_task(name="jobs.run", bind=True, acks_late=True, reject_on_worker_lost=True)
def run_job(self: Any, job_id: int) -> str:
    from shipyard.jobs import runner

    return runner.run(int(job_id), hostname=str(self.request.hostname or os.uname().nodename))


def recover(hostname: str) -> list[int]:
    from shipyard.jobs import runner, services

    return services.jobs_recover_orphans(live_hosts=runner.live_hosts(), me=f"{hostname}:{os.getpid()}")


@worker_ready.connect
def _start_recovery(sender: Any = None, **_: Any) -> None:
    queues = {q.name for q in sender.app.amqp.queues.consume_from.values()}
    if not queues & {"cpu", "gpu"}:
        return
    hostname = sender.hostname

    def loop() -> None:
        from django.db import close_old_connections

        while not _stop.is_set():
            try:
                recovered = recover(hostname)
                if recovered:
                    logger.info("requeued jobs whose worker was lost: %s", recovered)
            except Exception:
                logger.warning("job recovery failed", exc_info=True)
            finally:
                close_old_connections()
            _stop.wait(RECOVER_EVERY_S)

    threading.Thread(target=loop, name="shipyard-job-recovery", daemon=True).start()


@worker_shutdown.connect
def _stop_recovery(**_: Any) -> None:
    _stop.set()
