"""督办 without arguments: the running items by the traffic light of 第八十五条 (overdue,
due within one working day, on time), those waiting for the office's review or
approval; and the same overview for the office director every Monday (第八十六条)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bot.outgoing import Outgoing
from bot.router import CommandContext
from handlers.common.notify import markdown_message
from handlers.common.office import is_office
from handlers.supervision.model import (
    CHASED,
    CLOSING,
    DUE_SOON,
    ON_TIME,
    OVERDUE,
    PENDING,
    effective_due,
    find_items,
    lead_unit,
    light,
)
from handlers.supervision.people import director, is_county_leader

if TYPE_CHECKING:
    from bot.calendar import WorkCalendar
    from bot.config import OrgDirectory
    from bot.services import Services
    from storage.session import Session

GROUPS = (OVERDUE, DUE_SOON, ON_TIME, CLOSING, PENDING)
SHOWN_PER_GROUP = 30


def overview(
    calendar: WorkCalendar,
    directory: OrgDirectory,
    items: Sequence[Mapping[str, Any]],
    today: date,
) -> dict[str, Any]:
    """Rows grouped for the list template: each group's first rows and its size."""
    grouped: dict[str, list[Mapping[str, Any]]] = {g: [] for g in GROUPS}
    for item in items:
        state = item["state"]
        if state in CHASED:
            grouped[light(calendar, item, today)].append(item)
        elif state in (CLOSING, PENDING):
            grouped[state].append(item)
    groups = []
    for group, members in grouped.items():
        members.sort(key=lambda i: (i["due"], i["id"]))
        rows = [_row(calendar, directory, i, today) for i in members[:SHOWN_PER_GROUP]]
        groups.append({"key": group, "count": len(members), "rows": rows})
    return {"groups": groups, "total": sum(g["count"] for g in groups), "today": today}


def _row(
    calendar: WorkCalendar, directory: OrgDirectory, item: Mapping[str, Any], today: date
) -> dict[str, Any]:
    unit = directory.unit(lead_unit(item))
    due = effective_due(calendar, item)
    late = calendar.workdays_between(due, today) if today > due else 0
    return {
        "number": item["id"],
        "title": item["title"],
        "unit": unit.name if unit else lead_unit(item),
        "due": item["due"],
        "late": late,
    }


Visible = Callable[[Mapping[str, Any]], bool]


def _visible(services: Services, user_id: str) -> Visible:
    """The office and county leaders see every item; a unit sees its own."""
    person = services.directory.person(user_id)
    if person is not None and (is_office(person, services.directory) or is_county_leader(person)):
        return lambda item: True
    unit = person.unit_id if person else ""
    return lambda item: lead_unit(item) == unit or unit in item.get("co_units", [])


def running(session: Session, visible: Visible | None = None) -> list[dict[str, Any]]:
    items = find_items(session, (*CHASED, CLOSING, PENDING))
    return [item for item in items if visible is None or visible(item)]


async def list_items(ctx: CommandContext) -> list[Outgoing]:
    services = ctx.services
    visible = _visible(services, ctx.sender.user_id)
    items = await services.db.run(lambda s: running(s, visible))
    return [
        ctx.markdown(
            "sv_list",
            **overview(services.calendar, services.directory, items, services.clock.now().date()),
        )
    ]


async def weekly_summary(services: Services, today: date) -> list[Outgoing]:
    """Mondays (or the week's first working day): the overview to the office director."""
    monday = today - timedelta(days=today.weekday())
    if services.calendar.next_workday(monday, include_self=True) != today:
        return []
    user = director(services)
    if user is None:
        return []
    items = await services.db.run(running)
    rendered = services.messages.markdown(
        "sv_list", weekly=True, **overview(services.calendar, services.directory, items, today)
    )
    key = f"supervision:weekly:{today.isoformat()}"
    return [markdown_message(key, user, rendered)]
