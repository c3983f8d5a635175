"""Who has read each distributed document (第七十八条: read and signed-for status is
tracked per recipient).

Every recipient of a (non-涉密) distribution gets a 1:1 notice (``notice_key``); its
processQueryKey, kept in the notice's outbox row, lets the robot readStatus API tell
whether the recipient has opened it. DingTalk answers only for 24 hours after the send,
so only young distributions are polled, only for recipients not yet known to have read
(a 签收 implies read), one call per notice, a bounded number per run, least recently
checked first. A recipient DingTalk refuses to answer for (window passed, unknown key)
is not polled again.

The network calls run between storage calls, never inside one: one storage call
collects what to check, then one per changed distribution stores ``read_ms`` in the
recipient's entry and stages the refreshed office progress card ("已读 n/N，已签收 m/N").
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.clock import to_epoch_ms
from bot.dingtalk import DingTalkError, DingTalkRejectedError, ReadInfo
from handlers.distribution import DISTRIBUTIONS, has_read, notice_key, office_card_update

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session

log = logging.getLogger(__name__)

OUTBOX = "outbox"
# DingTalk's readStatus answers only for messages sent within the last 24 hours.
READ_WINDOW_MS = 24 * 3600 * 1000
# Production period; with the sandbox's fast scans the period shrinks with them.
READ_CHECK_INTERVAL_S = 60.0
SCANS_PER_READ_CHECK = 4
MAX_CALLS_PER_RUN = 20


def read_check_interval(scan_interval_s: float) -> float:
    """The period of the read checks for a scheduler scanning every ``scan_interval_s``:
    60 s for the production 15 s scans, proportionally less in the sandbox."""
    return max(scan_interval_s, min(READ_CHECK_INTERVAL_S, SCANS_PER_READ_CHECK * scan_interval_s))


class ReadStatusSource(Protocol):
    """The one DingTalk call the tracker makes (``DingTalkClient`` provides it)."""

    async def read_status(self, process_query_key: str) -> list[ReadInfo]: ...


@dataclass(frozen=True)
class ReadCheck:
    number: str
    user_id: str
    pqk: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.number, self.user_id)


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


def notice_pqk(row: Mapping[str, Any] | None, now_ms: int) -> str | None:
    """The processQueryKey of a sent notice still inside DingTalk's read window."""
    if row is None or row.get("status") != "sent":
        return None
    if now_ms - int(row.get("sent_ms") or 0) >= READ_WINDOW_MS:
        return None
    keys = (row.get("result") or {}).get("pqk") or []
    return str(keys[0]) if keys and keys[0] else None


def pick(
    checks: Sequence[ReadCheck], last_checked: Mapping[tuple[str, str], int], limit: int
) -> list[ReadCheck]:
    """At most ``limit`` checks, never-checked and least recently checked first (ties in
    the given order), so a long list is worked through fairly run after run."""
    order = sorted(enumerate(checks), key=lambda ic: (last_checked.get(ic[1].key, -1), ic[0]))
    return [check for _, check in order[: max(limit, 0)]]


def read_moment(infos: Iterable[ReadInfo], user_id: str, now_ms: int) -> int | None:
    """When ``user_id`` read the message according to a readStatus answer (``None``:
    not yet); a read without a timestamp counts as read now."""
    for info in infos:
        if info.user_id == user_id and info.read:
            return info.read_at_ms if info.read_at_ms and info.read_at_ms > 0 else now_ms
    return None


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


class ReadTracker:
    """Polls the read status of distribution notices (started as a task by the app)."""

    def __init__(
        self,
        services: Services,
        client: ReadStatusSource,
        *,
        interval_s: float = READ_CHECK_INTERVAL_S,
        max_calls: int = MAX_CALLS_PER_RUN,
    ) -> None:
        self._services = services
        self._client = client
        self._interval_s = interval_s
        self._max_calls = max_calls
        self._runs = 0
        self._last_checked: dict[tuple[str, str], int] = {}  # (number, user) -> run

    async def run(self) -> None:
        while True:
            try:
                await self.check_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("read-status check failed")
            await asyncio.sleep(self._interval_s)

    async def check_once(self) -> int:
        """One round; returns how many recipients were newly found to have read."""
        self._runs += 1
        now_ms = to_epoch_ms(self._services.clock.now())
        candidates = await self._services.db.run(functools.partial(_collect, now_ms=now_ms))
        live = {c.key for c in candidates}
        self._last_checked = {k: v for k, v in self._last_checked.items() if k in live}
        reads: dict[str, dict[str, int]] = {}
        errors: dict[str, dict[str, str]] = {}
        for check in pick(candidates, self._last_checked, self._max_calls):
            self._last_checked[check.key] = self._runs
            try:
                infos = await self._client.read_status(check.pqk)
            except DingTalkRejectedError as error:
                log.warning(
                    "read status of %s for %s refused (%s); not polled again",
                    check.number,
                    check.user_id,
                    error.code,
                )
                errors.setdefault(check.number, {})[check.user_id] = error.code or "rejected"
                continue
            except DingTalkError as error:  # busy, rate limited, down: try again next run
                log.warning("read status unavailable (%s); next round", error.code)
                break
            moment = read_moment(infos, check.user_id, now_ms)
            if moment is not None:
                reads.setdefault(check.number, {})[check.user_id] = moment
        newly = 0
        for number in sorted(set(reads) | set(errors)):
            try:
                newly += await self._services.db.run(
                    functools.partial(
                        self._record,
                        number=number,
                        reads=reads.get(number, {}),
                        errors=errors.get(number, {}),
                    )
                )
            except Exception:
                log.exception("recording read status of %s failed", number)
        if newly:
            self._services.outbox.wake()
        return newly

    def _record(
        self, session: Session, number: str, reads: Mapping[str, int], errors: Mapping[str, str]
    ) -> int:
        distributions = session.collection(DISTRIBUTIONS)
        record = distributions.get(number)
        if record is None:
            return 0
        newly, changed = apply_reads(record, reads, errors)
        if not changed:
            return 0
        distributions.update(number, {"recipients": record["recipients"]})
        if newly and not record.get("secret"):
            card = office_card_update(self._services, session, record, f"read:{newly[0]}")
            self._services.outbox.stage(session, [card])
        return len(newly)


def _collect(session: Session, now_ms: int) -> list[ReadCheck]:
    outbox = session.collection(OUTBOX)
    checks: list[ReadCheck] = []
    young = session.collection(DISTRIBUTIONS).find(lambda d: bool(awaiting_read(d, now_ms)))
    for record in sorted(young, key=lambda d: int(d.get("created_ms") or 0)):
        for user in awaiting_read(record, now_ms):
            pqk = notice_pqk(outbox.get(notice_key(record["id"], user)), now_ms)
            if pqk is not None:
                checks.append(ReadCheck(str(record["id"]), user, pqk))
    return checks
