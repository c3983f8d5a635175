"""Jobs that queue up while the writer is busy share one commit; a failing job in such
a batch affects only its own caller."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.database import Database
from storage.session import Session


async def test_batched_jobs_all_commit_and_one_failure_stays_alone(tmp_path: Path) -> None:
    db = await Database.open(tmp_path)
    gate = threading.Event()

    def blocker(session: Session) -> None:
        gate.wait(5)  # holds the writer so the next jobs queue up into one batch

    def add(n: int) -> Callable[[Session], str]:
        def job(session: Session) -> str:
            return session.collection("items").insert({"id": f"i{n}", "n": n})

        return job

    def broken(session: Session) -> None:
        session.collection("items").insert({"id": "bad", "n": -1})
        raise ValueError("refused")

    first = asyncio.ensure_future(db.run(blocker))
    await asyncio.sleep(0.05)
    jobs = [asyncio.ensure_future(db.run(add(n))) for n in range(5)]
    jobs.insert(2, asyncio.ensure_future(db.run(broken)))
    await asyncio.sleep(0.05)
    gate.set()
    await first
    results = await asyncio.gather(*jobs, return_exceptions=True)
    assert isinstance(results[2], ValueError)
    assert [r for i, r in enumerate(results) if i != 2] == [f"i{n}" for n in range(5)]
    await db.close()

    reopened = await Database.open(tmp_path)
    ids = await reopened.run(lambda s: sorted(d["id"] for d in s.collection("items").all_open()))
    assert ids == [f"i{n}" for n in range(5)]
    await reopened.close()


async def test_a_batch_sees_earlier_jobs_in_order(tmp_path: Path) -> None:
    db = await Database.open(tmp_path)
    numbers = await asyncio.gather(*(db.run(lambda s: s.counter_next("n")) for _ in range(50)))
    assert sorted(numbers) == list(range(1, 51))
    assert numbers == sorted(numbers)  # submitted in order, served in order
    await db.close()


def test_run_sync_still_works_and_rejects_nesting(tmp_path: Path) -> None:
    db = Database.open_sync(tmp_path)
    assert db.run_sync(lambda s: s.counter_next("c")) == 1
    with pytest.raises(Exception, match="deadlock"):
        db.run_sync(lambda s: db.run_sync(lambda t: None))
    db.close_sync()
