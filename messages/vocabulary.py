"""What people type, in one place: the words of every chat command (commands.toml), the
answers and names the forms understand (input_words.toml), and the patterns of dates and
times as officials write them. Features name these; they never spell them."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any


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


# -- answers, names and dates (input_words.toml) ---------------------------------------


@functools.cache
def _inputs() -> dict[str, Any]:
    raw = resources.files("messages").joinpath("input_words.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


def _entry(path: str) -> Any:
    table: Any = _inputs()
    for part in path.split("."):
        table = table[part]
    return table


def word_list(path: str) -> tuple[str, ...]:
    """A list of words, e.g. ``word_list("answers.yes")``."""
    return tuple(str(w) for w in _entry(path))


def word_map(path: str) -> Mapping[str, Any]:
    """A table of words, e.g. ``word_map("documents.issuers")``."""
    found = _entry(path)
    if not isinstance(found, dict):
        raise KeyError(f"messages/input_words.toml: {path} is not a table")
    return found


def input_word(path: str) -> str:
    """One word, e.g. ``input_word("dates.afternoon")``."""
    return str(_entry(path))


# Dates and times as officials type them (Beijing time).
DAY = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
DAY_AND_TIME = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*"
    r"(上午|下午)?\s*(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*分?\s*$"
)
HALF_DAY = re.compile(
    r"^(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?\s*(上午|下午)?$"
)
MOMENT = re.compile(
    r"^\s*(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?\s*"
    r"(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*分?\s*$"
)
MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")  # 2026-11 / 2026年11月
CLOCK_TODAY = re.compile(r"^\s*(今天|昨天)?\s*(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*分?\s*$")
# Lists of names in one answer: 县财政局、县审计局 (the request's addressee also splits
# on 和/及, to catch two addressees).
LIST_SEPARATORS = re.compile(r"[、,，;；/]")
NAME_SEPARATORS = re.compile(r"[、,，;；/\s]+")
ADDRESSEE_SEPARATORS = re.compile(r"[、,，;；/和及]")
