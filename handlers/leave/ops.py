"""Leave after approval: 销假, the 外出 list (on request and every working morning to
the government office group), and the stored reminders (absence start, return date
passed without 销假, urgent departure not regularised)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.clock import TZ, to_epoch_ms
from bot.config_schema import LEADER_ROLES
from bot.errors import UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.scheduler import cancel_reminders
from handlers.common.notify import markdown_message
from handlers.common.staging import stage_and_send
from handlers.leave.flow import absence_context, begin_absence
from handlers.leave.model import (
    ABSENCES,
    AWAY,
    PLANNED,
    URGENT,
    default_stand_in,
    office_message,
    slot_at,
)
from handlers.leave.texts import kind_text, name_of, period_text

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person
    from bot.scheduler import DeadlineAction
    from bot.services import Services
    from storage.session import Session


# -- 销假 --------------------------------------------------------------------------------


async def end_leave(ctx: CommandContext) -> list[Outgoing]:
    """销假: ends every absence of the sender that has begun; new steps come to him again."""
    services = ctx.services
    user = ctx.sender.user_id
    now = services.clock.now()
    now_slot = slot_at(now)
    key = f"reply:{ctx.message.msg_id}:returned"

    def back(session: Session) -> None:
        absences = session.collection(ABSENCES)
        running = absences.find(
            lambda d: (
                d["user"] == user
                and d["status"] in AWAY
                and d.get("returned_ms") is None
                and d["start_slot"] <= now_slot
            )
        )
        if not running:
            raise UserFacingError("leave_nothing_running")
        items: list[Outgoing] = []
        for absence in running:
            absences.update(
                absence["id"],
                {
                    "returned_ms": to_epoch_ms(now),
                    "returned_slot": min(now_slot, absence["end_slot"]),
                },
            )
            cancel_reminders(session, f"leave:{absence['id']}:overdue")
            cancel_reminders(session, f"leave:{absence['id']}:start")
            stand_in = absence.get("stand_in")
            if stand_in:
                told = services.messages.markdown(
                    "leave_returned_stand_in", **absence_context(services, absence)
                )
                items.append(
                    markdown_message(f"leave:{absence['id']}:returned:stand-in", stand_in, told)
                )
        pending_regularise = [a["id"] for a in running if a["status"] == URGENT]
        reply = ctx.text(
            "leave_returned",
            numbers="、".join(a["id"] for a in running),
            regularise=pending_regularise
            and not any(a.get("regularised") for a in running if a["status"] == URGENT),
        )
        services.outbox.stage(session, [*items, Outgoing(key, reply.kind, reply.payload)])

    return await stage_and_send(services, back)


# -- who is away --------------------------------------------------------------------------


def may_see_absences(person: Person, directory: OrgDirectory) -> bool:
    """Leaders and the government office (its internal units included)."""
    if person.roles & LEADER_ROLES:
        return True
    unit = directory.unit(person.unit_id)
    if unit is None:
        return False
    if unit.kind == "office":
        return True
    parent = directory.unit(unit.parent_id) if unit.parent_id else None
    return parent is not None and parent.kind == "office"


def _away_rows(services: Services, session: Session, now_slot: int) -> list[dict[str, Any]]:
    rows = session.collection(ABSENCES).find(
        lambda d: (
            d["status"] in PLANNED
            and d.get("returned_ms") is None
            and d["end_slot"] >= now_slot
            and not (d["status"] == URGENT and d.get("regularised"))
        )
    )
    rows.sort(key=lambda d: (d["start_slot"], d["created_ms"]))
    directory = services.directory
    result = []
    for absence in rows:
        stand_in = absence.get("stand_in") or default_stand_in(directory, absence["user"])
        result.append(
            {
                "today": absence["start_slot"] <= now_slot,
                "name": name_of(services, absence["user"]),
                "kind": kind_text(services, absence["kind"]),
                "period": period_text(services, absence["start_slot"], absence["end_slot"]),
                "destination": absence["destination"],
                "stand_in": name_of(services, stand_in),
                "status": services.messages.label("leave_status", absence["status"]),
                "approved": absence["status"] != "pending",
            }
        )
    return result


async def list_absences(ctx: CommandContext) -> list[Outgoing]:
    services = ctx.services
    if not may_see_absences(ctx.sender, services.directory):
        raise UserFacingError("leave_list_not_allowed")
    now = services.clock.now()
    rows = await services.db.run(lambda s: _away_rows(services, s, slot_at(now)))
    day = now.astimezone(TZ).date()
    return [ctx.markdown("leave_list", rows=rows, day=f"{day:%Y-%m-%d}", daily=False)]


async def daily_absences(services: Services, today: date) -> list[Outgoing]:
    """08:30 on working days: who is away today and soon, to the office group."""
    now = services.clock.now()
    rows = await services.db.run(lambda s: _away_rows(services, s, slot_at(now)))
    rows = [r for r in rows if r["approved"]]
    if not rows:
        return []
    rendered = services.messages.markdown(
        "leave_list", rows=rows, day=f"{today:%Y-%m-%d}", daily=True
    )
    return [
        office_message(services, f"leave:daily:{today.isoformat()}", rendered.title, rendered.text)
    ]


# -- reminders ------------------------------------------------------------------------------


def _continues(session: Session, absence: Mapping[str, Any]) -> bool:
    """An approved extension (or later absence) carries on right after this one."""
    return bool(
        session.collection(ABSENCES).find(
            lambda d: (
                d["user"] == absence["user"]
                and d["id"] != absence["id"]
                and d["status"] in AWAY
                and d.get("returned_ms") is None
                and d["start_slot"] <= absence["end_slot"] + 1
                and d["end_slot"] > absence["end_slot"]
            )
        )
    )


def leave_actions(services: Services) -> dict[str, DeadlineAction]:
    def start(session: Session, action: dict[str, Any]) -> list[Outgoing]:
        absence = session.collection(ABSENCES).get(str(action["absence"]))
        if absence is None or absence["status"] not in AWAY or absence.get("returned_ms"):
            return []
        return begin_absence(services, session, absence)

    def overdue(session: Session, action: dict[str, Any]) -> list[Outgoing]:
        absence = session.collection(ABSENCES).get(str(action["absence"]))
        if absence is None or absence["status"] not in AWAY or absence.get("returned_ms"):
            return []
        if _continues(session, absence):
            return []
        stage = int(action["stage"])
        now = services.clock.now()
        provisional = services.calendar.is_provisional(now.astimezone(TZ).date())
        rendered = services.messages.markdown(
            "leave_overdue",
            **absence_context(services, absence),
            to_office=stage == 2,
            provisional=provisional,
        )
        key = f"leave:{absence['id']}:overdue:{stage}"
        if stage == 1:
            return [markdown_message(key, absence["user"], rendered)]
        return [office_message(services, key, rendered.title, rendered.text)]

    def regularise(session: Session, action: dict[str, Any]) -> list[Outgoing]:
        absence = session.collection(ABSENCES).get(str(action["absence"]))
        if absence is None or absence["status"] != URGENT or absence.get("regularised"):
            return []
        stage = int(action["stage"])
        now = services.clock.now()
        rendered = services.messages.markdown(
            "leave_regularise",
            **absence_context(services, absence),
            number=absence["id"],
            late=stage == 2,
            provisional=services.calendar.is_provisional(now.astimezone(TZ).date()),
        )
        key = f"leave:{absence['id']}:regularise:{stage}"
        items = [markdown_message(key, absence["user"], rendered)]
        if stage == 2:
            items.append(office_message(services, f"{key}:office", rendered.title, rendered.text))
        return items

    return {"leave.start": start, "leave.overdue": overdue, "leave.regularise": regularise}
