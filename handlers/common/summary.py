"""A form's summary, shown before it is submitted: each field's label with its value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.router import CommandContext


def summary_rows(
    ctx: CommandContext, form_id: str, shown: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The rows of ``form_id``'s summary: the label of each field in ``shown`` (in its
    order) with the value as shown."""
    label = ctx.services.forms.label_of
    return [(label(form_id, key), value) for key, value in shown.items()]
