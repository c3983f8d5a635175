"""How leave appears in messages: names, periods, kinds, conflicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from handlers.leave.model import (
    slot_day,
)

if TYPE_CHECKING:
    from bot.services import Services

# -- texts --------------------------------------------------------------------------------


def name_of(services: Services, user_id: str | None) -> str:
    if not user_id:
        return ""
    person = services.directory.person(user_id)
    return person.name if person else user_id


def when_text(services: Services, value: int) -> str:
    day, half = slot_day(value)
    return f"{day:%Y-%m-%d} {services.messages.label('leave_halves', str(half))}"


def period_text(services: Services, start: int, end: int) -> str:
    return services.messages.text(
        "leave_period", start=when_text(services, start), end=when_text(services, end)
    )


def kind_text(services: Services, kind: str) -> str:
    return services.messages.label("leave_kinds", kind)


def conflict_text(services: Services, found: Sequence[Mapping[str, Any]]) -> str:
    return services.messages.text(
        "leave_ab_warning",
        items=[
            {
                "name": name_of(services, a["user"]),
                "period": period_text(services, a["start_slot"], a["end_slot"]),
                "status": services.messages.label("leave_status", a["status"]),
            }
            for a in found
        ],
    )
