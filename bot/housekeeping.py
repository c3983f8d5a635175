"""Hourly clean-up that keeps the hot storage partitions small: rows that only matter
for dedupe or history move to the per-year archive (their ids stay known, so a late
redelivery is still recognised)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.cards import CLICKS
from bot.clock import Clock, to_epoch_ms
from bot.inbound import INBOUND
from bot.outbox_names import MERGED, OUTBOX
from bot.outbox_review import CHECKED

if TYPE_CHECKING:
    from storage.database import Database
    from storage.session import Session

# Redeliveries come within minutes; these margins are generous.
KEEP = {INBOUND: timedelta(days=2), OUTBOX: timedelta(days=3), CLICKS: timedelta(days=7)}
FINISHED = {INBOUND: ("done",), OUTBOX: ("sent", "skipped", MERGED, CHECKED), CLICKS: ("done",)}
TIME_FIELD = {INBOUND: "received_ms", OUTBOX: "created_ms", CLICKS: "at_ms"}


def _finished_before(name: str, cutoff_ms: int) -> Callable[[dict[str, Any]], bool]:
    def test(doc: dict[str, Any]) -> bool:
        return doc.get("status") in FINISHED[name] and doc.get(TIME_FIELD[name], 0) < cutoff_ms

    return test


async def archive_finished(db: Database, clock: Clock) -> dict[str, int]:
    now = clock.now()

    def archive(session: Session) -> dict[str, int]:
        moved: dict[str, int] = {}
        for name, keep in KEEP.items():
            cutoff = to_epoch_ms(now - keep)
            collection = session.collection(name)
            old = collection.find(_finished_before(name, cutoff))
            for doc in old:
                collection.archive(str(doc["id"]), now.year)
            moved[name] = len(old)
        return moved

    return await db.run(archive)
