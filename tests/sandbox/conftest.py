"""Fixtures: a running sandbox on a free loopback port and an httpx client for it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from sandbox.app import RunningSandbox, start_sandbox
from sandbox.seed import SandboxSeed, SeedGroup, SeedUser

APP_KEY = "dingtestkey"
APP_SECRET = "test-secret-value"


def make_seed(**overrides: Any) -> SandboxSeed:
    users = [
        SeedUser("zhangsan", "union-zs", "张三", "县政府办公室", ["staff"], "科员", 2),
        SeedUser("lisi", "union-ls", "李四", "县政府办公室", ["director"], "主任", 2),
        SeedUser("wangwu", "union-ww", "王五", "县财政局", ["county_head"], "副县长", 3),
    ]
    values: dict[str, Any] = {
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "robot_code": APP_KEY,
        "agent_id": 4242,
        "corp_id": "dingcorptest",
        "users": users,
        "groups": [SeedGroup("cidOffice==", "办公室群", ["zhangsan", "lisi"])],
        "card_templates": {"approval.schema": {}},
        "ack_timeout_s": 60.0,
        "ping_interval_s": 30.0,
    }
    values.update(overrides)
    return SandboxSeed(**values)


@pytest.fixture
def seed() -> SandboxSeed:
    return make_seed()


@pytest.fixture
async def sandbox(seed: SandboxSeed) -> AsyncIterator[RunningSandbox]:
    running = await start_sandbox(seed)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=10) as c:
        yield c


@pytest.fixture
async def token(client: httpx.AsyncClient) -> str:
    resp = await client.post(
        "/v1.0/oauth2/accessToken", json={"appKey": APP_KEY, "appSecret": APP_SECRET}
    )
    assert resp.status_code == 200
    return str(resp.json()["accessToken"])


@pytest.fixture
def api(client: httpx.AsyncClient, token: str) -> Api:
    return Api(client, token)


class Api:
    """Small helper for authorised calls to both hosts."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.token = token

    async def new(self, method: str, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        headers = {"x-acs-dingtalk-access-token": self.token}
        return await self.client.request(method, path, json=body, headers=headers, **kw)

    async def oapi(self, path: str, body: Any) -> dict[str, Any]:
        resp = await self.client.post(path, params={"access_token": self.token}, json=body)
        assert resp.status_code == 200
        data: dict[str, Any] = resp.json()
        return data

    async def send_text(self, user_ids: list[str], content: str = "你好") -> httpx.Response:
        return await self.new(
            "POST",
            "/v1.0/robot/oToMessages/batchSend",
            {
                "robotCode": APP_KEY,
                "userIds": user_ids,
                "msgKey": "sampleText",
                "msgParam": json.dumps({"content": content}),
            },
        )

    async def inbox(self, user_id: str) -> list[dict[str, Any]]:
        resp = await self.client.get(f"/sandbox/users/{user_id}/inbox")
        assert resp.status_code == 200
        items: list[dict[str, Any]] = resp.json()
        return items


async def wait_until(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until ``predicate()`` (sync or async) is truthy; fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
