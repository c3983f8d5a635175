"""A rendered markdown template as a 1:1 chat message: the most common thing a handler
sends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.outgoing import Outgoing, markdown_to

if TYPE_CHECKING:
    from messages.render import RenderedMarkdown


def markdown_message(key: str, user_id: str, rendered: RenderedMarkdown) -> Outgoing:
    """``rendered`` (title and text of a markdown template) to one person, under the
    outbox idempotency ``key``."""
    return markdown_to(key, user_id=user_id, title=rendered.title, text=rendered.text)
