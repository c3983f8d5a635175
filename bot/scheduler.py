"""Time-driven work. Deadlines and reminders are rows in storage; one APScheduler in
Asia/Shanghai only scans them, so a restart or a late wake-up loses nothing, and the
idempotency keys of what a reminder sends make sure nothing is sent twice.

Business time comes from the injected clock (the sandbox can move it); APScheduler only
provides the heartbeat, with explicit misfire handling (a late heartbeat still runs).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import TZ, to_epoch_ms
from bot.outgoing import Outgoing

if TYPE_CHECKING:
    from bot.outbox import Outbox
    from bot.services import Services
    from storage.session import Session

log = logging.getLogger(__name__)

REMINDERS = "reminders"


@dataclass(frozen=True)
class DailyJob:
    """Runs once a day at ``at`` (Beijing time), on working days only if asked."""

    id: str
    at: time
    run: Callable[[Services, date], Awaitable[list[Outgoing]]]
    working_days_only: bool = True


# A deadline action: runs inside the storage call that fires the reminder.
DeadlineAction = Callable[["Session", dict[str, Any]], list[Outgoing]]


def schedule_reminder(
    session: Session,
    key: str,
    due: datetime,
    items: Sequence[Outgoing],
    *,
    action: dict[str, Any] | None = None,
) -> None:
    """Store a reminder (inside the same storage call as the state it belongs to).

    ``items`` are sent when it falls due; ``action`` (``{"type": ...}``) names a
    registered deadline action (e.g. deemed consent) run in that same storage call.
    """
    reminders = session.collection(REMINDERS)
    if reminders.get(key) is not None:
        return
    reminders.insert(
        {
            "id": key,
            "due_ms": to_epoch_ms(due),
            "status": "pending",
            "items": [item.to_doc() for item in items],
            "action": action,
        }
    )


def cancel_reminders(session: Session, prefix: str) -> int:
    reminders = session.collection(REMINDERS)
    hits = reminders.find(lambda d: d["status"] == "pending" and str(d["id"]).startswith(prefix))
    for doc in hits:
        reminders.update(doc["id"], {"status": "cancelled"})
    return len(hits)


class Scheduler:
    def __init__(
        self,
        services: Services,
        outbox: Outbox,
        jobs: Sequence[DailyJob],
        *,
        scan_interval_s: float = 15.0,
        housekeeping: Callable[[], Awaitable[Any]] | None = None,
        actions: Mapping[str, DeadlineAction] | None = None,
    ) -> None:
        self._actions = dict(actions or {})
        self._services = services
        self._outbox = outbox
        self._jobs = list(jobs)
        self._scan_interval_s = scan_interval_s
        self._housekeeping = housekeeping
        self._lock = asyncio.Lock()
        self._aps: AsyncIOScheduler | None = None

    def start(self) -> None:
        aps = AsyncIOScheduler(
            timezone=TZ,
            # A heartbeat that runs late (busy loop, suspended host) must still run.
            job_defaults={"misfire_grace_time": 3600, "coalesce": True, "max_instances": 1},
        )
        aps.add_job(
            self.scan,
            "interval",
            seconds=self._scan_interval_s,
            id="due-scan",
            next_run_time=datetime.now(TZ),
        )
        if self._housekeeping is not None:
            aps.add_job(self._housekeeping, "interval", hours=1, id="housekeeping")
        aps.add_listener(self._on_problem, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        aps.start()
        self._aps = aps

    async def shutdown(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        async with self._lock:  # let a running scan finish its storage work
            pass

    def _on_problem(self, event: JobExecutionEvent) -> None:
        if event.exception is not None:
            log.error("scheduled job %s failed: %r", event.job_id, event.exception)
        else:
            log.warning("scheduled job %s missed its run time", event.job_id)

    async def scan(self) -> None:
        async with self._lock:
            now = self._services.clock.now()
            fired = await self._fire_due_reminders(now)
            for job in self._jobs:
                await self._maybe_run_daily(job, now)
            if fired:
                self._outbox.wake()

    async def _fire_due_reminders(self, now: datetime) -> int:
        now_ms = to_epoch_ms(now)

        def due(session: Session) -> list[str]:
            rows = session.collection(REMINDERS).find(
                lambda d: d["status"] == "pending" and d["due_ms"] <= now_ms
            )
            return [str(d["id"]) for d in sorted(rows, key=lambda d: d["due_ms"])]

        def fire(session: Session, key: str) -> None:
            reminders = session.collection(REMINDERS)
            doc = reminders.get(key)
            if doc is None or doc["status"] != "pending":
                return
            items = [Outgoing.from_doc(i) for i in doc["items"]]
            action = doc.get("action")
            if action:
                items += self._actions[action["type"]](session, action)
            self._outbox.stage(session, items)
            reminders.update(key, {"status": "fired", "fired_ms": now_ms})
            reminders.archive(key, now.year)

        def give_up(session: Session, key: str) -> None:
            session.collection(REMINDERS).update(key, {"status": "failed", "fired_ms": now_ms})

        keys = await self._services.db.run(due)
        for key in keys:
            # One storage call each: a failing action rolls back only itself.
            try:
                await self._services.db.run(functools.partial(fire, key=key))
            except Exception:
                log.exception("reminder %s failed; marked failed", key)
                await self._services.db.run(functools.partial(give_up, key=key))
        return len(keys)

    async def _maybe_run_daily(self, job: DailyJob, now: datetime) -> None:
        today = now.date()
        marker = f"daily:{job.id}"
        if now.timetz().replace(tzinfo=None) < job.at:
            return
        last = await self._services.db.run(lambda s: s.meta_get(marker))
        if last == today.isoformat():
            return
        if job.working_days_only and not self._services.calendar.is_workday(today):
            return
        try:
            items = await job.run(self._services, today)
        except Exception:
            log.exception("daily job %s failed", job.id)
            return

        def record(session: Session) -> None:
            self._outbox.stage(session, items)
            session.meta_set(marker, today.isoformat())

        await self._services.db.run(record)
        self._outbox.wake()
