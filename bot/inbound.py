"""Chat messages from the stream: persist first, ACK, then handle in the background.

DingTalk delivers at least once. A message is stored under its msgId before the ACK, so
a redelivery (also after a restart) is recognised and changes nothing; a message whose
handling was interrupted by a crash is resumed at start-up. Replies are staged in the
outbox in the same storage call that marks the message handled, and the outbox keys are
derived from the msgId, so a resumed message never produces a second reply.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from bot.clock import from_epoch_ms, observe, to_epoch_ms
from bot.errors import UserFacingError
from bot.incoming import (
    MAX_COMMAND_CHARS,
    IncomingMessage,
    message_key,
    parse_incoming,
    scrub_payload,
    without_secrets,
)
from bot.outgoing import Outgoing, text_to
from bot.router import CommandContext
from bot.task_set import TaskSet

if TYPE_CHECKING:
    from bot.outbox import Outbox
    from bot.services import Services
    from storage.session import Session

log = logging.getLogger(__name__)

INBOUND = "inbound"
# A message whose answer could not be stored (a full disk) is handled again while the
# bot runs, not only after a restart: after 5 s, doubling up to 5 minutes.
STORE_RETRY_FIRST_S = 5.0
STORE_RETRY_MAX_S = 300.0


class InboundPipeline:
    def __init__(
        self,
        services: Services,
        outbox: Outbox,
        *,
        max_concurrency: int = 32,
        store_retry_first_s: float = STORE_RETRY_FIRST_S,
    ) -> None:
        self._services = services
        self._outbox = outbox
        self._store_retry_first_s = store_retry_first_s
        self._slots = asyncio.Semaphore(max_concurrency)
        self._tasks = TaskSet()
        # One person's messages are handled in the order they came (a form answer must
        # not overtake the command that opened the form); different people in parallel.
        self._senders: dict[str, tuple[asyncio.Lock, int]] = {}

    async def accept(self, data: dict[str, Any], frame_message_id: str | None = None) -> bool:
        """Store a new message; False when it was seen before (a redelivery)."""
        clean = scrub_payload(data)
        if clean != data:
            log.warning("chatbot message with lone UTF-16 surrogates; replaced by U+FFFD")
        data = clean
        key = message_key(data, frame_message_id)
        data = without_secrets(data)
        self._observe(parse_incoming(data, key))
        now_ms = to_epoch_ms(self._services.clock.now())

        def record(session: Session) -> bool:
            inbound = session.collection(INBOUND)
            if inbound.get(key) is not None:
                return False
            inbound.insert({"id": key, "status": "pending", "data": data, "received_ms": now_ms})
            return True

        fresh = await self._services.db.run(record)
        if fresh:
            self._spawn(key, data)
        else:
            log.info("duplicate chatbot message %s ignored", key)
        return fresh

    async def resume_pending(self) -> int:
        """Handle messages stored but not finished before the last stop."""

        def pending(session: Session) -> list[dict[str, Any]]:
            return session.collection(INBOUND).find(lambda d: d.get("status") == "pending")

        rows = await self._services.db.run(pending)
        for row in sorted(rows, key=lambda r: r.get("received_ms", 0)):
            self._spawn(str(row["id"]), row["data"])
        return len(rows)

    async def drain(self) -> None:
        await self._tasks.gather()

    def _spawn(self, key: str, data: dict[str, Any]) -> None:
        self._tasks.spawn(self._handle(key, data), name=f"inbound:{key}")

    async def _handle(self, key: str, data: dict[str, Any]) -> None:
        sender = str(data.get("senderStaffId") or data.get("conversationId") or "")
        lock, users = self._senders.get(sender, (asyncio.Lock(), 0))
        self._senders[sender] = (lock, users + 1)
        try:
            async with lock, self._slots:
                await self._handle_until_stored(key, data)
        finally:
            lock, users = self._senders[sender]
            if users == 1:
                del self._senders[sender]
            else:
                self._senders[sender] = (lock, users - 1)

    async def _handle_until_stored(self, key: str, data: dict[str, Any]) -> None:
        """Handle the message; when its answer cannot be stored (the disk is full), try
        again later, as a restart would (the row stays pending meanwhile)."""
        delay = self._store_retry_first_s
        while True:
            try:
                await self._handle_in_order(key, data)
                return
            except OSError as error:
                log.error(
                    "could not store the answer to %s (%s); trying again in %.0f s",
                    key,
                    error,
                    delay,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, STORE_RETRY_MAX_S)

    def _observe(self, message: IncomingMessage) -> None:
        """The message's server time has passed: a following clock catches up at once
        (sandbox mode, right after its time jumped); see :func:`bot.clock.observe`."""
        if message.created_ms > 0:
            observe(self._services.clock, from_epoch_ms(message.created_ms))

    async def _handle_in_order(self, key: str, data: dict[str, Any]) -> None:
        message = parse_incoming(scrub_payload(data), key)
        self._observe(message)
        try:
            outgoing = await self._respond(message)
        except Exception:
            log.exception("handling message %s failed", key)
            outgoing = self._generic_error(message)
        now_ms = to_epoch_ms(self._services.clock.now())

        def finish(session: Session) -> None:
            self._outbox.stage(session, outgoing)
            # The payload is not needed once handled; the row stays for dedupe.
            session.collection(INBOUND).update(
                key, {"status": "done", "done_ms": now_ms, "data": None}
            )

        await self._services.db.run(finish)
        self._outbox.wake()

    async def _respond(self, message: IncomingMessage) -> list[Outgoing]:
        services = self._services
        if message.is_group and services.directory.group(message.conversation_id) is None:
            # How an office finds a group's openConversationId for [[groups]]: @ the bot
            # in that group once and read this line (see docs/deploy.md).
            log.info(
                "group message from a group not in the config: conversation_id=%s title=%s",
                message.conversation_id,
                message.conversation_title,
            )
        if not message.sender_id:
            log.warning("message %s has no sender; not routed", message.msg_id)
            return self._reply_anonymous(message, "no_sender")
        sender = services.directory.person(message.sender_id)
        if sender is None:
            return [self._reply(message, "unknown_user", county_name=services.config.county.name)]
        if message.msgtype in ("text", "richText", "file"):
            # An open form (e.g. a half-filled 请示) takes the answer, files included.
            ctx = CommandContext(message=message, sender=sender, args="", services=services)
            try:
                answer = await services.forms.resume(ctx)
            except UserFacingError as refusal:
                return [ctx.text(refusal.template, **refusal.context)]
            if answer is not None:
                return answer
        if message.msgtype not in ("text", "richText"):
            return [
                self._reply(
                    message,
                    "unsupported_message",
                    kind=message.msgtype,
                    file_name=message.file.name if message.file else "",
                    recognition=message.recognition or "",
                )
            ]
        text = (message.text or "").strip()
        if not text:
            return [self._reply(message, "empty_message")]
        if len(text) > MAX_COMMAND_CHARS:
            return [self._reply(message, "too_long", length=len(text), limit=MAX_COMMAND_CHARS)]
        matched = services.router.match(text)
        if matched is None:
            suggestions = [
                {"word": c.word, "summary": services.messages.command_text(c.id).summary}
                for c in services.router.suggest(text, sender, services.directory)
            ]
            ctx = CommandContext(message=message, sender=sender, args="", services=services)
            return [ctx.markdown("unknown_command", text=text, suggestions=suggestions)]
        command, args = matched
        ctx = CommandContext(message=message, sender=sender, args=args, services=services)
        try:
            return await command.handler(ctx)
        except UserFacingError as refusal:
            return [ctx.text(refusal.template, **refusal.context)]

    def _reply(self, message: IncomingMessage, template: str, **context: Any) -> Outgoing:
        text = self._services.messages.text(template, **context)
        return text_to(
            f"reply:{message.msg_id}:1",
            user_id=None if message.is_group else message.sender_id,
            conversation_id=message.conversation_id if message.is_group else None,
            text=text,
        )

    def _reply_anonymous(self, message: IncomingMessage, template: str) -> list[Outgoing]:
        # Without a sender we can only answer in a group conversation.
        if message.is_group and message.conversation_id:
            return [self._reply(message, template)]
        return []

    def _generic_error(self, message: IncomingMessage) -> list[Outgoing]:
        if not message.sender_id and not message.is_group:
            return []
        reply = self._reply(message, "error_generic")
        # A distinct key: a partial reply staged before the failure must not mask this one.
        return [Outgoing(f"error:{message.msg_id}", reply.kind, reply.payload)]
