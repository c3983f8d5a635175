"""What people type: the words of every chat command, from commands.toml, so that all
user-facing vocabulary lives under messages/ and the features name commands by id."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources


@functools.cache
def _table() -> dict[str, object]:
    raw = resources.files("messages").joinpath("commands.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


def words(command_id: str) -> tuple[str, ...]:
    """The words calling ``command_id`` (the first is the one 帮助 shows); a command
    without words is a start-up error."""
    entry = _table().get(command_id)
    found = entry.get("words") if isinstance(entry, dict) else None
    if not isinstance(found, list) or not found or not all(isinstance(w, str) for w in found):
        raise KeyError(f"messages/commands.toml: command {command_id!r} has no words")
    return tuple(found)
