"""What an answer on the letter card does. The office that handles a letter sends it to a
county leader for his 批示 (第四十四条), hands it to a unit or answers it itself; after
the 批示 the 信访局 names the unit (第八十八条); the unit responsible (首问负责, 第四十四条)
answers the writer or forwards it with a reason; whoever owes the next step marks the
受理告知 and may extend the limit once with a reason. The result goes straight back to
the leader who gave the 批示 (第八十八条)."""

from __future__ import annotations

import re
from typing import Any

from bot.clock import to_epoch_ms
from bot.errors import RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from handlers.common.item_answers import Answer, Apply, ItemAnswers, Refusals
from handlers.common.notify import event_notices
from handlers.common.units import unit_name
from handlers.letters.card import choices_for, holders, refresh_card
from handlers.letters.model import (
    ANSWERED,
    HANDLING,
    INSTRUCTING,
    LETTER_LIFECYCLE,
    LETTERS,
    ORGANISING,
    limits_of,
    log_entry,
)
from handlers.letters.people import petition_head, unit_head
from handlers.supervision.people import is_county_leader, name_of
from handlers.supervision.units import unit_of_name

# Answers that must say something, and the template of the refusal (each cites its rule).
NEEDS_TEXT = {
    "instruct": "lx_leader_required",
    "instructed": "lx_instruction_required",
    "assign": "lx_unit_required",
    "forward": "lx_forward_reason_required",
    "extend": "lx_extend_reason_required",
    "answer_phone": "lx_answer_required",
    "answer_written": "lx_answer_required",
}
REFUSALS = Refusals("lx_unknown", "lx_not_yours", "lx_not_now", "letter_states")
_UNIT_AND_REASON = re.compile(r"^\s*([^\s:：,，;；]+)\s*[:：,，;；\s]\s*(.*)$", re.S)


def _check_text(a: Answer, decision: str) -> None:
    if decision in NEEDS_TEXT and not a.text:
        raise RuleViolation(NEEDS_TEXT[decision])


def _notice(a: Answer, event: str, users: list[str | None], **extra: Any) -> list[Outgoing]:
    """A chat notice of ``event`` about the letter to ``users`` (besides the card update)."""
    channel = a.services.messages.label("letter_channels", a.item["channel"])
    fields = {"channel": channel, "writer": a.item["writer"], "who": name_of(a.services, a.user)}
    return event_notices(a, "lx_event", LETTERS, event, users, **fields, **extra)


def _unit_with_head(a: Answer, name: str) -> str:
    unit = unit_of_name(a.services.directory, name)
    if unit_head(a.services, unit) is None:
        raise UserFacingError("lx_unit_without_head", unit=name[:30])
    return unit


def _to_unit(a: Answer, unit: str) -> None:
    a.item["unit"] = unit
    a.item["units"] = list(dict.fromkeys([*a.item.get("units", []), unit]))


def _instruct(a: Answer) -> list[Outgoing]:
    person = a.services.directory.person_named(a.text)
    if person is None or not is_county_leader(person):
        raise UserFacingError("sv_not_a_leader", name=a.text[:20])
    if petition_head(a.services) is None:  # nobody could organise what he instructs
        raise UserFacingError("lx_no_petition_bureau")
    LETTER_LIFECYCLE.move(a.item, INSTRUCTING)
    a.item["leader"] = person.user_id
    log_entry(a.item, "sent_to_leader", a.user, a.now, person.name)
    return []  # the leader receives the card itself, with 批示 on it


def _instructed(a: Answer) -> list[Outgoing]:
    LETTER_LIFECYCLE.move(a.item, ORGANISING)
    a.item["instruction"] = a.text
    log_entry(a.item, "instructed", a.user, a.now, a.text)
    return _notice(a, "instructed", [petition_head(a.services)])


def _assign(a: Answer) -> list[Outgoing]:
    unit = _unit_with_head(a, a.text)
    LETTER_LIFECYCLE.move(a.item, HANDLING)
    _to_unit(a, unit)
    log_entry(a.item, "assigned", a.user, a.now, unit_name(a.services, unit))
    return []  # the unit's head receives the card


def _forward(a: Answer) -> list[Outgoing]:
    found = _UNIT_AND_REASON.match(a.text)
    if found is None or not found.group(2).strip():
        raise RuleViolation("lx_forward_reason_required")
    unit = _unit_with_head(a, found.group(1))
    if unit == a.item["unit"]:
        raise UserFacingError("lx_forward_same_unit")
    reason = found.group(2).strip()
    before = unit_name(a.services, a.item["unit"])
    _to_unit(a, unit)
    after = unit_name(a.services, unit)
    log_entry(a.item, "forwarded", a.user, a.now, f"{before} → {after}：{reason}")
    limit = limits_of(a.item, a.services.config.rules)
    return _notice(
        a,
        "forwarded",
        [unit_head(a.services, unit), a.item.get("registered_by")],
        unit=after,
        reason=reason,
        finish=limit.finish.isoformat(),
    )


def _notice_given(a: Answer) -> list[Outgoing]:
    a.item["noticed_ms"] = to_epoch_ms(a.now)
    log_entry(a.item, "noticed", a.user, a.now, a.text)
    return []


def _extend(a: Answer) -> list[Outgoing]:
    a.item["extended_ms"] = to_epoch_ms(a.now)
    a.item["extension_reason"] = a.text
    log_entry(a.item, "extended", a.user, a.now, a.text)
    return []


def _answered(way: str) -> Apply:
    def close(a: Answer) -> list[Outgoing]:
        LETTER_LIFECYCLE.move(a.item, ANSWERED)
        a.item.update(
            answer=a.text, reply_way=way, answered_ms=to_epoch_ms(a.now), answered_by=a.user
        )
        log_entry(a.item, f"answered_{way}", a.user, a.now, a.text)
        way_label = a.services.messages.label("letter_reply_ways", way)
        people = [a.item.get("registered_by"), unit_head(a.services, a.item["office_unit"])]
        sent = _notice(a, "answered", people, way=way_label)
        if a.item.get("leader"):  # straight back to the leader who gave the 批示 (第八十八条)
            leader = [a.item["leader"]]
            sent += _notice(a, "reported", leader, way=way_label, instruction=a.item["instruction"])
        return sent

    return close


LETTER_ANSWERS = ItemAnswers(
    REFUSALS,
    find=lambda session, number: session.collection(LETTERS).get(number),
    holds=lambda services, item, user: user in holders(services, item),
    choices=choices_for,
    check_text=_check_text,
    apply={
        "instruct": _instruct,
        "instructed": _instructed,
        "assign": _assign,
        "forward": _forward,
        "notice": _notice_given,
        "extend": _extend,
        "answer_phone": _answered("phone"),
        "answer_written": _answered("written"),
    },
    refresh_card=refresh_card,
)
answer = LETTER_ANSWERS.answer
