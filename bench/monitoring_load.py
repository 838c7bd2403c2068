"""Part 2 of ``python -m bench monitoring``: simulated gateways push sampled-log records into
Redis at a set rate, drainers write them with COPY, one worker ingests them; the lag is sampled."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import time
from typing import Any

import numpy as np

from bench.common import percentile


def _gateway(index: int, rate: float, seconds: float, dep_id: int, ver_id: int, produced: Any) -> None:
    """One simulated gateway: the log records of served requests, pushed to Redis in batches.

    Records are ``LogRecord.dumps()`` of noisy digits rows made before the clock starts, with the
    time and request id filled in per record (a real gateway serialises on its own machine; here
    it shares the two cores with everything else)."""
    import redis

    from bench.bench_monitoring import digits_pool, noisy
    from shipyard.serving import protocol

    x, y = digits_pool()
    x = noisy(x, np.random.default_rng(index))
    templates = [
        protocol.LogRecord(
            t=123.0,
            deployment_id=dep_id,
            version_id=ver_id,
            request_id="@ID@",
            inputs=x[j].tolist(),
            outputs=int(y[j]),
            confidence=0.9,
            latency_ms=2.0,
        )
        .dumps()
        .replace('"t":123.0', '"t":@T@', 1)
        for j in range(len(x))
    ]
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    batch = max(1, int(rate / 50))
    started = time.monotonic()
    sent = 0
    rng = random.Random(index)
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(rate * elapsed) - sent
        if due < batch:
            time.sleep(0.005)
            continue
        now = repr(time.time())
        items = [
            templates[rng.randrange(len(templates))].replace("@T@", now, 1).replace("@ID@", f"g{index}-{sent + k}", 1)
            for k in range(due)
        ]
        client.rpush(protocol.PLOG, *items)
        sent += due
        with produced.get_lock():
            produced.value += due


def _drainer(stop: Any) -> None:
    from django.db import connections

    connections.close_all()
    import redis

    from shipyard.serving import drain

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    while not stop.is_set():
        if drain.drain_prediction_log(client, batch=5000, max_batches=1) == 0:
            time.sleep(0.02)


def _ingester(config_id: int, stop: Any) -> None:
    from django.db import connections

    connections.close_all()
    from shipyard.monitoring.ingest import ingest
    from shipyard.monitoring.models import MonitorConfig

    config = MonitorConfig.objects.get(pk=config_id)
    while not stop.is_set():
        if ingest(config, budget_s=5.0) == 0:
            time.sleep(0.05)


def sustained_ingest(deployment: Any, *, rate: float, seconds: float, gateways: int, drainers: int) -> dict:
    from django.db import connection, connections

    from shipyard.core.redis import client
    from shipyard.monitoring.ingest import ingest, ingest_lag
    from shipyard.monitoring.reference import config_for
    from shipyard.serving import protocol

    config = config_for(deployment)
    with connection.cursor() as cur:  # start from the end of the log
        cur.execute("SELECT coalesce(max(id), 0) FROM serving_predictionlog WHERE deployment_id = %s", [deployment.pk])
        config.ingest_cursor = cur.fetchone()[0]
    config.save(update_fields=["ingest_cursor"])
    start_rows = config.ingest_rows
    r = client()
    r.delete(protocol.PLOG)
    connections.close_all()
    ctx = mp.get_context("fork")
    produced = ctx.Value("q", 0)
    stop = ctx.Event()
    procs = [
        ctx.Process(
            target=_gateway,
            args=(i, rate / gateways, seconds, deployment.pk, deployment.live_version_id, produced),
        )
        for i in range(gateways)
    ]
    procs += [ctx.Process(target=_drainer, args=(stop,)) for _ in range(drainers)]
    ingester = ctx.Process(target=_ingester, args=(config.pk, stop))
    started = time.monotonic()
    for p in [*procs, ingester]:
        p.start()
    lags, backlog = [], []
    while time.monotonic() - started < seconds:
        time.sleep(1.0)
        config.refresh_from_db()
        lags.append(ingest_lag(config)["seconds"])
        backlog.append(int(r.llen(protocol.PLOG)))
    produced_n = produced.value
    # catch up: how long until everything produced is folded
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        config.refresh_from_db()
        if config.ingest_rows - start_rows >= produced_n and not r.llen(protocol.PLOG):
            break
        time.sleep(0.5)
    caught_up_s = time.monotonic() - started - seconds
    stop.set()
    for p in [*procs, ingester]:
        p.join(30)
    config.refresh_from_db()
    ingest(config, budget_s=None)
    config.refresh_from_db()
    return {
        "target_rate": rate,
        "produced_rate": produced_n / seconds,
        "ingested": config.ingest_rows - start_rows,
        "produced": produced_n,
        "lag_p50_s": percentile(lags, 0.5) if lags else 0.0,
        "lag_p95_s": percentile(lags, 0.95) if lags else 0.0,
        "lag_max_s": max(lags) if lags else 0.0,
        "backlog_max": max(backlog) if backlog else 0,
        "catch_up_s": caught_up_s,
    }
