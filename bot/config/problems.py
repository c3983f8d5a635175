"""Configuration problems: a location, a reason code with its values, and the Chinese
text rendered from messages/templates/config_problems.j2 (one macro per code)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.config.locate import Locator, Where
from messages.render import Messages


@dataclass(frozen=True)
class ConfigProblem:
    location: str  # e.g. "第 42 行 [[people]] #3 (zhangsan).roles"
    message: str  # what is wrong and how to fix it, rendered from ``code`` and ``params``
    code: str = ""  # the reason: a macro name in messages/templates/config_problems.j2
    params: Mapping[str, object] = field(default_factory=dict, hash=False)
    line: str = field(default="", compare=False)  # location and message in one line

    def __str__(self) -> str:
        return self.line


class ConfigError(Exception):
    """The configuration (or the environment) has problems; all of them are listed."""

    def __init__(self, problems: list[ConfigProblem], text: str) -> None:
        self.problems = list(problems)
        self._text = text
        super().__init__(text)

    def __str__(self) -> str:
        return self._text


class ProblemTexts:
    """Renders problems and locations. The templates are loaded on the first problem,
    so reading a valid file costs no template environment."""

    def __init__(self) -> None:
        self._messages: Messages | None = None

    def _render(self, template: str, **context: object) -> str:
        if self._messages is None:
            self._messages = Messages()
        return self._messages.text(template, **context)

    def location(self, path: str = "", line: int | None = None, env: str | None = None) -> str:
        """``第 <line> 行 <path>``, the path alone, or the environment variable."""
        return self._render("config_location", path=path, line=line, env=env)

    def problem(self, location: str, code: str, /, **params: object) -> ConfigProblem:
        message = self._render("config_problem", code=code, params=params)
        line = self._render("config_problem_line", location=location, message=message)
        return ConfigProblem(location, message, code, params, line)

    def error(self, problems: list[ConfigProblem]) -> ConfigError:
        return ConfigError(problems, self._render("config_error", problems=problems))


class Report:
    """Collects the problems of one file, each located by table, key and value."""

    def __init__(self, locator: Locator, source: Path, texts: ProblemTexts) -> None:
        self.locator = locator
        self.source = source
        self.texts = texts
        self._found: list[tuple[int, int, ConfigProblem]] = []  # (line, order, problem)

    def add(
        self, where: Where, key: str | None, code: str, /, near: str | None = None, **params: object
    ) -> None:
        """A problem at ``where``/``key``; ``near`` is a value to find the exact line of."""
        line = self.locator.find(where.table, where.index, key, near)
        location = self.texts.location(where.path(key), line) or self.source.name
        self._found.append(
            (line or 0, len(self._found), self.texts.problem(location, code, **params))
        )

    def at(self, where: Where, key: str | None = None) -> str:
        """The location of ``where``/``key``, for a problem that points at another entry."""
        line = self.locator.find(where.table, where.index, key, None)
        return self.texts.location(where.path(key), line)

    @property
    def problems(self) -> list[ConfigProblem]:
        """All problems found so far, in file order (file-wide ones first)."""
        return [p for _, _, p in sorted(self._found, key=lambda e: (e[0], e[1]))]
