"""群众来信, 县长信箱 and 12345 (第四十四、八十八条) as stored records: one ledger
("letters") with one declared lifecycle, the routing of 第八十八条, and the calendar-day
limits of the 信访工作条例 counted from receipt (受理告知 15 days, 办结 60, one extension
of 30; all three in [rules])."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import from_epoch_ms, to_epoch_ms
from bot.lifecycle import Lifecycle
from handlers.common.checks import one_of

if TYPE_CHECKING:
    from bot.config_schema import RuleParams
    from storage.session import Session

LETTERS = "letters"
# Where an item came in: a letter (来信), the 12345 hotline, the 县长信箱.
LETTER, HOTLINE, MAILBOX = "letter", "hotline", "mailbox"
CHANNELS = (LETTER, HOTLINE, MAILBOX)
# The four kinds of 第八十八条 that the 县政府办公室 handles, and every other letter.
OFFICE_ROUTES = ("leader", "notable", "unit_head", "overall")  # (一)–(四)
GENERAL = "general"
ROUTES = (*OFFICE_ROUTES, GENERAL)
REPLY_WAYS = ("phone", "written")  # how the writer (no DingTalk user) was answered

REGISTERED = "registered"  # a letter with the office that handles it (第八十八条)
INSTRUCTING = "instructing"  # sent to a county leader for his 批示 (第四十四条)
ORGANISING = "organising"  # 批示 given: the 信访局 names the unit (第八十八条)
HANDLING = "handling"  # with a unit, which answers or forwards (首问负责, 第四十四条)
ANSWERED = "answered"  # the result is in and the writer answered
LETTER_LIFECYCLE = Lifecycle.of(
    "letter",
    (REGISTERED, HANDLING),  # letters are registered; 12345 and 信箱 go to a unit at once
    {
        REGISTERED: (INSTRUCTING, HANDLING, ANSWERED),
        INSTRUCTING: (ORGANISING,),
        ORGANISING: (HANDLING,),
        HANDLING: (ANSWERED,),  # a forward keeps it in HANDLING with another unit
    },
    final=(ANSWERED,),
)
RUNNING = (REGISTERED, INSTRUCTING, ORGANISING, HANDLING)

NOTICE, FINISH = "notice", "finish"  # the two limits


def handling_role(route: str) -> str:
    """The unit role that handles a letter of ``route`` (第八十八条)."""
    return "gov_office" if route in OFFICE_ROUTES else "petition_bureau"


@dataclass(frozen=True)
class Limits:
    notice: date  # 受理告知
    finish: date  # 办结 (extended when an extension was granted)


def limits(received: date, rules: RuleParams, *, extended: bool) -> Limits:
    """Calendar days from the day of receipt (the day itself not counted)."""
    finish = rules.letter_finish_days + (rules.letter_extension_days if extended else 0)
    return Limits(
        received + timedelta(days=rules.letter_notice_days),
        received + timedelta(days=finish),
    )


def received_day(item: Mapping[str, Any]) -> date:
    return from_epoch_ms(int(item["received_ms"])).date()


def limits_of(item: Mapping[str, Any], rules: RuleParams) -> Limits:
    return limits(received_day(item), rules, extended=bool(item.get("extended_ms")))


def next_number(session: Session, channel: str, year: int) -> str:
    """LX2026-0001 for letters, XX2026-0001 for 县长信箱 and 12345 items."""
    counter, prefix = ("letters", "LX") if channel == LETTER else ("mailbox", "XX")
    return f"{prefix}{year}-{session.counter_next(f'{counter}:{year}'):04d}"


def new_record(
    *,
    number: str,
    channel: str,
    route: str,
    writer: str,
    contact: str,
    content: Mapping[str, Any],
    received: datetime,
    registered_by: str,
    office_unit: str,
    unit: str,
    now: datetime,
) -> dict[str, Any]:
    """A new item: a letter starts with ``office_unit`` (REGISTERED); a 12345 or 信箱 item
    with ``unit``, the first unit it is sent to (HANDLING)."""
    state = REGISTERED if channel == LETTER else HANDLING
    return {
        "id": number,
        **LETTER_LIFECYCLE.begin(state),
        "channel": one_of(channel, CHANNELS, "channel"),
        "route": one_of(route, ROUTES, "route"),
        "writer": writer,
        "contact": contact,
        "text": str(content.get("text", "")),
        "file": content.get("file"),
        "received_ms": to_epoch_ms(received),
        "registered_ms": to_epoch_ms(now),
        "registered_by": registered_by,
        "office_unit": office_unit,  # the office that handles a letter (第八十八条)
        "unit": unit if state == HANDLING else "",  # the unit responsible now
        "units": [unit] if state == HANDLING else [],  # every unit it was with
        "leader": "",  # the county leader asked for his 批示
        "instruction": "",
        "noticed_ms": None,
        "extended_ms": None,
        "answer": "",
        "reply_way": "",
        "answered_ms": None,
        "log": [],
    }


def log_entry(item: dict[str, Any], kind: str, by: str, now: datetime, text: str = "") -> None:
    item.setdefault("log", []).append(
        {"kind": kind, "by": by, "at_ms": to_epoch_ms(now), "text": text}
    )


def responsible_unit(item: Mapping[str, Any], petition_unit: str) -> str:
    """The unit that owes the next step: the unit handling it, the 信访局 once a leader
    has given his 批示, else the office that handles the letter."""
    if item["state"] == HANDLING:
        return str(item["unit"])
    if item["state"] == ORGANISING:
        return petition_unit
    return str(item["office_unit"])


def find_items(session: Session, states: tuple[str, ...]) -> list[dict[str, Any]]:
    return list(session.collection(LETTERS).find(lambda d: d["state"] in states))
