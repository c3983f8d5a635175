"""The real dingtalk-stream SDK (0.24.3) against the sandbox.

The SDK runs in a child process: it reads DINGTALK_OPENAPI_ENDPOINT at import and uses
blocking ``requests``, so it must not share this test's event loop (or even process).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.app import RunningSandbox, start_sandbox
from tests.sandbox.conftest import APP_KEY, APP_SECRET, make_seed, wait_until

CLIENT = Path(__file__).with_name("sdk_client.py")
BOT = "/v1.0/im/bot/messages/get"


class SdkBot:
    def __init__(self, sandbox: RunningSandbox, http: httpx.AsyncClient, log: Path) -> None:
        self.sandbox = sandbox
        self.http = http
        self.log = log

    async def connected(self) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            status: dict[str, Any] = (await self.http.get("/sandbox/stream/status")).json()
            return status if status["open"] >= 1 else None

        return dict(await wait_until(check, timeout=15))

    async def replies(self, user_id: str, count: int = 1) -> list[str]:
        async def check() -> list[str] | None:
            items = (await self.http.get(f"/sandbox/users/{user_id}/inbox")).json()
            texts = [i["text"] for i in items if i["source"] == "sessionWebhook"]
            return texts if len(texts) >= count else None

        return list(await wait_until(check, timeout=15))

    async def frame_log(self) -> list[dict[str, Any]]:
        return list((await self.http.get("/sandbox/stream/log")).json())


async def _run(seed_overrides: dict[str, Any], tmp_path: Path) -> AsyncIterator[SdkBot]:
    sandbox = await start_sandbox(make_seed(**seed_overrides))
    log = tmp_path / "sdk.log"
    with log.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(CLIENT),
            sandbox.url,
            APP_KEY,
            APP_SECRET,
            stdout=sink,
            stderr=sink,
        )
    try:
        async with httpx.AsyncClient(base_url=sandbox.url, timeout=10) as http:
            bot = SdkBot(sandbox, http, log)
            try:
                await bot.connected()
                yield bot
            except BaseException:
                print(log.read_text(errors="replace")[-4000:])
                raise
    finally:
        proc.terminate()
        await proc.wait()
        await sandbox.stop()


@pytest.fixture
async def sdk_bot(tmp_path: Path) -> AsyncIterator[SdkBot]:
    async for bot in _run({}, tmp_path):
        yield bot


@pytest.fixture
async def sdk_bot_fast_redelivery(tmp_path: Path) -> AsyncIterator[SdkBot]:
    async for bot in _run({"ack_timeout_s": 0.3}, tmp_path):
        yield bot


def _deliveries(log: list[dict[str, Any]], topic: str) -> list[dict[str, Any]]:
    return [e for e in log if e["dir"] == "out" and e.get("topic") == topic]


async def test_sdk_receives_message_and_acks(sdk_bot: SdkBot) -> None:
    resp = await sdk_bot.http.post("/sandbox/users/zhangsan/messages", json={"text": "你好"})
    assert resp.status_code == 200
    assert await sdk_bot.replies("zhangsan") == ["收到：你好"]
    await wait_until(lambda: _acked(sdk_bot, 1))
    calls = (await sdk_bot.http.get("/sandbox/calls")).json()
    assert [c["path"] for c in calls][:1] == ["/v1.0/gateway/connections/open"]
    subs = calls[0]["body"]["subscriptions"]
    assert {"type": "CALLBACK", "topic": BOT} in subs


async def _acked(bot: SdkBot, count: int) -> bool:
    status = (await bot.http.get("/sandbox/stream/status")).json()
    return bool(status["acked"] >= count and status["pending_unacked"] == 0)


async def test_sdk_unacked_frame_is_redelivered(sdk_bot_fast_redelivery: SdkBot) -> None:
    bot = sdk_bot_fast_redelivery
    await bot.http.post("/sandbox/users/lisi/messages", json={"text": "noack-once"})
    assert await bot.replies("lisi") == ["收到：noack-once"]
    await wait_until(lambda: _acked(bot, 1))
    sent = _deliveries(await bot.frame_log(), BOT)
    assert len(sent) == 2
    assert sent[0]["messageId"] == sent[1]["messageId"]


async def test_sdk_sees_duplicates(sdk_bot: SdkBot) -> None:
    await sdk_bot.http.post("/sandbox/faults", json={"duplicate_next": 1})
    await sdk_bot.http.post("/sandbox/users/zhangsan/messages", json={"text": "dup"})
    # SDK 0.24.3 has no dedup: the handler runs twice
    assert await sdk_bot.replies("zhangsan", 2) == ["收到：dup", "收到：dup"]
    sent = _deliveries(await sdk_bot.frame_log(), BOT)
    assert len(sent) == 2 and sent[0]["messageId"] == sent[1]["messageId"]


async def test_sdk_reconnects_after_drop_and_gets_queued_frames(sdk_bot: SdkBot) -> None:
    first = await sdk_bot.connected()
    old_id = first["connection_details"][0]["id"]
    resp = await sdk_bot.http.post("/sandbox/faults", json={"drop_stream": True})
    assert resp.json()["dropped_connections"] == 1
    await sdk_bot.http.post("/sandbox/users/wangwu/messages", json={"text": "断线时发的"})
    assert await sdk_bot.replies("wangwu") == ["收到：断线时发的"]
    sent = _deliveries(await sdk_bot.frame_log(), BOT)
    assert len(sent) == 1 and sent[0]["connectionId"] != old_id
    status = (await sdk_bot.http.get("/sandbox/stream/status")).json()
    assert status["connections_total"] == first["connections_total"] + 1


async def test_sdk_card_click_round_trip(sdk_bot: SdkBot) -> None:
    http = sdk_bot.http
    token = (
        await http.post(
            "/v1.0/oauth2/accessToken", json={"appKey": APP_KEY, "appSecret": APP_SECRET}
        )
    ).json()["accessToken"]
    created = await http.post(
        "/v1.0/card/instances/createAndDeliver",
        headers={"x-acs-dingtalk-access-token": token},
        json={
            "cardTemplateId": "approval.schema",
            "outTrackId": "leave-42",
            "cardData": {"cardParamMap": {"status": "待审批", "title": "请假"}},
            "privateData": {"lisi": {"cardParamMap": {"canApprove": "true"}}},
            "callbackType": "STREAM",
            "openSpaceId": "dtv1.card//IM_ROBOT.lisi",
            "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT"},
        },
    )
    assert created.status_code == 200, created.text
    resp = await http.post(
        "/sandbox/cards/leave-42/click",
        json={"userId": "lisi", "raw": {"actionIds": ["approve"], "params": {"decision": "同意"}}},
    )
    out = resp.json()
    assert out["acked"] is True
    assert out["response"]["cardData"]["cardParamMap"] == {"status": "同意"}
    assert out["card"]["cardData"] == {"status": "同意", "title": "请假", "canApprove": "false"}
    card = (await http.get("/sandbox/cards/leave-42")).json()
    assert card["publicData"] == {"status": "同意", "title": "请假"}
    assert card["callbacks"][0]["actionId"] == "approve"
