"""A minimal Stream client for gateway tests (the real SDK is tested in test_sdk.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from tests.sandbox.conftest import APP_KEY, APP_SECRET

TOPICS = ["/v1.0/im/bot/messages/get", "/v1.0/card/instances/callback"]


class StreamClient:
    def __init__(self, base_url: str, topics: list[str] | None = None) -> None:
        self.base_url = base_url
        self.topics = TOPICS if topics is None else topics
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.raw: list[str] = []
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def open_ticket(self) -> dict[str, Any]:
        assert self._session is not None
        body = {
            "clientId": APP_KEY,
            "clientSecret": APP_SECRET,
            "subscriptions": [{"type": "CALLBACK", "topic": t} for t in self.topics],
            "ua": "test",
            "localIp": "127.0.0.1",
        }
        async with self._session.post(
            f"{self.base_url}/v1.0/gateway/connections/open", json=body
        ) as resp:
            assert resp.status == 200, await resp.text()
            data: dict[str, Any] = await resp.json()
            return data

    async def connect(self) -> None:
        self._session = self._session or aiohttp.ClientSession()
        conn = await self.open_ticket()
        self._ws = await self._session.ws_connect(f"{conn['endpoint']}?ticket={conn['ticket']}")
        self._reader = asyncio.create_task(self._read(self._ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.raw.append(msg.data)
                try:
                    await self.frames.put(json.loads(msg.data))
                except ValueError:
                    continue

    async def next_frame(self, topic: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
        # One deadline for the whole wait: frames of other topics (pings) keep coming.
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.frames.get()
                if topic is None or frame["headers"]["topic"] == topic:
                    return frame

    async def ack(self, frame: dict[str, Any], response: Any = "OK", code: int = 200) -> None:
        assert self._ws is not None
        await self._ws.send_str(
            json.dumps(
                {
                    "code": code,
                    "headers": {
                        "contentType": "application/json",
                        "messageId": frame["headers"]["messageId"],
                    },
                    "message": "",
                    "data": json.dumps({"response": response}),
                }
            )
        )

    async def wait_closed(self, timeout: float = 5.0) -> None:
        if self._reader is not None:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
