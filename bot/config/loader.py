"""Reading the file: TOML syntax first, then every table, then the cross-checks; all
problems are collected before anything is refused."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.config.cross_check import cross_check
from bot.config.locate import ROOT, Locator
from bot.config.org import OrgEntries, load_ab_pairs, load_groups, load_people, load_units
from bot.config.problems import ConfigProblem, ProblemTexts, Report
from bot.config.secrets import scan_secrets
from bot.config.sections import (
    load_calendar,
    load_cards,
    load_county,
    load_dingtalk,
    load_rules,
)
from bot.config.values import Values
from bot.config_schema import Config

_TOML_ERROR_LINE = re.compile(r"at line (\d+), column (\d+)")
_TOP_KEYS = (
    "county",
    "dingtalk",
    "rules",
    "calendar",
    "cards",
    "units",
    "people",
    "ab_roles",
    "groups",
)


def _load(
    text: str, data: dict[str, Any], source: Path, texts: ProblemTexts
) -> tuple[Config | None, list[ConfigProblem]]:
    """Every table of the parsed file, then the cross-checks."""
    report = Report(Locator(text), source, texts)
    values = Values(data, report)
    scan_secrets(report, data, ROOT)
    values.check_keys(data, ROOT, _TOP_KEYS)
    county = load_county(values)
    dingtalk = load_dingtalk(values)
    rules = load_rules(values)
    calendar = load_calendar(values)
    cards = load_cards(values)
    org = OrgEntries(units=load_units(values), people=load_people(values))
    org.pairs = load_ab_pairs(values)
    org.groups = load_groups(values)
    cross_check(report, org, has_units="units" in data, has_people="people" in data)
    if report.problems or county is None or dingtalk is None:
        return None, report.problems
    config = Config(
        county=county,
        people=MappingProxyType({p.user_id: p for p, _ in org.people}),
        units=MappingProxyType({u.unit_id: u for u, _ in org.units}),
        groups=MappingProxyType({g.conversation_id: g for g, _ in org.groups}),
        ab_pairs=tuple(pair for pair, _ in org.pairs),
        rules=rules,
        calendar_overrides=MappingProxyType(calendar),
        cards=MappingProxyType(cards),
        dingtalk=dingtalk,
        source=source,
    )
    return config, []


def _read(path: Path, texts: ProblemTexts) -> tuple[Config | None, list[ConfigProblem]]:
    where = texts.location(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [texts.problem(where, "file_not_found")]
    except UnicodeDecodeError:
        return None, [texts.problem(where, "file_not_utf8")]
    except OSError as exc:
        return None, [texts.problem(where, "file_unreadable", reason=exc.strerror)]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_ERROR_LINE.search(str(exc))
        if match:
            where = texts.location(line=int(match.group(1)))
        return None, [texts.problem(where, "toml_syntax", detail=str(exc))]
    return _load(text, data, path, texts)


def check_config(path: Path) -> list[ConfigProblem]:
    """Every problem in the file (empty when it is valid)."""
    return _read(path, ProblemTexts())[1]


def load_config(path: Path) -> Config:
    """The validated configuration; raises :class:`ConfigError` listing all problems."""
    texts = ProblemTexts()
    config, problems = _read(path, texts)
    if problems or config is None:
        where = texts.location(str(path))
        raise texts.error(problems or [texts.problem(where, "not_loaded")])
    return config
