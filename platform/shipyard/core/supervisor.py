"""A small process supervisor for ``manage.py shipyard_run``: start, watch, restart, stop.

Each program runs in its own session (so its own process group: gunicorn and its workers,
Celery and its pool processes). A program that exits on its own is restarted with exponential
backoff (0.5 s doubling to 30 s; a program that stayed up 60 s starts again at 0.5 s). A program
that exits more than 5 times within 60 s is in a crash loop: it is marked ``failed`` and not
restarted; a failed *required* program stops everything with a non-zero exit code.

When a program's main process dies, whatever is left of its process group (a gunicorn worker
still answering, a Celery pool process) gets SIGTERM and, after a grace period, SIGKILL. Stopping
is like systemd's ``KillMode=mixed``: SIGTERM to each main process, SIGKILL to every process
group still alive after the stop timeout or once its main process is gone.

The process table is handed to a ``publish`` callback every second and on every change; the
platform publishes it to Redis (``RedisStatus``) and ``/healthz`` reports it. Apart from that
callback this module is plain Python: no Django.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Redis key holding the latest process table (JSON); ``/healthz`` reads it
STATUS_KEY = "shipyard:supervisor:processes"
#: the key expires this long after the supervisor stops refreshing it
STATUS_TTL_S = 5


class State(enum.StrEnum):
    RUNNING = "running"
    BACKOFF = "backoff"
    FAILED = "failed"
    STOPPED = "stopped"


#: states that make ``/healthz`` report the platform degraded
UNHEALTHY_STATES = frozenset({State.BACKOFF.value, State.FAILED.value})


@dataclass(frozen=True)
class Policy:
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    #: a program that stayed up this long restarts after ``backoff_initial_s`` again
    backoff_reset_s: float = 60.0
    #: more than this many exits within ``crash_loop_window_s`` is a crash loop
    crash_loop_restarts: int = 5
    crash_loop_window_s: float = 60.0
    #: how long a stopping program may take before its process group is killed
    stop_timeout_s: float = 15.0
    #: how long the rest of a crashed program's process group may take to finish before it is killed
    orphan_grace_s: float = 10.0


@dataclass(frozen=True)
class ProgramSpec:
    name: str
    cmd: Sequence[str]
    #: a required program in a crash loop stops the whole platform
    required: bool = True
    #: file descriptors the program inherits (the web's listening socket)
    pass_fds: tuple[int, ...] = ()


@dataclass
class Program:
    spec: ProgramSpec
    proc: subprocess.Popen[bytes] | None = None
    state: State = State.STOPPED
    restarts: int = 0
    #: exits since the program last stayed up ``backoff_reset_s``: the backoff exponent
    streak: int = 0
    last_exit_code: int | None = None
    since: float = field(default_factory=time.time)
    started_at: float = 0.0
    restart_at: float = 0.0
    exits: deque[float] = field(default_factory=deque)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.state == State.RUNNING else None

    def row(self) -> dict[str, Any]:
        return {
            "name": self.spec.name,
            "pid": self.pid,
            "state": self.state.value,
            "restarts": self.restarts,
            "last_exit_code": self.last_exit_code,
            "since": dt.datetime.fromtimestamp(self.since, tz=dt.UTC).isoformat(),
        }


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """Linux: the program's main process gets SIGTERM if the supervisor itself is killed."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to a process group; False when the group no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


class Supervisor:
    def __init__(
        self,
        specs: Sequence[ProgramSpec],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        policy: Policy | None = None,
        log: Callable[[str], None] = print,
        publish: Callable[[list[dict[str, Any]]], None] | None = None,
        publish_every_s: float = 1.0,
        tick_s: float = 0.1,
    ) -> None:
        self.programs = {spec.name: Program(spec) for spec in specs}
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.policy = policy or Policy()
        self.log = log
        self.publish = publish
        self.publish_every_s = publish_every_s
        self.tick_s = tick_s
        self.stopping = False
        self.exit_code = 0
        #: process groups of crashed programs still finishing: (pgid, kill at)
        self.leftovers: list[tuple[int, float]] = []
        self._next_publish = 0.0
        self._changed = False

    # -- control -------------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Ask the loop to stop everything (safe to call from a signal handler)."""
        self.stopping = True

    def start(self) -> None:
        for program in self.programs.values():
            self._spawn(program)

    def run(self) -> int:
        """Start every program and supervise until asked to stop or a required program fails."""
        self.start()
        try:
            while not self.stopping:
                self.step()
                time.sleep(self.tick_s)
        finally:
            self.shutdown()
        return self.exit_code

    def step(self, now: float | None = None) -> None:
        """One round: notice exits, restart programs whose backoff ran out, publish the table."""
        now = time.monotonic() if now is None else now
        for program in self.programs.values():
            if program.state == State.RUNNING and program.proc is not None:
                code = program.proc.poll()
                if code is not None:
                    self._exited(program, code, now)
            elif program.state == State.BACKOFF and now >= program.restart_at and not self.stopping:
                self._spawn(program)
        self._reap_leftovers(now)
        self._maybe_publish(now)

    def table(self) -> list[dict[str, Any]]:
        return [program.row() for program in self.programs.values()]

    # -- internals -----------------------------------------------------------------------------
    def _set_state(self, program: Program, state: State) -> None:
        program.state = state
        program.since = time.time()
        self._changed = True

    def _spawn(self, program: Program) -> None:
        spec = program.spec
        program.proc = subprocess.Popen(
            list(spec.cmd),
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
            pass_fds=spec.pass_fds,
            preexec_fn=_die_with_parent,
        )
        program.started_at = time.monotonic()
        self._set_state(program, State.RUNNING)

    def _exited(self, program: Program, code: int, now: float) -> None:
        pgid = program.proc.pid if program.proc is not None else None
        program.last_exit_code = code
        name = program.spec.name
        if pgid is not None and _signal_group(pgid, signal.SIGTERM):
            # The main process is gone but part of its group is not (e.g. gunicorn workers
            # finishing their requests): let it finish, then make sure it is gone.
            self.leftovers.append((pgid, now + self.policy.orphan_grace_s))
        if self.stopping:
            self._set_state(program, State.STOPPED)
            return
        if now - program.started_at >= self.policy.backoff_reset_s:
            program.streak = 0
        program.exits.append(now)
        while program.exits and now - program.exits[0] > self.policy.crash_loop_window_s:
            program.exits.popleft()
        if len(program.exits) > self.policy.crash_loop_restarts:
            self._set_state(program, State.FAILED)
            window = self.policy.crash_loop_window_s
            if program.spec.required:
                self.log(
                    f"{name} exited with code {code}; {len(program.exits)} exits within {window:g}s: "
                    f"it is failing; stopping everything"
                )
                self.exit_code = 1
                self.stopping = True
            else:
                self.log(
                    f"{name} exited with code {code}; {len(program.exits)} exits within {window:g}s: "
                    f"marked failed and not restarted; the rest keeps running"
                )
            return
        delay = min(self.policy.backoff_initial_s * 2**program.streak, self.policy.backoff_max_s)
        program.streak += 1
        program.restarts += 1
        program.restart_at = now + delay
        self._set_state(program, State.BACKOFF)
        self.log(f"{name} exited with code {code}; restarting in {delay:.1f}s (restart {program.restarts})")

    def _reap_leftovers(self, now: float) -> None:
        keep: list[tuple[int, float]] = []
        for pgid, kill_at in self.leftovers:
            if now >= kill_at:
                _signal_group(pgid, signal.SIGKILL)
            elif _signal_group(pgid, 0):
                keep.append((pgid, kill_at))
        self.leftovers = keep

    def _maybe_publish(self, now: float, *, force: bool = False) -> None:
        if self.publish is None:
            return
        if force or self._changed or now >= self._next_publish:
            self._changed = False
            self._next_publish = now + self.publish_every_s
            self.publish(self.table())

    def shutdown(self) -> None:
        """SIGTERM every main process; SIGKILL each process group once its main process is gone
        or the stop timeout ran out. Returns when every program has exited."""
        self.stopping = True
        running = [p for p in self.programs.values() if p.state == State.RUNNING and p.proc is not None]
        for program in running:
            assert program.proc is not None
            with contextlib.suppress(ProcessLookupError):
                program.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.policy.stop_timeout_s
        pending = list(running)
        while pending:
            now = time.monotonic()
            for program in list(pending):
                assert program.proc is not None
                code = program.proc.poll()
                if code is None and now < deadline:
                    continue
                # exited, or out of time: nothing of its process group may survive
                _signal_group(program.proc.pid, signal.SIGKILL)
                if code is None:
                    self.log(f"{program.spec.name} did not stop within {self.policy.stop_timeout_s:g}s; killed")
                    code = program.proc.wait()
                program.last_exit_code = code
                self._set_state(program, State.STOPPED)
                pending.remove(program)
            if pending:
                time.sleep(0.05)
        for pgid, _ in self.leftovers:
            _signal_group(pgid, signal.SIGKILL)
        self.leftovers = []
        for program in self.programs.values():
            if program.state == State.BACKOFF:
                self._set_state(program, State.STOPPED)


class RedisStatus:
    """Publishes the process table to Redis under ``STATUS_KEY`` (with a TTL) for ``/healthz``."""

    def __init__(self, log: Callable[[str], None] = print) -> None:
        self.log = log
        self._warned = False

    def __call__(self, table: list[dict[str, Any]]) -> None:
        import redis

        from shipyard.core.redis import client

        payload = json.dumps(
            {"host": socket.gethostname(), "supervisor_pid": os.getpid(), "at": time.time(), "processes": table}
        )
        try:
            client().set(STATUS_KEY, payload, ex=STATUS_TTL_S)
            self._warned = False
        except redis.RedisError as exc:
            if not self._warned:
                self.log(f"cannot publish the process table to Redis ({exc.__class__.__name__}); will retry")
                self._warned = True

    def clear(self) -> None:
        import redis

        from shipyard.core.redis import client

        with contextlib.suppress(redis.RedisError):
            client().delete(STATUS_KEY)


def read_status(raw: bytes | str | None) -> dict[str, dict[str, Any]] | None:
    """The published process table keyed by program name, or None when none is published."""
    if not raw:
        return None
    data = json.loads(raw)
    return {row["name"]: {k: v for k, v in row.items() if k != "name"} for row in data.get("processes", [])}
