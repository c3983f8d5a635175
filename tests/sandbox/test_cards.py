"""Interactive cards: strict create/update rules and the click round trip."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from sandbox.app import RunningSandbox
from tests.sandbox.conftest import APP_KEY, Api
from tests.sandbox.wsclient import StreamClient

CARD_TOPIC = "/v1.0/card/instances/callback"


def card_body(out_track_id: str = "card-1", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cardTemplateId": "approval.schema",
        "outTrackId": out_track_id,
        "cardData": {"cardParamMap": {"title": "请假申请", "status": "待审批"}},
        "privateData": {"lisi": {"cardParamMap": {"canApprove": "true"}}},
        "callbackType": "STREAM",
        "openSpaceId": "dtv1.card//IM_ROBOT.lisi;im_group.cidOffice==",
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT"},
        "imGroupOpenDeliverModel": {"robotCode": APP_KEY},
        "imRobotOpenSpaceModel": {"supportForward": False},
    }
    body.update(over)
    return body


async def create(api: Api, **over: Any) -> httpx.Response:
    return await api.new("POST", "/v1.0/card/instances/createAndDeliver", card_body(**over))


async def test_create_rejections(api: Api) -> None:
    bad_value = await create(api, cardData={"cardParamMap": {"count": 3}})
    assert bad_value.status_code == 400
    assert (await create(api, cardTemplateId="nope")).json()["code"] == "param.templateNotExist"
    bad_space = await create(api, openSpaceId="IM_ROBOT.lisi")
    assert bad_space.json()["code"] == "param.openSpaceIdInvalid"
    ok = await create(api)
    assert ok.status_code == 200
    results = ok.json()["result"]["deliverResults"]
    assert [r["spaceType"] for r in results] == ["IM_ROBOT", "IM_GROUP"]
    assert all(r["success"] for r in results)
    assert (await create(api)).json()["code"] == "param.cardAlreadyExist"


async def test_private_data_and_update_semantics(api: Api) -> None:
    await create(api)
    lisi = [i for i in await api.inbox("lisi") if i["kind"] == "card"]
    zhangsan = [i for i in await api.inbox("zhangsan") if i["kind"] == "card"]
    assert len(lisi) == 2 and len(zhangsan) == 1
    assert lisi[0]["cardData"]["canApprove"] == "true"
    assert "canApprove" not in zhangsan[0]["cardData"]

    # without updateCardDataByKey the whole map is replaced
    resp = await api.new(
        "PUT",
        "/v1.0/card/instances",
        {"outTrackId": "card-1", "cardData": {"cardParamMap": {"status": "已同意"}}},
    )
    assert resp.json() == {"success": True, "result": True}
    data = (await api.inbox("zhangsan"))[0]["cardData"]
    assert data == {"status": "已同意"}
    await api.new(
        "PUT",
        "/v1.0/card/instances",
        {
            "outTrackId": "card-1",
            "cardData": {"cardParamMap": {"title": "请假申请"}},
            "cardUpdateOptions": {"updateCardDataByKey": True},
        },
    )
    data = (await api.inbox("zhangsan"))[0]["cardData"]
    assert data == {"status": "已同意", "title": "请假申请"}
    missing = await api.new(
        "PUT", "/v1.0/card/instances", {"outTrackId": "nope", "cardData": {"cardParamMap": {}}}
    )
    assert missing.json()["code"] == "param.cardNotExist"
    non_string = await api.new(
        "PUT",
        "/v1.0/card/instances",
        {"outTrackId": "card-1", "cardData": {"cardParamMap": {"ok": True}}},
    )
    assert non_string.status_code == 400


async def test_two_step_create_and_deliver(api: Api) -> None:
    body = card_body("two-step")
    for key in ("openSpaceId", "imRobotOpenDeliverModel", "imGroupOpenDeliverModel"):
        body.pop(key)
    created = await api.new("POST", "/v1.0/card/instances", body)
    assert created.json()["success"] is True
    missing_model = await api.new(
        "POST",
        "/v1.0/card/instances/deliver",
        {"outTrackId": "two-step", "openSpaceId": "dtv1.card//IM_ROBOT.wangwu"},
    )
    assert missing_model.status_code == 400
    delivered = await api.new(
        "POST",
        "/v1.0/card/instances/deliver",
        {
            "outTrackId": "two-step",
            "openSpaceId": "dtv1.card//IM_ROBOT.wangwu",
            "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT"},
            "userIdType": 1,
        },
    )
    assert delivered.json()["result"][0]["success"] is True
    assert [i["kind"] for i in await api.inbox("wangwu")] == ["card"]


async def test_click_round_trip(
    sandbox: RunningSandbox, api: Api, client: httpx.AsyncClient
) -> None:
    await create(api)
    stream = StreamClient(sandbox.url)
    await stream.connect()

    async def bot() -> None:
        frame = await stream.next_frame(CARD_TOPIC)
        import json

        data = json.loads(frame["data"])
        assert data["type"] == "actionCallback" and data["userId"] == "lisi"
        assert data["corpId"] == "dingcorptest" and data["outTrackId"] == "card-1"
        assert json.loads(data["extension"]) == {}
        content = json.loads(data["content"])
        assert content == {"cardPrivateData": {"actionIds": ["agree"], "params": {"x": [1]}}}
        assert data["value"] == data["content"]
        await stream.ack(
            frame,
            {
                "cardData": {"cardParamMap": {"status": "已同意"}},
                "userPrivateData": {"cardParamMap": {"canApprove": "false"}},
                "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
            },
        )

    try:
        task = asyncio.create_task(bot())
        resp = await client.post(
            "/sandbox/cards/card-1/click",
            json={"userId": "lisi", "raw": {"actionIds": ["agree"], "params": {"x": [1]}}},
        )
        await task
        out = resp.json()
        assert out["acked"] is True
        assert out["card"]["cardData"] == {
            "title": "请假申请",
            "status": "已同意",
            "canApprove": "false",
        }
        stranger = await client.post(
            "/sandbox/cards/card-1/click",
            json={"userId": "wangwu", "raw": {"actionIds": ["agree"]}},
        )
        assert stranger.status_code == 403
    finally:
        await stream.close()


async def test_click_without_stream_callback_type(api: Api, client: httpx.AsyncClient) -> None:
    await create(api, callbackType="HTTP")
    resp = await client.post(
        "/sandbox/cards/card-1/click", json={"userId": "lisi", "raw": {"actionIds": ["agree"]}}
    )
    assert resp.json()["acked"] is False and resp.json()["skipped"]


async def test_forwarding(api: Api, client: httpx.AsyncClient) -> None:
    await create(api)  # supportForward False
    refused = await client.post(
        "/sandbox/cards/card-1/forward", json={"from": "lisi", "to": "wangwu"}
    )
    assert refused.status_code == 403
    forced = await client.post(
        "/sandbox/cards/card-1/forward", json={"from": "lisi", "to": "wangwu", "force": True}
    )
    assert forced.status_code == 200
    assert [i["kind"] for i in await api.inbox("wangwu")] == ["card"]
