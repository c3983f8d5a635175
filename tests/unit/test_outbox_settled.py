"""Outbox.settled: the sandbox clock follower reports a move as dealt with only once
the messages it caused have gone out, so a test's "nothing more was sent" check after
a clock move is meaningful without sleeping."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from bot.outbox import Outbox
from bot.outgoing import Outgoing
from tests.unit.fakes import FakeDingTalk, make_services


def _note(key: str, delay_s: float | None = None) -> Outgoing:
    payload: dict[str, object] = {"user_ids": ["u1"], "msg_key": "sampleText", "msg_param": {}}
    if delay_s is not None:
        payload["delay_s"] = delay_s
    return Outgoing(key, "oto", payload)


@contextlib.asynccontextmanager
async def _running_outbox(root: Path, fake: FakeDingTalk) -> AsyncIterator[Outbox]:
    services = await make_services(root)
    outbox = Outbox(services.db, fake, services.clock)
    worker = asyncio.create_task(outbox.run())
    try:
        yield outbox
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker


async def test_settled_waits_for_due_messages_to_be_sent(tmp_path: Path) -> None:
    fake = FakeDingTalk()
    async with _running_outbox(tmp_path, fake) as outbox:
        await outbox.enqueue([_note("m:1"), _note("m:2")])
        assert await outbox.settled(5.0) is True
        assert len(fake.sent) == 2


async def test_settled_ignores_messages_not_yet_due(tmp_path: Path) -> None:
    fake = FakeDingTalk()
    async with _running_outbox(tmp_path, fake) as outbox:
        await outbox.enqueue([_note("later", delay_s=3600)])
        assert await outbox.settled(5.0) is True
        assert fake.sent == []


async def test_settled_gives_up_after_its_budget(tmp_path: Path) -> None:
    # No worker runs: the due message never goes out, and settled says so.
    services = await make_services(tmp_path)
    outbox = Outbox(services.db, FakeDingTalk(), services.clock)
    await outbox.enqueue([_note("stuck")])
    assert await outbox.settled(0.2) is False
