"""Where a problem is: the table it belongs to (:class:`Where`) and the line of the TOML
text that holds it (:class:`Locator`, found by searching the text for table and key)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADER_RE = re.compile(r"""^\s*(\[\[?)\s*([A-Za-z0-9_.\-"' ]+?)\s*\]\]?\s*(?:#.*)?$""")

# Tables written as [[name]] even when the file (wrongly) has them as [name].
_ARRAY_TABLES = frozenset({"people", "units", "groups"})


@dataclass
class _Block:
    name: str  # dotted table name, e.g. "people" or "calendar.2027"; "" for the root
    occurrence: int  # n-th header with that name (for [[arrays]]), 0-based
    start: int  # index of the header line (0 for the root block)
    end: int  # index one past the block's last line


def _strip_strings_and_comment(line: str) -> str:
    """The line with string contents and any trailing comment removed (best effort)."""
    out: list[str] = []
    quote: str | None = None
    for ch in line:
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
            continue
        if ch == "#":
            break
        out.append(ch)
    return "".join(out)


class Locator:
    """Maps (table, array index, key, value) to a 1-based line number in the file."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.blocks: list[_Block] = [_Block("", 0, 0, len(self.lines))]
        counts: dict[str, int] = {}
        depth = 0
        in_multiline = False
        for i, line in enumerate(self.lines):
            triple = line.count('"""') + line.count("'''")
            if in_multiline:
                if triple % 2 == 1:
                    in_multiline = False
                continue
            if triple % 2 == 1:
                in_multiline = True
                continue
            match = _HEADER_RE.match(line) if depth == 0 else None
            if match:
                name = ".".join(part.strip().strip("\"'") for part in match.group(2).split("."))
                occurrence = counts.get(name, 0)
                counts[name] = occurrence + 1
                self.blocks[-1].end = i
                self.blocks.append(_Block(name, occurrence, i, len(self.lines)))
                continue
            bare = _strip_strings_and_comment(line)
            depth = max(
                0, depth + bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}")
            )

    def find(self, table: str, index: int | None, key: str | None, value: str | None) -> int | None:
        block = next(
            (
                b
                for b in self.blocks
                if b.name == table and (index is None or b.occurrence == index)
            ),
            None,
        )
        if block is None:
            return None
        line_idx: int | None = block.start if table else None
        if not table and key is not None:
            # A top-level key may be a table of its own: point at its first header.
            header = next(
                (b for b in self.blocks if b.name == key or b.name.startswith(key + ".")), None
            )
            if header is not None:
                return header.start + 1
        if key is not None:
            key_re = re.compile(
                rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*="""
            )
            for i in range(block.start, block.end):
                if key_re.match(self.lines[i]):
                    line_idx = i
                    break
        if value is not None and line_idx is not None:
            needles = (f'"{value}"', f"'{value}'", value)
            for needle in needles:
                hit = next((i for i in range(line_idx, block.end) if needle in self.lines[i]), None)
                if hit is not None:
                    line_idx = hit
                    break
        return None if line_idx is None else line_idx + 1


@dataclass(frozen=True)
class Where:
    """A table in the file: ``[name]`` or the ``index``-th ``[[name]]``."""

    table: str
    index: int | None = None
    ident: str | None = None

    def path(self, key: str | None) -> str:
        if self.index is not None:
            text = f"[[{self.table}]] #{self.index + 1}"
            if self.ident:
                text += f" ({self.ident})"
        elif self.table in _ARRAY_TABLES:
            text = f"[[{self.table}]]"
        elif self.table:
            text = f"[{self.table}]"
        else:
            text = ""
        if key:
            text = f"{text}.{key}" if text else key
        return text

    def named(self, ident: str | None) -> Where:
        return Where(self.table, self.index, ident)


ROOT = Where("")


def ident_of(item: object) -> str | None:
    """The identifying value of an array-of-tables entry, for locations."""
    if isinstance(item, dict):
        for key in ("user_id", "id", "conversation_id"):
            value = item.get(key)
            if isinstance(value, str) and value:
                return value
    return None
