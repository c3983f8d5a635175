"""Reminders of the limits of letters and 12345/信箱 items (第四十四条; the limits are the
信访工作条例's calendar days from receipt, the reminders go out on working mornings): the
responsible unit's head on the last working morning before each limit and on the day;
once it has passed, the head and the unit's leader in charge (the county head for a unit
no deputy is in charge of); the office director after three more working days. Each rung
once per limit and person (the outbox key names it); an extension moves the 办结 limit and
so starts its ladder again."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.outgoing import Outgoing
from handlers.common.notify import markdown_message
from handlers.common.units import unit_name
from handlers.letters.model import FINISH, NOTICE, RUNNING, find_items, limits_of, responsible_unit
from handlers.letters.people import petition_unit, unit_head
from handlers.supervision.people import director

if TYPE_CHECKING:
    from bot.services import Services

ESCALATE_AFTER = 3  # more working days overdue before the office director is told


def rungs(
    services: Services, item: Mapping[str, Any], today: date
) -> list[tuple[str, str, date, list[str]]]:
    """The reminders due today for one item: (limit, rung, limit's day, people)."""
    calendar = services.calendar
    due = limits_of(item, services.config.rules)
    unit = responsible_unit(item, petition_unit(services.directory))
    head = [u for u in [unit_head(services, unit)] if u]
    leader = services.directory.responsible_leader(unit).user_id
    late = head if leader in head else [*head, leader]
    owed = [(FINISH, due.finish)]
    if not item.get("noticed_ms"):
        owed.insert(0, (NOTICE, due.notice))
    found = []
    for limit, day in owed:
        if today < day and calendar.next_workday(today) >= day:
            found.append((limit, "before", day, head))
        elif today == day:
            found.append((limit, "today", day, head))
        elif today > day:
            found.append((limit, "overdue", day, late))
            if calendar.workdays_between(day, today) > ESCALATE_AFTER:
                found.append((limit, "escalated", day, [u for u in [director(services)] if u]))
    return found


async def chase(services: Services, today: date) -> list[Outgoing]:
    items = await services.db.run(lambda s: find_items(s, RUNNING))
    outgoing: list[Outgoing] = []
    for item in sorted(items, key=lambda i: str(i["id"])):
        for limit, rung, day, people in rungs(services, item, today):
            outgoing += _reminders(services, item, (limit, rung, day), people, today)
    return outgoing


def _reminders(
    services: Services,
    item: Mapping[str, Any],
    step: tuple[str, str, date],
    people: list[str],
    today: date,
) -> list[Outgoing]:
    limit, rung, day = step
    unit = responsible_unit(item, petition_unit(services.directory))
    rendered = services.messages.markdown(
        "lx_reminder",
        limit=limit,
        rung=rung,
        number=item["id"],
        channel=services.messages.label("letter_channels", item["channel"]),
        writer=item["writer"],
        unit=unit_name(services, unit),
        due=day.isoformat(),
        late=(today - day).days,
        extended=bool(item.get("extended_ms")),
    )
    key = f"letters:{item['id']}:chase:{limit}:{day.isoformat()}:{rung}"
    return [markdown_message(f"{key}:{user}", user, rendered) for user in dict.fromkeys(people)]
