"""Chat commands that open a form once the sender may use it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.outgoing import Outgoing
from bot.router import CommandContext

Guard = Callable[[CommandContext], None]


def form_command(
    form_id: str, guard: Guard
) -> Callable[[CommandContext], Awaitable[list[Outgoing]]]:
    """The command handler that checks ``guard`` (which raises the polite refusal) and
    then asks the first question of the form ``form_id``."""

    async def begin(ctx: CommandContext) -> list[Outgoing]:
        guard(ctx)
        return await ctx.services.forms.begin(ctx, form_id)

    return begin
