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
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.api_budget import NONESSENTIAL_RECHECK_MS
from bot.clock import Clock, to_epoch_ms
from bot.coalesce import coalesce
from bot.dingtalk import (
    DingTalkAmbiguousError,
    DingTalkError,
    DingTalkRateLimitedError,
    DingTalkRejectedError,
    PermissionDenied,
    QuotaExhausted,
)
from bot.outbox_names import MERGED, OUTBOX
from bot.outbox_policy import (
    NONESSENTIAL_KINDS,
    done_queued,
    kind_scope,
    mark_skipped,
    superseded,
    throttled_start,
)
from bot.outbox_retry import MAX_ATTEMPTS, failed_attempt, parked, throttled
from bot.outbox_send import ItemSender, Unsendable
from bot.outgoing import Outgoing
from bot.sender import DingTalkSender
from bot.task_set import TaskSet

if TYPE_CHECKING:
    from bot.api_budget import ApiBudget
    from messages.render import Messages
    from storage.database import Database
    from storage.session import Session

__all__ = ["MAX_ATTEMPTS", "REPEATABLE", "Outbox", "ParkedHook"]

log = logging.getLogger(__name__)

# Kinds whose repeat after an unknown outcome changes nothing: a card's outTrackId, a
# to-do's sourceId (found again, see find_todo) and updates are natural idempotency keys.
# Robot messages, files, work notifications and card deliveries have none.
REPEATABLE = frozenset({"card", "card_update", "todo_create", "todo_done"})
# Called with a row just parked "uncertain"; returns what to send about it.
ParkedHook = Callable[["Session", dict[str, Any]], list[Outgoing]]


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
        self._db = db
        self._clock = clock
        self._sender = ItemSender(
            db, client, clock, self.stage, files_root=files_root, messages=messages
        )
        self._wakeup = asyncio.Event()
        # Calls in flight at most: sends to different targets are independent, and a
        # DingTalk QPS refusal is retried with backoff (see _attempt).
        self._concurrency = concurrency
        self._in_flight: dict[str, str] = {}  # key -> target
        self._tasks = TaskSet()

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
        return throttled_start(outbox, item, now_ms)

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
            log.error("outbox %s: the bot stopped while sending it; parked, not resent", key)
        return len(parked)

    def _tell_parked(self, session: Session, row: dict[str, Any]) -> None:
        if self._on_parked is not None:
            self.stage(session, self._on_parked(session, row))

    async def settled(self, budget_s: float) -> bool:
        """Wait (at most ``budget_s``) until nothing due now is waiting or being sent.
        The sandbox clock follower uses it so that a clock move counts as dealt with only
        once the messages it caused have gone out; False when the budget ran out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget_s

        def due(session: Session) -> bool:
            now_ms = to_epoch_ms(self._clock.now())
            rows = session.collection(OUTBOX).find(
                lambda d: d.get("status") == "pending" and d.get("next_ms", 0) <= now_ms
            )
            return bool(rows)

        while bool(self._tasks) or await self._db.run(due):
            if loop.time() >= deadline:
                return False
            self.wake()
            await asyncio.sleep(0.05)
        return True

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
            if item.kind == "card_update" and superseded(rows, row):
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
            await self._db.run(lambda s: mark_skipped(s, skips))
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
            self._tasks.spawn(self._deliver(row, item))
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
            and done_queued(rows, item)
        )

    def _held(self, item: Outgoing, rows: list[dict[str, Any]], skips: list[str]) -> int | None:
        """When the budget holds ``item`` back: the epoch ms to look again (``None``: send
        it now). Queues a to-do that need never be sent in ``skips``."""
        budget = self._budget
        if budget is None:
            return None
        now_ms = to_epoch_ms(self._clock.now())
        if item.kind in NONESSENTIAL_KINDS and not budget.allows_nonessential():
            if item.kind == "todo_create" and done_queued(rows, item):
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
            sent = await self._sender.send(item)
        except DingTalkAmbiguousError as error:
            log.error("outbox %s: outcome unknown, not resent (%s)", item.key, error.code)
            return {"status": "uncertain", "attempts": attempts, "error": str(error.code)}, None
        except DingTalkRejectedError as error:
            log.error("outbox %s rejected by DingTalk: %s", item.key, error.code)
            return {"status": "failed", "attempts": attempts, "error": str(error.code)}, None
        except Unsendable as error:
            log.error("outbox %s cannot be sent: %s", item.key, error)
            return {"status": "failed", "attempts": attempts, "error": str(error)}, None
        except (QuotaExhausted, PermissionDenied) as error:
            return parked(item, error, self._now_ms()), None
        except DingTalkRateLimitedError as error:
            return throttled(item, error, attempts, self._now_ms()), None
        except DingTalkError as error:
            return failed_attempt(item, error, attempts, self._now_ms()), None
        except Exception as error:  # a bad payload or a bug: never loop on it
            log.exception("outbox %s: unexpected error, marked failed", item.key)
            return {"status": "failed", "attempts": attempts, "error": type(error).__name__}, None
        return {
            "status": "sent",
            "attempts": attempts,
            "sent_ms": self._now_ms(),
            "result": sent.result,
        }, sent.record
