"""The outbox: every outgoing message is stored before it is sent and marked sent after
DingTalk confirms. Failed sends are retried with backoff; a restart resumes; keys make
staging idempotent. A send whose outcome is unknown (timeout after the request left) is
parked as "uncertain" instead of being sent again, so nobody gets a message twice.

API budget (bot/api_budget.py): DingTalk throttling (429, QPS 403) keeps an item pending
and retries it with backoff for as long as it takes, never marking it failed. A
``QuotaExhausted`` or ``PermissionDenied`` answer parks it (not an attempt): while a
scope is denied, the items needing it wait (44 minutes, then one probe) and resume when
a call of that scope succeeds again; after a quota refusal one probe goes out every 30
minutes. To-dos are non-essential: while the budget is not ``ok`` (near or exhausted)
they wait in the outbox and are created/completed when the budget allows again (next
month at the latest); a to-do whose create never went out and whose completion is
already queued is skipped (status ``skipped``): nobody needs a to-do that is already
done.

To-dos: ``todo_create`` stores ``{"id": sourceId, "task_id", "union_id"}`` in the
``todos`` collection in the same storage call that marks it sent; ``todo_done`` (same
target ``todo:<sourceId>``, so it runs after the create) reads the task id from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.api_budget import NONESSENTIAL_RECHECK_MS, PARK_MS, QUOTA_PROBE_MS
from bot.api_scopes import CARD_WRITE, ROBOT_SEND, TODO_WRITE, WORK_NOTICE
from bot.clock import Clock, to_epoch_ms
from bot.coalesce import coalesce
from bot.dingtalk import (
    DeliverResult,
    DingTalkAmbiguousError,
    DingTalkError,
    DingTalkRateLimitedError,
    DingTalkRejectedError,
    PermissionDenied,
    QuotaExhausted,
)
from bot.files import file_type, pack, packed_name
from bot.outgoing import Outgoing
from bot.sender import DingTalkSender
from storage.errors import ArchivedError

if TYPE_CHECKING:
    from bot.api_budget import ApiBudget
    from messages.render import Messages
    from storage.database import Database
    from storage.session import Session

log = logging.getLogger(__name__)

OUTBOX = "outbox"
MERGED = "merged"  # a member of a batch item (see bot/coalesce.py); never sent itself
TODOS = "todos"
# Backoff between attempts of one message (the client already retried quickly inside).
_BACKOFF_S = (2, 5, 15, 60, 180, 600, 1800)
MAX_ATTEMPTS = len(_BACKOFF_S) + 1
# DingTalk's answer to a second task with the same sourceId ("task exist").
_TASK_EXISTS = re.compile(r"task\s*(already\s*)?exists?\b", re.IGNORECASE)
# Kinds whose repeat after an unknown outcome changes nothing: a card's outTrackId, a
# to-do's sourceId (found again, see find_todo) and updates are natural idempotency keys.
# Robot messages, files, work notifications and card deliveries have none.
REPEATABLE = frozenset({"card", "card_update", "todo_create", "todo_done"})
# Throttled items are retried for as long as it takes, at most this far apart.
_THROTTLED_MAX_S = 600
# The permission scope each kind of item needs (files: robot send; the upload's
# qyapi_base is always granted).
_KIND_SCOPES = {
    "oto": ROBOT_SEND,
    "group": ROBOT_SEND,
    "file": ROBOT_SEND,
    "card": CARD_WRITE,
    "card_update": CARD_WRITE,
    "card_deliver": CARD_WRITE,
    "work_notice": WORK_NOTICE,
    "todo_create": TODO_WRITE,
    "todo_done": TODO_WRITE,
}
NONESSENTIAL_KINDS = frozenset({"todo_create", "todo_done"})


def kind_scope(kind: str) -> str:
    return _KIND_SCOPES.get(kind, "")


# Called with a row just parked "uncertain"; returns what to send about it.
ParkedHook = Callable[["Session", dict[str, Any]], list[Outgoing]]


class _Unsendable(Exception):
    """This item can never be sent as it stands (no DingTalk call was made)."""


@dataclass(frozen=True)
class _Sent:
    """What a confirmed send records: the outbox ``result`` and, optionally, more
    bookkeeping done in the same storage call that marks the row sent."""

    result: dict[str, Any]
    record: Callable[[Session], None] | None = None


class Outbox:
    def __init__(
        self,
        db: Database,
        client: DingTalkSender,
        clock: Clock,
        *,
        concurrency: int = 32,
        files_root: Path | None = None,
        messages: Messages | None = None,
        budget: ApiBudget | None = None,
        todo_delay_ms: int = 0,
        on_parked: ParkedHook | None = None,
    ) -> None:
        # Told (inside the same storage call) of each row parked 待核实; what it returns
        # is staged, e.g. a note asking the recipients to check (handlers/delivery).
        self._on_parked = on_parked
        # A to-do goes out only if its step is still open this long after staging.
        self._todo_delay_ms = todo_delay_ms
        self._budget = budget  # quota levels and denied scopes (None: no budget)
        self._files_root = files_root  # where "file" items' paths are relative to
        self._messages = messages  # renders the note that goes with a zipped file
        self._db = db
        self._client = client
        self._clock = clock
        self._wakeup = asyncio.Event()
        # Calls in flight at most: sends to different targets are independent, and a
        # DingTalk QPS refusal is retried with backoff (see _attempt).
        self._concurrency = concurrency
        self._in_flight: dict[str, str] = {}  # key -> target
        self._tasks: set[asyncio.Task[None]] = set()

    # -- staging (inside a storage call, together with the state change it reports) --

    def stage(self, session: Session, items: Sequence[Outgoing]) -> int:
        """Store items not stored before; returns how many were new."""
        outbox = session.collection(OUTBOX)
        now_ms = to_epoch_ms(self._clock.now())
        added = 0
        fresh = [item for item in items if outbox.get(item.key) is None]
        items, merged = coalesce(fresh)
        for member, into in merged.items():
            # Remembered so that staging the member again is seen as a repeat.
            outbox.insert(
                {"id": member, "key": member, "status": MERGED, "into": into, "created_ms": now_ms}
            )
        for item in items:
            if outbox.get(item.key) is not None:
                continue
            seq = session.counter_next("outbox_seq")
            outbox.insert(
                {
                    **item.to_doc(),
                    "id": item.key,
                    "seq": seq,
                    "status": "pending",
                    "attempts": 0,
                    "next_ms": self._start(outbox, item, now_ms),
                    "created_ms": now_ms,
                }
            )
            added += 1
        return added

    def _start(self, outbox: Any, item: Outgoing, now_ms: int) -> int:
        if item.kind == "todo_create":
            return now_ms + self._todo_delay_ms
        if item.payload.get("delay_s"):  # not before this many seconds from now
            return now_ms + int(float(item.payload["delay_s"]) * 1000)
        return _throttled_start(outbox, item, now_ms)

    async def enqueue(self, items: Sequence[Outgoing]) -> int:
        added = await self._db.run(lambda s: self.stage(s, items))
        self.wake()
        return added

    def wake(self) -> None:
        self._wakeup.set()

    # -- the worker --

    async def run(self) -> None:
        await self._settle_interrupted()
        while True:
            self._wakeup.clear()
            delay = await self._dispatch_due()
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            # that races with the event, and the worker would then never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wakeup.wait()

    async def _settle_interrupted(self) -> int:
        """Rows the last process was sending when it died (``sending_ms`` set): DingTalk
        may have taken them. Kinds a repeat cannot double (see REPEATABLE) go out again;
        the others are parked "uncertain" (待核实): one message possibly lost and marked
        is preferred to the same message twice."""

        def settle(session: Session) -> list[str]:
            outbox = session.collection(OUTBOX)
            rows = outbox.find(lambda d: d.get("status") == "pending" and bool(d.get("sending_ms")))
            parked = []
            for row in rows:
                if row.get("kind") in REPEATABLE:
                    outbox.update(row["id"], {"sending_ms": None})
                else:
                    parked_row = {"status": "uncertain", "sending_ms": None, "error": "interrupted"}
                    outbox.update(row["id"], parked_row)
                    self._tell_parked(session, {**row, **parked_row})
                    parked.append(str(row["id"]))
            return parked

        parked = await self._db.run(settle)
        for key in parked:
            log.error("outbox %s: the bot stopped while sending it; not resent (待核实)", key)
        return len(parked)

    def _tell_parked(self, session: Session, row: dict[str, Any]) -> None:
        if self._on_parked is not None:
            self.stage(session, self._on_parked(session, row))

    async def drain(self, budget_s: float) -> None:
        """Give in-flight sends a moment to finish (used at shutdown)."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=budget_s)

    async def _dispatch_due(self) -> float:
        now_ms = to_epoch_ms(self._clock.now())

        def pending(session: Session) -> list[dict[str, Any]]:
            return session.collection(OUTBOX).find(lambda d: d.get("status") == "pending")

        rows = sorted(await self._db.run(pending), key=lambda r: r["seq"])
        # One message at a time per target keeps each conversation in order.
        blocked = set(self._in_flight.values())
        next_wait = 1.0
        skips: list[str] = []
        chosen: list[tuple[dict[str, Any], Outgoing]] = []
        for row in rows:
            item = Outgoing.from_doc(row)
            if row["id"] in self._in_flight or item.target in blocked:
                continue
            blocked.add(item.target)
            if self._deferred_todo_not_needed(row, item, rows):
                skips.append(item.key)  # the step was handled first: no to-do at all
                continue
            if row["next_ms"] > now_ms:
                next_wait = min(next_wait, (row["next_ms"] - now_ms) / 1000)
                continue
            if item.kind == "card_update" and _superseded(rows, row):
                skips.append(item.key)  # a later update of the same keys replaces it
                continue
            if len(self._in_flight) + len(chosen) >= self._concurrency:
                break  # the rest waits for a free slot (the worker is woken then)
            held = self._held(item, rows, skips)
            if held is not None:
                next_wait = min(next_wait, max(held - now_ms, 0) / 1000)
                continue
            chosen.append((row, item))
        if skips:
            await self._db.run(lambda s: _mark_skipped(s, skips))
        if chosen and not await self._start_sending(chosen):
            return 1.0  # the marks could not be stored (e.g. a full disk): look again soon
        return max(next_wait, 0.05)

    async def _start_sending(self, chosen: list[tuple[dict[str, Any], Outgoing]]) -> bool:
        """Mark the chosen rows "sending" in one storage call, then send each. The mark is
        stored before any call: a process killed before the answer is known does not
        send it again blindly (see _settle_interrupted)."""
        keys = [item.key for _row, item in chosen]
        for _row, item in chosen:
            self._in_flight[item.key] = item.target
        sending = {"sending_ms": self._now_ms()}

        def mark(session: Session) -> None:
            outbox = session.collection(OUTBOX)
            for key in keys:
                outbox.update(key, sending)

        try:
            await self._db.run(mark)
        except Exception:
            log.exception("outbox: could not mark %d items as sending; none sent yet", len(keys))
            for key in keys:
                self._in_flight.pop(key, None)
            return False
        for row, item in chosen:
            task = asyncio.create_task(self._deliver(row, item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return True

    def _deferred_todo_not_needed(
        self, row: dict[str, Any], item: Outgoing, rows: list[dict[str, Any]]
    ) -> bool:
        """A to-do held back by the delay whose step was done meanwhile is never created
        (one never tried: a tried one may exist in DingTalk and must be completed)."""
        return (
            item.kind == "todo_create"
            and self._todo_delay_ms > 0
            and not row.get("attempts")
            and _done_queued(rows, item)
        )

    def _held(self, item: Outgoing, rows: list[dict[str, Any]], skips: list[str]) -> int | None:
        """When the budget holds ``item`` back: the epoch ms to look again (``None``: send
        it now). Queues a to-do that need never be sent in ``skips``."""
        budget = self._budget
        if budget is None:
            return None
        now_ms = to_epoch_ms(self._clock.now())
        if item.kind in NONESSENTIAL_KINDS and not budget.allows_nonessential():
            if item.kind == "todo_create" and _done_queued(rows, item):
                skips.append(item.key)
            return now_ms + NONESSENTIAL_RECHECK_MS
        return budget.claim(kind_scope(item.kind))

    async def _deliver(self, row: dict[str, Any], item: Outgoing) -> None:
        try:
            changes, record = await self._attempt(row, item)

            def commit(session: Session) -> None:
                if record is not None:
                    record(session)
                session.collection(OUTBOX).update(item.key, {**changes, "sending_ms": None})
                if changes.get("status") == "uncertain":
                    self._tell_parked(session, {**row, **changes})

            await self._db.run(commit)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("outbox bookkeeping for %s failed", item.key)
        finally:
            self._in_flight.pop(item.key, None)
            self.wake()

    def _now_ms(self) -> int:
        return to_epoch_ms(self._clock.now())

    async def _attempt(
        self, row: dict[str, Any], item: Outgoing
    ) -> tuple[dict[str, Any], Callable[[Session], None] | None]:
        """The row's changes after one attempt, and any bookkeeping of a confirmed send.
        Backoffs count from the end of the attempt (the client's own retries take
        seconds)."""
        attempts = int(row.get("attempts", 0)) + 1
        try:
            sent = await self._send(item)
        except DingTalkAmbiguousError as error:
            log.error("outbox %s: outcome unknown, not resent (%s)", item.key, error.code)
            return {"status": "uncertain", "attempts": attempts, "error": str(error.code)}, None
        except DingTalkRejectedError as error:
            log.error("outbox %s rejected by DingTalk: %s", item.key, error.code)
            return {"status": "failed", "attempts": attempts, "error": str(error.code)}, None
        except _Unsendable as error:
            log.error("outbox %s cannot be sent: %s", item.key, error)
            return {"status": "failed", "attempts": attempts, "error": str(error)}, None
        except (QuotaExhausted, PermissionDenied) as error:
            # Parked, not an attempt: it goes out once the quota or permission is back.
            wait_ms = QUOTA_PROBE_MS if isinstance(error, QuotaExhausted) else PARK_MS
            parked = error.scope if isinstance(error, PermissionDenied) else "quota"
            log.warning("outbox %s parked: %s (%s)", item.key, error.code, parked)
            return {
                "next_ms": self._now_ms() + wait_ms,
                "error": str(error.code),
                "parked": parked,
                **self._skip_delivered(item, error),
            }, None
        except DingTalkRateLimitedError as error:
            # Throttled: DingTalk did not take it; try again later, never give up.
            step = _BACKOFF_S[min(attempts, len(_BACKOFF_S)) - 1]
            backoff = min(step, _THROTTLED_MAX_S) * (0.8 + 0.4 * random.random())
            log.warning("outbox %s throttled (%s); retry in %.0fs", item.key, error.code, backoff)
            return {
                "attempts": attempts,
                "next_ms": self._now_ms() + int(backoff * 1000),
                "error": str(error.code),
                **self._skip_delivered(item, error),
            }, None
        except DingTalkError as error:
            changes = self._skip_delivered(item, error)
            if attempts >= MAX_ATTEMPTS:
                log.error("outbox %s failed after %d attempts", item.key, attempts)
                return {
                    "status": "failed",
                    "attempts": attempts,
                    "error": str(error.code),
                    **changes,
                }, None
            backoff = _BACKOFF_S[attempts - 1] * (0.8 + 0.4 * random.random())
            log.warning(
                "outbox %s attempt %d failed (%s); retry in %.0fs",
                item.key,
                attempts,
                error.code,
                backoff,
            )
            return {
                "attempts": attempts,
                "next_ms": self._now_ms() + int(backoff * 1000),
                "error": str(error.code),
            }, None
        except Exception as error:  # a bad payload or a bug: never loop on it
            log.exception("outbox %s: unexpected error, marked failed", item.key)
            return {"status": "failed", "attempts": attempts, "error": type(error).__name__}, None
        return {
            "status": "sent",
            "attempts": attempts,
            "sent_ms": self._now_ms(),
            "result": sent.result,
        }, sent.record

    async def _send_file(self, item: Outgoing) -> _Sent:
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
            return _Sent(result)
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
            self.stage(session, [note])

        return _Sent({**result, "zipped": sent_as}, record)

    @staticmethod
    def _skip_delivered(item: Outgoing, error: DingTalkError) -> dict[str, Any]:
        """A chunked send that failed half-way: retry only the recipients not reached."""
        if not error.sent_user_ids or "user_ids" not in item.payload:
            return {}
        reached = set(error.sent_user_ids)
        remaining = [u for u in item.payload["user_ids"] if u not in reached]
        everyone = item.payload.get("all_user_ids") or item.payload["user_ids"]
        return {"payload": {**item.payload, "user_ids": remaining, "all_user_ids": everyone}}

    async def _send(self, item: Outgoing) -> _Sent:
        p = item.payload
        client = self._client
        if item.kind == "oto":
            results = await client.send_to_users(p["user_ids"], p["msg_key"], p["msg_param"])
            invalid = [u for r in results for u in r.invalid]
            if invalid:
                log.warning("outbox %s: unknown userIds %s", item.key, invalid)
            return _Sent({"pqk": [r.process_query_key for r in results], "invalid": invalid})
        if item.kind == "group":
            pqk = await client.send_to_group(p["conversation_id"], p["msg_key"], p["msg_param"])
            return _Sent({"pqk": pqk})
        if item.kind == "card":
            delivered = await client.create_and_deliver_card(
                template_id=p["template_id"],
                out_track_id=p["out_track_id"],
                card_data=p["card_data"],
                user_ids=p.get("user_ids", []),
                group_ids=p.get("group_ids", []),
                private_data=p.get("private_data"),
            )
            return _Sent(self._spaces(item, delivered))
        if item.kind == "card_update":
            await client.update_card(
                p["out_track_id"], p.get("card_data"), p.get("private_data"), by_key=True
            )
            return _Sent({})
        if item.kind == "card_deliver":
            delivered = await client.deliver_card(
                out_track_id=p["out_track_id"],
                user_ids=p.get("user_ids", []),
                group_ids=p.get("group_ids", []),
            )
            return _Sent(self._spaces(item, delivered))
        if item.kind == "file":
            return await self._send_file(item)
        if item.kind == "work_notice":
            task_id = await client.send_work_notification(p["user_ids"], p["msg"])
            return _Sent({"task_id": task_id})
        if item.kind == "todo_create":
            return await self._create_todo(item)
        if item.kind == "todo_done":
            return await self._complete_todo(item)
        raise _Unsendable(f"unknown outgoing kind {item.kind}")

    @staticmethod
    def _spaces(item: Outgoing, delivered: Sequence[DeliverResult]) -> dict[str, Any]:
        """A card delivery's result; spaces DingTalk refused are logged, not retried."""
        failed = {r.space_id: r.error_msg for r in delivered if not r.success}
        if failed:
            log.warning("outbox %s: card not delivered to %s", item.key, failed)
        return {"failed_spaces": failed} if failed else {}

    async def _create_todo(self, item: Outgoing) -> _Sent:
        p = item.payload
        source_id, union_id = str(p["source_id"]), str(p["union_id"])
        try:
            task_id: str | None = await self._client.create_todo(
                union_id=union_id,
                subject=p["subject"],
                description=p["description"],
                due_ms=p.get("due_ms"),
                executor_union_ids=[union_id],
                source_id=source_id,
                detail_url=p["detail_url"],
                priority=int(p.get("priority", 20)),
            )
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

        return _Sent({"task_id": task_id}, record)

    async def _complete_todo(self, item: Outgoing) -> _Sent:
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
                raise _Unsendable(f"to-do {source_id} was not created (create: {state})")
        task_id, union_id = row.get("task_id"), row.get("union_id")
        if not task_id and union_id:
            task_id = await self._client.find_todo(union_id=str(union_id), source_id=source_id)
        if not task_id or not union_id:
            raise _Unsendable(
                f"to-do {source_id}: no task with this sourceId found (the create's answer was"
                " lost); complete it by hand in DingTalk if it exists"
            )
        await self._client.complete_todo(union_id=str(union_id), task_id=str(task_id))
        done = {"id": source_id, "done": True}
        return _Sent({"task_id": task_id}, lambda s: _upsert(s, TODOS, done))


def _done_queued(rows: list[dict[str, Any]], create: Outgoing) -> bool:
    source = create.payload.get("source_id")
    return any(
        r.get("kind") == "todo_done" and (r.get("payload") or {}).get("source_id") == source
        for r in rows
    )


def _pending_done(doc: dict[str, Any], source: object) -> bool:
    payload = doc.get("payload") or {}
    return (
        doc.get("kind") == "todo_done"
        and doc.get("status") == "pending"
        and payload.get("source_id") == source
    )


def _throttled_start(outbox: Any, item: Outgoing, now_ms: int) -> int:
    """When a new item may first go out: now, or for a card update carrying
    ``throttle_s`` (e.g. the office's live progress card), not sooner than that long after
    the last sent update of the same card; pending older updates are superseded by it."""
    throttle = item.payload.get("throttle_s")
    if item.kind != "card_update" or not throttle:
        return now_ms
    card = item.payload.get("out_track_id")
    sent = [
        int(d.get("sent_ms") or 0)
        for d in outbox.find(
            lambda d: (
                d.get("kind") == "card_update"
                and d.get("status") == "sent"
                and (d.get("payload") or {}).get("out_track_id") == card
            )
        )
    ]
    return max(now_ms, max(sent, default=0) + int(float(throttle) * 1000))


def _superseded(rows: list[dict[str, Any]], row: dict[str, Any]) -> bool:
    """A pending card update whose every key a later pending update of the same card
    sets again (public data only): sending it would change nothing that lasts."""
    payload = row.get("payload") or {}
    if payload.get("private_data"):
        return False
    keys = set(payload.get("card_data") or {})
    for later in rows:
        other = later.get("payload") or {}
        if (
            later["seq"] > row["seq"]
            and later.get("kind") == "card_update"
            and other.get("out_track_id") == payload.get("out_track_id")
            and keys <= set(other.get("card_data") or {})
        ):
            return True
    return False


def _mark_skipped(session: Session, keys: list[str]) -> None:
    """Rows that need no DingTalk call: card updates superseded by a later one, and
    to-dos never created whose completion is queued (both create and completion)."""
    outbox = session.collection(OUTBOX)
    for key in keys:
        row = outbox.get(key)
        if row is None or row.get("status") != "pending":
            continue
        if row.get("kind") == "card_update":
            outbox.update(key, {"status": "skipped", "error": "superseded"})
            continue
        source = (row.get("payload") or {}).get("source_id")
        outbox.update(key, {"status": "skipped", "error": "step already done"})
        for done in outbox.find(functools.partial(_pending_done, source=source)):
            outbox.update(done["id"], {"status": "skipped", "error": "step already done"})
        log.info("outbox %s: to-do not needed (its step was done first)", key)


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
