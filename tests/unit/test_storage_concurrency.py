"""One writer: concurrent callers from tasks and threads never lose or duplicate data."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from storage import Database, Session, StorageError

TASKS, PER_TASK = 20, 25
THREADS, PER_THREAD = 4, 25


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path)
    yield database
    await database.close()


def record(s: Session, who: str, n: int) -> str:
    """Insert a document, bump a read-modify-write total, append a log line."""
    doc_id = s.collection("items").insert({"who": who, "n": n})
    s.meta_set("total", s.meta_get("total", 0) + 1)
    s.table("raw").insert({"who": who, "n": n})
    s.log("audit").append([{"doc": doc_id}], 2025)
    return doc_id


async def test_hammer_from_tasks_and_threads(db: Database, tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()

    async def task(t: int) -> list[str]:
        return [await db.run(partial(record, who=f"task{t}", n=n)) for n in range(PER_TASK)]

    def thread(t: int) -> list[str]:
        return [db.run_sync(partial(record, who=f"thread{t}", n=n)) for n in range(PER_THREAD)]

    thread_jobs = [loop.run_in_executor(None, thread, t) for t in range(THREADS)]
    results = await asyncio.gather(*(task(t) for t in range(TASKS)), *thread_jobs)
    ids = [doc_id for batch in results for doc_id in batch]
    expected = TASKS * PER_TASK + THREADS * PER_THREAD
    assert len(ids) == len(set(ids)) == expected

    def check(s: Session) -> tuple[int, int, int, int, int]:
        return (
            len(s.collection("items").all_open()),
            s.meta_get("total"),
            len(s.table("raw")),
            len({d.doc_id for d in s.table("raw").all()}),
            len(list(s.log("audit").read(2025))),
        )

    assert await db.run(check) == (expected,) * 5
    for path in tmp_path.rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # every file on disk is valid JSON
    await db.close()
    reopened = await Database.open(tmp_path)
    try:
        assert await reopened.run(check) == (expected,) * 5
    finally:
        await reopened.close()


async def test_counters_are_consecutive_under_concurrency(db: Database, tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    got: list[int] = []
    lock = threading.Lock()

    def from_thread() -> None:
        for _ in range(20):
            value = db.run_sync(lambda s: s.counter_next("发文-2025"))
            with lock:
                got.append(value)

    async def from_task() -> None:
        for _ in range(20):
            got.append(await db.run(lambda s: s.counter_next("发文-2025")))

    await asyncio.gather(
        *(from_task() for _ in range(10)),
        *(loop.run_in_executor(None, from_thread) for _ in range(3)),
    )
    assert sorted(got) == list(range(1, 261))
    await db.close()
    reopened = await Database.open(tmp_path)
    try:
        assert await reopened.run(lambda s: s.counter_next("发文-2025")) == 261
        assert await reopened.run(lambda s: s.counter_next("收文-2025")) == 1
    finally:
        await reopened.close()


async def test_failed_run_changes_nothing(db: Database, tmp_path: Path) -> None:
    await db.run(lambda s: record(s, "first", 0))

    def fails(s: Session) -> None:
        record(s, "second", 1)
        assert s.counter_next("c") == 1
        s.collection("items").update(s.collection("items").all_open()[0]["id"], {"x": 1})
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await db.run(fails)

    def state(s: Session) -> tuple[int, int, int, int, int, bool]:
        docs = s.collection("items").all_open()
        return (
            len(docs),
            s.meta_get("total"),
            len(s.table("raw")),
            len(list(s.log("audit").read(2025))),
            s.counter_next("c"),  # not skipped: the failed run's 1 was never committed
            "x" in docs[0],
        )

    assert await db.run(state) == (1, 1, 1, 1, 1, False)


async def test_unserialisable_value_fails_fast_and_writes_nothing(db: Database) -> None:
    import datetime

    from storage import NotSerializableError

    def bad(s: Session) -> None:
        s.collection("items").insert({"ok": 1})
        s.meta_set("when", datetime.date(2025, 1, 1))

    with pytest.raises(NotSerializableError):
        await db.run(bad)
    assert await db.run(lambda s: s.collection("items").all_open()) == []

    def bad_table(s: Session) -> None:
        s.collection("items").insert({"ok": 1})
        s.table("raw").insert({"when": datetime.date(2025, 1, 1)})  # caught at commit

    with pytest.raises(NotSerializableError):
        await db.run(bad_table)
    assert await db.run(lambda s: (s.collection("items").all_open(), len(s.table("raw")))) == (
        [],
        0,
    )


async def test_session_is_dead_after_its_run(db: Database) -> None:
    session = await db.run(lambda s: s)
    with pytest.raises(StorageError):
        session.collection("items")


async def test_coroutine_function_is_refused(db: Database) -> None:
    async def wrong(s: Session) -> None:
        return None

    with pytest.raises(TypeError):
        _ = await db.run(wrong)


async def test_nested_run_sync_is_refused(db: Database) -> None:
    with pytest.raises(StorageError):
        await db.run(lambda s: db.run_sync(lambda inner: None))
