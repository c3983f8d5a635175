"""A rendered markdown template as a 1:1 chat message: the most common thing a handler
sends; and the notice of an answer's event to the people it concerns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from bot.clock import to_epoch_ms
from bot.outgoing import Outgoing, markdown_to

if TYPE_CHECKING:
    from datetime import datetime

    from bot.services import Services
    from messages.render import RenderedMarkdown


class Answered(Protocol):
    """An answer being applied to a stored record (a supervision item, a letter)."""

    services: Services
    item: dict[str, Any]
    user: str
    text: str
    now: datetime


def markdown_message(key: str, user_id: str, rendered: RenderedMarkdown) -> Outgoing:
    """``rendered`` (title and text of a markdown template) to one person, under the
    outbox idempotency ``key``."""
    return markdown_to(key, user_id=user_id, title=rendered.title, text=rendered.text)


def event_notices(
    a: Answered,
    template: str,
    collection: str,
    event: str,
    users: Iterable[str | None],
    **fields: Any,
) -> list[Outgoing]:
    """A chat notice of ``event`` about the record (``template`` with its number, the
    answer's text and ``fields``) to each of ``users`` once, never to who answered."""
    item = a.item
    rendered = a.services.messages.markdown(
        template, event=event, number=item["id"], text=a.text, **fields
    )
    stamp = to_epoch_ms(a.now)
    return [
        markdown_message(f"{collection}:{item['id']}:{event}:{stamp}:{user}", user, rendered)
        for user in dict.fromkeys(u for u in users if u and u != a.user)
    ]
