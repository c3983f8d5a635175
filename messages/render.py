"""The one place where user-facing text is produced: Jinja2 templates under templates/."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from messages.markdown import Trusted, md_escape, one_line


@dataclass(frozen=True, slots=True)
class RenderedMarkdown:
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class CommandText:
    """Description of a chat command, shown by 帮助 and by unknown-command hints."""

    summary: str
    usage: str


class Messages:
    """Renders templates. Built once in ``create_app`` and passed down."""

    def __init__(self) -> None:
        # Markdown templates escape every interpolated value; plain-text templates (chat
        # text messages, console output) are not rendered as markdown and print as is.
        self._markdown_env = _environment(finalize=md_escape)
        self._plain_env = _environment(finalize=_plain)
        self._commands = _load_command_texts()
        self._labels = _load_toml("flows.toml")

    def text(self, name: str, /, **context: Any) -> str:
        """Render a plain template (``<name>.txt.j2``)."""
        return self._plain_env.get_template(f"{name}.txt.j2").render(**context).strip()

    def markdown(self, name: str, /, **context: Any) -> RenderedMarkdown:
        """Render ``<name>.md.j2``; its ``title`` block is the message title."""
        template = self._markdown_env.get_template(f"{name}.md.j2")
        ctx = template.new_context(context)
        title = "".join(template.blocks["title"](ctx)).strip()
        body = "".join(template.blocks["body"](ctx)).strip()
        return RenderedMarkdown(title=title, text=body)

    def label(self, section: str, key: str) -> str:
        """A short label from flows.toml, e.g. ``label("decisions", "approve")``."""
        table: Any = self._labels
        for part in section.split("."):
            table = table[part]
        return str(table[key])

    def word(self, key: str, **values: object) -> str:
        """A small word or field name from flows.toml [labels], filled in."""
        return self.label("labels", key).format(**values)

    def has_label(self, section: str, key: str) -> bool:
        table: Any = self._labels
        for part in section.split("."):
            table = table.get(part, {}) if isinstance(table, dict) else {}
        return isinstance(table, dict) and key in table

    def fragment(self, name: str, /, **context: Any) -> str:
        """Markdown text for a card field (``<name>.frag.j2``), values escaped."""
        return self._markdown_env.get_template(f"{name}.frag.j2").render(**context).strip()

    def command_text(self, command_id: str) -> CommandText:
        return self._commands[command_id]

    def has_command_text(self, command_id: str) -> bool:
        return command_id in self._commands


def _plain(value: object) -> object:
    return "" if value is None else value


def _environment(finalize: Callable[[object], object]) -> Environment:
    env = Environment(
        loader=PackageLoader("messages", "templates"),
        undefined=StrictUndefined,
        finalize=finalize,
        # DingTalk markdown, not HTML: escaping is done by `finalize` (md_escape).
        autoescape=False,  # noqa: S701
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the code: no stat() of the file on every render.
        auto_reload=False,
    )
    env.filters["one_line"] = one_line
    env.filters["trusted"] = Trusted
    env.filters["cn_date"] = cn_date
    return env


def cn_date(value: object) -> str:
    """``2026-12-16`` (a date or its ISO text) the way flows.toml [labels] date writes it."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return _date_format().format(year=day.year, month=day.month, day=day.day)


@functools.cache
def _date_format() -> str:
    return str(_load_toml("flows.toml")["labels"]["date"])


def _load_toml(name: str) -> dict[str, Any]:
    raw = resources.files("messages").joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(raw)


def _load_command_texts() -> dict[str, CommandText]:
    table = _load_toml("commands.toml")
    return {
        key: CommandText(summary=str(value["summary"]), usage=str(value.get("usage", "")))
        for key, value in table.items()
    }
