"""A form's summary, shown before it is submitted: each field's label with its value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.router import CommandContext


def summary_rows(
    ctx: CommandContext, form_id: str, shown: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The rows of ``form_id``'s summary: the label of each field in ``shown`` (in its
    order) with the value as shown."""
    label = ctx.services.forms.label_of
    return [(label(form_id, key), value) for key, value in shown.items()]


def plain_summary(
    ctx: CommandContext,
    form_id: str,
    values: Mapping[str, Any],
    fields: Sequence[str],
    labelled: Mapping[str, str],
) -> list[tuple[str, str]]:
    """The summary rows of ``fields`` as they were answered; a field in ``labelled`` is
    shown by its value's label in that label table."""
    label = ctx.services.messages.label
    shown = {
        key: label(labelled[key], values[key]) if key in labelled else values[key] for key in fields
    }
    return summary_rows(ctx, form_id, shown)
