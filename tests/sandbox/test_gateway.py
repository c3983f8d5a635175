"""Stream gateway: tickets, frame shape, ACKs, redelivery, queueing, faults."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest

from sandbox.app import RunningSandbox, start_sandbox
from tests.sandbox.conftest import APP_KEY, make_seed, wait_until
from tests.sandbox.wsclient import StreamClient

BOT = "/v1.0/im/bot/messages/get"


@pytest.fixture
async def fast_sandbox() -> AsyncIterator[RunningSandbox]:
    running = await start_sandbox(
        make_seed(ack_timeout_s=0.2, max_redeliveries=2, ping_interval_s=0.1)
    )
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def stream(sandbox: RunningSandbox) -> AsyncIterator[StreamClient]:
    client = StreamClient(sandbox.url)
    await client.connect()
    try:
        yield client
    finally:
        await client.close()


async def test_open_rejects_bad_credentials_with_json(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/v1.0/gateway/connections/open",
        json={"clientId": APP_KEY, "clientSecret": "nope", "subscriptions": []},
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalidClientIdOrSecret"
    resp = await client.post("/v1.0/gateway/connections/open", content=b"not json")
    assert resp.status_code == 400 and resp.json()["code"]


async def test_ticket_is_single_use(sandbox: RunningSandbox) -> None:
    client = StreamClient(sandbox.url)
    await client.connect()
    try:
        conn = await client.open_ticket()
        assert conn["endpoint"] == f"ws://127.0.0.1:{sandbox.port}/connect"
        async with aiohttp.ClientSession() as session:
            url = f"{conn['endpoint']}?ticket={conn['ticket']}"
            ws = await session.ws_connect(url)
            await ws.close()
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await session.ws_connect(url)
            assert err.value.status == 401
    finally:
        await client.close()


async def test_chatbot_frame_shape(
    stream: StreamClient, client: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    resp = await client.post("/sandbox/users/zhangsan/messages", json={"text": "查询议题"})
    msg_id = resp.json()["msgId"]
    frame = await stream.next_frame(BOT)
    assert frame["specVersion"] == "1.0" and frame["type"] == "CALLBACK"
    headers = frame["headers"]
    assert headers["contentType"] == "application/json"
    assert headers["time"].isdigit()
    assert headers["appId"] and headers["connectionId"] and headers["messageId"]
    assert isinstance(frame["data"], str)
    data = json.loads(frame["data"])
    assert data["msgId"] == msg_id and msg_id.startswith("msg")
    assert data["msgtype"] == "text" and data["text"] == {"content": "查询议题"}
    assert data["conversationType"] == "1" and data["conversationId"].startswith("cid")
    assert data["senderStaffId"] == "zhangsan" and data["senderNick"] == "张三"
    assert data["senderId"].startswith("$:LWCP_v1:$")
    assert data["robotCode"] == APP_KEY and data["chatbotCorpId"] == "dingcorptest"
    assert data["sessionWebhookExpiredTime"] - data["createAt"] == 90 * 60 * 1000
    assert data["sessionWebhook"].startswith(f"{sandbox.url}/robot/sendBySession?session=")
    await stream.ack(frame)
    status = await wait_until(
        lambda: _status(client, lambda s: s["acked"] == 1 and s["pending_unacked"] == 0)
    )
    assert status["open"] == 1


async def _status(client: httpx.AsyncClient, check: object) -> dict[str, object] | None:
    status = (await client.get("/sandbox/stream/status")).json()
    return status if check(status) else None  # type: ignore[operator]


async def test_group_message_and_odd_inputs(
    stream: StreamClient, client: httpx.AsyncClient
) -> None:
    resp = await client.post(
        "/sandbox/groups/cidOffice==/messages", json={"userId": "lisi", "text": "开会"}
    )
    assert resp.status_code == 200
    data = json.loads((await stream.next_frame(BOT))["data"])
    assert data["conversationType"] == "2" and data["conversationId"] == "cidOffice=="
    assert data["text"]["content"] == " 开会" and data["isInAtList"] is True
    assert data["conversationTitle"] == "办公室群"
    resp = await client.post(
        "/sandbox/groups/cidOffice==/messages", json={"userId": "wangwu", "text": "x"}
    )
    assert resp.status_code == 403

    await client.post(
        "/sandbox/users/stranger-1/messages",
        json={"msgtype": "picture", "content": {"downloadCode": "dc1"}, "omit_sender": True},
    )
    data = json.loads((await stream.next_frame(BOT))["data"])
    assert data["msgtype"] == "picture" and "text" not in data
    assert "senderStaffId" not in data
    resp = await client.post("/sandbox/users/bad id!/messages", json={"text": "x"})
    assert resp.status_code == 400


async def test_unacked_frame_redelivered_then_given_up(fast_sandbox: RunningSandbox) -> None:
    stream = StreamClient(fast_sandbox.url)
    await stream.connect()
    try:
        async with httpx.AsyncClient(base_url=fast_sandbox.url) as http:
            await http.post("/sandbox/users/zhangsan/messages", json={"text": "hi"})
            first = await stream.next_frame(BOT)
            second = await stream.next_frame(BOT)
            third = await stream.next_frame(BOT)
            ids = {f["headers"]["messageId"] for f in (first, second, third)}
            assert len(ids) == 1
            assert first["data"] == second["data"] == third["data"]
            # max_redeliveries=2: no fourth delivery; the frame is abandoned
            await wait_until(lambda: _status(http, lambda s: s["pending_unacked"] == 0))
            log = (await http.get("/sandbox/stream/log")).json()
            assert any(e["dir"] == "gave_up" for e in log)
    finally:
        await stream.close()


async def test_ack_stops_redelivery_and_pings_arrive(fast_sandbox: RunningSandbox) -> None:
    stream = StreamClient(fast_sandbox.url)
    await stream.connect()
    try:
        async with httpx.AsyncClient(base_url=fast_sandbox.url) as http:
            ping = await stream.next_frame("ping")
            assert ping["type"] == "SYSTEM" and "opaque" in json.loads(ping["data"])
            await http.post("/sandbox/users/zhangsan/messages", json={"text": "hi"})
            frame = await stream.next_frame(BOT)
            await stream.ack(frame)
            await wait_until(lambda: _status(http, lambda s: s["acked"] == 1))
            # several ping intervals and ack timeouts pass: only pings arrive
            for _ in range(3):
                await stream.next_frame("ping")
            topics = [json.loads(r)["headers"]["topic"] for r in stream.raw]
            assert topics.count(BOT) == 1
    finally:
        await stream.close()


async def test_frames_queue_while_disconnected(sandbox: RunningSandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        await http.post("/sandbox/users/zhangsan/messages", json={"text": "一"})
        await http.post("/sandbox/users/lisi/messages", json={"text": "二"})
        status = (await http.get("/sandbox/stream/status")).json()
        assert status["queued"] == 2
        stream = StreamClient(sandbox.url)
        await stream.connect()
        try:
            texts = [json.loads((await stream.next_frame(BOT))["data"])["text"]["content"]]
            texts.append(json.loads((await stream.next_frame(BOT))["data"])["text"]["content"])
            assert texts == ["一", "二"]
        finally:
            await stream.close()


async def test_unsubscribed_topic_is_not_pushed(sandbox: RunningSandbox) -> None:
    stream = StreamClient(sandbox.url, topics=["/v1.0/card/instances/callback"])
    await stream.connect()
    try:
        async with httpx.AsyncClient(base_url=sandbox.url) as http:
            await http.post("/sandbox/users/zhangsan/messages", json={"text": "x"})
            status = (await http.get("/sandbox/stream/status")).json()
            assert status["queued"] == 1 and status["frames_sent"] == 0
    finally:
        await stream.close()


async def test_duplicate_next(stream: StreamClient, client: httpx.AsyncClient) -> None:
    await client.post("/sandbox/faults", json={"duplicate_next": 1})
    await client.post("/sandbox/users/zhangsan/messages", json={"text": "a"})
    await client.post("/sandbox/users/zhangsan/messages", json={"text": "b"})
    frames = [await stream.next_frame(BOT) for _ in range(3)]
    assert frames[0]["headers"]["messageId"] == frames[1]["headers"]["messageId"]
    assert json.loads(frames[2]["data"])["text"]["content"] == "b"
    assert (await client.get("/sandbox/faults")).json()["duplicate_next"] == 0


async def test_drop_stream_then_reconnect_gets_queued(sandbox: RunningSandbox) -> None:
    stream = StreamClient(sandbox.url)
    await stream.connect()
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        resp = await http.post("/sandbox/faults", json={"drop_stream": True})
        assert resp.json()["dropped_connections"] == 1
        await stream.wait_closed()
        await stream.close()
        await http.post("/sandbox/users/zhangsan/messages", json={"text": "断线期间"})
        again = StreamClient(sandbox.url)
        await again.connect()
        try:
            frame = await again.next_frame(BOT)
            assert json.loads(frame["data"])["text"]["content"] == "断线期间"
        finally:
            await again.close()


async def test_disconnect_and_raw(stream: StreamClient, client: httpx.AsyncClient) -> None:
    resp = await client.post("/sandbox/stream/raw", json={"text": "{not json"})
    assert resp.status_code == 200
    await wait_until(lambda: "{not json" in stream.raw)
    resp = await client.post("/sandbox/stream/disconnect", json={"close_after_s": 0.1})
    assert resp.json()["disconnected"] == 1
    frame = await stream.next_frame("disconnect")
    assert frame["type"] == "SYSTEM"
    await stream.wait_closed()
    await client.post("/sandbox/users/zhangsan/messages", json={"text": "x"})
    assert (await client.get("/sandbox/stream/status")).json()["queued"] == 1


async def test_random_connection_choice(sandbox: RunningSandbox) -> None:
    clients = [StreamClient(sandbox.url) for _ in range(2)]
    for c in clients:
        await c.connect()
    try:
        async with httpx.AsyncClient(base_url=sandbox.url) as http:
            for i in range(30):
                await http.post("/sandbox/users/zhangsan/messages", json={"text": str(i)})
            await wait_until(lambda: sum(c.frames.qsize() for c in clients) == 30)
            assert all(c.frames.qsize() > 0 for c in clients)
    finally:
        for c in clients:
            await c.close()
