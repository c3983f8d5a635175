"""The outbox: every outgoing message is stored before it is sent and marked sent after
DingTalk confirms. Failed sends are retried with backoff; a restart resumes; keys make
staging idempotent. A send whose outcome is unknown (timeout after the request left) is
parked as "uncertain" instead of being sent again, so nobody gets a message twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, to_epoch_ms
from bot.dingtalk import (
    DingTalkAmbiguousError,
    DingTalkClient,
    DingTalkError,
    DingTalkRejectedError,
)
from bot.outgoing import Outgoing

if TYPE_CHECKING:
    from storage.database import Database
    from storage.session import Session

log = logging.getLogger(__name__)

OUTBOX = "outbox"
# Backoff between attempts of one message (the client already retried quickly inside).
_BACKOFF_S = (2, 5, 15, 60, 180, 600, 1800)
MAX_ATTEMPTS = len(_BACKOFF_S) + 1


class Outbox:
    def __init__(
        self, db: Database, client: DingTalkClient, clock: Clock, *, concurrency: int = 8
    ) -> None:
        self._db = db
        self._client = client
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: dict[str, str] = {}  # key -> target
        self._tasks: set[asyncio.Task[None]] = set()

    # -- staging (inside a storage call, together with the state change it reports) --

    def stage(self, session: Session, items: Sequence[Outgoing]) -> int:
        """Store items not stored before; returns how many were new."""
        outbox = session.collection(OUTBOX)
        now_ms = to_epoch_ms(self._clock.now())
        added = 0
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
                    "next_ms": now_ms,
                    "created_ms": now_ms,
                }
            )
            added += 1
        return added

    async def enqueue(self, items: Sequence[Outgoing]) -> int:
        added = await self._db.run(lambda s: self.stage(s, items))
        self.wake()
        return added

    def wake(self) -> None:
        self._wakeup.set()

    # -- the worker --

    async def run(self) -> None:
        while True:
            self._wakeup.clear()
            delay = await self._dispatch_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=delay)

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
        for row in rows:
            item = Outgoing.from_doc(row)
            if row["id"] in self._in_flight or item.target in blocked:
                continue
            blocked.add(item.target)
            if row["next_ms"] > now_ms:
                next_wait = min(next_wait, (row["next_ms"] - now_ms) / 1000)
                continue
            self._in_flight[item.key] = item.target
            task = asyncio.create_task(self._deliver(row, item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return max(next_wait, 0.05)

    async def _deliver(self, row: dict[str, Any], item: Outgoing) -> None:
        try:
            async with self._slots:
                changes = await self._attempt(row, item)
            await self._db.run(lambda s: s.collection(OUTBOX).update(item.key, changes))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("outbox bookkeeping for %s failed", item.key)
        finally:
            self._in_flight.pop(item.key, None)
            self.wake()

    async def _attempt(self, row: dict[str, Any], item: Outgoing) -> dict[str, Any]:
        now_ms = to_epoch_ms(self._clock.now())
        attempts = int(row.get("attempts", 0)) + 1
        try:
            result = await self._send(item)
        except DingTalkAmbiguousError as error:
            log.error("outbox %s: outcome unknown, not resent (%s)", item.key, error.code)
            return {"status": "uncertain", "attempts": attempts, "error": str(error.code)}
        except DingTalkRejectedError as error:
            log.error("outbox %s rejected by DingTalk: %s", item.key, error.code)
            return {"status": "failed", "attempts": attempts, "error": str(error.code)}
        except DingTalkError as error:
            changes = self._skip_delivered(item, error)
            if attempts >= MAX_ATTEMPTS:
                log.error("outbox %s failed after %d attempts", item.key, attempts)
                return {
                    "status": "failed",
                    "attempts": attempts,
                    "error": str(error.code),
                    **changes,
                }
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
                "next_ms": now_ms + int(backoff * 1000),
                "error": str(error.code),
            }
        return {"status": "sent", "attempts": attempts, "sent_ms": now_ms, "result": result}

    @staticmethod
    def _skip_delivered(item: Outgoing, error: DingTalkError) -> dict[str, Any]:
        """A chunked send that failed half-way: retry only the recipients not reached."""
        if not error.sent_user_ids or "user_ids" not in item.payload:
            return {}
        reached = set(error.sent_user_ids)
        remaining = [u for u in item.payload["user_ids"] if u not in reached]
        return {"payload": {**item.payload, "user_ids": remaining}}

    async def _send(self, item: Outgoing) -> dict[str, Any]:
        p = item.payload
        client = self._client
        if item.kind == "oto":
            results = await client.send_to_users(p["user_ids"], p["msg_key"], p["msg_param"])
            invalid = [u for r in results for u in r.invalid]
            if invalid:
                log.warning("outbox %s: unknown userIds %s", item.key, invalid)
            return {"pqk": [r.process_query_key for r in results], "invalid": invalid}
        if item.kind == "group":
            pqk = await client.send_to_group(p["conversation_id"], p["msg_key"], p["msg_param"])
            return {"pqk": pqk}
        if item.kind == "card":
            await client.create_and_deliver_card(
                template_id=p["template_id"],
                out_track_id=p["out_track_id"],
                card_data=p["card_data"],
                user_ids=p.get("user_ids", []),
                group_ids=p.get("group_ids", []),
                private_data=p.get("private_data"),
            )
            return {}
        if item.kind == "card_update":
            await client.update_card(
                p["out_track_id"], p.get("card_data"), p.get("private_data"), by_key=True
            )
            return {}
        if item.kind == "work_notice":
            task_id = await client.send_work_notification(p["user_ids"], p["msg"])
            return {"task_id": task_id}
        raise ValueError(f"unknown outgoing kind {item.kind}")
