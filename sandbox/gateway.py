"""The Stream gateway: connection tickets, the WebSocket, frames, ACKs and redelivery."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import secrets
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from sandbox.errors import ApiError, json_response, read_json_object
from sandbox.state import base_url, state_of

if TYPE_CHECKING:
    from sandbox.state import SandboxState

log = logging.getLogger("sandbox.gateway")

TICKET_TTL_MS = 90_000
TOPIC_BOT_MESSAGE = "/v1.0/im/bot/messages/get"
TOPIC_CARD_CALLBACK = "/v1.0/card/instances/callback"


@dataclass
class Connection:
    id: str
    ws: web.WebSocketResponse
    transport: asyncio.BaseTransport | None
    subscriptions: list[dict[str, str]]
    opened_at: int
    draining: bool = False
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def accepts(self, frame_type: str, topic: str) -> bool:
        if self.draining or self.ws.closed:
            return False
        if frame_type == "SYSTEM":
            return True
        for sub in self.subscriptions:
            if sub.get("type") == frame_type and sub.get("topic") in (topic, "*"):
                return True
        return False


@dataclass
class Frame:
    message_id: str
    type: str
    topic: str
    data: str  # JSON string, exactly as sent
    time_ms: int
    deliveries: int = 0
    acked: bool = False
    gave_up: bool = False
    ack: dict[str, Any] | None = None
    waiter: asyncio.Future[dict[str, Any]] | None = None
    timer: asyncio.Task[None] | None = None

    def to_wire(self, app_id: str, connection_id: str) -> str:
        return json.dumps(
            {
                "specVersion": "1.0",
                "type": self.type,
                "headers": {
                    "appId": app_id,
                    "connectionId": connection_id,
                    "contentType": "application/json",
                    "messageId": self.message_id,
                    "time": str(self.time_ms),
                    "topic": self.topic,
                },
                "data": self.data,
            },
            ensure_ascii=False,
        )


class StreamHub:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.seed = state.seed
        self.app_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"dingtalk-app/{self.seed.app_key}"))
        self.tickets: dict[str, tuple[int, list[dict[str, str]]]] = {}
        self.connections: dict[str, Connection] = {}
        self.queue: list[Frame] = []
        self.pending: dict[str, Frame] = {}
        self.frames: dict[str, Frame] = {}
        self.log: deque[dict[str, Any]] = deque(maxlen=5000)
        self.frames_sent = 0
        self.connections_total = 0
        self.acked = 0
        self._seq = 0
        self._tasks: set[asyncio.Task[None]] = set()

    # -- helpers ---------------------------------------------------------------------
    def _spawn(self, coro: Any, owner: set[asyncio.Task[None]] | None = None) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        bucket = self._tasks if owner is None else owner
        bucket.add(task)
        task.add_done_callback(bucket.discard)
        return task

    def new_message_id(self) -> str:
        self._seq += 1
        now = self.state.clock.now_ms()
        return f"{secrets.token_hex(4)}_{self._seq}_{now:x}_{secrets.token_hex(3)[:5]}"

    def _record(self, direction: str, conn_id: str, **fields: Any) -> None:
        self.log.append(
            {"ts": self.state.clock.now_ms(), "dir": direction, "connectionId": conn_id, **fields}
        )

    # -- tickets ---------------------------------------------------------------------
    def open_ticket(self, subscriptions: list[dict[str, str]]) -> str:
        ticket = str(uuid.uuid4())
        self.tickets[ticket] = (self.state.clock.now_ms() + TICKET_TTL_MS, subscriptions)
        return ticket

    def take_ticket(self, ticket: str) -> list[dict[str, str]] | None:
        entry = self.tickets.pop(ticket, None)
        if entry is None or entry[0] <= self.state.clock.now_ms():
            return None
        return entry[1]

    # -- the socket ------------------------------------------------------------------
    async def handle_ws(self, request: web.Request) -> web.StreamResponse:
        subscriptions = self.take_ticket(request.query.get("ticket", ""))
        if subscriptions is None:
            return json_response(
                {"code": "InvalidTicket", "message": "ticket 无效、已使用或已过期"}, status=401
            )
        ws = web.WebSocketResponse(timeout=2.0, max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        conn = Connection(
            id=uuid.uuid4().hex,
            ws=ws,
            transport=request.transport,
            subscriptions=subscriptions,
            opened_at=self.state.clock.now_ms(),
        )
        self.connections[conn.id] = conn
        self.connections_total += 1
        self._record("open", conn.id, subscriptions=subscriptions)
        self.state.bus.publish({"type": "stream", "event": "open", "connectionId": conn.id})
        self._spawn(self._ping_loop(conn), conn.tasks)
        await self._flush_queue()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self._record("in", conn.id, error="binary frame ignored")
        finally:
            self.connections.pop(conn.id, None)
            for task in list(conn.tasks):
                task.cancel()
            self._record("close", conn.id, code=ws.close_code)
            self.state.bus.publish({"type": "stream", "event": "close", "connectionId": conn.id})
        return ws

    def _on_text(self, conn: Connection, text: str) -> None:
        try:
            ack = json.loads(text)
            message_id = str(ack["headers"]["messageId"])
        except (ValueError, KeyError, TypeError):
            self._record("in", conn.id, error="malformed ack", text=text[:2000])
            return
        self._record(
            "in",
            conn.id,
            messageId=message_id,
            code=ack.get("code"),
            message=ack.get("message"),
            data=ack.get("data"),
        )
        frame = self.frames.get(message_id)
        if frame is None or frame.type == "SYSTEM":
            return
        if frame.acked:
            return
        frame.acked = True
        frame.ack = ack
        self.acked += 1
        self.pending.pop(message_id, None)
        if frame.timer is not None:
            frame.timer.cancel()
        if frame.waiter is not None and not frame.waiter.done():
            frame.waiter.set_result(ack)

    async def _ping_loop(self, conn: Connection) -> None:
        while not conn.ws.closed:
            await asyncio.sleep(self.seed.ping_interval_s)
            frame = self._new_frame("SYSTEM", "ping", {"opaque": str(uuid.uuid4())})
            await self._send(conn, frame)

    # -- sending ---------------------------------------------------------------------
    def _new_frame(self, frame_type: str, topic: str, data: dict[str, Any]) -> Frame:
        frame = Frame(
            message_id=self.new_message_id(),
            type=frame_type,
            topic=topic,
            data=json.dumps(data, ensure_ascii=False),
            time_ms=self.state.clock.now_ms(),
        )
        self.frames[frame.message_id] = frame
        return frame

    async def _send(self, conn: Connection, frame: Frame, *, twice: bool = False) -> bool:
        text = frame.to_wire(self.app_id, conn.id)
        try:
            for _ in range(2 if twice else 1):
                await conn.ws.send_str(text)
                self.frames_sent += 1
                self._record(
                    "out", conn.id, messageId=frame.message_id, type=frame.type, topic=frame.topic
                )
        except (ConnectionError, RuntimeError) as exc:
            self._record("out", conn.id, messageId=frame.message_id, error=str(exc))
            return False
        return True

    def _pick(self, frame: Frame) -> Connection | None:
        candidates = [c for c in self.connections.values() if c.accepts(frame.type, frame.topic)]
        return random.choice(candidates) if candidates else None

    async def push(self, topic: str, data: dict[str, Any], frame_type: str = "CALLBACK") -> Frame:
        """Deliver a frame to one random subscribed connection, or queue it for the next."""
        frame = self._new_frame(frame_type, topic, data)
        if frame_type != "SYSTEM":
            self.pending[frame.message_id] = frame
        await self._deliver(frame)
        return frame

    async def _deliver(self, frame: Frame) -> None:
        conn = self._pick(frame)
        twice = (
            conn is not None
            and frame.deliveries == 0
            and frame.type != "SYSTEM"
            and self.state.faults.take_duplicate()
        )
        if conn is None or not await self._send(conn, frame, twice=twice):
            self.queue.append(frame)
            return
        frame.deliveries += 1
        if frame.type == "CALLBACK":
            if frame.timer is not None:
                frame.timer.cancel()
            frame.timer = self._spawn(self._redeliver_later(frame))

    async def _redeliver_later(self, frame: Frame) -> None:
        await asyncio.sleep(self.seed.ack_timeout_s)
        if frame.acked:
            return
        frame.timer = None
        if frame.deliveries > self.seed.max_redeliveries:
            frame.gave_up = True
            self.pending.pop(frame.message_id, None)
            self._record("gave_up", "", messageId=frame.message_id)
            return
        await self._deliver(frame)

    async def _flush_queue(self) -> None:
        waiting, self.queue = self.queue, []
        for frame in waiting:
            if frame.acked:
                continue
            await self._deliver(frame)

    async def wait_ack(self, frame: Frame, timeout_s: float) -> dict[str, Any] | None:
        if frame.ack is not None:
            return frame.ack
        loop = asyncio.get_running_loop()
        frame.waiter = loop.create_future()
        try:
            return await asyncio.wait_for(asyncio.shield(frame.waiter), timeout_s)
        except TimeoutError:
            return None

    # -- control ---------------------------------------------------------------------
    def drop_all(self) -> int:
        """Abort every connection's TCP stream without a close handshake."""
        dropped = 0
        for conn in list(self.connections.values()):
            self.connections.pop(conn.id, None)
            if conn.transport is not None:
                conn.transport.abort()  # type: ignore[attr-defined]
            dropped += 1
            self._record("drop", conn.id)
        return dropped

    async def disconnect_all(self, close_after_s: float) -> int:
        """Send SYSTEM ``disconnect``, stop pushing there, drop TCP later."""
        count = 0
        for conn in list(self.connections.values()):
            if conn.draining:
                continue
            conn.draining = True
            frame = self._new_frame(
                "SYSTEM", "disconnect", {"reason": "persistent connection is timeout"}
            )
            await self._send(conn, frame)
            self._spawn(self._close_later(conn, close_after_s))
            count += 1
        return count

    async def _close_later(self, conn: Connection, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        if not conn.ws.closed and conn.transport is not None:
            self.connections.pop(conn.id, None)
            conn.transport.abort()  # type: ignore[attr-defined]

    async def send_raw(self, text: str) -> str | None:
        candidates = [c for c in self.connections.values() if not c.ws.closed]
        if not candidates:
            return None
        conn = random.choice(candidates)
        await conn.ws.send_str(text)
        self.frames_sent += 1
        self._record("out", conn.id, raw=text[:2000])
        return conn.id

    def status(self) -> dict[str, Any]:
        return {
            "connections": len(self.connections),
            "connections_total": self.connections_total,
            "connection_details": [
                {
                    "id": c.id,
                    "openedAt": c.opened_at,
                    "subscriptions": c.subscriptions,
                    "draining": c.draining,
                }
                for c in self.connections.values()
            ],
            "open": len(self.connections),
            "frames_sent": self.frames_sent,
            "pending_unacked": len(self.pending),
            "acked": self.acked,
            "queued": len(self.queue),
        }

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self.connections.values()):
            for task in list(conn.tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"sandbox stopping")


async def open_connection(request: web.Request) -> web.Response:
    """POST /v1.0/gateway/connections/open"""
    state = state_of(request)
    body = await read_json_object(request)
    if body.get("clientId") != state.seed.app_key or body.get("clientSecret") != (
        state.seed.app_secret
    ):
        raise ApiError(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
    subscriptions = body.get("subscriptions")
    if not isinstance(subscriptions, list) or not subscriptions:
        raise ApiError(400, "InvalidParameter.Subscriptions", "subscriptions 不能为空")
    clean: list[dict[str, str]] = []
    for sub in subscriptions:
        if (
            not isinstance(sub, dict)
            or sub.get("type") not in ("EVENT", "CALLBACK")
            or not isinstance(sub.get("topic"), str)
            or not sub["topic"]
        ):
            raise ApiError(400, "InvalidParameter.Subscriptions", f"订阅项不合法：{sub}")
        clean.append({"type": sub["type"], "topic": sub["topic"]})
    ticket = state.stream.open_ticket(clean)
    ws_base = base_url(request).replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    return json_response({"endpoint": f"{ws_base}/connect", "ticket": ticket})


async def connect(request: web.Request) -> web.StreamResponse:
    """GET /connect?ticket= (WebSocket)"""
    return await state_of(request).stream.handle_ws(request)


def register(app: web.Application) -> None:
    app.router.add_post("/v1.0/gateway/connections/open", open_connection)
    app.router.add_get("/connect", connect)
