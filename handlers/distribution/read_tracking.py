"""Who has read each distributed document (第七十八条: read and signed-for status is
tracked per recipient).

签收 is the main signal: a recipient who signed has read it and is never asked about.
Besides, every (non-涉密) distribution sends all its recipients one work notification
(工作通知, ``record["work_notice"]``: its outbox key); the task_id in that outbox row lets
one getsendresult call tell which of them have opened it, however many they are.
Distributions stored earlier sent robot 1:1 notices in batches of 20
(``record["notices"]``: outbox key → recipients), one readStatus call per batch; they are
still tracked that way.

DingTalk answers only for 24 hours after the send, and every call counts against the
organisation's monthly API quota, so a distribution is checked on a bounded schedule:
at +1 h, +5 h and +23 h after it was sent (:data:`READ_CHECK_OFFSETS_MS`;
``record["read_checks"]`` counts the checkpoints done; missed ones are caught up by one
check, not several), one call per notice that still has a recipient who neither read
nor signed. It stops early when everybody has read or signed, and stops altogether while
the API budget is near or exhausted (bot/api_budget.py) or the sending permission is
denied. A notice DingTalk refuses to answer for (window passed, unknown key) is not
asked about again, nor are recipients it could not reach. At most 3 calls per
distribution (3 × ⌈N/20⌉ for the older robot notices).

The network calls run between storage calls, never inside one: one storage call
collects what to check, then one per distribution stores ``read_ms`` in the recipients'
entries and ``read_checks``, and stages the refreshed office progress card
("已读 n/N，已签收 m/N").
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.api_scopes import ROBOT_SEND, WORK_NOTICE
from bot.clock import to_epoch_ms
from bot.dingtalk import DingTalkError, DingTalkRejectedError, ReadInfo, WorkNoticeResult
from bot.outbox_names import MERGED, OUTBOX
from handlers.distribution.distribute import DISTRIBUTIONS, has_read, notice_key, office_card_update

if TYPE_CHECKING:
    from bot.api_budget import ApiBudget
    from bot.services import Services
    from storage.session import Session

log = logging.getLogger(__name__)


# DingTalk's readStatus answers only for messages sent within the last 24 hours.
READ_WINDOW_MS = 24 * 3600 * 1000
_MIN = 60 * 1000
# When a distribution's notices are checked, counted from the distribution.
READ_CHECK_OFFSETS_MS: tuple[int, ...] = (60 * _MIN, 300 * _MIN, 1380 * _MIN)
# Production period of the loop (it makes no call unless a checkpoint is due); with the
# sandbox's fast scans the period shrinks with them.
READ_CHECK_INTERVAL_S = 60.0
SCANS_PER_READ_CHECK = 4
MAX_CALLS_PER_RUN = 20


def read_check_interval(scan_interval_s: float) -> float:
    """The period of the read-check loop for a scheduler scanning every
    ``scan_interval_s``: 60 s for the production 15 s scans, less in the sandbox."""
    return max(scan_interval_s, min(READ_CHECK_INTERVAL_S, SCANS_PER_READ_CHECK * scan_interval_s))


class ReadStatusSource(Protocol):
    """The DingTalk calls the tracker makes (``DingTalkClient`` provides them)."""

    async def read_status(self, process_query_key: str) -> list[ReadInfo]: ...

    async def work_notification_result(self, task_id: int) -> WorkNoticeResult: ...


@dataclass(frozen=True)
class ReadCheck:
    """One call about a notice of distribution ``number``, for its recipients ``users``
    who have neither read nor signed yet: getsendresult of the work notification
    ``task_id``, or readStatus of the robot batch notice ``pqk``."""

    number: str
    users: tuple[str, ...]
    pqk: str
    checkpoint: int  # checkpoints passed once this round is done
    task_id: int | None = None


def awaiting_read(record: Mapping[str, Any], now_ms: int) -> list[str]:
    """Recipients of ``record`` still worth polling: the distribution is younger than
    the read window and they are neither known to have read it nor given up on."""
    if record.get("secret") or now_ms - int(record.get("created_ms") or 0) >= READ_WINDOW_MS:
        return []
    return [
        user
        for user, entry in record["recipients"].items()
        if not has_read(entry) and not entry.get("read_error")
    ]


def checkpoints_passed(record: Mapping[str, Any], now_ms: int) -> int:
    """How many of the scheduled checks are due by ``now_ms``."""
    age = now_ms - int(record.get("created_ms") or 0)
    return sum(1 for offset in READ_CHECK_OFFSETS_MS if age >= offset)


def check_due(record: Mapping[str, Any], now_ms: int) -> bool:
    """A scheduled check of ``record`` is due and somebody is still awaited."""
    done = int(record.get("read_checks") or 0)
    return checkpoints_passed(record, now_ms) > done and bool(awaiting_read(record, now_ms))


def notice_groups(record: Mapping[str, Any]) -> dict[str, list[str]]:
    """Outbox key → recipients of each robot notice (one per recipient for
    distributions stored before notices were batched; none since the work
    notification)."""
    notices = record.get("notices")
    if isinstance(notices, dict):
        return {str(k): list(v) for k, v in notices.items()}
    return {notice_key(record["id"], user): [user] for user in record["recipients"]}


def notice_pqk(row: Mapping[str, Any] | None, now_ms: int) -> str | None:
    """The processQueryKey of a sent notice still inside DingTalk's read window."""
    if row is None or row.get("status") != "sent":
        return None
    if now_ms - int(row.get("sent_ms") or 0) >= READ_WINDOW_MS:
        return None
    keys = (row.get("result") or {}).get("pqk") or []
    return str(keys[0]) if keys and keys[0] else None


def work_notice_task(row: Mapping[str, Any] | None, now_ms: int) -> int | None:
    """The task_id of a sent work notification still inside DingTalk's read window."""
    if row is None or row.get("status") != "sent":
        return None
    if now_ms - int(row.get("sent_ms") or 0) >= READ_WINDOW_MS:
        return None
    task_id = (row.get("result") or {}).get("task_id")
    return int(task_id) if isinstance(task_id, int) and not isinstance(task_id, bool) else None


def work_notice_reads(
    result: WorkNoticeResult, users: Iterable[str], now_ms: int
) -> tuple[dict[str, int], dict[str, str]]:
    """Who of ``users`` has read a work notification (DingTalk gives no time: now), and
    who it never reached (invalid, forbidden by DingTalk's flow control, failed)."""
    wanted = set(users)
    reads = dict.fromkeys((u for u in result.read if u in wanted), now_ms)
    errors: dict[str, str] = {}
    for code, listed in (
        ("invalid", result.invalid),
        ("forbidden", result.forbidden),
        ("failed", result.failed),
    ):
        errors.update(dict.fromkeys((u for u in listed if u in wanted and u not in reads), code))
    return reads, errors


def pick(checks: Sequence[ReadCheck], limit: int) -> list[ReadCheck]:
    """Whole distributions (oldest first, as collected) while fewer than ``limit`` calls
    are taken; the first one always, so a large one is never starved."""
    chosen: list[ReadCheck] = []
    numbers: list[str] = []
    for check in checks:
        if check.number not in numbers:
            if chosen and len(chosen) >= limit:
                break
            numbers.append(check.number)
        chosen.append(check)
    return chosen


def read_moments(infos: Iterable[ReadInfo], users: Iterable[str], now_ms: int) -> dict[str, int]:
    """When each of ``users`` read the message according to a readStatus answer (absent:
    not yet); a read without a timestamp counts as read now."""
    wanted = set(users)
    moments: dict[str, int] = {}
    for info in infos:
        if info.user_id in wanted and info.read:
            moments[info.user_id] = (
                info.read_at_ms if info.read_at_ms and info.read_at_ms > 0 else now_ms
            )
    return moments


def apply_reads(
    record: dict[str, Any], reads: Mapping[str, int], errors: Mapping[str, str]
) -> tuple[list[str], bool]:
    """Record read moments and given-up polls in ``record`` (in place). Returns the
    recipients newly known to have read it, and whether anything changed."""
    newly: list[str] = []
    changed = False
    for user, entry in record["recipients"].items():
        if user in reads and not has_read(entry):
            entry["read_ms"] = reads[user]
            newly.append(user)
            changed = True
        elif user in errors and not has_read(entry) and not entry.get("read_error"):
            entry["read_error"] = errors[user]
            changed = True
    return newly, changed


@dataclass
class _Outcome:
    checkpoint: int
    reads: dict[str, int]
    errors: dict[str, str]
    complete: bool = True  # every batch of the distribution was answered this round


class ReadTracker:
    """Checks the read status of distribution notices on their schedule (started as a
    task by the app)."""

    def __init__(
        self,
        services: Services,
        client: ReadStatusSource,
        *,
        interval_s: float = READ_CHECK_INTERVAL_S,
        max_calls: int = MAX_CALLS_PER_RUN,
        budget: ApiBudget | None = None,
    ) -> None:
        self._services = services
        self._client = client
        self._interval_s = interval_s
        self._max_calls = max_calls
        self._budget = budget
        self._paused_logged = False

    async def run(self) -> None:
        while True:
            try:
                await self.check_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("read-status check failed")
            await asyncio.sleep(self._interval_s)

    def _paused(self) -> bool:
        budget = self._budget
        paused = budget is not None and not budget.allows_nonessential()
        if paused and not self._paused_logged:
            log.warning("read-status checks paused (API budget)")
        self._paused_logged = paused
        return paused

    async def check_once(self) -> int:
        """One round; returns how many recipients were newly found to have read."""
        if self._paused():
            return 0
        now_ms = to_epoch_ms(self._services.clock.now())
        candidates = await self._services.db.run(functools.partial(_collect, now_ms=now_ms))
        outcomes: dict[str, _Outcome] = {
            c.number: _Outcome(c.checkpoint, {}, {}) for c in candidates if not c.users
        }
        stopped = False
        for check in pick([c for c in candidates if c.users], self._max_calls):
            outcome = outcomes.setdefault(check.number, _Outcome(check.checkpoint, {}, {}))
            scope = ROBOT_SEND if check.task_id is None else WORK_NOTICE
            if stopped or (self._budget is not None and self._budget.blocked(scope)):
                outcome.complete = False  # permission denied: asked again once granted
                continue
            try:
                if check.task_id is not None:
                    result = await self._client.work_notification_result(check.task_id)
                    reads, errors = work_notice_reads(result, check.users, now_ms)
                else:
                    infos = await self._client.read_status(check.pqk)
                    reads, errors = read_moments(infos, check.users, now_ms), {}
            except DingTalkRejectedError as error:
                log.warning(
                    "read status of %s (%d recipients) refused (%s); not polled again",
                    check.number,
                    len(check.users),
                    error.code,
                )
                outcome.errors.update(dict.fromkeys(check.users, error.code or "rejected"))
                continue
            except DingTalkError as error:  # busy, throttled, quota, permission: next run
                log.warning("read status unavailable (%s); next round", error.code)
                outcome.complete = False
                stopped = True
                continue
            outcome.reads.update(reads)
            outcome.errors.update(errors)
        newly = 0
        for number, outcome in sorted(outcomes.items()):
            try:
                newly += await self._services.db.run(
                    functools.partial(self._record, number=number, outcome=outcome)
                )
            except Exception:
                log.exception("recording read status of %s failed", number)
        if newly:
            self._services.outbox.wake()
        return newly

    def _record(self, session: Session, number: str, outcome: _Outcome) -> int:
        distributions = session.collection(DISTRIBUTIONS)
        record = distributions.get(number)
        if record is None:
            return 0
        newly, changed = apply_reads(record, outcome.reads, outcome.errors)
        changes: dict[str, Any] = {}
        if changed:
            changes["recipients"] = record["recipients"]
        if outcome.complete and outcome.checkpoint > int(record.get("read_checks") or 0):
            changes["read_checks"] = outcome.checkpoint
        if changes:
            distributions.update(number, changes)
        if newly and not record.get("secret"):
            card = office_card_update(self._services, session, record, f"read:{newly[0]}")
            self._services.outbox.stage(session, [card])
        return len(newly)


def _collect(session: Session, now_ms: int) -> list[ReadCheck]:
    """The calls of every distribution with a check due, oldest distribution first. A
    distribution with a check due but no sent notice to ask about gets one entry without
    users, so its checkpoint still advances."""
    outbox = session.collection(OUTBOX)
    checks: list[ReadCheck] = []
    due = session.collection(DISTRIBUTIONS).find(lambda d: check_due(d, now_ms))
    for record in sorted(due, key=lambda d: int(d.get("created_ms") or 0)):
        number = str(record["id"])
        checkpoint = checkpoints_passed(record, now_ms)
        awaited = set(awaiting_read(record, now_ms))
        found = False
        for key, users in notice_groups(record).items():
            waiting = tuple(u for u in users if u in awaited)
            if not waiting:
                continue
            row = outbox.get(key)
            if row is not None and row.get("status") == MERGED:  # sent within a batch
                row = outbox.get(str(row["into"]))
            pqk = notice_pqk(row, now_ms)
            if pqk is not None:
                checks.append(ReadCheck(number, waiting, pqk, checkpoint))
                found = True
        if record.get("work_notice"):
            waiting = tuple(u for u in record["recipients"] if u in awaited)
            task_id = work_notice_task(outbox.get(str(record["work_notice"])), now_ms)
            if waiting and task_id is not None:
                checks.append(ReadCheck(number, waiting, "", checkpoint, task_id=task_id))
                found = True
        if not found:
            checks.append(ReadCheck(number, (), "", checkpoint))
    return checks
