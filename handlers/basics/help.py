"""帮助: lists every command the sender may use, built from the routing table."""

from __future__ import annotations

from bot.outgoing import Outgoing
from bot.router import CommandContext


async def show_help(ctx: CommandContext) -> list[Outgoing]:
    services = ctx.services
    items = [
        {
            "word": command.word,
            "aliases": [w for w in command.words[1:] if not w.isascii()],
            "summary": services.messages.command_text(command.id).summary,
        }
        for command in services.router.visible(ctx.sender, services.directory)
    ]
    return [
        ctx.markdown(
            "help",
            bot_name=services.messages.text("bot_name", county=services.config.county.name),
            person=ctx.sender,
            commands=items,
        )
    ]
