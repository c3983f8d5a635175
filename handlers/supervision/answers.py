"""What a holder's answer does to a supervision item: the office director opens or
refuses it and grades or returns the unit's result; the lead unit signs, reports
progress and asks to close; co-units give their part to the lead unit (第八十五条).
One function serves the card buttons and the chat command that carries files."""

from __future__ import annotations

from typing import Any

from bot.clock import to_epoch_ms
from bot.errors import RuleViolation
from bot.outgoing import Outgoing
from handlers.common.item_answers import Answer, Apply, ItemAnswers, Refusals
from handlers.common.notify import event_notices
from handlers.supervision.card import choices_for, part_of, refresh_card
from handlers.supervision.instructions import on_item_closed
from handlers.supervision.model import (
    CLOSED,
    CLOSING,
    GRADES,
    OPEN,
    REFUSED,
    SIGNED,
    SUPERVISION,
    SUPERVISION_LIFECYCLE,
    get_item,
    lead_unit,
    log_entry,
)
from handlers.supervision.people import director, heads, name_of

# Answers that must say something: the unit's report, the reason of a refusal or 退回.
NEEDS_TEXT = {"refuse", "progress", "apply_close", "co_report", "return"}
REFUSALS = Refusals("sv_unknown", "sv_not_yours", "sv_not_now", "supervision_states")


def _check_text(a: Answer, decision: str) -> None:
    if decision in NEEDS_TEXT and not a.text and not a.file:
        what = a.services.messages.label("supervision_buttons", decision)
        raise RuleViolation("sv_text_required", what=what)


def _notice(a: Answer, event: str, users: list[str | None], **extra: Any) -> list[Outgoing]:
    """A chat notice of ``event`` about the item to ``users`` (besides the card update)."""
    fields = {"title": a.item["title"], "due": a.item["due"], "who": name_of(a.services, a.user)}
    return event_notices(a, "sv_event", SUPERVISION, event, users, **fields, **extra)


def _lead_head(a: Answer) -> list[str | None]:
    return list(heads(a.services, [lead_unit(a.item)]))


def _approve(a: Answer) -> list[Outgoing]:
    SUPERVISION_LIFECYCLE.move(a.item, OPEN)
    a.item["approved_by"] = a.user
    log_entry(a.item, "approved", a.user, a.now, a.text)
    return []  # the units receive the card itself


def _refuse(a: Answer) -> list[Outgoing]:
    SUPERVISION_LIFECYCLE.move(a.item, REFUSED)
    log_entry(a.item, "refused", a.user, a.now, a.text)
    return _notice(a, "refused", [a.item.get("opened_by")])


def _sign(a: Answer) -> list[Outgoing]:
    SUPERVISION_LIFECYCLE.move(a.item, SIGNED)
    log_entry(a.item, "signed", a.user, a.now, a.text)
    return []


def _progress(a: Answer) -> list[Outgoing]:
    if a.item["state"] == OPEN:  # reporting is signing for it
        SUPERVISION_LIFECYCLE.move(a.item, SIGNED)
    log_entry(a.item, "progress", a.user, a.now, a.text, a.file)
    a.item.setdefault("first_feedback_ms", to_epoch_ms(a.now))
    return []


def _apply_close(a: Answer) -> list[Outgoing]:
    SUPERVISION_LIFECYCLE.move(a.item, CLOSING)
    log_entry(a.item, "apply_close", a.user, a.now, a.text, a.file)
    a.item.setdefault("first_feedback_ms", to_epoch_ms(a.now))
    a.item["requested_ms"] = to_epoch_ms(a.now)
    return _notice(a, "apply_close", [director(a.services)])


def _co_report(a: Answer) -> list[Outgoing]:
    log_entry(a.item, "co_report", a.user, a.now, a.text, a.file)
    return _notice(a, "co_report", _lead_head(a))


def _return(a: Answer) -> list[Outgoing]:
    SUPERVISION_LIFECYCLE.move(a.item, SIGNED)
    log_entry(a.item, "returned", a.user, a.now, a.text)
    return _notice(a, "returned", _lead_head(a))


def _grade(grade: str) -> Apply:
    def close(a: Answer) -> list[Outgoing]:
        SUPERVISION_LIFECYCLE.move(a.item, CLOSED)
        a.item["grade"] = grade
        a.item["closed_ms"] = to_epoch_ms(a.now)
        log_entry(a.item, f"graded_{grade}", a.user, a.now, a.text)
        grade_label = a.services.messages.label("supervision_grades", grade)
        users = [*_lead_head(a), a.item.get("leader")]
        closed = _notice(a, "closed", users, grade=grade_label)
        return closed + on_item_closed(a.services, a.session, a.item, a.now)

    return close


SUPERVISION_ANSWERS = ItemAnswers(
    REFUSALS,
    find=get_item,
    holds=lambda services, item, user: part_of(services, item, user) is not None,
    choices=choices_for,
    check_text=_check_text,
    apply={
        "approve": _approve,
        "refuse": _refuse,
        "sign": _sign,
        "progress": _progress,
        "apply_close": _apply_close,
        "co_report": _co_report,
        "return": _return,
        **{grade: _grade(grade) for grade in GRADES},
    },
    refresh_card=refresh_card,
)
answer = SUPERVISION_ANSWERS.answer
