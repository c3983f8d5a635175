"""The supervision ladder (第八十五条), every working morning, to the responsible people
only: the lead unit's head the working day before the deadline and on the day; once
overdue, the head and the leader in charge the next working morning; the office
director after three more working days. 批示件 also have a first-feedback checkpoint
(第八十七条). Each rung is sent once (the outbox key names it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.outgoing import Outgoing
from handlers.common.notify import markdown_message
from handlers.supervision.model import CHASED, effective_due, find_items, lead_unit
from handlers.supervision.people import director, heads

if TYPE_CHECKING:
    from bot.services import Services

ESCALATE_AFTER = 3  # more working days overdue before the office director is told


def rungs(services: Services, item: Mapping[str, Any], today: date) -> list[tuple[str, list[str]]]:
    """The reminders due today for one item: (rung, people)."""
    calendar = services.calendar
    due = effective_due(calendar, item)
    head = heads(services, [lead_unit(item)])
    found: list[tuple[str, list[str]]] = []
    first = item.get("first_feedback_due")
    if first and not item.get("first_feedback_ms") and today >= date.fromisoformat(first):
        found.append(("first_feedback", head))
    if today < due and calendar.workdays_between(today, due) == 1:
        found.append(("before", head))
    elif today == due:
        found.append(("today", head))
    elif today > due:
        late = calendar.workdays_between(due, today)
        found.append(("overdue", [*head, *([item["leader"]] if item.get("leader") else [])]))
        if late > ESCALATE_AFTER:
            found.append(("escalated", [u for u in [director(services)] if u]))
    return found


async def chase(services: Services, today: date) -> list[Outgoing]:
    items = await services.db.run(lambda s: find_items(s, CHASED))
    outgoing: list[Outgoing] = []
    for item in sorted(items, key=lambda i: str(i["id"])):
        for rung, people in rungs(services, item, today):
            outgoing += _reminders(services, item, rung, people, today)
    return outgoing


def _reminders(
    services: Services, item: Mapping[str, Any], rung: str, people: list[str], today: date
) -> list[Outgoing]:
    due = effective_due(services.calendar, item)
    unit = services.directory.unit(lead_unit(item))
    rendered = services.messages.markdown(
        "sv_reminder",
        rung=rung,
        number=item["id"],
        title=item["title"],
        unit=unit.name if unit else "",
        due=item["due"],
        late=services.calendar.workdays_between(due, today) if today > due else 0,
        instruction=item["source"] == "instruction",
    )
    return [
        markdown_message(f"supervision:{item['id']}:chase:{rung}:{user}", user, rendered)
        for user in dict.fromkeys(people)
    ]
