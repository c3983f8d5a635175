"""Cards drawn from card-platform templates: the sandbox accepts only data the template
declares, draws what each person sees, and a click sends what the template's button
binds (empty actionId, params from loop fields and typed input), not what a test asks."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.app import RunningSandbox
from sandbox.seed import SandboxSeed
from tests.sandbox.conftest import Api, make_seed
from tests.sandbox.wsclient import StreamClient

CARD_TOPIC = "/v1.0/card/instances/callback"
APPROVAL = json.loads(
    (Path(__file__).parents[2] / "messages" / "cards" / "approval.json").read_text("utf-8")
)
BUTTONS = [
    {"text": "同意", "color": "blue", "action": "flow.act", "flow": "F1", "assignment": "a1",
     "decision": "approve"},
    {"text": "退回修改", "color": "red", "action": "flow.act", "flow": "F1", "assignment": "a1",
     "decision": "return"},
]  # fmt: skip


@pytest.fixture
def seed() -> SandboxSeed:
    return make_seed(card_templates={"approval.schema": APPROVAL})


def body(**public: str) -> dict[str, Any]:
    return {
        "cardTemplateId": "approval.schema",
        "outTrackId": "card-1",
        "cardData": {
            "cardParamMap": {
                "title": "请示：关于维修资金的请示",
                "status": "待签发",
                "status_color": "blue",
                "fields": json.dumps([{"label": "来文单位", "value": "县教育局"}]),
                **public,
            }
        },
        "privateData": {
            "lisi": {
                "cardParamMap": {
                    "can_act": "true",
                    "actions": json.dumps(BUTTONS, ensure_ascii=False),
                }
            },
            "zhangsan": {"cardParamMap": {"can_act": "false", "actions": "[]"}},
        },
        "callbackType": "STREAM",
        "openSpaceId": "dtv1.card//IM_ROBOT.lisi;IM_ROBOT.zhangsan",
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT"},
    }


async def create(api: Api, payload: dict[str, Any]) -> httpx.Response:
    return await api.new("POST", "/v1.0/card/instances/createAndDeliver", payload)


async def test_data_the_template_does_not_declare_is_refused(api: Api) -> None:
    unknown = await create(api, body(opinion_box="x"))
    assert unknown.status_code == 400
    assert "opinion_box" in unknown.json()["message"]
    not_a_list = body(fields="来文单位：县教育局")
    assert (await create(api, not_a_list)).status_code == 400
    bad_flag = body()
    bad_flag["privateData"]["lisi"]["cardParamMap"]["can_act"] = "yes"
    assert (await create(api, bad_flag)).status_code == 400
    assert (await create(api, body())).status_code == 200
    update = await api.new(
        "PUT",
        "/v1.0/card/instances",
        {
            "outTrackId": "card-1",
            "cardData": {"cardParamMap": {"colour": "red"}},
            "cardUpdateOptions": {"updateCardDataByKey": True},
        },
    )
    assert update.status_code == 400


def _texts(node: dict[str, Any], kind: str) -> list[str]:
    found = [node.get("text", "")] if node.get("kind") == kind else []
    for child in node.get("children", []):
        found.extend(_texts(child, kind))
    return found


async def test_each_person_sees_the_card_the_template_draws(api: Api) -> None:
    await create(api, body())
    mine = next(i for i in await api.inbox("lisi") if i["kind"] == "card")
    view = mine["cardView"]
    assert view["title"] == "请示：关于维修资金的请示" and view["tag"] == "待签发"
    assert _texts(view, "button") == ["同意", "退回修改"]
    assert "县教育局" in _texts(view, "text")
    theirs = next(i for i in await api.inbox("zhangsan") if i["kind"] == "card")
    assert _texts(theirs["cardView"], "button") == []  # can_act false: no buttons, no box


async def test_a_click_sends_what_the_button_binds(
    sandbox: RunningSandbox, api: Api, client: httpx.AsyncClient
) -> None:
    await create(api, body())
    stream = StreamClient(sandbox.url)
    await stream.connect()
    seen: list[dict[str, Any]] = []

    async def bot() -> None:
        for _ in range(2):
            frame = await stream.next_frame(CARD_TOPIC)
            seen.append(json.loads(json.loads(frame["data"])["content"])["cardPrivateData"])
            await stream.ack(frame, {})

    try:
        task = asyncio.create_task(bot())
        typed = await client.post(
            "/sandbox/cards/card-1/click",
            json={"userId": "lisi", "text": "退回修改", "inputs": {"local_opinion": "请补充预算"}},
        )
        assert typed.json()["acked"] is True
        untouched = await client.post(
            "/sandbox/cards/card-1/click", json={"userId": "lisi", "text": "同意"}
        )
        assert untouched.json()["acked"] is True
        await task
    finally:
        await stream.close()
    fields = {"action": "flow.act", "flow": "F1", "assignment": "a1"}
    assert seen[0] == {
        "actionIds": [],
        "params": {**fields, "decision": "return", "opinion": "请补充预算"},
    }
    # An input nobody typed into sends nothing at all.
    assert seen[1] == {"actionIds": [], "params": {**fields, "decision": "approve"}}


async def test_clicks_the_card_does_not_offer_are_refused(
    api: Api, client: httpx.AsyncClient
) -> None:
    await create(api, body())
    hidden = await client.post(
        "/sandbox/cards/card-1/click", json={"userId": "zhangsan", "text": "同意"}
    )
    assert hidden.status_code == 409
    no_such_input = await client.post(
        "/sandbox/cards/card-1/click",
        json={"userId": "lisi", "text": "同意", "inputs": {"opinion": "x"}},
    )
    assert no_such_input.status_code == 400
    nothing = await client.post("/sandbox/cards/card-1/click", json={"userId": "lisi"})
    assert nothing.status_code == 400


async def test_callback_answers_are_checked_against_the_template(
    sandbox: RunningSandbox, api: Api, client: httpx.AsyncClient
) -> None:
    await create(api, body())
    stream = StreamClient(sandbox.url)
    await stream.connect()

    async def bot() -> None:
        frame = await stream.next_frame(CARD_TOPIC)
        await stream.ack(
            frame,
            {
                "cardData": {"cardParamMap": {"state": "done"}},
                "cardUpdateOptions": {"updateCardDataByKey": True},
            },
        )

    try:
        task = asyncio.create_task(bot())
        out = (
            await client.post(
                "/sandbox/cards/card-1/click", json={"userId": "lisi", "text": "同意"}
            )
        ).json()
        await task
    finally:
        await stream.close()
    assert "state" in out["error"]
    assert out["card"]["cardData"]["status"] == "待签发"
