"""Extraction workers for ``ingest --jobs N`` that fail one file at a time.

Each worker process holds one file at a time, so the parent always knows which file a
worker was reading: a worker that dies (killed with SIGKILL by the out-of-memory killer,
a crash in native code) fails only that file; a new worker takes its place and the
batch carries on. (``concurrent.futures`` cannot say which task a dead worker held, and
breaks every pending task with it.)

Workers die with their parent: on Linux the kernel kills them when the parent dies
(``PR_SET_PDEATHSIG``), and on every platform a watchdog thread in the worker exits as
soon as the parent process is gone, so a killed ``ingest`` leaves no orphans.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from ..settings import SETTINGS

Job = Callable[[str], Any]
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int) -> None:
    """Make this worker end when ``parent`` does (kernel signal, plus a watchdog)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the watchdog alone
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(SETTINGS.store.worker_poll)
        os._exit(1)

    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _worker_main(conn: Connection, job: Job, parent: int) -> None:
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, path = task
        conn.send((index, job(path)))


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process of the chosen context
    conn: Connection
    index: int | None = None  # the task it holds

    def give(self, index: int, path: str) -> None:
        self.index = index
        self.conn.send((index, path))


def _start(ctx: Any, job: Job) -> _Worker:
    parent_end, child_end = ctx.Pipe()
    process = ctx.Process(target=_worker_main, args=(child_end, job, os.getpid()), daemon=True)
    process.start()
    child_end.close()
    return _Worker(process, parent_end)


def death_cause(exitcode: int | None) -> str:
    """Why a worker process ended, in words."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (the out-of-memory killer sends it)" if -exitcode == signal.SIGKILL else ""
        return f"killed by {name}{hint}"
    return f"exited with code {exitcode}"


def _collect(worker: _Worker) -> tuple[int, Any, str | None]:
    """The finished task of a worker: (index, result, None), or (index, None, cause)
    when the worker died holding it."""
    index = worker.index
    assert index is not None
    worker.index = None
    try:
        if worker.conn.poll():
            got, result = worker.conn.recv()
            return got, result, None
    except (EOFError, OSError):
        pass
    worker.process.join(timeout=5)
    return index, None, death_cause(worker.process.exitcode)


def _stop(workers: list[_Worker]) -> None:
    for w in workers:
        with contextlib.suppress(OSError):
            w.conn.send(None)
    for w in workers:
        w.process.join(timeout=2)
        if w.process.is_alive():
            w.process.kill()
            w.process.join()
        w.conn.close()


def _next(workers: list[_Worker], pos: int, ctx: Any, job: Job) -> _Worker:
    """The worker at ``pos`` if it lives, else a new one in its place."""
    w = workers[pos]
    if w.process.is_alive():
        return w
    w.conn.close()
    w.process.join()
    workers[pos] = _start(ctx, job)
    return workers[pos]


def run_pool(
    tasks: list[str], order: list[int], jobs: int, job: Job
) -> Iterator[tuple[int, Any, str | None]]:
    """Run ``job(tasks[i])`` in ``jobs`` processes, handing out ``order``; yield
    (i, result, None) as each finishes, or (i, None, cause) when its worker died."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    queue = deque(order)
    workers = [_start(ctx, job) for _ in range(min(jobs, len(tasks)))]

    def hand_out(pos: int) -> None:
        while queue:
            w = _next(workers, pos, ctx, job)
            try:
                w.give(queue[0], tasks[queue[0]])
            except OSError:  # died since: start another and try again
                w.index = None
                w.process.kill()
                w.process.join()
                continue
            queue.popleft()
            return

    try:
        for pos in range(len(workers)):
            hand_out(pos)
        while any(w.index is not None for w in workers):
            busy = [w for w in workers if w.index is not None]
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for pos, w in enumerate(workers):
                if w.index is not None and {w.conn, w.process.sentinel} & ready:
                    done = _collect(w)
                    hand_out(pos)  # the next file first: it is read while we store this one
                    yield done
    finally:
        _stop(workers)
