"""Where the build's work runs: in this process, on worker processes of this machine, or on a Dask
cluster, behind one interface (Sphinx's util/parallel.py keeps serial and parallel tasks behind
one interface too).

``executor(jobs, address)`` gives a context manager yielding a ``Pool``: ``pool.map(fn, items)``
yields ``fn(item)`` for each item, in order, whatever runs it. ``jobs`` 1 runs in this process;
more starts that many worker processes (forked on Linux when this process has no other threads,
else spawned); ``address`` ``dask://HOST:PORT`` sends the tasks to an existing Dask distributed
scheduler (the optional extra ``[dask]``). A task and its result must pickle; a task's function
keeps what it needs between tasks in its own process (see ``cached``), so the same code serves
all three.

Workers die with the build: on Linux each worker asks the kernel to kill it when its parent dies
(PR_SET_PDEATHSIG), so a build killed with SIGKILL leaves no process behind holding its pipes.
"""
from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable, Iterator, Optional

from .errors import SiteError

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Have the kernel kill this process when its parent exits (Linux; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    # the parent may have died before prctl took effect: then we were reparented already
    if os.getppid() == 1:
        os._exit(1)


def _run_chunk(fn, chunk: list) -> list:
    return [fn(item) for item in chunk]


def _init(parent: int, initializer, initargs) -> None:
    die_with_parent()
    if os.getppid() != parent:
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C goes to the build, which stops the pool
    if initializer is not None:
        initializer(*initargs)


def can_fork() -> bool:
    """Whether a worker may be a forked copy of this process: on a system with fork, and only from
    a single-threaded process (forking beside other threads, as serve's file watcher, can leave
    the copy waiting on a lock one of them held)."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class Pool:
    """Runs tasks; `map` keeps the order of its items. `workers` is how many run at once."""

    workers = 1

    def map(self, fn: Callable, items: Iterable, chunksize: int = 1) -> Iterator:
        for item in items:
            yield fn(item)


class ProcessPool(Pool):
    def __init__(self, jobs: int, initializer=None, initargs=()):
        import multiprocessing

        self.workers = jobs
        context = multiprocessing.get_context("fork" if can_fork() else "spawn")
        if context.get_start_method() == "fork":
            gc.freeze()  # the copies' collections then leave the parent's objects shared
        self._pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init,
                                         initargs=(os.getpid(), initializer, initargs))

    def map(self, fn: Callable, items: Iterable, chunksize: int = 1) -> Iterator:
        """fn over items, in order, with at most a few chunks per worker in flight: the items are
        read, and the results kept, only as fast as the caller takes them."""
        from collections import deque

        window = deque()
        chunk: list = []
        for item in items:
            chunk.append(item)
            if len(chunk) == chunksize:
                window.append(self._pool.submit(_run_chunk, fn, chunk))
                chunk = []
                while len(window) >= 3 * self.workers:
                    yield from window.popleft().result()
        if chunk:
            window.append(self._pool.submit(_run_chunk, fn, chunk))
        while window:
            yield from window.popleft().result()

    def close(self, cancel: bool = False) -> None:
        self._pool.shutdown(wait=True, cancel_futures=cancel)
        gc.unfreeze()


class DaskPool(Pool):
    """Tasks on a Dask distributed cluster. The workers need this package installed; page texts
    and settings travel with the tasks, so they need no access to the content folder."""

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise SiteError(None, "--executor dask://… needs Dask: pip install 'lingyuan-site[dask]'") from None
        target = address[len("dask://"):]
        try:
            self.client = Client(f"tcp://{target}" if "://" not in target else target, timeout=10)
        except (OSError, TimeoutError) as exc:
            raise SiteError(None, f"cannot reach the Dask scheduler at {address} ({exc})") from None
        self.workers = max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info().get("workers", {}).values()))

    def map(self, fn: Callable, items: Iterable, chunksize: int = 1) -> Iterator:
        items = list(items)
        futures = self.client.map(fn, items, pure=False)
        for future in futures:
            yield future.result()

    def close(self, cancel: bool = False) -> None:
        self.client.close()


@contextlib.contextmanager
def executor(jobs: int = 1, address: Optional[str] = None, initializer=None, initargs=()) -> Iterator[Pool]:
    """A Pool for one stage (see the module docstring). Leaving the block waits for the workers
    to end; on an error or Ctrl+C the tasks not started are cancelled."""
    if address:
        if not address.startswith("dask://"):
            raise SiteError(None, f"--executor {address!r}: use dask://HOST:PORT (a Dask scheduler)")
        pool: Pool = DaskPool(address)
    elif jobs > 1:
        pool = ProcessPool(jobs, initializer, initargs)
    else:
        if initializer is not None:
            initializer(*initargs)
        pool = Pool()
    ok = False
    try:
        yield pool
        ok = True
    finally:
        if hasattr(pool, "close"):
            pool.close(cancel=not ok)


_CACHE: dict = {}


def cached(key: Any, make: Callable[[], Any]) -> Any:
    """What a task function keeps in its own process between tasks (a segmenter, a taxonomy),
    made on first use under `key`; a new key replaces the old value."""
    found = _CACHE.get("slot")
    if found is None or found[0] != key:
        found = _CACHE["slot"] = (key, make())
    return found[1]


