"""Card delivery and to-dos through the outbox: the client call, the outgoing kinds and
their ordering, retries and bookkeeping (fake client, real storage)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from bot.clock import FixedClock
from bot.dingtalk import CardDelivery, DeliverResult, DingTalkRejectedError
from bot.outbox import Outbox
from bot.outbox_names import TODOS
from bot.outgoing import (
    Outgoing,
    card_create,
    card_deliver,
    card_update,
    text_to,
    todo_create,
    todo_done,
)
from bot.services import Services
from tests.unit.fakes import FakeDingTalk, make_services, server_error
from tests.unit.test_dingtalk_fakes import api_error, body_of, harness, ok

DELIVER = ("POST", "/v1.0/card/instances/deliver")


# ---------------------------------------------------------------- the client call


async def test_deliver_card_request_shape_and_results() -> None:
    async with harness() as h:
        h.fake.on(
            *DELIVER,
            ok(
                {
                    "success": True,
                    "result": [
                        {
                            "spaceType": "IM_ROBOT",
                            "spaceId": "u2",
                            "success": True,
                            "carrierId": "c",
                        },
                        {
                            "spaceType": "IM_GROUP",
                            "spaceId": "cid9",
                            "success": False,
                            "errorMsg": "param.openConversationIdInvalid",
                        },
                    ],
                }
            ),
        )
        results = await h.client.deliver_card(
            CardDelivery(out_track_id="track-1", user_ids=["u2"], group_ids=["cid9"])
        )
        assert results == [
            DeliverResult("IM_ROBOT", "u2", True, "c", ""),
            DeliverResult("IM_GROUP", "cid9", False, "", "param.openConversationIdInvalid"),
        ]
        request = h.fake.calls(*DELIVER)[0]
        assert request.headers["x-acs-dingtalk-access-token"] == "api-token-1"
        body = body_of(request)
        assert body["outTrackId"] == "track-1"
        assert body["openSpaceId"] == "dtv1.card//IM_ROBOT.u2;IM_GROUP.cid9"
        assert body["imRobotOpenDeliverModel"] == {
            "spaceType": "IM_ROBOT",
            "robotCode": "dingrobot",
        }
        assert body["imGroupOpenDeliverModel"] == {"robotCode": "dingrobot"}
        assert body["userIdType"] == 1
        assert "cardData" not in body and "cardTemplateId" not in body


async def test_deliver_card_to_users_only_has_no_group_models() -> None:
    async with harness() as h:
        h.fake.on(*DELIVER, ok({"success": True, "result": []}))
        assert await h.client.deliver_card(CardDelivery(out_track_id="x", user_ids=["u1"])) == []
        body = body_of(h.fake.calls(*DELIVER)[0])
        assert body["openSpaceId"] == "dtv1.card//IM_ROBOT.u1"
        assert "imGroupOpenDeliverModel" not in body


async def test_deliver_unknown_card_is_rejected_with_its_code() -> None:
    async with harness() as h:
        h.fake.on(*DELIVER, api_error(400, "param.cardNotExist", "卡片不存在"))
        with pytest.raises(DingTalkRejectedError) as info:
            await h.client.deliver_card(CardDelivery(out_track_id="x", group_ids=["cid"]))
        assert info.value.code == "param.cardNotExist"


async def test_deliver_card_needs_a_target() -> None:
    async with harness() as h:
        with pytest.raises(ValueError, match="user_ids or group_ids"):
            await h.client.deliver_card(CardDelivery(out_track_id="x"))


# ---------------------------------------------------------------- outgoing values


def _todo(key: str = "t:new", source_id: str = "leave-1") -> Outgoing:
    return todo_create(
        key,
        source_id=source_id,
        union_id="union-ls",
        subject="审批：请假申请",
        description="张三 请假 2 天",
        due_ms=1_800_000_000_000,
        detail_url="https://gov.example/leave/1",
    )


def test_targets_keep_a_card_and_a_todo_in_order() -> None:
    items = [
        card_create("c1", template_id="t", out_track_id="card9", card_data={}, user_ids=["u1"]),
        card_deliver("c2", "card9", user_ids=["u2"]),
        card_update("c3", "card9", {"status": "已同意"}),
    ]
    assert {i.target for i in items} == {"card:card9"}
    assert {_todo().target, todo_done("t:done", "leave-1").target} == {"todo:leave-1"}
    assert text_to("m", user_id="u2", text="x").target == "users:u2"
    assert text_to("g", conversation_id="cid1", text="x").target == "group:cid1"


def test_helpers_build_storable_payloads() -> None:
    created = card_create(
        "c1",
        template_id="tpl",
        out_track_id="card9",
        card_data={"n": 1},
        group_ids=("cid1",),
        private_data={"u1": {"canAct": True}},
    )
    assert created.kind == "card"
    assert created.payload == {
        "template_id": "tpl",
        "out_track_id": "card9",
        "card_data": {"n": 1},
        "user_ids": [],
        "group_ids": ["cid1"],
        "private_data": {"u1": {"canAct": True}},
    }
    assert card_update("c2", "card9", private_data={"u1": {"x": 1}}).payload == {
        "out_track_id": "card9",
        "private_data": {"u1": {"x": 1}},
    }
    assert card_deliver("c3", "card9", ("u2",)).payload == {
        "out_track_id": "card9",
        "user_ids": ["u2"],
        "group_ids": [],
    }
    todo = _todo()
    assert todo.kind == "todo_create" and todo.payload["priority"] == 20
    assert todo.payload["union_id"] == "union-ls" and todo.payload["due_ms"] == 1_800_000_000_000
    assert todo_done("t:done", "leave-1").payload == {"source_id": "leave-1"}
    for item in (created, todo, todo_done("t:done", "leave-1")):
        assert Outgoing.from_doc(item.to_doc()) == item


def test_helpers_refuse_items_that_could_never_be_sent() -> None:
    with pytest.raises(ValueError):
        card_create("c", template_id="t", out_track_id="x", card_data={})
    with pytest.raises(ValueError):
        card_deliver("c", "x")
    with pytest.raises(ValueError):
        card_update("c", "x")
    with pytest.raises(ValueError):
        todo_done("t", "")


# ---------------------------------------------------------------- the outbox


def _outbox(services: Services, fake: FakeDingTalk) -> Outbox:
    return Outbox(services.db, fake, services.clock)


async def _run_outbox_until(outbox: Outbox, done: Callable[[], bool], limit: float = 5.0) -> None:
    worker = asyncio.create_task(outbox.run())
    try:
        async with asyncio.timeout(limit):
            while not done():
                await asyncio.sleep(0.01)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def _rows(services: Services) -> dict[str, dict[str, Any]]:
    rows = await services.db.run(lambda s: s.collection("outbox").all_open())
    return {r["id"]: r for r in rows}


async def _run_until_rows(
    services: Services,
    outbox: Outbox,
    predicate: Callable[[dict[str, dict[str, Any]]], bool],
    *,
    settle: float = 0.1,
    limit: float = 5.0,
) -> None:
    """Run the worker until the stored rows satisfy ``predicate``, then a little longer
    (so anything wrongly dispatched next would show up)."""
    reached = False

    async def check() -> None:
        nonlocal reached
        while not predicate(await _rows(services)):
            await asyncio.sleep(0.01)
        await asyncio.sleep(settle)
        reached = True

    watcher = asyncio.create_task(check())
    try:
        await _run_outbox_until(outbox, lambda: reached, limit)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)


async def _run_until_settled(services: Services, outbox: Outbox) -> None:
    """Run the worker until no row is pending."""
    await _run_until_rows(
        services, outbox, lambda rows: all(r["status"] != "pending" for r in rows.values())
    )


async def _todo_row(services: Services, source_id: str) -> dict[str, Any] | None:
    return await services.db.run(lambda s: s.collection(TODOS).get(source_id))


async def test_card_create_deliver_update_keep_their_order(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    items = [
        card_create(
            "c1", template_id="tpl", out_track_id="card9", card_data={"s": "待办"}, user_ids=["u1"]
        ),
        card_deliver("c2", "card9", user_ids=["u2", "ghost9"], group_ids=["cid1"]),
        card_update("c3", "card9", {"s": "已同意"}),
    ]
    assert await outbox.enqueue(items) == 3
    assert await outbox.enqueue(items) == 0
    await _run_until_settled(services, outbox)
    assert [s["kind"] for s in fake.sent] == ["card", "card_deliver", "card_update"]
    assert fake.cards["card9"]["users"] == ["u1", "u2", "ghost9"]
    assert fake.cards["card9"]["groups"] == ["cid1"]
    assert fake.cards["card9"]["data"] == {"s": "已同意"}
    rows = await _rows(services)
    assert {k: r["status"] for k, r in rows.items()} == {"c1": "sent", "c2": "sent", "c3": "sent"}
    # A space DingTalk refused is recorded, not retried.
    assert rows["c2"]["result"] == {"failed_spaces": {"ghost9": "param.userIdNotExist"}}
    await services.db.close()


async def test_deliver_waits_for_a_create_that_is_retried(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    clock = cast(FixedClock, services.clock)
    fake = FakeDingTalk()
    fake.failures = [server_error()]
    outbox = _outbox(services, fake)
    await outbox.enqueue(
        [
            card_create("c1", template_id="t", out_track_id="card9", card_data={}, user_ids=["u1"]),
            card_deliver("c2", "card9", user_ids=["u2"]),
        ]
    )
    await _run_until_rows(services, outbox, lambda rows: rows["c1"]["attempts"] == 1)
    assert fake.sent == []  # the deliver did not overtake the create waiting for its retry
    assert {k: r["status"] for k, r in (await _rows(services)).items()} == {
        "c1": "pending",
        "c2": "pending",
    }
    clock.advance(timedelta(seconds=5))
    await _run_until_settled(services, outbox)
    assert [s["kind"] for s in fake.sent] == ["card", "card_deliver"]
    await services.db.close()


async def test_todo_create_then_done_on_one_target(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    # Staged together, as a workflow step that both assigns and finishes a task could.
    await outbox.enqueue([_todo("t1"), todo_done("t2", "leave-1")])
    await _run_until_settled(services, outbox)
    assert [s["kind"] for s in fake.sent] == ["todo_create", "todo_done"]
    create = fake.sent[0]
    assert create["union_id"] == "union-ls" and create["executor_union_ids"] == ["union-ls"]
    assert create["source_id"] == "leave-1" and create["due_ms"] == 1_800_000_000_000
    assert fake.sent[1] == {"kind": "todo_done", "union_id": "union-ls", "task_id": "task1"}
    assert fake.todos["leave-1"]["done"] is True
    rows = await _rows(services)
    assert rows["t1"]["status"] == "sent" and rows["t1"]["result"] == {"task_id": "task1"}
    assert rows["t2"]["status"] == "sent"
    assert await _todo_row(services, "leave-1") == {
        "id": "leave-1",
        "task_id": "task1",
        "union_id": "union-ls",
        "done": True,
    }
    await services.db.close()


async def test_done_waits_for_a_create_that_is_retried(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    clock = cast(FixedClock, services.clock)
    fake = FakeDingTalk()
    fake.failures = [server_error()]
    outbox = _outbox(services, fake)
    await outbox.enqueue([_todo("t1")])
    await outbox.enqueue([todo_done("t2", "leave-1"), text_to("m1", user_id="u9", text="另一件事")])
    await _run_until_rows(
        services, outbox, lambda rows: rows["t1"]["attempts"] == 1 and rows["m1"]["attempts"] == 1
    )
    # Other targets are not held up; the completion waits for its create.
    assert fake.sent[0]["kind"] == "oto"
    rows = await _rows(services)
    assert rows["t1"]["status"] == "pending" and rows["t1"]["attempts"] == 1
    assert rows["t2"]["status"] == "pending" and rows["t2"]["attempts"] == 0
    assert await _todo_row(services, "leave-1") is None
    clock.advance(timedelta(seconds=5))
    await _run_until_settled(services, outbox)
    assert [s["kind"] for s in fake.sent] == ["oto", "todo_create", "todo_done"]
    assert fake.todos["leave-1"]["done"] is True
    await services.db.close()


async def test_task_exist_after_a_lost_answer_finds_the_task_and_closes_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    services = await make_services(tmp_path)
    clock = cast(FixedClock, services.clock)
    fake = FakeDingTalk()
    fake.lose_answers = 1  # the task is created, the answer never arrives
    outbox = _outbox(services, fake)
    await outbox.enqueue([_todo("t1"), todo_done("t2", "leave-1")])
    await _run_until_rows(services, outbox, lambda rows: rows["t1"]["attempts"] == 1)
    rows = await _rows(services)
    assert rows["t1"]["status"] == "pending" and rows["t2"]["attempts"] == 0
    clock.advance(timedelta(seconds=5))
    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        await _run_until_settled(services, outbox)
    rows = await _rows(services)
    # The retry is answered "task exist"; the org to-do query finds it by its sourceId.
    assert rows["t1"]["status"] == "sent" and rows["t1"]["attempts"] == 2
    assert len(fake.todos) == 1
    assert await _todo_row(services, "leave-1") == {
        "id": "leave-1",
        "task_id": "task1",
        "union_id": "union-ls",
        "done": True,
    }
    assert "already existed" in caplog.text
    # ... so it is closed like any other.
    assert rows["t2"]["status"] == "sent"
    assert fake.todos["leave-1"]["done"] is True
    kinds = [s["kind"] for s in fake.sent]
    assert kinds == ["todo_create", "todo_create", "todo_find", "todo_done"]
    await services.db.close()


async def test_a_to_do_whose_create_outcome_is_unknown_is_still_closed(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    fake.lose_answers = 1
    fake.ambiguous = True  # the answer is lost as a timeout: parked "uncertain"
    outbox = _outbox(services, fake)
    await outbox.enqueue([_todo("t1"), todo_done("t2", "leave-1")])
    await _run_until_settled(services, outbox)
    rows = await _rows(services)
    assert rows["t1"]["status"] == "uncertain"
    assert rows["t2"]["status"] == "sent"
    assert fake.todos["leave-1"]["done"] is True
    assert [s["kind"] for s in fake.sent] == ["todo_create", "todo_find", "todo_done"]
    await services.db.close()


async def test_task_exist_keeps_a_known_task_id(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    await outbox.enqueue([_todo("t1")])
    await _run_until_settled(services, outbox)
    # The same to-do staged again under another key: DingTalk answers "task exist".
    await outbox.enqueue([_todo("t1-again"), todo_done("t2", "leave-1")])
    await _run_until_settled(services, outbox)
    rows = await _rows(services)
    assert rows["t1-again"]["status"] == "sent"
    assert rows["t2"]["status"] == "sent"
    assert (await _todo_row(services, "leave-1") or {})["task_id"] == "task1"
    assert fake.todos["leave-1"]["done"] is True
    await services.db.close()


async def test_done_after_a_rejected_create_fails_clearly(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    fake.failures = [DingTalkRejectedError(400, "todo.taskCreate.paramError", "subject 太长")]
    outbox = _outbox(services, fake)
    await outbox.enqueue([_todo("t1"), todo_done("t2", "leave-1")])
    await _run_until_settled(services, outbox)
    rows = await _rows(services)
    assert rows["t1"]["status"] == "failed"
    assert rows["t1"]["error"] == "todo.taskCreate.paramError"
    assert rows["t2"]["status"] == "failed"
    assert rows["t2"]["error"] == "to-do leave-1 was not created (create: failed)"
    assert fake.sent == []
    assert await _todo_row(services, "leave-1") is None
    await services.db.close()


async def test_a_malformed_item_is_failed_not_retried_forever(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    broken = Outgoing("t1", "todo_create", {"source_id": "x", "union_id": "union-ls"})
    await outbox.enqueue([broken, text_to("m1", user_id="u1", text="照常发送")])
    await _run_until_settled(services, outbox)
    rows = await _rows(services)
    assert rows["t1"]["status"] == "failed" and rows["t1"]["attempts"] == 1
    assert rows["m1"]["status"] == "sent"
    await services.db.close()


async def test_a_deferred_todo_goes_out_only_if_its_step_is_still_open(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    clock = cast(FixedClock, services.clock)
    fake = FakeDingTalk()
    delay = timedelta(minutes=120)
    outbox = Outbox(
        services.db,
        fake,
        services.clock,
        todo_delay_ms=int(delay.total_seconds() * 1000),
    )
    # Step A is handled within the delay: neither create nor completion is ever sent.
    await outbox.enqueue([_todo("a:create", "flow-a")])
    clock.advance(timedelta(minutes=30))
    await outbox.enqueue([todo_done("a:done", "flow-a")])
    # Step B is still open when the delay ends: its to-do is created then.
    await outbox.enqueue([_todo("b:create", "flow-b")])
    await _run_until_rows(services, outbox, lambda rows: rows["a:create"]["status"] == "skipped")
    rows = await _rows(services)
    assert rows["a:done"]["status"] == "skipped"
    assert rows["b:create"]["status"] == "pending" and fake.sent == []
    clock.advance(delay)
    await _run_until_settled(services, outbox)
    assert [(s["kind"], s["source_id"]) for s in fake.sent] == [("todo_create", "flow-b")]
    await outbox.enqueue([todo_done("b:done", "flow-b")])
    await _run_until_settled(services, outbox)
    assert fake.todos["flow-b"]["done"] is True and "flow-a" not in fake.todos
    await services.db.close()


async def test_items_being_sent_when_the_bot_died_are_not_doubled(tmp_path: Path) -> None:
    """``sending_ms`` marks a call whose answer never came back: a robot message or a card
    delivery is parked 待核实 (DingTalk may have it); a card update is sent again."""
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    fake.cards["c1"] = {"data": {}, "private": {}, "users": ["u1"], "groups": []}
    items = [
        text_to("reply:m1:1", user_id="u1", text="你好"),
        Outgoing("c1:deliver:1", "card_deliver", {"out_track_id": "c1", "user_ids": ["u2"]}),
        Outgoing("c1:update:1", "card_update", {"out_track_id": "c1", "card_data": {"a": "1"}}),
    ]
    await outbox.enqueue(items)

    def interrupted(session: Any) -> None:  # as the last process left them
        for item in items:
            session.collection("outbox").update(item.key, {"sending_ms": 1})

    await services.db.run(interrupted)
    await _run_until_settled(services, outbox)
    rows = await _rows(services)
    assert rows["reply:m1:1"]["status"] == "uncertain"
    assert rows["reply:m1:1"]["error"] == "interrupted"
    assert rows["c1:deliver:1"]["status"] == "uncertain"
    assert rows["c1:update:1"]["status"] == "sent"
    assert [s["kind"] for s in fake.sent] == ["card_update"]
    assert all(r.get("sending_ms") is None for r in rows.values())
    await services.db.close()
