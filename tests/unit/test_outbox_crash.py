"""A kill at every send boundary of the outbox, one kind of item at a time: the bot
process dies (``os._exit``) after staging, after marking the item "sending", while
DingTalk holds the call's effect, and after the answer came back but before it was
stored. A new process on the same data then settles everything. Nothing may be sent
twice, nothing may stay stuck, a to-do must end closed, and what can be lost is parked
待核实 (README 可靠性设计)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, cast

import pytest

from bot.outbox import REPEATABLE, Outbox
from tests.unit.fakes import FakeDingTalk, make_services

PROJECT = Path(__file__).resolve().parents[2]
BOUNDARIES = ("staged", "marked", "taken", "answered")
KINDS = ("oto", "group", "work_notice", "card", "card_update", "card_deliver", "todo_create")
# The fake's method each kind calls (the one the kill is put into).
METHODS = {
    "oto": "send_to_users",
    "group": "send_to_group",
    "work_notice": "send_work_notification",
    "card": "create_and_deliver_card",
    "card_update": "update_card",
    "card_deliver": "deliver_card",
    "todo_create": "create_todo",
}

CHILD = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from pathlib import Path
    from bot.outbox import Outbox
    from bot.outgoing import Outgoing
    from tests.unit.fakes import FakeDingTalk, make_services
    from tests.unit.test_outbox_crash import METHODS, items_for

    root, kind, boundary, state = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

    async def main() -> None:
        services = await make_services(root)
        fake = FakeDingTalk()
        outbox = Outbox(services.db, fake, services.clock)

        def die() -> None:
            # What DingTalk holds survives the bot: written out for the next process.
            Path(state).write_text(json.dumps(
                {"sent": fake.sent, "cards": fake.cards, "todos": fake.todos}
            ))
            os._exit(9)

        real = getattr(fake, METHODS[kind])

        async def killed(*args, **kwargs):
            if boundary == "marked":
                die()
            result = await real(*args, **kwargs)
            if boundary == "taken":
                die()
            return result

        setattr(fake, METHODS[kind], killed)
        if boundary == "answered":
            attempt = outbox._attempt

            async def answered(row, item):
                changes = await attempt(row, item)
                if item.kind == kind:
                    die()
                return changes

            outbox._attempt = answered
        await outbox.enqueue(items_for(kind))
        if boundary == "staged":
            die()
        await asyncio.wait_for(outbox.run(), 20)

    asyncio.run(main())
    """
)


def items_for(kind: str) -> list[Any]:
    """The item under test, behind the card it needs (updates, deliveries) and before
    the completion it needs closed (to-dos)."""
    from bot.outgoing import Outgoing

    card = Outgoing(
        "card:1",
        "card",
        {
            "template_id": "tpl",
            "out_track_id": "QS1",
            "card_data": {"title": "关于维修资金的请示", "step": "审核"},
            "user_ids": ["u1"],
        },
    )
    payloads: dict[str, Outgoing] = {
        "oto": Outgoing(
            "m:1", "oto", {"user_ids": ["u1"], "msg_key": "sampleText", "msg_param": {}}
        ),
        "group": Outgoing(
            "g:1", "group", {"conversation_id": "cid1", "msg_key": "sampleText", "msg_param": {}}
        ),
        "work_notice": Outgoing("w:1", "work_notice", {"user_ids": ["u1"], "msg": {}}),
        "card": card,
        "card_update": Outgoing(
            "card:1:update", "card_update", {"out_track_id": "QS1", "card_data": {"step": "签发"}}
        ),
        "card_deliver": Outgoing(
            "card:1:deliver", "card_deliver", {"out_track_id": "QS1", "user_ids": ["u2"]}
        ),
        "todo_create": Outgoing(
            "todo:1",
            "todo_create",
            {
                "source_id": "QS1:1",
                "union_id": "un1",
                "subject": "审核",
                "description": "",
                "detail_url": "dingtalk://x",
            },
        ),
    }
    items = [payloads[kind]]
    if kind in ("card_update", "card_deliver"):
        items.insert(0, card)
    if kind == "todo_create":
        items.append(Outgoing("todo:1:done", "todo_done", {"source_id": "QS1:1"}))
    return items


def _kill_at(root: Path, kind: str, boundary: str) -> dict[str, Any]:
    state = root.parent / "dingtalk.json"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), kind, boundary, str(state)],
        cwd=PROJECT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 9, done.stderr.decode()[-2000:]
    return cast(dict[str, Any], json.loads(state.read_text()))


async def _restart_and_settle(root: Path, held: dict[str, Any]) -> tuple[FakeDingTalk, dict]:
    services = await make_services(root)
    fake = FakeDingTalk()
    fake.sent, fake.cards, fake.todos = held["sent"], held["cards"], held["todos"]
    outbox = Outbox(services.db, fake, services.clock)
    worker = asyncio.create_task(outbox.run())

    def statuses(session: Any) -> dict[str, str]:
        return {d["id"]: d["status"] for d in session.collection("outbox").all_open()}

    try:
        async with asyncio.timeout(20):
            while "pending" in (rows := await services.db.run(statuses)).values():
                await asyncio.sleep(0.02)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await services.db.close()
    return fake, rows


def _copies(fake: FakeDingTalk, kind: str) -> int:
    """How many copies of the item reached people (a repeated card create is refused
    by DingTalk as cardAlreadyExist; repeated updates change nothing)."""
    if kind == "card":
        return int("QS1" in fake.cards)
    if kind == "card_update":
        return int(fake.cards["QS1"]["data"]["step"] == "签发")
    if kind == "todo_create":
        return len(fake.todos)
    return sum(1 for s in fake.sent if s["kind"] == kind)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("kind", KINDS)
async def test_a_kill_at_a_send_boundary_never_doubles_or_sticks(
    tmp_path: Path, kind: str, boundary: str
) -> None:
    root = tmp_path / "data"
    held = _kill_at(root, kind, boundary)
    fake, rows = await _restart_and_settle(root, held)
    key = items_for(kind)[1 if kind in ("card_update", "card_deliver") else 0].key
    may_be_lost = kind not in REPEATABLE and boundary != "staged"
    if may_be_lost:
        # Unknown to the bot whether DingTalk took it: parked for the office, not resent.
        assert rows[key] == "uncertain"
        assert _copies(fake, kind) == (0 if boundary == "marked" else 1)
    else:
        assert rows[key] == "sent"
        assert _copies(fake, kind) == 1
    assert all(status in ("sent", "uncertain") for status in rows.values()), rows
    if kind == "todo_create":
        assert [t["done"] for t in fake.todos.values()] == [True]
        assert rows["todo:1:done"] == "sent"
