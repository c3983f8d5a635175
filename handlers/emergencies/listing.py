"""The office's view of events (事件): every open event with its acknowledgements and the
latest report; and the daily 续报 prompt to the reporting unit while an event is open
(every day, holidays included: events do not keep office hours)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.clock import from_epoch_ms
from bot.errors import NotAuthorized
from bot.outgoing import Outgoing
from bot.router import CommandContext
from handlers.approvals.card import date_time_text
from handlers.common.notify import markdown_message
from handlers.emergencies.model import (
    EMERGENCIES,
    OPEN,
    RECEIVING_ROLES,
    delay_minutes,
    unacknowledged,
)
from handlers.supervision.people import name_of

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person
    from bot.services import Services


def may_list(person: Person, directory: OrgDirectory) -> bool:
    """The office, the 县委办公室, the 应急管理局 and county leaders."""
    units = [directory.unit_with_role(role) for role in RECEIVING_ROLES]
    leader = bool(person.roles & {"county_head", "executive_deputy", "deputy_head"})
    return leader or person.unit_id in {u.unit_id for u in units if u is not None}


def _row(services: Services, event: Mapping[str, Any]) -> dict[str, Any]:
    unit = services.directory.unit(event["unit"])
    return {
        "number": event["id"],
        "what": event["what"],
        "unit": unit.name if unit else event["unit"],
        "happened": date_time_text(services.messages, event["happened_ms"]),
        "late": delay_minutes(services, event),
        "waiting": [name_of(services, u) for u in unacknowledged(event)],
        "reports": len(event["reports"]),
        "latest": event["reports"][-1]["situation"],
    }


async def list_events(ctx: CommandContext) -> list[Outgoing]:
    services = ctx.services
    if not may_list(ctx.sender, services.directory):
        raise NotAuthorized("ev_list_not_allowed")
    events = await services.db.run(
        lambda s: s.collection(EMERGENCIES).find(lambda d: d["state"] == OPEN)
    )
    events.sort(key=lambda e: e["reported_ms"])
    return [ctx.markdown("ev_list", rows=[_row(services, e) for e in events])]


async def daily_prompt(services: Services, today: date) -> list[Outgoing]:
    """Each morning: the reporting unit is asked for its 续报 on every open event."""
    events = await services.db.run(
        lambda s: s.collection(EMERGENCIES).find(lambda d: d["state"] == OPEN)
    )
    outgoing = []
    for event in events:
        if from_epoch_ms(event["reported_ms"]).date() == today:
            continue  # reported today: nothing to prompt yet
        rendered = services.messages.markdown("ev_prompt", **_row(services, event))
        for user in dict.fromkeys([event["reporter"], *event.get("watchers", [])]):
            key = f"emergency:{event['id']}:prompt:{today.isoformat()}:{user}"
            outgoing.append(markdown_message(key, user, rendered))
    return outgoing
