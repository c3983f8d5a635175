"""The DingTalk API budget: the bot's own monthly call count, quota levels, and denied
permission scopes.

DingTalk meters API calls per organisation per month (standard edition: 10,000). The
bot counts every authenticated call it makes (the :class:`~bot.dingtalk.CallObserver`
hook of the client: each attempt, retries included; token and Stream-gateway calls are
not metered) in the ``api_usage`` collection, one document per month of Beijing time.

Levels: ``ok``; ``near`` from ``warn_ratio × quota`` calls on; ``exhausted`` at the quota,
or as soon as DingTalk refuses a call for the quota (``QuotaExhausted``). Outside ``ok``
non-essential calls stop (read-status checks; to-dos wait in the outbox until the budget
allows, see bot/outbox.py); chat replies and cards still go out. The office is told once
per month when the budget is near and once when it is exhausted. After DingTalk refused
for the quota, the outbox sends one probe per :data:`QUOTA_PROBE_MS` until a call
succeeds (the quota was raised, or the month turned).

A scope DingTalk denies (``PermissionDenied``) is parked: items needing it are not sent
for :data:`PARK_MS` (44 minutes), then one item probes; any later successful call needing
that scope lifts the park. Each denial is reported once to the office (robot 1:1; if the
robot scope itself is denied, a work notification; if that is denied too, one ERROR in
the log). State lives in the ``api_usage`` and ``api_scopes`` collections; the count is
written at most every ``flush_delay_s`` seconds (a crash loses at most that many calls).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from bot.api_scopes import scope_for
from bot.clock import TZ, Clock, to_epoch_ms
from bot.dingtalk_errors import DingTalkError, PermissionDenied, QuotaExhausted

if TYPE_CHECKING:
    from storage.database import Database
    from storage.session import Session

log = logging.getLogger(__name__)

USAGE = "api_usage"
SCOPES = "api_scopes"
PARK_MS = 44 * 60 * 1000
QUOTA_PROBE_MS = 30 * 60 * 1000
# How often a held non-essential item looks at the budget again (no DingTalk call).
NONESSENTIAL_RECHECK_MS = 10 * 60 * 1000

Level = Literal["ok", "near", "exhausted"]
NoticeKind = Literal["quota_near", "quota_exhausted", "permission"]


@dataclass(frozen=True)
class BudgetNotice:
    """Something the office must be told; rendered and staged by the notifier."""

    kind: NoticeKind
    month: str
    calls: int
    quota: int
    scope: str = ""
    since_ms: int = 0
    refused: bool = False
    # Scopes denied right now: the notifier must not use a channel that needs one.
    denied: frozenset[str] = frozenset()


# Stages the office notices in the caller's storage call; returns how many it could
# stage (0: no channel left).
Notifier = Callable[["Session", BudgetNotice], int]


@dataclass
class _Denial:
    since_ms: int
    retry_ms: int
    reported: bool = False


@dataclass
class _Month:
    month: str
    calls: int = 0
    refused: bool = False
    told: set[str] = field(default_factory=set)


def month_of(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=TZ).strftime("%Y-%m")


class ApiBudget:
    """The bot's API budget (one per process; built by ``create_app``)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        monthly_quota: int,
        warn_ratio: float,
        flush_delay_s: float = 1.0,
    ) -> None:
        if monthly_quota <= 0 or not 0 < warn_ratio <= 1:
            raise ValueError("monthly_quota must be positive and 0 < warn_ratio <= 1")
        self._db = db
        self._clock = clock
        self._quota = monthly_quota
        self._warn_at = monthly_quota * warn_ratio
        self._flush_delay_s = flush_delay_s
        self._month = _Month(month_of(self._now_ms()))
        self._quota_retry_ms = 0
        self._denied: dict[str, _Denial] = {}
        self._restored: set[str] = set()
        self._notifier: Notifier | None = None
        self._wake: Callable[[], None] = lambda: None
        self._flush_task: asyncio.Task[None] | None = None
        self._error_logged: set[str] = set()

    # -- wiring ---------------------------------------------------------------------

    def attach(self, notifier: Notifier, wake: Callable[[], None]) -> None:
        """``notifier`` stages office notices; ``wake`` wakes the outbox."""
        self._notifier = notifier
        self._wake = wake

    async def load(self) -> None:
        """Resume this month's count and the denied scopes from storage."""
        month = month_of(self._now_ms())

        def read(session: Session) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
            doc = session.collection(USAGE).get(month)
            scopes = session.collection(SCOPES).find(lambda d: bool(d.get("denied")))
            return doc, scopes

        doc, scopes = await self._db.run(read)
        self._month = _Month(month)
        if doc is not None:
            self._month.calls = int(doc.get("calls") or 0)
            self._month.refused = bool(doc.get("refused"))
            self._month.told = set(doc.get("told") or [])
        for row in scopes:
            self._denied[str(row["id"])] = _Denial(
                since_ms=int(row.get("since_ms") or 0),
                retry_ms=int(row.get("retry_ms") or 0),
                reported=bool(row.get("reported")),
            )
        if self.level() != "ok" or any(not d.reported for d in self._denied.values()):
            self._schedule_flush()  # a notice may be due (e.g. the quota was lowered)

    # -- the CallObserver hook (synchronous: it runs on every DingTalk attempt) --------

    def before_call(self, method: str, path: str) -> None:
        self._current().calls += 1
        self._schedule_flush()

    def after_call(self, method: str, path: str, error: DingTalkError | None) -> None:
        now_ms = self._now_ms()
        if isinstance(error, QuotaExhausted):
            if not self._current().refused:
                log.error("DingTalk refused a call: the monthly API quota is exhausted")
            self._month.refused = True
            self._quota_retry_ms = now_ms + QUOTA_PROBE_MS
            self._schedule_flush()
            return
        if isinstance(error, PermissionDenied):
            scope = error.scope or scope_for(method, path) or "unknown"
            denial = self._denied.get(scope)
            if denial is None:
                log.error("DingTalk denied permission %s (%s %s)", scope, method, path)
                self._denied[scope] = _Denial(since_ms=now_ms, retry_ms=now_ms + PARK_MS)
                self._restored.discard(scope)
            else:
                denial.retry_ms = now_ms + PARK_MS
            self._schedule_flush()
            return
        if error is not None:
            return
        resumed = False
        if self._current().refused:
            log.warning("DingTalk accepts calls again: the API quota is available")
            self._month.refused = False
            resumed = True
        scope = scope_for(method, path)
        if scope in self._denied:
            log.warning("permission %s works again; parked items resume", scope)
            del self._denied[scope]
            self._restored.add(scope)
            resumed = True
        if resumed:
            self._schedule_flush()
            self._wake()

    # -- queries ----------------------------------------------------------------------

    @property
    def calls(self) -> int:
        return self._current().calls

    @property
    def quota(self) -> int:
        return self._quota

    def level(self) -> Level:
        month = self._current()
        if month.refused or month.calls >= self._quota:
            return "exhausted"
        if month.calls >= self._warn_at:
            return "near"
        return "ok"

    def allows_nonessential(self) -> bool:
        """Read-status checks and to-dos run only while the budget is ``ok``."""
        return self.level() == "ok"

    def denied_scopes(self) -> frozenset[str]:
        return frozenset(self._denied)

    def blocked(self, scope: str) -> bool:
        """Whether calls needing ``scope`` are parked right now (no side effect)."""
        now_ms = self._now_ms()
        if self._current().refused and now_ms < self._quota_retry_ms:
            return True
        denial = self._denied.get(scope)
        return denial is not None and now_ms < denial.retry_ms

    def claim(self, scope: str) -> int | None:
        """May one item needing ``scope`` be sent now? ``None``: yes (when it is a probe,
        the next probe is pushed back); otherwise the epoch ms to look again."""
        now_ms = self._now_ms()
        if self._current().refused:
            if now_ms < self._quota_retry_ms:
                return self._quota_retry_ms
            self._quota_retry_ms = now_ms + QUOTA_PROBE_MS  # this item is the probe
        denial = self._denied.get(scope) if scope else None
        if denial is not None:
            if now_ms < denial.retry_ms:
                return denial.retry_ms
            denial.retry_ms = now_ms + PARK_MS  # this item is the probe
        return None

    # -- persistence and notices ------------------------------------------------------

    async def flush(self) -> None:
        """Write the count and scope states now, staging any due office notice."""
        task, self._flush_task = self._flush_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        staged = await self._db.run(functools.partial(self._persist, now_ms=self._now_ms()))
        if staged:
            self._wake()

    def _schedule_flush(self) -> None:
        if self._flush_task is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._flush_task = loop.create_task(self._delayed_flush(), name="api-budget-flush")

    async def _delayed_flush(self) -> None:
        await asyncio.sleep(self._flush_delay_s)
        self._flush_task = None
        try:
            await self.flush()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("storing the API budget failed")

    def _persist(self, session: Session, now_ms: int) -> int:
        """Store the count and the scope states, staging the notices due; returns how many."""
        month = self._current()
        _merge_stored(session, month)
        staged = self._tell_level(session, month, now_ms)
        _upsert(
            session,
            USAGE,
            {
                "id": month.month,
                "calls": month.calls,
                "quota": self._quota,
                "refused": month.refused,
                "told": sorted(month.told),
                "updated_ms": now_ms,
            },
        )
        scopes = session.collection(SCOPES)
        for scope in sorted(self._restored):
            if scopes.get(scope) is not None:
                scopes.update(scope, {"denied": False, "restored_ms": now_ms})
        self._restored.clear()
        for scope, denial in sorted(self._denied.items()):
            if not denial.reported:
                staged += self._report_denial(session, month, scope, denial)
            _upsert(
                session,
                SCOPES,
                {
                    "id": scope,
                    "denied": True,
                    "since_ms": denial.since_ms,
                    "retry_ms": denial.retry_ms,
                    "reported": denial.reported,
                },
            )
        return staged

    def _tell_level(self, session: Session, month: _Month, now_ms: int) -> int:
        """The office hears once a month that the budget is near, and once exhausted."""
        level = self.level()
        kind: NoticeKind
        if level == "exhausted" and "exhausted" not in month.told:
            kind, told = "quota_exhausted", {"exhausted", "near"}
        elif level == "near" and "near" not in month.told:
            kind, told = "quota_near", {"near"}
        else:
            return 0
        notice = self._notice(kind, month, since_ms=now_ms, refused=month.refused)
        log.warning("API budget %s: %d of %d calls this month", kind, month.calls, self._quota)
        staged = self._notify(session, notice)
        if not staged:
            log.error("the office could not be told about the API budget (%s)", kind)
        month.told |= told
        return staged

    def _report_denial(self, session: Session, month: _Month, scope: str, denial: _Denial) -> int:
        notice = self._notice("permission", month, scope=scope, since_ms=denial.since_ms)
        told = self._notify(session, notice)
        if not told and scope not in self._error_logged:
            self._error_logged.add(scope)
            log.error(
                "permission %s is missing and no channel is left to tell the office"
                " (robot messages and work notifications are denied too)",
                scope,
            )
        denial.reported = True
        return told

    def _notice(
        self,
        kind: NoticeKind,
        month: _Month,
        *,
        since_ms: int,
        scope: str = "",
        refused: bool = False,
    ) -> BudgetNotice:
        """A notice about ``month``, naming the scopes denied right now."""
        return BudgetNotice(
            kind,
            month.month,
            month.calls,
            self._quota,
            scope=scope,
            since_ms=since_ms,
            refused=refused,
            denied=self.denied_scopes(),
        )

    def _notify(self, session: Session, notice: BudgetNotice) -> int:
        if self._notifier is None:
            return 0
        return self._notifier(session, notice)

    # -- helpers ----------------------------------------------------------------------

    def _now_ms(self) -> int:
        return to_epoch_ms(self._clock.now())

    def _current(self) -> _Month:
        """This month's record; a new month starts from zero."""
        month = month_of(self._now_ms())
        if month != self._month.month:
            self._month = _Month(month)
            self._quota_retry_ms = 0
        return self._month


def _merge_stored(session: Session, month: _Month) -> None:
    """The stored month counts too: the count never goes back, a told notice stays told."""
    stored = session.collection(USAGE).get(month.month)
    if stored is not None:
        month.told |= set(stored.get("told") or [])
        month.calls = max(month.calls, int(stored.get("calls") or 0))


def _upsert(session: Session, name: str, doc: dict[str, Any]) -> None:
    collection = session.collection(name)
    if collection.get(doc["id"]) is None:
        collection.insert(doc)
    else:
        collection.update(doc["id"], doc)
