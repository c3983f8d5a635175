"""The single tables of the file: [county], [dingtalk], [rules], [calendar.<year>] and
[cards]."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from types import MappingProxyType
from typing import Any

from bot.config.locate import ROOT, Where
from bot.config.secrets import is_secret_key
from bot.config.values import Values, parse_time, type_of
from bot.config_schema import (
    DEFAULT_API_BASE,
    DEFAULT_API_QUOTA_WARN_RATIO,
    DEFAULT_MONTHLY_API_QUOTA,
    DEFAULT_OAPI_BASE,
    DEFAULT_TODO_DELAY_MINUTES,
    DEFAULT_TODO_LINK,
    REQUIRED_DOC_PREFIXES,
    County,
    DingTalkSettings,
    RuleParams,
    YearCalendar,
)

_COUNTY_KEYS = ("name", "short_name", "doc_prefixes")
_DINGTALK_KEYS = (
    "api_base",
    "oapi_base",
    "corp_id",
    "todo_link",
    "monthly_api_quota",
    "api_quota_warn_ratio",
    "todo_delay_minutes",
)
_YEAR_KEYS = ("holidays", "workdays", "complete")
# Card templates the bot sends (messages/cards/<key>.json).
REQUIRED_CARDS = ("approval", "notice", "meeting")
_RULE_KEYS = tuple(f.name for f in fields(RuleParams))
_TIME_RULES = ("office_day_end", "daily_digest_time")


def _required_table(
    values: Values, where: Where, allowed: tuple[str, ...], *, code: str
) -> dict[str, Any] | None:
    """A table the file must have, its keys checked; None (reported) when missing."""
    table = values.get_table(where.table)
    if table is None:
        values.report.add(ROOT, None, code)
        return None
    values.check_keys(table, where, allowed)
    return table


def load_county(values: Values) -> County | None:
    where = Where("county")
    table = _required_table(values, where, _COUNTY_KEYS, code="county_missing")
    if table is None:
        return None
    name = values.get_str(table, where, "name", what="county_name")
    short = values.get_str(table, where, "short_name", what="county_short_name")
    prefixes = _doc_prefixes(values, table, where)
    if name is None or short is None:
        return None
    return County(name=name, short_name=short, doc_prefixes=MappingProxyType(prefixes))


def _doc_prefixes(values: Values, table: Mapping[str, Any], where: Where) -> dict[str, str]:
    """[county.doc_prefixes]: every 发文字号 prefix, the required ones present."""
    prefixes: dict[str, str] = {}
    pwhere = Where("county.doc_prefixes")
    raw = table.get("doc_prefixes")
    if raw is not None and not isinstance(raw, dict):
        values.report.add(where, "doc_prefixes", "doc_prefixes_not_table", type=type_of(raw))
        raw = {}
    for key, value in (raw or {}).items():
        if is_secret_key(key):
            continue
        if not isinstance(value, str) or not value.strip():
            values.report.add(pwhere, key, "doc_prefix_empty", key=key)
            continue
        prefixes[key] = value.strip()
    for key in REQUIRED_DOC_PREFIXES:
        if key not in prefixes and not (raw and key in raw):
            values.report.add(pwhere if raw else where, None, "doc_prefix_missing", key=key)
    return prefixes


def load_dingtalk(values: Values) -> DingTalkSettings | None:
    where = Where("dingtalk")
    table = _required_table(values, where, _DINGTALK_KEYS, code="dingtalk_missing")
    if table is None:
        return None
    bases: dict[str, str] = {}
    for key, default in (
        ("api_base", DEFAULT_API_BASE),
        ("oapi_base", DEFAULT_OAPI_BASE),
        ("todo_link", DEFAULT_TODO_LINK),
    ):
        value = values.get_str(table, where, key, what="api_url", required=False) or default
        if not value.startswith(("https://", "http://")):
            values.report.add(where, key, "not_url", key=key, value=value)
        bases[key] = value.rstrip("/")
    corp_id = values.get_str(table, where, "corp_id", what="corp_id")
    quota, ratio = _api_quota(values, table, where)
    delay = table.get("todo_delay_minutes", DEFAULT_TODO_DELAY_MINUTES)
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= 1440:
        values.report.add(where, "todo_delay_minutes", "bad_todo_delay", type=type_of(delay))
        delay = DEFAULT_TODO_DELAY_MINUTES
    if corp_id is None:
        return None
    return DingTalkSettings(
        api_base=bases["api_base"],
        oapi_base=bases["oapi_base"],
        corp_id=corp_id,
        todo_link=bases["todo_link"],
        monthly_api_quota=quota,
        api_quota_warn_ratio=ratio,
        todo_delay_minutes=int(delay),
    )


def _api_quota(values: Values, table: Mapping[str, Any], where: Where) -> tuple[int, float]:
    """``monthly_api_quota`` (a positive integer) and ``api_quota_warn_ratio`` (a
    number above 0 and at most 1)."""
    quota = table.get("monthly_api_quota", DEFAULT_MONTHLY_API_QUOTA)
    if isinstance(quota, bool) or not isinstance(quota, int) or quota <= 0:
        values.report.add(where, "monthly_api_quota", "bad_api_quota", type=type_of(quota))
        quota = DEFAULT_MONTHLY_API_QUOTA
    ratio = table.get("api_quota_warn_ratio", DEFAULT_API_QUOTA_WARN_RATIO)
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 1:
        # A number out of range is shown as written; anything else by its type.
        number = ratio if isinstance(ratio, int | float) and not isinstance(ratio, bool) else None
        values.report.add(
            where, "api_quota_warn_ratio", "bad_quota_ratio", number=number, type=type_of(ratio)
        )
        ratio = DEFAULT_API_QUOTA_WARN_RATIO
    return int(quota), float(ratio)


def load_rules(values: Values) -> RuleParams:
    where = Where("rules")
    table = values.get_table("rules") or {}
    values.check_keys(table, where, _RULE_KEYS)
    found: dict[str, Any] = {}
    for key in _RULE_KEYS:
        if key not in table:
            continue
        raw = table[key]
        if key in _TIME_RULES:
            parsed = parse_time(raw)
            if parsed is None:
                values.report.add(where, key, "bad_time", key=key, shown=repr(raw))
            else:
                found[key] = parsed
        elif isinstance(raw, bool) or not isinstance(raw, int):
            values.report.add(where, key, "not_positive_int", key=key, type=type_of(raw))
        elif raw <= 0:
            values.report.add(where, key, "not_positive", key=key, value=raw)
        else:
            found[key] = raw
    rules = RuleParams(**found)
    _check_rule_relations(values, rules, where)
    return rules


def _check_rule_relations(values: Values, rules: RuleParams, where: Where) -> None:
    """Rules that only make sense together with another one."""
    if not 1 <= rules.executive_meeting_weekday <= 7:
        values.report.add(
            where, "executive_meeting_weekday", "bad_weekday", value=rules.executive_meeting_weekday
        )
    if rules.emergency_ding_type not in (1, 2, 3):
        values.report.add(
            where, "emergency_ding_type", "bad_ding_type", value=rules.emergency_ding_type
        )
    if rules.letter_notice_days > rules.letter_finish_days:
        values.report.add(where, "letter_notice_days", "letter_notice_after_finish")
    if rules.single_topic_max_chars > rules.comprehensive_max_chars:
        values.report.add(where, "single_topic_max_chars", "single_topic_over_comprehensive")
    if rules.distribution_escalate_working_days < rules.distribution_remind_working_days:
        values.report.add(where, "distribution_escalate_working_days", "escalate_before_remind")


def load_calendar(values: Values) -> dict[int, YearCalendar]:
    result: dict[int, YearCalendar] = {}
    table = values.get_table("calendar") or {}
    for key, body in table.items():
        if is_secret_key(key):
            continue
        if not (key.isdigit() and 1990 <= int(key) <= 2200):
            values.report.add(Where("calendar"), None, "calendar_not_year", key=key)
            continue
        year = int(key)
        if not isinstance(body, dict):
            values.report.add(
                Where("calendar"), key, "calendar_year_not_table", year=year, type=type_of(body)
            )
            continue
        result[year] = _year_calendar(values, body, Where(f"calendar.{key}"), year)
    return result


def _year_calendar(
    values: Values, body: Mapping[str, Any], where: Where, year: int
) -> YearCalendar:
    values.check_keys(body, where, _YEAR_KEYS)
    holidays = values.get_dates(body, where, "holidays", year, "holidays")
    workdays = values.get_dates(body, where, "workdays", year, "workdays")
    for day in sorted(holidays & workdays):
        values.report.add(
            where, "workdays", "holiday_and_workday", near=day.isoformat(), day=day.isoformat()
        )
    complete = values.get_bool(body, where, "complete", what="calendar_complete")
    return YearCalendar(year, frozenset(holidays), frozenset(workdays), complete)


def load_cards(values: Values) -> dict[str, str]:
    where = Where("cards")
    table = values.get_table("cards") or {}
    result: dict[str, str] = {}
    for key, value in table.items():
        if is_secret_key(key):
            continue
        if not isinstance(value, str) or not value.strip():
            values.report.add(where, key, "card_template_empty", key=key, shown=repr(value))
            continue
        result[key] = value.strip()
    for key in REQUIRED_CARDS:
        if key not in result and key not in table:
            values.report.add(where, key, "card_template_missing", key=key)
    return result
