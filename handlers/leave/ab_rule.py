"""The AB rule (第一百零二条) on the forms: the sender is warned before sending when his
AB partner is away in the same period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.router import CommandContext
from handlers.leave.model import conflicts, slot_at
from handlers.leave.texts import conflict_text


async def ab_notes(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The warning row for the form's summary, or none."""
    services = ctx.services
    partner = services.directory.ab_partner(ctx.sender.user_id)
    if partner is None or "end" not in values:
        return []
    start = values.get("start")
    if start is None:
        start = slot_at(services.clock.now())
    period = (int(start), int(values["end"]))
    found = await services.db.run(lambda s: conflicts(s, partner, period))
    if not found:
        return []
    return [(services.messages.label("leave_labels", "ab"), conflict_text(services, found))]
