"""Escaping of untrusted text for DingTalk markdown.

Jinja2 autoescape only knows HTML. DingTalk renders markdown, so a hostile title could
inject links, images, headings or a fake "审批结果：已同意". Every value printed by a
template is passed through :func:`md_escape` unless it is wrapped in :class:`Trusted`.
Full-width substitution is used because DingTalk clients do not reliably honour
backslash escapes.
"""

from __future__ import annotations

import re

_FULL_WIDTH = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "#": "＃",
        "*": "＊",
        "!": "！",
        "<": "＜",
        ">": "＞",
        "|": "｜",
        "`": "｀",
        "_": "＿",
        "~": "～",
        "\r": " ",
    }
)


class Trusted(str):
    """Text produced by our own templates; printed as is."""

    __slots__ = ()


def md_escape(value: object) -> object:
    """Jinja ``finalize`` hook: neutralise markdown in every interpolated value."""
    if value is None:
        return ""
    if isinstance(value, Trusted):
        return value
    if isinstance(value, bool | int | float):
        return value
    text = str(value).translate(_FULL_WIDTH)
    # A leading "-", "+" or "1." would turn a value into a list item; "=" into a heading.
    lines = [_neutral_line_start(line) for line in text.split("\n")]
    return "\n".join(lines)


_LINE_START = {"-": "－", "+": "＋", "=": "＝"}
_NUMBERED = re.compile(r"^(\s*\d+)\.")


def _neutral_line_start(line: str) -> str:
    stripped = line.lstrip()
    if stripped[:1] in _LINE_START:
        indent = len(line) - len(stripped)
        return line[:indent] + _LINE_START[stripped[0]] + stripped[1:]
    return _NUMBERED.sub(r"\1．", line)


def one_line(value: object, limit: int = 200) -> str:
    """For single-line fields (titles, names): no line breaks, capped length."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
