"""The serving worker: ``python -m shipyard.serving.worker``.

Not a Celery worker: it reads the Redis request lists directly (see ``protocol``): every
deployment's list in turn, starting at a rotating index, so a busy deployment cannot starve the
others, and blocking on the doorbell when all are empty. It closes a batch (one deployment's
requests) at the request's max batch size or max delay, runs one inference call per model
version in the batch and answers each caller where its message says. ``SERVING_CONCURRENCY`` (default 1) worker processes are started
and supervised; run more on other machines against the same Redis to share the load.

It never touches the database: requests carry the artifact's storage key and format.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from shipyard.core import heartbeat as core_heartbeat
from shipyard.core.gc_tuning import tune_for_serving

logger = logging.getLogger("shipyard.serving.worker")

#: how often a lingering worker looks for more requests
POLL_S = 0.0005
#: most request lists one worker serves
MAX_QUEUES = 100_000


class Linger:
    """Decides, for one request list, whether waiting up to max delay for more requests is worth it.

    Waiting only pays when requests arrive while we wait. Under closed-loop load (every client
    waits for its answer) the queue refills by itself while a batch runs, and at one client
    nothing can arrive, so a fixed wait only adds latency. The worker keeps a moving score per
    request list of how often a wait brought more requests; it waits while that score is high,
    and probes now and then when it is low. A wait also ends once no request has arrived for
    ``GAP_S``: a burst of requests (the clients answered by the last batch asking again) is
    over, and the rest of max delay would only be added to every request in the batch.
    """

    GAP_S = 0.0005

    def __init__(self, probe: float = 0.05) -> None:
        self.score = 0.0
        self.probe = probe

    def should_wait(self) -> bool:
        return self.score > 0.2 or random.random() < self.probe

    def record(self, useful: bool) -> None:
        self.score = 0.8 * self.score + (0.2 if useful else 0.0)

    def burst_over(self, since_last_arrival: float) -> bool:
        return since_last_arrival > self.GAP_S


class ServingWorker:
    def __init__(self, *, redis_url: str, worker_id: str | None = None, ort_threads: int = 1) -> None:
        import redis

        from shipyard.serving import protocol
        from shipyard_ml.inference import SessionCache
        from shipyard_ml.outliers import DetectorCache

        self.p = protocol
        self.id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.redis: Any = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=10)
        self.processing = protocol.processing_key(self.id)
        self.sessions = SessionCache(capacity=16, threads=ort_threads)
        self.detectors = DetectorCache()
        self.log = logger
        self.move_many = self.redis.register_script(protocol.MOVE_MANY)
        self.take = self.redis.register_script(protocol.TAKE)
        #: the request lists served, in a stable order (the shared list first)
        self.queues: list[str] = [protocol.QUEUE]
        self._next_queue = 0
        #: per request list, the max batch its requests asked for last (how many to take at once;
        #: a list first seen gives one, whose message says its deployment's max batch)
        self._batch_hint: dict[str, int] = {}
        self.requeue = self.redis.register_script(protocol.REQUEUE)
        #: per request list: one deployment's traffic says nothing about another's
        self.lingers: dict[str, Linger] = {}
        #: the current batch's messages, parsed once (keyed by id() of the raw bytes held in the
        #: batch); None for an item that is not a request message
        self._parsed: dict[int, Any] = {}
        self.stopping = False
        self.batches = 0
        self.rows = 0
        self._next_heartbeat = 0.0
        self._next_reap = 0.0
        self._next_warm = 0.0
        self._next_queues = 0.0

    # -- housekeeping -------------------------------------------------------------------------
    def heartbeat(self) -> None:
        info = json.dumps(
            {"pid": os.getpid(), "host": socket.gethostname(), "batches": self.batches, "rows": self.rows}
        )
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.p.heartbeat_key(self.id), info, ex=self.p.HEARTBEAT_TTL_S)
        pipe.sadd(self.p.WORKERS, self.id)
        # The platform-wide heartbeat that /healthz and /metrics count per queue.
        core_heartbeat.beat(pipe, f"serving-{self.id}", ["serving"], "cpu")
        pipe.execute()

    def reap(self) -> int:
        """Give the in-flight requests of workers whose heartbeat expired back to the queue."""
        moved = 0
        for raw in self.redis.smembers(self.p.WORKERS):
            other = raw.decode() if isinstance(raw, bytes) else str(raw)
            if other == self.id or self.redis.exists(self.p.heartbeat_key(other)):
                continue
            n = int(
                self.requeue(
                    keys=[self.p.processing_key(other), self.p.QUEUE, self.p.WORKERS, self.p.DOORBELL],
                    args=[other, self.p.QUEUE, self.p.DOORBELL_MAX],
                )
            )
            if n:
                logger.warning("requeued %d in-flight request(s) of dead serving worker %s", n, other)
            moved += n
        return moved

    def warm(self) -> None:
        """Load every version the deployments serve (hash WARM), so the first request is fast."""
        for raw_key, raw in self.redis.hgetall(self.p.WARM).items():
            key = raw_key.decode(errors="replace")
            if key in self.sessions:
                continue
            try:
                spec = json.loads(raw)
                artifact_key, fmt = spec["artifact_key"], spec["format"]
            except (ValueError, RecursionError, KeyError, TypeError):
                logger.warning("ignoring a malformed warm-set entry for %r", key[:100])
                continue
            try:
                self.sessions.get(key, self.artifact_path(artifact_key), fmt, **self.load_kwargs(spec))
                logger.info("warmed model version %s", key)
            except Exception as exc:
                logger.warning("cannot warm model version %s: %s", key, exc)

    def learn_queue(self, name: str) -> None:
        """Serve this request list too (a deployment's list, named by the control plane or a doorbell)."""
        if name not in self.queues and name.startswith(f"{self.p.QUEUE}:") and len(self.queues) < MAX_QUEUES:
            self.queues.append(name)

    def refresh_queues(self) -> None:
        """Every deployment's request list, from the set the control plane keeps."""
        for raw in sorted(self.redis.smembers(self.p.QUEUES)):
            self.learn_queue(raw.decode(errors="replace"))

    def housekeeping(self) -> None:
        now = time.monotonic()
        if now >= self._next_queues:
            self.refresh_queues()
            self._next_queues = now + 1.0
        if now >= self._next_heartbeat:
            self.heartbeat()
            self._next_heartbeat = now + 1.0
        if now >= self._next_reap:
            self.reap()
            self._next_reap = now + 1.0 + random.random()
        if now >= self._next_warm:
            self.warm()
            self._next_warm = now + 2.0

    @staticmethod
    def artifact_path(key: str) -> Path:
        from shipyard.registry.storage import store

        return store().local_path(key)

    @staticmethod
    def load_kwargs(spec: dict[str, Any]) -> dict[str, Any]:
        if spec.get("recipe"):
            return {"recipe": spec["recipe"], "recipe_config": spec.get("recipe_config") or {}}
        return {}

    # -- the batch loop -----------------------------------------------------------------------
    def parse(self, raw: bytes) -> Any | None:
        """The request message in a queue item, or None (logged) for anything else: a malformed
        item is dropped (its processing-list copy goes with the batch), never fatal."""
        try:
            return self.p.Request.loads(raw)
        except self.p.ProtocolError as exc:
            logger.warning("dropping a malformed serving request (%s): %r", exc, raw[:200])
            return None

    def collect(self) -> list[bytes]:
        """Take requests from the next non-empty request list (or wait up to 1 s for the
        doorbell), then fill the batch from the same list up to its size or delay."""
        asks = [self._batch_hint.get(q, 1) for q in self.queues]
        got = self.take(keys=[self.processing, *self.queues], args=[self._next_queue + 1, *asks])
        if not got:
            ring = self.redis.blpop([self.p.DOORBELL], timeout=1.0)
            if ring is not None:
                self.learn_queue(ring[1].decode(errors="replace"))
            return []
        index, items = int(got[0]), list(got[1:])
        queue = self.queues[index - 1]
        self._next_queue = index % len(self.queues)  # the next batch starts at the next list
        # the list ran dry when it gave fewer than asked for: look again only to linger
        drained = len(items) < asks[index - 1]
        self._parsed = {}
        rows = 0
        for m in items:
            parsed = self.parse(m)
            self._parsed[id(m)] = parsed
            rows += len(parsed.rows) if parsed is not None else 1
        head = self._parsed[id(items[0])]
        if head is None:
            return items
        max_batch, delay = head.max_batch, head.max_delay_ms / 1000.0
        self._batch_hint[queue] = max_batch
        started = last_arrival = time.monotonic()
        linger = self.lingers.setdefault(queue, Linger())
        lingering: bool | None = None
        useful = False
        while rows < max_batch:
            more = [] if drained else self.move_many(keys=[queue, self.processing], args=[max_batch - rows])
            drained = False
            if more:
                useful = useful or lingering is not None
                last_arrival = time.monotonic()
                items.extend(more)
                for m in more:
                    parsed = self.parse(m)
                    self._parsed[id(m)] = parsed
                    rows += len(parsed.rows) if parsed is not None else 1
                continue
            now = time.monotonic()
            remaining = delay - (now - started)
            if remaining <= 0.0002:
                break
            if lingering is None:
                lingering = linger.should_wait()
            if not lingering or (useful and linger.burst_over(now - last_arrival)):
                break
            # Poll rather than BLMOVE: Redis checks blocking timeouts on its event-loop ticks
            # (every 100 ms at the default hz), far too coarse for a few milliseconds of delay.
            time.sleep(min(POLL_S, remaining))
        if lingering:
            linger.record(useful)
        return items

    def process(self, items: list[bytes]) -> None:
        import orjson

        from shipyard.serving import shadow
        from shipyard.serving.worker_ensemble import ensemble_replies
        from shipyard.serving.worker_outliers import annotate as annotate_outliers
        from shipyard.serving.worker_outliers import score_requests
        from shipyard_ml.inference import InferenceError, run_batch

        now = time.time()
        groups: dict[str, list[Any]] = defaultdict(list)
        parsed = self._parsed
        for raw in items:
            req = parsed[id(raw)] if id(raw) in parsed else self.parse(raw)
            if req is None:
                continue
            if req.deadline < now:
                continue  # the caller already got a 503
            groups[req.version_key].append(req)
        replies: list[tuple[str, str]] = []
        for key, reqs in groups.items():
            if reqs[0].ensemble is not None:
                replies += ensemble_replies(self, reqs)
                continue
            try:
                model = self.sessions.get(key, self.artifact_path(reqs[0].artifact_key), reqs[0].format)
            except Exception as exc:
                replies += [
                    (r.reply, self.p.error_reply("model_unavailable", str(exc)[:300], self.id, r.id)) for r in reqs
                ]
                continue
            rows = [row for r in reqs for row in r.rows]
            try:
                result = run_batch(model, rows)
            except InferenceError:
                # one bad request must not fail its neighbours: run each alone
                for r in reqs:
                    try:
                        one = run_batch(model, r.rows)
                        replies.append(
                            (r.reply, self.p.ok_reply(one.outputs, one.probabilities, one.confidence, self.id, r.id))
                        )
                    except InferenceError as exc:
                        replies.append((r.reply, self.p.error_reply("inference_failed", str(exc)[:300], self.id, r.id)))
                continue
            offset = 0
            for r in reqs:
                n = len(r.rows)
                sl = slice(offset, offset + n)
                replies.append(
                    (
                        r.reply,
                        self.p.ok_reply(
                            result.outputs[sl],
                            result.probabilities[sl] if result.probabilities is not None else None,
                            result.confidence[sl] if result.confidence is not None else None,
                            self.id,
                            r.id,
                        ),
                    )
                )
                offset += n
            self.rows += len(rows)
        self.batches += 1
        # One LPUSH and one EXPIRE per reply list: a gateway process has one list for all its callers.
        shadows = {r.id: r.shadow for reqs in groups.values() for r in reqs if r.shadow is not None}
        scored = score_requests(self, groups) if any(r.outlier for rs in groups.values() for r in rs) else {}
        by_key: dict[str, list[str]] = defaultdict(list)
        for key, body in replies:
            if scored or shadows:
                rid = orjson.loads(body).get("id")
                if rid in scored:
                    body = annotate_outliers(body, scored[rid])
                if key == shadow.REPLIES:
                    body = shadow.annotate(body, shadows.get(rid, {}))
            by_key[key].append(body)
        pipe = self.redis.pipeline(transaction=False)
        for key, bodies in by_key.items():
            pipe.lpush(key, *bodies)
            if key == shadow.REPLIES:  # kept for the drain, bounded
                pipe.ltrim(key, 0, shadow.MAX_WAITING - 1)
            else:
                pipe.expire(key, self.p.REPLY_TTL_S)
        pipe.delete(self.processing)
        pipe.execute()

    def run(self, max_seconds: float | None = None) -> None:
        import redis

        ended = time.monotonic() + max_seconds if max_seconds else None
        logger.info("serving worker %s started (pid %d)", self.id, os.getpid())
        backoff = 0.1
        while not self.stopping and (ended is None or time.monotonic() < ended):
            try:
                self.housekeeping()
                items = self.collect()
                if items:
                    self.process(items)
                backoff = 0.1
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                logger.warning("redis unavailable (%s); retrying in %.1fs", exc.__class__.__name__, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                self._next_heartbeat = self._next_warm = 0.0
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.delete(self.p.heartbeat_key(self.id))
            pipe.delete(f"{core_heartbeat.KEY_PREFIX}serving-{self.id}")
            pipe.srem(self.p.WORKERS, self.id)
            pipe.execute()
        except redis.RedisError:
            pass
        logger.info("serving worker %s stopped after %d batches, %d rows", self.id, self.batches, self.rows)


def _setup_django() -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipyard.config.settings.dev")
    import django

    django.setup()
    from django.conf import settings

    return settings


def _run_one(args: argparse.Namespace) -> int:
    settings = _setup_django()
    worker = ServingWorker(redis_url=settings.REDIS_URL, ort_threads=settings.SERVING_ORT_THREADS)
    tune_for_serving()

    def stop(*_: Any) -> None:
        worker.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker.run(max_seconds=args.max_seconds)
    return 0


def _supervise(n: int) -> int:
    """Start ``n`` single worker processes; restart any that dies; stop them all on SIGTERM/SIGINT."""
    cmd = [sys.executable, "-m", "shipyard.serving.worker", "--processes", "1"]
    procs: list[subprocess.Popen[bytes]] = [subprocess.Popen(cmd) for _ in range(n)]
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        for i, proc in enumerate(procs):
            if proc.poll() is not None and not stopping:
                logger.warning("serving worker process %d exited with %s; restarting it", proc.pid, proc.returncode)
                procs[i] = subprocess.Popen(cmd)
        time.sleep(0.5)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shipyard.serving.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=None, help="worker processes (default: $SERVING_CONCURRENCY)")
    parser.add_argument("--max-seconds", type=float, default=None, help="exit after this long (tests, benchmarks)")
    args = parser.parse_args(argv)
    n = args.processes
    if n is None:
        n = _setup_django().SERVING_CONCURRENCY
    if n <= 1:
        return _run_one(args)
    logging.basicConfig(level=logging.INFO)
    return _supervise(n)


if __name__ == "__main__":
    raise SystemExit(main())
