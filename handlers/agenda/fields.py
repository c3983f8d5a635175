"""Fields of the 议题 form and their checks (第十八、十九、五十一、五十四–五十七条)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.errors import RuleViolation, UserFacingError
from bot.router import CommandContext
from bot.workflow import END_APPROVED, FLOWS
from handlers.common.answers import material_answer, trimmed_text
from handlers.meetings.model import ACCEPTING, MEETINGS, UPCOMING, next_meeting
from handlers.requests.flow import SUBMITTING_KINDS, form_title
from messages.vocabulary import LIST_SEPARATORS, input_word, word_list

if TYPE_CHECKING:
    from storage.session import Session

TASK_COUNT = 14  # 第五十一条 lists fourteen tasks of the 常务会议
REVIEW_NUMBER = re.compile(r"HF\d{4}-\d{4}", re.IGNORECASE)
NEXT_MEETING_WORDS = word_list("answers.next_meeting")


# A material: typed text, or a Word/PDF/OFD file sent in chat.
text_or_file = material_answer(2, 4000, "agenda_material_empty")


async def meeting(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> dict[str, Any]:
    """Which meeting: a number (HY2026-0003), or the next 常务会议 that takes items."""
    wanted = str(answer).strip().upper()
    if wanted in NEXT_MEETING_WORDS:
        wanted = ""
    now_ms = int(ctx.services.clock.now().timestamp() * 1000)

    def find(session: Session) -> dict[str, Any] | None:
        meetings = session.collection(MEETINGS)
        if wanted:
            return meetings.get(wanted)
        upcoming = next_meeting(session, "executive", now_ms)
        if upcoming is not None:
            return upcoming
        later = meetings.find(
            lambda d: d["kind"] == "executive" and d["state"] in UPCOMING and d["start_ms"] > now_ms
        )
        return min(later, key=lambda d: d["start_ms"]) if later else None

    found = await ctx.services.db.run(find)
    if found is None:
        if wanted:
            raise UserFacingError("agenda_unknown_meeting", number=wanted[:20])
        raise UserFacingError("agenda_no_meeting")
    if found["state"] not in UPCOMING or found["start_ms"] <= now_ms:
        raise UserFacingError("agenda_meeting_over", number=found["id"])
    late = found["state"] not in ACCEPTING or found["deadline_ms"] <= now_ms
    offer = (
        await ctx.services.db.run(lambda s: next_meeting(s, found["kind"], found["start_ms"]))
        if late
        else None
    )
    return {
        "id": found["id"],
        "kind": found["kind"],
        "title": found["title"],
        "late": late,
        "deadline_ms": found["deadline_ms"],
        "start_ms": found["start_ms"],
        # Offered when the deadline has passed (第五十四条).
        "next": (
            {"id": offer["id"], "start_ms": offer["start_ms"], "deadline_ms": offer["deadline_ms"]}
            if offer
            else None
        ),
    }


title = form_title


def task(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> int:
    """One of the 常务会议's tasks (第五十一条), by its number 1–14."""
    text = str(answer).strip().strip(input_word("dates.task_brackets"))
    if text.isdigit() and 1 <= int(text) <= TASK_COUNT:
        return int(text)
    raise UserFacingError("agenda_bad_task")


summary = trimmed_text(10, 2000, "agenda_summary_short")


def minutes(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> int:
    text = str(answer).strip().removesuffix(input_word("dates.minutes_suffix")).strip()
    limit = ctx.services.config.rules.max_report_minutes
    if not text.isdigit() or int(text) < 1:
        raise UserFacingError("agenda_bad_minutes", limit=limit)
    if int(text) > limit:
        raise RuleViolation("agenda_minutes_too_long", minutes=int(text), limit=limit)
    return int(text)


async def legality(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> dict[str, Any]:
    """Legality-review material (第五十七条). A normative document or major decision needs
    a passed 司法局 review of this unit (第十八条): its number, HF…"""
    needs_review = bool(values.get("normative") or values.get("major"))
    number = REVIEW_NUMBER.search(str(answer)) if not isinstance(answer, dict) else None
    if number is None:
        if needs_review:
            raise RuleViolation("agenda_needs_legality_review")
        return text_or_file(answer, ctx, values)
    wanted = number.group(0).upper()
    review = await ctx.services.db.run(lambda s: s.collection(FLOWS).get(wanted))
    if review is None or review["kind"] != "legality":
        raise UserFacingError("agenda_unknown_review", number=wanted)
    if review["unit_id"] != ctx.sender.unit_id:
        raise RuleViolation("agenda_review_other_unit", number=wanted)
    if review["state"] != "closed" or review["outcome"] != END_APPROVED:
        raise RuleViolation("agenda_review_not_passed", number=wanted)
    return {
        "review": wanted,
        "text": ctx.services.messages.text("agenda_review_ref", number=wanted),
    }


def departments(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> list[str]:
    directory = ctx.services.directory
    found: list[str] = []
    unknown: list[str] = []
    for name in [n.strip() for n in LIST_SEPARATORS.split(str(answer)) if n.strip()]:
        unit = directory.unit_named(name, SUBMITTING_KINDS)
        if unit is None:
            unknown.append(name)
        elif unit.unit_id != ctx.sender.unit_id and unit.unit_id not in found:
            found.append(unit.unit_id)
    if unknown:
        raise UserFacingError("request_unknown_units", names="、".join(unknown))
    return found


urgent = trimmed_text(4, 300, "agenda_urgent_reason")


def is_major(values: Mapping[str, Any]) -> bool:
    return bool(values.get("major"))


def is_late(values: Mapping[str, Any]) -> bool:
    chosen = values.get("meeting")
    return isinstance(chosen, dict) and bool(chosen.get("late"))
