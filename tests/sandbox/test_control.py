"""Control API: faults, call log, clock, directory, events."""

from __future__ import annotations

import asyncio
import json

import httpx

from sandbox.app import RunningSandbox
from tests.sandbox.conftest import APP_SECRET, Api


async def test_fail_next_then_success(api: Api, client: httpx.AsyncClient) -> None:
    await client.post("/sandbox/faults", json={"fail_next": 2, "status": 500})
    first = await api.send_text(["zhangsan"])
    assert first.status_code == 500 and first.json()["code"] == "system.busy"
    oapi = await client.post(
        "/topapi/v2/user/get", params={"access_token": api.token}, json={"userid": "lisi"}
    )
    assert oapi.status_code == 500 and oapi.json()["errcode"] != 0
    assert await api.inbox("zhangsan") == []  # failed calls are not applied
    ok = await api.send_text(["zhangsan"])
    assert ok.status_code == 200
    assert len(await api.inbox("zhangsan")) == 1
    await client.post("/sandbox/faults", json={"fail_next": 1, "status": 429})
    # token endpoints are exempt from injected failures
    assert (
        await client.get("/gettoken", params={"appkey": "x", "appsecret": "y"})
    ).status_code == 200
    throttled = await api.send_text(["zhangsan"])
    assert throttled.status_code == 429
    assert (await client.get("/sandbox/faults")).json()["fail_next"] == 0


async def test_call_log_redacts_secrets(api: Api, client: httpx.AsyncClient) -> None:
    await api.oapi("/topapi/v2/user/get", {"userid": "lisi"})
    calls = (await client.get("/sandbox/calls")).json()
    assert calls[0]["path"] == "/v1.0/oauth2/accessToken"
    assert calls[-1]["query"]["access_token"] == "***"
    assert APP_SECRET not in json.dumps(calls) and api.token not in json.dumps(calls[-1])
    assert calls[-1]["status"] == 200 and calls[-1]["response"]["result"]["userid"] == "lisi"
    await client.delete("/sandbox/calls")
    assert (await client.get("/sandbox/calls")).json() == []


async def test_clock(client: httpx.AsyncClient) -> None:
    before = (await client.get("/sandbox/clock")).json()
    assert before["now"].endswith("+08:00")
    after = (await client.post("/sandbox/clock", json={"advance_seconds": 3600})).json()
    assert after["epoch_ms"] - before["epoch_ms"] >= 3600 * 1000
    back = await client.post("/sandbox/clock", json={"set": "2000-01-01T00:00:00+08:00"})
    assert back.status_code == 400
    future = await client.post("/sandbox/clock", json={"set": "2099-01-01T09:00:00+08:00"})
    assert future.json()["now"].startswith("2099-01-01T09:00:00")


async def test_directory(client: httpx.AsyncClient) -> None:
    users = (await client.get("/sandbox/directory")).json()
    assert users[0] == {
        "userId": "zhangsan",
        "name": "张三",
        "unit": "县政府办公室",
        "roles": ["staff"],
        "unionId": "union-zs",
        "title": "科员",
    }


async def test_events_stream(sandbox: RunningSandbox, client: httpx.AsyncClient) -> None:
    async with (
        httpx.AsyncClient(base_url=sandbox.url, timeout=5) as sse,
        sse.stream("GET", "/sandbox/events") as resp,
    ):
        lines = resp.aiter_lines()
        assert (await anext(lines)).startswith(":")
        await client.post("/sandbox/clock", json={"advance_seconds": 1})
        while True:
            line = await asyncio.wait_for(anext(lines), 5)
            if line.startswith("data: "):
                event = json.loads(line[6:])
                break
        assert event["type"] == "clock"
