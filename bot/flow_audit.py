"""Who did what on a flow, written twice: into the flow's own trail (shown on its card)
and into the append-only audit log (one part a year, with the actor's name and roles as
they were at the time)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.flow_model import AUDIT

if TYPE_CHECKING:
    from bot.org import OrgDirectory
    from storage.session import Session


def record_act(
    session: Session,
    directory: OrgDirectory,
    doc: dict[str, Any],
    now: datetime,
    user: str,
    acting_for: str | None,
    action: str,
    opinion: str = "",
    *,
    deemed: bool = False,
) -> None:
    """Appends one act to the flow's trail and to the audit log."""
    doc["trail"].append(
        {
            "at_ms": to_epoch_ms(now),
            "user": user,
            "acting_for": acting_for,
            "action": action,
            "opinion": opinion,
            "deemed": deemed,
        }
    )
    person = directory.person(user)
    record = {
        "at": now.isoformat(),
        "flow": doc["id"],
        "kind": doc["kind"],
        "title": doc["title"],
        "user": user,
        "name": person.name if person else user,
        "roles": sorted(person.roles) if person else [],
        "acting_for": acting_for,
        "action": action,
        "opinion": opinion,
    }
    session.log(AUDIT).append([record], now.year)
