"""How each kind of outgoing item is sent to DingTalk."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.dingtalk import (
    CardDelivery,
    CardUpdate,
    DeliverResult,
    DingTalkRejectedError,
    NewCard,
    NewTodo,
)
from bot.files import file_type, pack, packed_name
from bot.outbox_names import OUTBOX, TODOS
from bot.outgoing import Outgoing
from bot.sender import DingTalkSender
from storage.errors import ArchivedError

if TYPE_CHECKING:
    from messages.render import Messages
    from storage.database import Database
    from storage.session import Session

log = logging.getLogger(__name__)

log = logging.getLogger("bot.outbox")

# DingTalk's answer to a second task with the same sourceId ("task exist").
_TASK_EXISTS = re.compile(r"task\s*(already\s*)?exists?\b", re.IGNORECASE)


class Unsendable(Exception):
    """This item can never be sent as it stands (no DingTalk call was made)."""


@dataclass(frozen=True)
class Sent:
    """What a confirmed send records: the outbox ``result`` and, optionally, more
    bookkeeping done in the same storage call that marks the row sent."""

    result: dict[str, Any]
    record: Callable[[Session], None] | None = None


class ItemSender:
    """Makes the DingTalk call of one outgoing item, by kind, and says what a confirmed
    send records (see :class:`Sent`). Files are read (and zipped when DingTalk refuses
    their type) here; a to-do whose create answer was lost is found by its sourceId."""

    def __init__(
        self,
        db: Database,
        client: DingTalkSender,
        clock: Clock,
        stage: Callable[[Session, Sequence[Outgoing]], int],
        *,
        files_root: Path | None = None,
        messages: Messages | None = None,
    ) -> None:
        self._db = db
        self._client = client
        self._clock = clock
        self._stage = stage  # stages follow-up items inside a record's storage call
        self._files_root = files_root  # where "file" items' paths are relative to
        self._messages = messages  # renders the note that goes with a zipped file

    async def _send_file(self, item: Outgoing) -> Sent:
        if self._files_root is None:
            raise ValueError("file items need the outbox's files_root")
        root = self._files_root.resolve()
        path = (root / item.payload["path"]).resolve()
        if not path.is_relative_to(root):
            raise ValueError("file outside the data folder")
        content = await asyncio.to_thread(path.read_bytes)
        name = str(item.payload["name"])
        sent_as = packed_name(name)
        if sent_as != name:  # DingTalk refuses this type: send it inside a zip
            content = await asyncio.to_thread(pack, name, content, self._clock.now())
        media_id = await self._client.upload_media("file", sent_as, content)
        results = await self._client.send_file(
            item.payload["user_ids"], media_id, sent_as, file_type(sent_as) or "file"
        )
        result = {"media_id": media_id, "pqk": [r.process_query_key for r in results]}
        if sent_as == name or self._messages is None:
            return Sent(result)
        # Tell the recipients what the zip holds, once the file has reached them.
        note = Outgoing(
            f"{item.key}:zipped",
            "oto",
            {
                "user_ids": list(item.payload.get("all_user_ids") or item.payload["user_ids"]),
                "msg_key": "sampleText",
                "msg_param": {
                    "content": self._messages.text(
                        "attachment_zipped", name=name, zip_name=sent_as, ext=file_type(name)
                    )
                },
            },
        )

        def record(session: Session) -> None:
            self._stage(session, [note])

        return Sent({**result, "zipped": sent_as}, record)

    async def send(self, item: Outgoing) -> Sent:
        p = item.payload
        client = self._client
        if item.kind == "oto":
            results = await client.send_to_users(p["user_ids"], p["msg_key"], p["msg_param"])
            invalid = [u for r in results for u in r.invalid]
            if invalid:
                log.warning("outbox %s: unknown userIds %s", item.key, invalid)
            return Sent({"pqk": [r.process_query_key for r in results], "invalid": invalid})
        if item.kind == "group":
            pqk = await client.send_to_group(p["conversation_id"], p["msg_key"], p["msg_param"])
            return Sent({"pqk": pqk})
        if item.kind == "card":
            card = NewCard(
                template_id=p["template_id"],
                out_track_id=p["out_track_id"],
                card_data=p["card_data"],
                user_ids=p.get("user_ids", []),
                group_ids=p.get("group_ids", []),
                private_data=p.get("private_data"),
            )
            delivered = await client.create_and_deliver_card(card)
            return Sent(self._spaces(item, delivered))
        if item.kind == "card_update":
            update = CardUpdate(
                p["out_track_id"], p.get("card_data"), p.get("private_data"), by_key=True
            )
            await client.update_card(update)
            return Sent({})
        if item.kind == "card_deliver":
            delivery = CardDelivery(
                out_track_id=p["out_track_id"],
                user_ids=p.get("user_ids", []),
                group_ids=p.get("group_ids", []),
            )
            delivered = await client.deliver_card(delivery)
            return Sent(self._spaces(item, delivered))
        if item.kind == "file":
            return await self._send_file(item)
        if item.kind == "work_notice":
            task_id = await client.send_work_notification(p["user_ids"], p["msg"])
            return Sent({"task_id": task_id})
        if item.kind == "ding":
            ding_id = await client.send_ding(p["user_ids"], p["content"], p["remind_type"])
            return Sent({"open_ding_id": ding_id})
        if item.kind == "todo_create":
            return await self._create_todo(item)
        if item.kind == "todo_done":
            return await self._complete_todo(item)
        raise Unsendable(f"unknown outgoing kind {item.kind}")

    @staticmethod
    def _spaces(item: Outgoing, delivered: Sequence[DeliverResult]) -> dict[str, Any]:
        """A card delivery's result; spaces DingTalk refused are logged, not retried."""
        failed = {r.space_id: r.error_msg for r in delivered if not r.success}
        if failed:
            log.warning("outbox %s: card not delivered to %s", item.key, failed)
        return {"failed_spaces": failed} if failed else {}

    async def _create_todo(self, item: Outgoing) -> Sent:
        p = item.payload
        source_id, union_id = str(p["source_id"]), str(p["union_id"])
        try:
            todo = NewTodo(
                union_id=union_id,
                subject=p["subject"],
                description=p["description"],
                due_ms=p.get("due_ms"),
                executor_union_ids=[union_id],
                source_id=source_id,
                detail_url=p["detail_url"],
                priority=int(p.get("priority", 20)),
            )
            task_id: str | None = await self._client.create_todo(todo)
        except DingTalkRejectedError as error:
            if not _TASK_EXISTS.search(f"{error.code} {error.message}"):
                raise
            # An earlier attempt created it and its answer was lost: the task exists, and
            # DingTalk's answer does not say its id; the org to-do query finds it.
            task_id = await self._client.find_todo(union_id=union_id, source_id=source_id)
            log.warning(
                "outbox %s: to-do %s already existed (an earlier attempt's answer was lost);"
                " found by its sourceId: %s",
                item.key,
                source_id,
                task_id or "not found, it cannot be completed by the bot",
            )
        row = {"id": source_id, "task_id": task_id, "union_id": union_id}

        def record(session: Session) -> None:
            known = session.collection(TODOS).get(source_id)
            if task_id is None and known is not None and known.get("task_id"):
                return  # "task exist" for a task we already know: keep its id
            _upsert(session, TODOS, row)

        return Sent({"task_id": task_id}, record)

    async def _complete_todo(self, item: Outgoing) -> Sent:
        source_id = str(item.payload["source_id"])

        def lookup(session: Session) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
            row = session.collection(TODOS).get(source_id)
            if row is not None:
                return row, []
            creates = session.collection(OUTBOX).find(
                lambda d: (
                    d.get("kind") == "todo_create"
                    and d.get("payload", {}).get("source_id") == source_id
                )
            )
            return None, creates

        row, creates = await self._db.run(lookup)
        if row is None:
            # The create shares this target and is staged first, so it has run: it failed
            # or its outcome is unknown (or it was never staged). An unknown outcome may
            # have created it: look it up by its sourceId.
            uncertain = [c for c in creates if c.get("status") == "uncertain"]
            if uncertain:
                row = {"union_id": uncertain[0]["payload"].get("union_id"), "task_id": None}
            else:
                state = ", ".join(str(c.get("status")) for c in creates) or "never staged"
                raise Unsendable(f"to-do {source_id} was not created (create: {state})")
        task_id, union_id = row.get("task_id"), row.get("union_id")
        if not task_id and union_id:
            task_id = await self._client.find_todo(union_id=str(union_id), source_id=source_id)
        if not task_id or not union_id:
            raise Unsendable(
                f"to-do {source_id}: no task with this sourceId found (the create's answer was"
                " lost); complete it by hand in DingTalk if it exists"
            )
        await self._client.complete_todo(union_id=str(union_id), task_id=str(task_id))
        done = {"id": source_id, "done": True}
        return Sent({"task_id": task_id}, lambda s: _upsert(s, TODOS, done))


def _upsert(session: Session, name: str, doc: dict[str, Any]) -> None:
    """Insert ``doc`` or merge it into the open document with the same id.

    An archived document is left alone (it is read-only): the bookkeeping must never
    stop the outbox row from being marked, or the send would be repeated.
    """
    collection = session.collection(name)
    if collection.get(doc["id"]) is None:
        collection.insert(doc)
        return
    try:
        collection.update(doc["id"], doc)
    except ArchivedError:
        log.warning("%s %s is archived; not updated with %s", name, doc["id"], sorted(doc))
