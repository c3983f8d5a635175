"""The outbox with the real DingTalk client and storage, in process, against the sandbox:
a card created for one person, delivered to a second, updated; a to-do created and
completed. The sandbox's control API shows what the two people now hold."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.config import OrgDirectory
from bot.dingtalk import DingTalkClient, DingTalkCredentials
from bot.outbox import Outbox
from bot.outbox_names import OUTBOX, TODOS
from bot.outgoing import card_create, card_deliver, card_update, todo_create, todo_done
from sandbox.demo import DEMO_AGENT_ID, DEMO_APP_KEY, DEMO_APP_SECRET
from storage.database import Database
from tests.harness import Control, SandboxThread

SETTLE_LIMIT_S = 20.0


async def _wait_until_settled(db: Database) -> list[dict[str, Any]]:
    """The outbox rows once none is pending."""
    async with asyncio.timeout(SETTLE_LIMIT_S):
        while True:
            rows = await db.run(lambda s: s.collection(OUTBOX).all_open())
            if rows and all(r["status"] != "pending" for r in rows):
                return sorted(rows, key=lambda r: r["seq"])
            await asyncio.sleep(0.02)


async def test_card_and_todo_round_trip_through_the_sandbox(
    sandbox: SandboxThread, control: Control, tmp_path: Path
) -> None:
    config = sandbox.config
    directory = OrgDirectory(config)
    first, second = list(config.people)[:2]
    owner = directory.person(first)
    assert owner is not None and owner.union_id
    clock = SystemClock()
    client = DingTalkClient(
        DingTalkCredentials(
            app_key=DEMO_APP_KEY,
            app_secret=DEMO_APP_SECRET,
            robot_code=DEMO_APP_KEY,
            agent_id=DEMO_AGENT_ID,
            corp_id=config.dingtalk.corp_id,
        ),
        clock=clock,
        api_base=sandbox.url,
        oapi_base=sandbox.url,
    )
    db = await Database.open(tmp_path / "data")
    outbox = Outbox(db, client, clock)
    worker = asyncio.create_task(outbox.run())
    try:
        staged = await outbox.enqueue(
            [
                card_create(
                    "card:new",
                    template_id=config.cards["approval"],
                    out_track_id="leave-7-card",
                    card_data={"title": "请假审批", "status": "待审批", "can_act": True},
                    user_ids=[first],
                ),
                card_deliver("card:cc", "leave-7-card", user_ids=[second]),
                card_update("card:agreed", "leave-7-card", {"status": "已同意", "can_act": False}),
                todo_create(
                    "todo:new",
                    source_id="leave-7",
                    union_id=owner.union_id,
                    subject="审批：请假申请",
                    description="请假 2 天，请审批",
                    due_ms=None,
                    detail_url="https://govbot.example/leave/7",
                    priority=30,
                ),
                todo_done("todo:done", "leave-7"),
            ]
        )
        assert staged == 5
        rows = await _wait_until_settled(db)
        todo_row = await db.run(lambda s: s.collection(TODOS).get("leave-7"))
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await client.aclose()
        await db.close()

    assert [(r["id"], r["status"]) for r in rows] == [
        ("card:new", "sent"),
        ("card:cc", "sent"),
        ("card:agreed", "sent"),
        ("todo:new", "sent"),
        ("todo:done", "sent"),
    ]
    expected = {"title": "请假审批", "status": "已同意", "can_act": "false"}
    for user in (first, second):
        cards = [i for i in control.inbox(user) if i["kind"] == "card"]
        assert [c["outTrackId"] for c in cards] == ["leave-7-card"], user
        assert cards[0]["templateId"] == config.cards["approval"]
        assert cards[0]["cardData"] == expected, user

    todos = [i for i in control.inbox(first) if i["kind"] == "todo"]
    assert len(todos) == 1
    task = todos[0]["todo"]
    assert task["subject"] == "审批：请假申请" and task["sourceId"] == "leave-7"
    assert task["executorIds"] == [owner.union_id] and task["priority"] == 30
    assert task["done"] is True and task["finishTime"]
    assert todo_row is not None
    assert todo_row["task_id"] == task["id"] and todo_row["done"] is True
    assert not [i for i in control.inbox(second) if i["kind"] == "todo"]

    # Every step reached DingTalk once and was accepted; per target, in order (the card
    # and the to-do are different targets, so they may interleave).
    calls = [c for c in control.calls() if c["path"].startswith(("/v1.0/card/", "/v1.0/todo/"))]
    assert all(c["status"] == 200 for c in calls)
    task_path = f"/v1.0/todo/users/{owner.union_id}/tasks"
    assert [(c["method"], c["path"]) for c in calls if "/card/" in c["path"]] == [
        ("POST", "/v1.0/card/instances/createAndDeliver"),
        ("POST", "/v1.0/card/instances/deliver"),
        ("PUT", "/v1.0/card/instances"),
    ]
    assert [(c["method"], c["path"]) for c in calls if "/todo/" in c["path"]] == [
        ("POST", task_path),
        ("PUT", f"{task_path}/{task['id']}"),
    ]
