"""The database: one data directory, one lock, one writer thread.

All file work runs on a single dedicated thread (a one-worker executor). That keeps
blocking I/O off the asyncio event loop and serialises every operation, so a function
passed to ``run`` sees and changes the data with no other caller in between: it is our
transaction and compare-and-set. Its changes are committed when it returns and thrown
away if it raises (see ``storage.workspace``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from storage.errors import StorageError
from storage.files import ensure_dir
from storage.journal import recover
from storage.lock import DirLock
from storage.manifest import check_files
from storage.schema import check_schema
from storage.session import Session
from storage.validate import validate_root
from storage.workspace import Workspace

log = logging.getLogger(__name__)

T = TypeVar("T")

# Jobs committed together at most (bounds the latency of the first job of a batch).
MAX_BATCH = 64


def _open_workspace(root: Path, full_log_check: bool) -> Workspace:
    ensure_dir(root)
    lock = DirLock.acquire(root)
    try:
        check_schema(root)
        recover(root)  # committed transactions the files do not have yet
        report = validate_root(root, full_logs=full_log_check)
        files = check_files(root)  # none of the files it has written is missing
    except BaseException:
        lock.release()
        raise
    log.info("opened %s: %d data files, %d logs checked", root, report.json_files, report.log_files)
    return Workspace(root, lock, files)


def _close_if_opened(future: concurrent.futures.Future[Workspace]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().close()


class Database:
    def __init__(
        self,
        root: Path,
        executor: concurrent.futures.ThreadPoolExecutor,
        workspace: Workspace,
        writer: threading.Thread,
    ) -> None:
        self.root = root
        self._executor = executor
        self._ws = workspace
        self._writer = writer
        self._closed = False
        self._queue: queue.SimpleQueue[
            tuple[Callable[[Session], Any], concurrent.futures.Future[Any]]
        ] = queue.SimpleQueue()

    @staticmethod
    def _start(root: Path) -> tuple[concurrent.futures.ThreadPoolExecutor, threading.Thread]:
        ready = concurrent.futures.Future[threading.Thread]()
        executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="storage-writer",
            initializer=lambda: ready.set_result(threading.current_thread()),
        )
        return executor, executor.submit(ready.result).result()

    @classmethod
    async def open(cls, root: Path, *, full_log_check: bool = False) -> Database:
        """Lock, check the schema and every file, then serve; all on the writer thread.

        Every JSON file is parsed; logs get their last line checked, or every line with
        ``full_log_check`` (slower, grows with history: see ``storage.validate``).
        """
        root = Path(root)
        executor, writer = await asyncio.to_thread(cls._start, root)
        future = executor.submit(_open_workspace, root, full_log_check)
        try:
            workspace = await asyncio.wrap_future(future)
        except BaseException:
            future.add_done_callback(_close_if_opened)  # e.g. cancelled while opening
            executor.shutdown(wait=False)
            raise
        return cls(root, executor, workspace, writer)

    @classmethod
    def open_sync(cls, root: Path, *, full_log_check: bool = False) -> Database:
        root = Path(root)
        executor, writer = cls._start(root)
        try:
            workspace = executor.submit(_open_workspace, root, full_log_check).result()
        except BaseException:
            executor.shutdown(wait=True)
            raise
        return cls(root, executor, workspace, writer)

    # -- running work --

    def _execute(self, fn: Callable[[Session], T]) -> T:
        self._ws.begin()
        success = False
        try:
            result = self._call(fn)
            success = True
        finally:
            self._ws.end(success)
        return result

    def _call(self, fn: Callable[[Session], T]) -> T:
        session = Session(self._ws)
        try:
            result = fn(session)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                raise TypeError("Database.run() takes a plain function, not a coroutine")
            return result
        finally:
            session.close()

    def _drain(self) -> None:
        """Group commit: run every job waiting now in one transaction, commit once.

        Under load (many officials at once) most of a write's cost is writing and
        fsyncing files, so jobs that queued up meanwhile share one commit. Each job still
        sees the ones before it, and no caller learns its result before the commit. If a
        job raises, the whole batch is rolled back and re-run one job per transaction, so
        the failure affects only its own caller.
        """
        batch: list[tuple[Callable[[Session], Any], concurrent.futures.Future[Any]]] = []
        while len(batch) < MAX_BATCH:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job[1].set_running_or_notify_cancel():
                batch.append(job)
        if not batch:
            return
        if len(batch) == 1:
            self._settle(*batch[0])
            return
        self._ws.begin()
        results: list[Any] = []
        try:
            for fn, _ in batch:
                results.append(self._call(fn))
        except BaseException:
            self._ws.end(False)
            for fn, future in batch:
                self._settle(fn, future)
            return
        try:
            self._ws.end(True)
        except BaseException as error:
            for _, future in batch:
                future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)

    def _settle(self, fn: Callable[[Session], Any], future: concurrent.futures.Future[Any]) -> None:
        try:
            future.set_result(self._execute(fn))
        except BaseException as error:
            future.set_exception(error)

    def _submit(self, fn: Callable[[Session], T]) -> concurrent.futures.Future[T]:
        if self._closed:
            raise StorageError("the database is closed")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((fn, future))
        self._executor.submit(self._drain)
        return future

    async def run(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` on the writer thread; its changes are saved before this returns.

        If the awaiting task is cancelled after ``fn`` has started, ``fn`` still runs to
        the end and commits; the caller just does not learn the result.
        """
        return await asyncio.wrap_future(self._submit(fn))

    def run_sync(self, fn: Callable[[Session], T]) -> T:
        """The same, blocking: for CLI commands, threads and benchmarks (not the loop)."""
        if threading.current_thread() is self._writer:
            raise StorageError("Database.run_sync() called from inside a run (deadlock)")
        return self._submit(fn).result()

    async def checkpoint(self) -> None:
        """Write everything committed into the data files now (storage.workspace)."""
        await asyncio.wrap_future(self._executor.submit(self._ws.checkpoint))

    def checkpoint_sync(self) -> None:
        self._executor.submit(self._ws.checkpoint).result()

    # -- closing --

    async def close(self) -> None:
        if self._closed:
            return
        future = self._executor.submit(self._ws.close)
        self._closed = True
        await asyncio.wrap_future(future)
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    def close_sync(self) -> None:
        if self._closed:
            return
        future = self._executor.submit(self._ws.close)
        self._closed = True
        future.result()
        self._executor.shutdown(wait=True)

    def __repr__(self) -> str:
        return f"Database({str(self.root)!r})"
