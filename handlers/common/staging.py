"""How a chat handler hands its work to storage: one storage call that saves the change
and stages what the bot says about it, then the outbox is woken to send it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.outgoing import Outgoing

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session


async def stage_and_send(services: Services, work: Callable[[Session], None]) -> list[Outgoing]:
    """Runs ``work`` (which stages its own replies in the outbox) in one storage call and
    wakes the outbox. Nothing is left to reply directly, hence the empty list."""
    await services.db.run(work)
    services.outbox.wake()
    return []
