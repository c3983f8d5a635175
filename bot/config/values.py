"""Reading typed values out of the parsed TOML: each reader reports what is wrong and
returns a safe fallback, so that one pass finds every problem."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from bot.config.locate import ROOT, Where
from bot.config.problems import Report
from bot.config.secrets import is_secret_key

_ID_RE = re.compile(r"[A-Za-z0-9_.-]+")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")


def type_of(value: object) -> str:
    """The TOML type of a value, as named in messages/templates/config_problems.j2."""
    for kind, name in (
        (bool, "bool"),
        (int, "int"),
        (float, "float"),
        (str, "str"),
        (list, "list"),
        (dict, "table"),
        (datetime, "datetime"),
        (date, "date"),
        (time, "time"),
    ):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` was probably meant to be, if any is close enough."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return match[0] if match else None


def parse_time(raw: object) -> time | None:
    if isinstance(raw, time):
        return raw
    if not isinstance(raw, str):
        return None
    match = _TIME_RE.fullmatch(raw.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_date(raw: object) -> date | None:
    if isinstance(raw, datetime):
        return None
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            return None
    return None


class Values:
    """Typed readers over the parsed file, reporting into ``report``."""

    def __init__(self, data: dict[str, Any], report: Report) -> None:
        self.data = data
        self.report = report

    def check_keys(self, table: Mapping[str, Any], where: Where, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key in allowed or is_secret_key(key):
                continue  # secret-looking keys are reported by scan_secrets
            self.report.add(
                where,
                key,
                "unknown_key",
                key=key,
                suggestion=closest(key, allowed),
                allowed=allowed,
            )

    def get_str(
        self,
        table: Mapping[str, Any],
        where: Where,
        key: str,
        *,
        what: str,
        required: bool = True,
        id_like: bool = False,
    ) -> str | None:
        if key not in table:
            if required:
                self.report.add(where, None, "missing_key", key=key, what=what)
            return None
        value = table[key]
        if not isinstance(value, str):
            self.report.add(where, key, "not_string", key=key, what=what, type=type_of(value))
            return None
        if not value.strip():
            if required:
                self.report.add(where, key, "empty_string", key=key, what=what)
            return None
        if id_like and not _ID_RE.fullmatch(value):
            self.report.add(where, key, "bad_identifier", near=value, key=key, value=value)
            return None
        return value.strip() if not id_like else value

    def get_bool(self, table: Mapping[str, Any], where: Where, key: str, *, what: str) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            self.report.add(where, key, "not_bool", key=key, what=what, type=type_of(value))
            return False
        return value

    def get_str_list(
        self, table: Mapping[str, Any], where: Where, key: str, *, what: str
    ) -> list[str]:
        if key not in table:
            return []
        value = table[key]
        if not isinstance(value, list):
            self.report.add(where, key, "not_string_list", key=key, what=what, type=type_of(value))
            return []
        result: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                self.report.add(
                    where,
                    key,
                    "bad_list_item",
                    key=key,
                    what=what,
                    type=type_of(item),
                    shown=repr(item),
                )
                continue
            if item in result:
                self.report.add(where, key, "repeated_item", near=item, key=key, item=item)
                continue
            result.append(item)
        return result

    def get_table(self, key: str) -> dict[str, Any] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.report.add(ROOT, key, "not_table", key=key, type=type_of(value))
            return None
        return value

    def get_array_of_tables(self, key: str) -> list[tuple[dict[str, Any], Where]]:
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, dict):
            self.report.add(Where(key), None, "table_not_array", key=key)
            return []
        if not isinstance(value, list):
            self.report.add(ROOT, key, "not_array_of_tables", key=key, type=type_of(value))
            return []
        result: list[tuple[dict[str, Any], Where]] = []
        for i, item in enumerate(value):
            where = Where(key, i)
            if not isinstance(item, dict):
                self.report.add(where, None, "array_item_not_table", key=key, type=type_of(item))
                continue
            result.append((item, where))
        return result

    def get_dates(
        self, table: Mapping[str, Any], where: Where, key: str, year: int, what: str
    ) -> set[date]:
        raw = table.get(key, [])
        if not isinstance(raw, list):
            self.report.add(where, key, "not_date_list", key=key, what=what)
            return set()
        result: set[date] = set()
        for item in raw:
            day = parse_date(item)
            if day is None:
                self.report.add(where, key, "not_date", key=key, what=what, shown=repr(item))
                continue
            if day.year != year:
                self.report.add(
                    where,
                    key,
                    "date_outside_year",
                    near=day.isoformat(),
                    day=day.isoformat(),
                    year=year,
                    day_year=day.year,
                )
                continue
            result.add(day)
        return result
