"""The Stream connection: the real ``dingtalk-stream`` SDK parses frames, runs our
handlers and builds the ACKs, under our own supervisor instead of ``start()``.

Why not ``DingTalkStreamClient.start()``: it opens the connection with blocking
``requests`` (freezing the loop), swallows cancellation, reconnects without backoff,
leaks keepalive tasks, drops the connection on one malformed frame and has no watchdog
for a silent connection (shared/failure-modes.md, items 1–6, 10). The supervisor here
opens the connection through our async client, backs off with jitter, cancels cleanly,
bounds concurrent frames and reconnects when nothing arrives for ``watchdog_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote_plus

import dingtalk_stream
import websockets
from dingtalk_stream.frames import AckMessage, CallbackMessage, Headers

from bot.dingtalk import DingTalkClient
from bot.task_set import TaskSet

log = logging.getLogger(__name__)

CHATBOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"

MessageSink = Callable[[dict[str, Any], str | None], Awaitable[object]]
CardSink = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class _ChatbotHandler(dingtalk_stream.CallbackHandler):  # type: ignore[misc]
    """Stores the message and returns at once; handling continues in the background."""

    def __init__(self, sink: MessageSink) -> None:
        super().__init__()
        self._sink = sink

    async def process(self, callback: CallbackMessage) -> tuple[int, str]:
        data = callback.data if isinstance(callback.data, dict) else {}
        try:
            await self._sink(data, callback.headers.message_id)
        except Exception:
            # Not stored: no ACK, so DingTalk delivers it again later.
            log.exception("could not store chatbot message")
            raise
        return AckMessage.STATUS_OK, "OK"


class _CardHandler(dingtalk_stream.CallbackHandler):  # type: ignore[misc]
    """Card clicks: the card update goes back inside the ACK."""

    def __init__(self, sink: CardSink) -> None:
        super().__init__()
        self._sink = sink

    async def process(self, callback: CallbackMessage) -> tuple[int, dict[str, Any]]:
        data = callback.data if isinstance(callback.data, dict) else {}
        return AckMessage.STATUS_OK, await self._sink(data)


class StreamSupervisor:
    def __init__(
        self,
        client: DingTalkClient,
        *,
        app_key: str,
        app_secret: str,
        on_message: MessageSink,
        on_card: CardSink,
        watchdog_s: float = 90.0,
        max_concurrency: int = 64,
        backoff_max_s: float = 60.0,
    ) -> None:
        self._client = client
        self._watchdog_s = watchdog_s
        self._backoff_max_s = backoff_max_s
        self._slots = asyncio.Semaphore(max_concurrency)
        self._tasks = TaskSet()
        self.connected = asyncio.Event()
        self.connections = 0
        # The SDK warns about every server ping and logs whole frames (user text) at
        # INFO/WARNING; its own logger keeps only errors.
        sdk_log = logging.getLogger("bot.stream.sdk")
        sdk_log.setLevel(logging.ERROR)
        sdk = dingtalk_stream.DingTalkStreamClient(
            dingtalk_stream.Credential(app_key, app_secret), logger=sdk_log
        )
        sdk.register_callback_handler(CHATBOT_TOPIC, _ChatbotHandler(on_message))
        sdk.register_callback_handler(CARD_TOPIC, _CardHandler(on_card))
        sdk.pre_start()
        self._sdk = sdk

    async def run(self) -> None:
        """Keep a connection up until cancelled."""
        failures = 0
        while True:
            try:
                await self._connect_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                failures += 1
                level = logging.ERROR if failures >= 5 else logging.WARNING
                log.log(
                    level,
                    "stream connection failed (%d in a row): %s",
                    failures,
                    type(error).__name__,
                )
            finally:
                self.connected.clear()
            # Full jitter, capped: 0.5 s, 1 s, 2 s ... up to backoff_max_s.
            ceiling = min(self._backoff_max_s, 0.5 * 2 ** min(failures, 10))
            await asyncio.sleep(random.uniform(0.1, max(ceiling, 0.2)))

    async def _connect_once(self) -> None:
        subscriptions = [
            {"type": "CALLBACK", "topic": topic} for topic in self._sdk.callback_handler_map
        ]
        endpoint, ticket = await self._client.open_stream_connection(subscriptions)
        uri = f"{endpoint}?ticket={quote_plus(ticket)}"
        async with websockets.connect(uri, open_timeout=10, close_timeout=2) as ws:
            self._sdk.websocket = ws
            self.connections += 1
            self.connected.set()
            log.info("stream connected")
            while True:
                try:
                    async with asyncio.timeout(self._watchdog_s):  # not wait_for (see outbox)
                        raw = await ws.recv()
                except TimeoutError:
                    log.warning("no frame for %.0fs; reconnecting", self._watchdog_s)
                    return
                frame = self._parse(raw)
                if frame is None:
                    continue
                await self._slots.acquire()
                task = self._tasks.spawn(self._route(ws, frame))
                task.add_done_callback(lambda _task: self._slots.release())

    @staticmethod
    def _parse(raw: str | bytes) -> dict[str, Any] | None:
        try:
            frame = json.loads(raw)
        except ValueError:
            log.warning("malformed stream frame dropped (%d bytes)", len(raw))
            return None
        return frame if isinstance(frame, dict) else None

    async def _route(self, ws: Any, frame: dict[str, Any]) -> None:
        raw_headers = frame.get("headers")
        headers: dict[str, Any] = raw_headers if isinstance(raw_headers, dict) else {}
        try:
            if frame.get("type") == "CALLBACK":
                json.loads(frame.get("data") or "{}")
            result = await self._sdk.route_message(frame)
        except ValueError:
            # Unreadable payload: ACK it so it is not redelivered forever.
            await self._ack_unreadable(ws, headers)
            return
        except Exception:
            log.exception("stream frame %s not handled", headers.get("messageId"))
            return
        if result == self._sdk.TAG_DISCONNECT:
            log.info("server asked to disconnect; reconnecting")
            with contextlib.suppress(Exception):
                await ws.close()

    @staticmethod
    async def _ack_unreadable(ws: Any, headers: dict[str, Any]) -> None:
        log.warning("stream frame %s has unreadable data; ACKed", headers.get("messageId"))
        ack = {
            "code": AckMessage.STATUS_BAD_REQUEST,
            "headers": {
                "contentType": Headers.CONTENT_TYPE_APPLICATION_JSON,
                "messageId": headers.get("messageId", ""),
            },
            "message": "bad data",
            "data": "{}",
        }
        with contextlib.suppress(Exception):
            await ws.send(json.dumps(ack))

    async def stop(self) -> None:
        await self._tasks.cancel()
