"""A scripted DingTalk behind ``httpx.MockTransport``, shared by the client tests.

(Named ``test_*`` only so it may live next to them; it holds no tests.)
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.clock import FixedClock
from bot.dingtalk import DingTalkClient, DingTalkCredentials

API = "https://api.test"
OAPI = "https://oapi.test"
APP_SECRET = "s3cr3t-APP-SECRET-value"
CREDS = DingTalkCredentials(
    app_key="dingappkey",
    app_secret=APP_SECRET,
    robot_code="dingrobot",
    agent_id=42,
    corp_id="dingcorp",
)

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def ok(body: dict[str, Any] | None = None, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {})


def api_error(status: int, code: str, message: str = "error") -> httpx.Response:
    return httpx.Response(
        status,
        json={"code": code, "message": message, "requestid": "rid-1"},
        headers={"x-acs-request-id": "rid-1"},
    )


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


@dataclass
class FakeDingTalk:
    """Answers token requests itself; other paths answer from per-route queues."""

    expire_in: int = 7200
    token_requests: int = 0
    oapi_token_requests: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    requests: list[httpx.Request] = field(default_factory=list)
    queues: dict[tuple[str, str], deque[Answer]] = field(default_factory=lambda: defaultdict(deque))
    defaults: dict[tuple[str, str], Answer] = field(default_factory=dict)
    token_refusal: httpx.Response | None = None  # answer token requests with this

    def on(self, method: str, path: str, *answers: Answer) -> None:
        """Queue answers for a route; the last one repeats forever."""
        self.queues[(method, path)].extend(answers[:-1])
        self.defaults[(method, path)] = answers[-1]

    def revoke_tokens(self) -> None:
        self.valid_tokens.clear()

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/v1.0/oauth2/accessToken":
            self.token_requests += 1
            if self.token_refusal is not None:
                return self.token_refusal
            for _ in range(3):  # let concurrent callers pile up behind the lock
                await asyncio.sleep(0)
            token = f"api-token-{self.token_requests}"
            self.valid_tokens.add(token)
            return ok({"accessToken": token, "expireIn": self.expire_in})
        if path == "/gettoken":
            self.oapi_token_requests += 1
            if self.token_refusal is not None:
                return self.token_refusal
            token = f"oapi-token-{self.oapi_token_requests}"
            self.valid_tokens.add(token)
            return ok({"errcode": 0, "access_token": token, "expires_in": self.expire_in})
        if request.url.host == "api.test" and path != "/v1.0/gateway/connections/open":
            token = request.headers.get("x-acs-dingtalk-access-token")
            if token not in self.valid_tokens:
                return api_error(400, "InvalidAuthentication", "不合法的access_token")
        oapi_token = request.url.params.get("access_token")
        if request.url.host == "oapi.test" and oapi_token not in self.valid_tokens:
            return ok({"errcode": 40014, "errmsg": "不合法的access_token"})
        key = (request.method, path)
        queue = self.queues.get(key)
        answer = queue.popleft() if queue else self.defaults.get(key)
        if answer is None:
            return api_error(404, "NotFound", f"no fake route {key}")
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


@dataclass
class Harness:
    fake: FakeDingTalk
    client: DingTalkClient
    clock: FixedClock
    delays: list[float]
    http: httpx.AsyncClient


START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def harness(fake: FakeDingTalk | None = None, **kwargs: Any) -> AsyncIterator[Harness]:
    fake = fake or FakeDingTalk()
    clock = FixedClock(START)
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handler))
    client = DingTalkClient(
        CREDS,
        clock=clock,
        api_base=API,
        oapi_base=OAPI,
        http=http,
        sleep=fake_sleep,
        rng=random.Random(7),
        **kwargs,
    )
    try:
        yield Harness(fake, client, clock, delays, http)
    finally:
        await client.aclose()
        await http.aclose()
