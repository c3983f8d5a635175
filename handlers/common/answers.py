"""Checks of typed form answers that several forms share. Each factory returns a field
parser (``answer, ctx, values -> value``) that refuses a bad answer with the polite
message named by ``error``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.errors import UserFacingError
from bot.files import check_attachment_name
from bot.router import CommandContext
from handlers.common.moments import typed_day
from messages.vocabulary import word_list

TextParser = Callable[[Any, CommandContext, Mapping[str, Any]], str]
MaterialParser = Callable[[Any, CommandContext, Mapping[str, Any]], dict[str, Any]]


def spaced_text(minimum: int, maximum: int, error: str, **context: Any) -> TextParser:
    """One line: runs of white space become one space; ``minimum`` to ``maximum``
    characters, else ``error`` (with ``context``)."""

    def parse(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
        text = " ".join(str(answer).split())
        if not minimum <= len(text) <= maximum:
            raise UserFacingError(error, **context)
        return text

    return parse


def trimmed_text(minimum: int, limit: int, error: str) -> TextParser:
    """Free text, stripped: at least ``minimum`` characters (else ``error``); whatever
    goes beyond ``limit`` is cut off."""

    def parse(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
        text = str(answer).strip()
        if len(text) < minimum:
            raise UserFacingError(error)
        return text[:limit]

    return parse


def material_answer(minimum: int, limit: int, error: str) -> MaterialParser:
    """A material: a Word/PDF/OFD file sent in chat, or typed text as ``trimmed_text``
    takes it (``{"file": …}`` or ``{"text": …}``)."""
    typed = trimmed_text(minimum, limit, error)

    def parse(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> dict[str, Any]:
        if isinstance(answer, dict):
            return attached_file(answer)
        return {"text": typed(answer, ctx, values)}

    return parse


def labelled_choice(options: Sequence[str], section: str, error: str) -> TextParser:
    """One of ``options``, typed as its label in the ``section`` of the label tables; the
    ``error`` may list the labels (``names``)."""

    def parse(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
        text = str(answer).strip()
        label = ctx.services.messages.label
        for option in options:
            if text == label(section, option):
                return option
        raise UserFacingError(error, names="、".join(label(section, o) for o in options))

    return parse


def day_from_today(past: str, bad: str) -> TextParser:
    """A day (ISO) from today on: a day gone by is refused with ``past``, an answer that
    names no day with ``bad``."""

    def parse(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
        day = typed_day(str(answer))
        if day is None:
            raise UserFacingError(bad)
        if day < ctx.services.clock.now().date():
            raise UserFacingError(past)
        return day.isoformat()

    return parse


def first_named(text: str, options: Sequence[str], table: str) -> str | None:
    """The first of ``options`` (in their order) that ``text`` names by one of its words in
    ``table`` of the input words (``<table>.<option>``); None when it names none."""
    for option in options:
        if any(word in text for word in word_list(f"{table}.{option}")):
            return option
    return None


def attached_file(answer: Mapping[str, Any]) -> dict[str, Any]:
    """A file sent in chat as the answer: its name checked (Word/PDF/OFD), kept with the
    download code the bot fetches it by later."""
    name = str(answer.get("name", ""))
    check_attachment_name(name)
    return {"file": {"name": name[:120], "download_code": answer.get("download_code", "")}}


def yes_no(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> bool:
    """是 / 否 and their usual synonyms (input_words.toml [answers])."""
    text = str(answer).strip()
    if text in word_list("answers.yes"):
        return True
    if text in word_list("answers.no"):
        return False
    raise UserFacingError("form_yes_no")
