"""Card buttons as the card-platform templates draw them.

A template's button row is a Loop over a private ``loopArray`` variable: each item gives
the button's text and colour, and the params the button sends back are bound to the
item's fields (``action`` plus the action's own fields). The button's actionId stays
empty, as in DingTalk's own examples, so what a click means travels in ``params``.
"""

from __future__ import annotations

from typing import Literal

ACTION_PARAM = "action"
COLORS = {"primary": "blue", "danger": "red", "normal": "gray"}


def button(
    action: str, text: str, style: Literal["primary", "danger", "normal"], **params: str
) -> dict[str, str]:
    return {"text": text, "color": COLORS[style], ACTION_PARAM: action, **params}
