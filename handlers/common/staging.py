"""How a chat handler hands its work to storage: one storage call that saves the change
and stages what the bot says about it, then the outbox is woken to send it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.dialog import close_dialog
from bot.outgoing import Outgoing

if TYPE_CHECKING:
    from bot.router import CommandContext
    from bot.services import Services
    from storage.session import Session


async def stage_and_send(services: Services, work: Callable[[Session], None]) -> list[Outgoing]:
    """Runs ``work`` (which stages its own replies in the outbox) in one storage call and
    wakes the outbox. Nothing is left to reply directly, hence the empty list."""
    await services.db.run(work)
    services.outbox.wake()
    return []


def conclude_form(
    ctx: CommandContext, session: Session, outgoing: list[Outgoing], template: str, **context: Any
) -> None:
    """Inside a form's storage call: stages what the change sends and the reply (keyed by
    the message, so a redelivered message cannot answer twice) and closes the form."""
    reply = ctx.text(template, **context)
    key = f"reply:{ctx.message.msg_id}:{template}"
    ctx.services.outbox.stage(session, [*outgoing, Outgoing(key, reply.kind, reply.payload)])
    close_dialog(session, ctx.sender.user_id)
