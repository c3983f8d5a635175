"""Load and validate the bot's one TOML configuration file; read secrets from the environment.

``check_config`` reports every problem at once, each with the TOML line (found by
searching the text for the table and key) and an explanation in Chinese that tells the
office what to change. ``load_config`` raises :class:`ConfigError` carrying that list.

Secrets never live in the file: they come from ``DINGTALK_APP_KEY``,
``DINGTALK_APP_SECRET``, ``DINGTALK_ROBOT_CODE`` (defaults to the app key) and
``DINGTALK_AGENT_ID``. A secret-looking key inside the file is itself a problem.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.config_schema import (
    CHILD_KINDS,
    DEFAULT_API_BASE,
    DEFAULT_API_QUOTA_WARN_RATIO,
    DEFAULT_MONTHLY_API_QUOTA,
    DEFAULT_OAPI_BASE,
    DEFAULT_TODO_DELAY_MINUTES,
    DEFAULT_TODO_LINK,
    HEADED_KINDS,
    IN_CHARGE_ROLES,
    LEADER_ROLES,
    OFFICE_ROLES,
    REQUIRED_DOC_PREFIXES,
    REQUIRED_UNIT_ROLES,
    ROLE_KEYS,
    ROLE_NAMES,
    ROLE_ORDER,
    SOLE_ROLES,
    UNIT_KIND_NAMES,
    UNIT_KIND_ORDER,
    UNIT_KINDS,
    UNIT_ROLE_KEYS,
    UNIT_ROLE_NAMES,
    UNIT_ROLE_ORDER,
    Config,
    ConfigError,
    ConfigProblem,
    County,
    DingTalkSettings,
    Group,
    Person,
    RuleParams,
    Secrets,
    Unit,
    YearCalendar,
)
from bot.org import OrgDirectory

__all__ = [
    "ROLE_KEYS",
    "ROLE_NAMES",
    "UNIT_KINDS",
    "UNIT_ROLE_KEYS",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "County",
    "DingTalkSettings",
    "Group",
    "OrgDirectory",
    "Person",
    "RuleParams",
    "Secrets",
    "Unit",
    "YearCalendar",
    "check_config",
    "load_config",
    "load_secrets",
]

_ID_RE = re.compile(r"[A-Za-z0-9_.-]+")
_PURPOSE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Words that mark a key as a secret. Matched against the key's words, so that e.g.
# "secretarial" is not a secret but "app_secret", "accessToken" and "db_password" are.
_SECRET_WORDS = frozenset(
    {"secret", "secrets", "token", "tokens", "password", "passwd", "pwd", "credential"}
)
_SECRET_SUFFIXES = ("secret", "token", "password", "passwd", "aeskey", "privatekey")
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Settings that exist, but only as environment variables.
_ENV_ONLY = {
    "appkey": "DINGTALK_APP_KEY",
    "clientid": "DINGTALK_APP_KEY",
    "appsecret": "DINGTALK_APP_SECRET",
    "clientsecret": "DINGTALK_APP_SECRET",
    "robotcode": "DINGTALK_ROBOT_CODE",
    "agentid": "DINGTALK_AGENT_ID",
}
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
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
_COUNTY_KEYS = ("name", "short_name", "doc_prefixes")
_PERSON_KEYS = (
    "user_id",
    "union_id",
    "name",
    "title",
    "unit",
    "roles",
    "in_charge_of",
    "secretarial",
)
_UNIT_KEYS = ("id", "name", "kind", "head", "parent", "roles", "county_managed")
_GROUP_KEYS = ("conversation_id", "name", "members", "purpose")
_AB_KEYS = ("pairs",)
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
_RULE_DEFAULTS = RuleParams()
_RULE_KEYS = tuple(f.name for f in fields(RuleParams))
_TIME_RULES = ("office_day_end", "daily_digest_time")


# --------------------------------------------------------------------------------------
# Finding line numbers in the TOML text


_HEADER_RE = re.compile(r"""^\s*(\[\[?)\s*([A-Za-z0-9_.\-"' ]+?)\s*\]\]?\s*(?:#.*)?$""")


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


class _Locator:
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


_ARRAY_TABLES = frozenset({"people", "units", "groups"})


@dataclass(frozen=True)
class _Where:
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

    def named(self, ident: str | None) -> _Where:
        return _Where(self.table, self.index, ident)


# --------------------------------------------------------------------------------------
# Messages


def _ratio_text(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _type_name(value)


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int):
        return "整数"
    if isinstance(value, float):
        return "小数"
    if isinstance(value, str):
        return "字符串"
    if isinstance(value, list):
        return "数组"
    if isinstance(value, dict):
        return "表"
    if isinstance(value, datetime):
        return "日期时间"
    if isinstance(value, date):
        return "日期"
    if isinstance(value, time):
        return "时间"
    return type(value).__name__


def _suggest(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"是否应为“{match[0]}”？" if match else ""


def _listing(choices: Iterable[str]) -> str:
    return "、".join(choices)


def _norm_key(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def _looks_secret(key: str) -> bool:
    words = {w for w in re.split(r"[_\-.\s]+", _CAMEL_RE.sub("_", key).lower()) if w}
    return bool(words & _SECRET_WORDS) or _norm_key(key).endswith(_SECRET_SUFFIXES)


def _secret_problem_text(key: str) -> str | None:
    env = _ENV_ONLY.get(_norm_key(key))
    if env is None and _looks_secret(key):
        env = "DINGTALK_APP_KEY、DINGTALK_APP_SECRET 等"
    if env is None:
        return None
    return (
        f"配置文件中不得出现密钥或类似密钥的配置项“{key}”。请删除此项，"
        f"改由环境变量 {env} 提供；若该密钥已提交到代码库或发给他人，请到钉钉开放平台重置。"
    )


# --------------------------------------------------------------------------------------
# The loader


class _Loader:
    def __init__(self, text: str, data: dict[str, Any], source: Path) -> None:
        self.locator = _Locator(text)
        self.data = data
        self.source = source
        self._found: list[tuple[int, int, ConfigProblem]] = []  # (line, order, problem)
        # Parsed entries with where they came from, for cross-checks.
        self.people: list[tuple[Person, _Where]] = []
        self.units: list[tuple[Unit, _Where]] = []
        self.groups: list[tuple[Group, _Where]] = []
        self.pairs: list[tuple[tuple[str, str], int]] = []

    # -- reporting ---------------------------------------------------------------

    def report(
        self, where: _Where, key: str | None, message: str, value: str | None = None
    ) -> None:
        line = self.locator.find(where.table, where.index, key, value)
        path = where.path(key)
        location = f"第 {line} 行 {path}" if line is not None else path
        problem = ConfigProblem(location.strip() or self.source.name, message)
        self._found.append((line or 0, len(self._found), problem))

    @property
    def problems(self) -> list[ConfigProblem]:
        """All problems found so far, in file order (file-wide ones first)."""
        return [p for _, _, p in sorted(self._found, key=lambda e: (e[0], e[1]))]

    def line_of(self, where: _Where, key: str | None = None) -> str:
        line = self.locator.find(where.table, where.index, key, None)
        return f"第 {line} 行 {where.path(key)}" if line is not None else where.path(key)

    # -- generic field readers -----------------------------------------------------

    def check_keys(self, table: Mapping[str, Any], where: _Where, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key in allowed or _secret_problem_text(key) is not None:
                continue  # secret-looking keys are reported by scan_secrets
            self.report(
                where,
                key,
                f"未知的配置项“{key}”。{_suggest(key, allowed)}"
                f"此处可用的配置项：{_listing(allowed)}。",
            )

    def get_str(
        self,
        table: Mapping[str, Any],
        where: _Where,
        key: str,
        *,
        what: str,
        required: bool = True,
        id_like: bool = False,
    ) -> str | None:
        if key not in table:
            if required:
                self.report(where, None, f'缺少必填项“{key}”（{what}）。请添加 {key} = "…"。')
            return None
        value = table[key]
        if not isinstance(value, str):
            self.report(
                where,
                key,
                f"“{key}”（{what}）应为字符串（用英文双引号括起），实际是{_type_name(value)}。",
            )
            return None
        if not value.strip():
            if required:
                self.report(where, key, f"“{key}”（{what}）不能为空。")
            return None
        if id_like and not _ID_RE.fullmatch(value):
            self.report(
                where,
                key,
                f"“{key}”的值“{value}”只能由英文字母、数字、下划线、点和连字符组成，不能含空格或中文。",
                value,
            )
            return None
        return value.strip() if not id_like else value

    def get_bool(self, table: Mapping[str, Any], where: _Where, key: str, *, what: str) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            self.report(
                where,
                key,
                f"“{key}”（{what}）应为 true 或 false（不加引号），实际是{_type_name(value)}。",
            )
            return False
        return value

    def get_str_list(
        self, table: Mapping[str, Any], where: _Where, key: str, *, what: str
    ) -> list[str]:
        if key not in table:
            return []
        value = table[key]
        if not isinstance(value, list):
            self.report(
                where,
                key,
                f'“{key}”（{what}）应为字符串数组，例如 {key} = ["a", "b"]，'
                f"实际是{_type_name(value)}。",
            )
            return []
        result: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                self.report(
                    where,
                    key,
                    f"“{key}”（{what}）的每一项都应为非空字符串，发现{_type_name(item)}：{item!r}。",
                )
                continue
            if item in result:
                self.report(where, key, f"“{key}”中“{item}”重复出现，请删去多余的一项。", item)
                continue
            result.append(item)
        return result

    def get_table(self, key: str) -> dict[str, Any] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.report(
                _Where(""),
                key,
                f"“{key}”应为一个表，请写成 [{key}] 段落，实际是{_type_name(value)}。",
            )
            return None
        return value

    def get_array_of_tables(self, key: str, what: str) -> list[tuple[dict[str, Any], _Where]]:
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, dict):
            self.report(
                _Where(key),
                None,
                f"{what}应写作多个 [[{key}]] 段落（双方括号，每条一个），而不是 [{key}]。",
            )
            return []
        if not isinstance(value, list):
            self.report(
                _Where(""), key, f"“{key}”应写作多个 [[{key}]] 段落，实际是{_type_name(value)}。"
            )
            return []
        result: list[tuple[dict[str, Any], _Where]] = []
        for i, item in enumerate(value):
            where = _Where(key, i)
            if not isinstance(item, dict):
                self.report(
                    where,
                    None,
                    f"{what}的每一条都应为一个 [[{key}]] 段落，实际是{_type_name(item)}。",
                )
                continue
            result.append((item, where))
        return result

    # -- secret scan ------------------------------------------------------------

    def scan_secrets(self, value: object, where: _Where) -> None:
        """Report every secret-looking key anywhere in the file."""
        if not isinstance(value, dict):
            return
        for key, child in value.items():
            text = _secret_problem_text(key)
            if text is not None:
                self.report(where, key, text)
                continue
            child_table = f"{where.table}.{key}" if where.table else key
            if isinstance(child, dict):
                self.scan_secrets(child, _Where(child_table))
            elif isinstance(child, list):
                for i, item in enumerate(child):
                    if isinstance(item, dict):
                        self.scan_secrets(item, _Where(child_table, i, _ident(item)))

    # -- sections -------------------------------------------------------------------

    def load(self) -> Config | None:
        root = _Where("")
        self.scan_secrets(self.data, root)
        self.check_keys(self.data, root, _TOP_KEYS)
        county = self.load_county()
        dingtalk = self.load_dingtalk()
        rules = self.load_rules()
        calendar = self.load_calendar()
        cards = self.load_cards()
        self.load_units()
        self.load_people()
        self.load_ab_pairs()
        self.load_groups()
        self.cross_check()
        if self.problems or county is None or dingtalk is None:
            return None
        return Config(
            county=county,
            people=MappingProxyType({p.user_id: p for p, _ in self.people}),
            units=MappingProxyType({u.unit_id: u for u, _ in self.units}),
            groups=MappingProxyType({g.conversation_id: g for g, _ in self.groups}),
            ab_pairs=tuple(pair for pair, _ in self.pairs),
            rules=rules,
            calendar_overrides=MappingProxyType(calendar),
            cards=MappingProxyType(cards),
            dingtalk=dingtalk,
            source=self.source,
        )

    def load_county(self) -> County | None:
        where = _Where("county")
        table = self.get_table("county")
        if table is None:
            self.report(
                _Where(""),
                None,
                "缺少 [county] 段落。请添加县名、简称和发文字号前缀，例如：\n"
                '[county]\nname = "阳城县"\nshort_name = "阳城"\n'
                '[county.doc_prefixes]\ncounty_gov = "阳政发"\ngov_office = "阳政办发"',
            )
            return None
        self.check_keys(table, where, _COUNTY_KEYS)
        name = self.get_str(table, where, "name", what="县名，如“阳城县”")
        short = self.get_str(table, where, "short_name", what="简称，如“阳城”")
        prefixes: dict[str, str] = {}
        pwhere = _Where("county.doc_prefixes")
        raw = table.get("doc_prefixes")
        if raw is not None and not isinstance(raw, dict):
            self.report(
                where,
                "doc_prefixes",
                f"doc_prefixes 应为一个表 [county.doc_prefixes]，实际是{_type_name(raw)}。",
            )
            raw = {}
        for key, value in (raw or {}).items():
            if _secret_problem_text(key) is not None:
                continue
            if not isinstance(value, str) or not value.strip():
                self.report(pwhere, key, f"发文字号前缀“{key}”应为非空字符串，如“阳政发”。")
                continue
            prefixes[key] = value.strip()
        for key, what in REQUIRED_DOC_PREFIXES.items():
            if key not in prefixes and not (raw and key in raw):
                self.report(
                    pwhere if raw else where,
                    None,
                    f"缺少{what}的发文字号前缀“{key}”。"
                    f'请在 [county.doc_prefixes] 中添加 {key} = "…"。',
                )
        if name is None or short is None:
            return None
        return County(name=name, short_name=short, doc_prefixes=MappingProxyType(prefixes))

    def load_dingtalk(self) -> DingTalkSettings | None:
        where = _Where("dingtalk")
        table = self.get_table("dingtalk")
        if table is None:
            self.report(
                _Where(""),
                None,
                "缺少 [dingtalk] 段落。请至少填写企业的 corp_id，例如：\n"
                '[dingtalk]\ncorp_id = "ding…"',
            )
            return None
        self.check_keys(table, where, _DINGTALK_KEYS)
        bases: dict[str, str] = {}
        for key, default in (
            ("api_base", DEFAULT_API_BASE),
            ("oapi_base", DEFAULT_OAPI_BASE),
            ("todo_link", DEFAULT_TODO_LINK),
        ):
            value = self.get_str(table, where, key, what="接口地址", required=False) or default
            if not value.startswith(("https://", "http://")):
                self.report(where, key, f"“{key}”应为以 https:// 开头的网址，实际是“{value}”。")
            bases[key] = value.rstrip("/")
        corp_id = self.get_str(
            table, where, "corp_id", what="钉钉企业 CorpId，在开发者后台首页可见"
        )
        quota, ratio = self.load_api_quota(table, where)
        delay = table.get("todo_delay_minutes", DEFAULT_TODO_DELAY_MINUTES)
        if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= 1440:
            self.report(
                where,
                "todo_delay_minutes",
                "“todo_delay_minutes”（步骤等待多少分钟后才建钉钉待办）应为 0 到 1440 的整数"
                f"（不加引号），实际是{_type_name(delay)}。",
            )
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

    def load_api_quota(self, table: Mapping[str, Any], where: _Where) -> tuple[int, float]:
        """``monthly_api_quota`` (a positive integer) and ``api_quota_warn_ratio`` (a
        number above 0 and at most 1)."""
        quota = table.get("monthly_api_quota", DEFAULT_MONTHLY_API_QUOTA)
        if isinstance(quota, bool) or not isinstance(quota, int) or quota <= 0:
            self.report(
                where,
                "monthly_api_quota",
                "“monthly_api_quota”（钉钉每月接口调用额度）应为正整数（不加引号），"
                f"标准版为 10000，实际是{_type_name(quota)}。",
            )
            quota = DEFAULT_MONTHLY_API_QUOTA
        ratio = table.get("api_quota_warn_ratio", DEFAULT_API_QUOTA_WARN_RATIO)
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 1:
            self.report(
                where,
                "api_quota_warn_ratio",
                "“api_quota_warn_ratio”（额度提醒比例）应为大于 0、不超过 1 的小数，"
                f"例如 0.8，实际是{_ratio_text(ratio)}。",
            )
            ratio = DEFAULT_API_QUOTA_WARN_RATIO
        return int(quota), float(ratio)

    def load_rules(self) -> RuleParams:
        where = _Where("rules")
        table = self.get_table("rules") or {}
        self.check_keys(table, where, _RULE_KEYS)
        values: dict[str, Any] = {}
        for key in _RULE_KEYS:
            if key not in table:
                continue
            raw = table[key]
            if key in _TIME_RULES:
                parsed = _parse_time(raw)
                if parsed is None:
                    self.report(
                        where,
                        key,
                        f'“{key}”应为“时:分”格式的字符串，例如 "18:00"，实际是 {raw!r}。',
                    )
                else:
                    values[key] = parsed
                continue
            if isinstance(raw, bool) or not isinstance(raw, int):
                self.report(where, key, f"“{key}”应为正整数（不加引号），实际是{_type_name(raw)}。")
            elif raw <= 0:
                self.report(where, key, f"“{key}”应为正整数，实际是 {raw}。")
            else:
                values[key] = raw
        rules = RuleParams(**values)
        if not 1 <= rules.executive_meeting_weekday <= 7:
            self.report(
                where,
                "executive_meeting_weekday",
                f"“executive_meeting_weekday”应为 1（星期一）到 7（星期日），"
                f"实际是 {rules.executive_meeting_weekday}。",
            )
        if rules.single_topic_max_chars > rules.comprehensive_max_chars:
            self.report(
                where,
                "single_topic_max_chars",
                "专项请示的字数上限（single_topic_max_chars）不应大于综合性请示的上限"
                "（comprehensive_max_chars）；第六十九条分别为 1000 字和 2000 字。",
            )
        if rules.distribution_escalate_working_days < rules.distribution_remind_working_days:
            self.report(
                where,
                "distribution_escalate_working_days",
                "上报提醒（distribution_escalate_working_days）应晚于或等于首次提醒"
                "（distribution_remind_working_days）。",
            )
        return rules

    def load_calendar(self) -> dict[int, YearCalendar]:
        result: dict[int, YearCalendar] = {}
        table = self.get_table("calendar") or {}
        for key, body in table.items():
            if _secret_problem_text(key) is not None:
                continue
            where = _Where(f"calendar.{key}")
            if not (key.isdigit() and 1990 <= int(key) <= 2200):
                self.report(
                    _Where("calendar"),
                    None,
                    f"[calendar] 下的“{key}”不是年份。请按年份分段，例如 [calendar.2027]。",
                )
                continue
            year = int(key)
            if not isinstance(body, dict):
                self.report(
                    _Where("calendar"),
                    key,
                    f"[calendar.{year}] 应为一个表，实际是{_type_name(body)}。",
                )
                continue
            self.check_keys(body, where, _YEAR_KEYS)
            holidays = self.get_dates(body, where, "holidays", year, "放假日期")
            workdays = self.get_dates(body, where, "workdays", year, "调休上班日期")
            for day in sorted(holidays & workdays):
                self.report(
                    where,
                    "workdays",
                    f"{day.isoformat()} 同时出现在 holidays 和 workdays 中，请只保留其一。",
                    day.isoformat(),
                )
            complete = self.get_bool(body, where, "complete", what="本年节假日表是否完整")
            result[year] = YearCalendar(year, frozenset(holidays), frozenset(workdays), complete)
        return result

    def get_dates(
        self, table: Mapping[str, Any], where: _Where, key: str, year: int, what: str
    ) -> set[date]:
        raw = table.get(key, [])
        if not isinstance(raw, list):
            self.report(
                where, key, f"“{key}”（{what}）应为日期数组，例如 [2027-01-01, 2027-10-01]。"
            )
            return set()
        result: set[date] = set()
        for item in raw:
            day = _parse_date(item)
            if day is None:
                self.report(
                    where,
                    key,
                    f"“{key}”（{what}）中的 {item!r} 不是日期，请写成 2027-01-01 的形式。",
                )
                continue
            if day.year != year:
                self.report(
                    where,
                    key,
                    f"{day.isoformat()} 不在 {year} 年内，请移到 [calendar.{day.year}] 中。",
                    day.isoformat(),
                )
                continue
            result.add(day)
        return result

    def load_cards(self) -> dict[str, str]:
        where = _Where("cards")
        table = self.get_table("cards") or {}
        result: dict[str, str] = {}
        for key, value in table.items():
            if _secret_problem_text(key) is not None:
                continue
            if not isinstance(value, str) or not value.strip():
                self.report(
                    where,
                    key,
                    f"卡片模板“{key}”应为非空字符串（钉钉卡片模板 ID），实际是 {value!r}。",
                )
                continue
            result[key] = value.strip()
        for key in REQUIRED_CARDS:
            if key not in result and key not in table:
                self.report(
                    where,
                    key,
                    f"缺少卡片模板“{key}”：请在钉钉卡片平台按 messages/cards/{key}.json 创建模板，"
                    f'把模板 ID 填为 {key} = "…"。',
                )
        return result

    def load_units(self) -> None:
        seen: dict[str, _Where] = {}
        for table, where in self.get_array_of_tables("units", "单位"):
            unit_id = self.get_str(
                table, where, "id", what="单位编号，英文字母或拼音缩写", id_like=True
            )
            where = where.named(unit_id)
            self.check_keys(table, where, _UNIT_KEYS)
            name = self.get_str(table, where, "name", what="单位全称") or ""
            kind = self.get_str(table, where, "kind", what="单位类别") or ""
            if kind and kind not in UNIT_KINDS:
                self.report(
                    where,
                    "kind",
                    f"未知的单位类别“{kind}”。{_suggest(kind, UNIT_KIND_ORDER)}可用的类别："
                    + _listing(f"{k}（{UNIT_KIND_NAMES[k]}）" for k in UNIT_KIND_ORDER)
                    + "。",
                    kind,
                )
            head = self.get_str(table, where, "head", what="主要负责人的 user_id", required=False)
            parent = self.get_str(table, where, "parent", what="上级单位编号", required=False)
            roles = self.get_str_list(table, where, "roles", what="单位职能")
            for role in roles:
                if role not in UNIT_ROLE_KEYS:
                    hint = (
                        "这是人员角色，应写在 [[people]] 的 roles 中。"
                        if role in ROLE_KEYS
                        else _suggest(role, UNIT_ROLE_ORDER)
                    )
                    self.report(
                        where,
                        "roles",
                        f"未知的单位职能“{role}”。{hint}可用的单位职能："
                        + _listing(f"{k}（{UNIT_ROLE_NAMES[k]}）" for k in UNIT_ROLE_ORDER)
                        + "。",
                        role,
                    )
            county_managed = self.get_bool(table, where, "county_managed", what="是否县管煤矿")
            if unit_id is None:
                continue
            if unit_id in seen:
                self.report(
                    where,
                    "id",
                    f"单位编号“{unit_id}”与 {self.line_of(seen[unit_id], 'id')} 重复，"
                    "每个单位的 id 必须唯一。",
                    unit_id,
                )
                continue
            seen[unit_id] = where
            unit = Unit(
                unit_id=unit_id,
                name=name,
                kind=kind,
                head_id=head,
                parent_id=parent,
                roles=frozenset(r for r in roles if r in UNIT_ROLE_KEYS),
                county_managed=county_managed,
            )
            self.units.append((unit, where))
        if "units" not in self.data:
            self.report(
                _Where(""),
                None,
                "缺少 [[units]] 单位列表。请至少配置县政府领导、县政府办公室、县委办公室和各部门。",
            )

    def load_people(self) -> None:
        seen_user: dict[str, _Where] = {}
        seen_union: dict[str, _Where] = {}
        for table, where in self.get_array_of_tables("people", "人员"):
            user_id = self.get_str(
                table,
                where,
                "user_id",
                what="钉钉 userId，可在钉钉管理后台通讯录中查看",
                id_like=True,
            )
            where = where.named(user_id)
            self.check_keys(table, where, _PERSON_KEYS)
            union_id = self.get_str(table, where, "union_id", what="钉钉 unionId")
            if union_id is not None and any(c.isspace() for c in union_id):
                self.report(where, "union_id", "union_id 中不能含空格。")
            name = self.get_str(table, where, "name", what="姓名") or ""
            title = self.get_str(table, where, "title", what="职务", required=False) or ""
            unit = self.get_str(table, where, "unit", what="所在单位的 id") or ""
            roles = self.get_str_list(table, where, "roles", what="角色")
            for role in roles:
                if role in ROLE_KEYS:
                    continue
                if role in UNIT_ROLE_KEYS:
                    hint = (
                        "这是单位职能，应写在对应单位 [[units]] 的 roles 中，"
                        "而不是人员的 roles 中。"
                    )
                else:
                    hint = _suggest(role, ROLE_ORDER)
                self.report(
                    where,
                    "roles",
                    f"未知的角色“{role}”。{hint}可用的角色："
                    + _listing(f"{k}（{ROLE_NAMES[k]}）" for k in ROLE_ORDER)
                    + "。",
                    role,
                )
            in_charge = self.get_str_list(table, where, "in_charge_of", what="分管单位")
            secretarial = self.get_bool(table, where, "secretarial", what="是否分管文秘")
            if user_id is None:
                continue
            if user_id in seen_user:
                self.report(
                    where,
                    "user_id",
                    f"userId“{user_id}”与 {self.line_of(seen_user[user_id], 'user_id')} 重复；"
                    "同一人只能配置一次，兼任的职务请合并写在同一条的 roles 中。",
                    user_id,
                )
                continue
            seen_user[user_id] = where
            if union_id is not None:
                if union_id in seen_union:
                    self.report(
                        where,
                        "union_id",
                        f"unionId“{union_id}”与 "
                        f"{self.line_of(seen_union[union_id], 'union_id')} 重复，"
                        "每人的 unionId 不同，请核对。",
                        union_id,
                    )
                else:
                    seen_union[union_id] = where
            person = Person(
                user_id=user_id,
                union_id=union_id or "",
                name=name,
                unit_id=unit,
                title=title,
                roles=frozenset(r for r in roles if r in ROLE_KEYS),
                in_charge_of=tuple(in_charge),
                secretarial=secretarial,
            )
            self.people.append((person, where))
        if "people" not in self.data:
            self.report(_Where(""), None, "缺少 [[people]] 人员列表。")

    def load_ab_pairs(self) -> None:
        where = _Where("ab_roles")
        table = self.get_table("ab_roles") or {}
        self.check_keys(table, where, _AB_KEYS)
        raw = table.get("pairs", [])
        if not isinstance(raw, list):
            self.report(where, "pairs", 'pairs 应为数组，例如 pairs = [["a", "b"], ["c", "d"]]。')
            return
        for i, pair in enumerate(raw):
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(x, str) and x for x in pair)
            ):
                self.report(
                    where,
                    "pairs",
                    f'第 {i + 1} 组 AB 角 {pair!r} 应为两个 user_id 组成的数组，例如 ["a", "b"]。',
                )
                continue
            self.pairs.append(((pair[0], pair[1]), i))

    def load_groups(self) -> None:
        seen: dict[str, _Where] = {}
        purposes: dict[str, _Where] = {}
        for table, where in self.get_array_of_tables("groups", "钉钉群"):
            cid = self.get_str(table, where, "conversation_id", what="群的 openConversationId")
            where = where.named(cid)
            self.check_keys(table, where, _GROUP_KEYS)
            name = self.get_str(table, where, "name", what="群名称") or ""
            members = self.get_str_list(table, where, "members", what="群成员的 user_id")
            if "members" in table and not members and isinstance(table["members"], list):
                self.report(where, "members", "群成员不能为空。")
            purpose = self.get_str(table, where, "purpose", what="群用途", required=False)
            if purpose is not None and not _PURPOSE_RE.fullmatch(purpose):
                self.report(
                    where, "purpose", f'群用途“{purpose}”应为英文标识，例如 "gov_office"。', purpose
                )
                purpose = None
            if cid is None:
                continue
            if cid in seen:
                self.report(
                    where,
                    "conversation_id",
                    f"群 ID“{cid}”与 {self.line_of(seen[cid], 'conversation_id')} 重复。",
                    cid,
                )
                continue
            seen[cid] = where
            if purpose is not None:
                if purpose in purposes:
                    self.report(
                        where,
                        "purpose",
                        f"群用途“{purpose}”已用于 {self.line_of(purposes[purpose], 'purpose')}，"
                        "每种用途只能对应一个群。",
                        purpose,
                    )
                else:
                    purposes[purpose] = where
            self.groups.append((Group(cid, name, tuple(members), purpose), where))

    # -- cross-references and organisational rules ----------------------------------

    def unknown_person(self, where: _Where, key: str, user_id: str, what: str) -> None:
        known = [p.user_id for p, _ in self.people]
        self.report(
            where,
            key,
            f"{what}“{user_id}”不在 [[people]] 中。{_suggest(user_id, known)}"
            "请先在 [[people]] 中添加此人，或更正 user_id。",
            user_id,
        )

    def unknown_unit(self, where: _Where, key: str, unit_id: str, what: str) -> None:
        known = [u.unit_id for u, _ in self.units]
        self.report(
            where,
            key,
            f"{what}“{unit_id}”不在 [[units]] 中。{_suggest(unit_id, known)}"
            "请先在 [[units]] 中添加该单位，或更正单位 id。",
            unit_id,
        )

    def cross_check(self) -> None:
        people = {p.user_id: (p, w) for p, w in self.people}
        units = {u.unit_id: (u, w) for u, w in self.units}
        office_ids = {u.unit_id for u, _ in self.units if u.kind == "office"}

        # Units: heads, parents, kinds and unit roles.
        for unit, where in self.units:
            if unit.head_id is not None:
                head = people.get(unit.head_id)
                if head is None:
                    self.unknown_person(where, "head", unit.head_id, "主要负责人")
                elif unit.kind in HEADED_KINDS and "unit_head" not in head[0].roles:
                    self.report(
                        head[1],
                        "roles",
                        f"{head[0].name}是“{unit.name}”的主要负责人"
                        f"（见 {self.line_of(where, 'head')}），"
                        '请在其 roles 中加入 "unit_head"。',
                    )
            elif unit.kind in HEADED_KINDS | {"office", "party_office"}:
                self.report(
                    where,
                    None,
                    f"“{unit.name}”是{UNIT_KIND_NAMES[unit.kind]}，"
                    '必须用 head = "user_id" 指明主要负责人'
                    "（请示签发、会签、请假审批都要用到）。",
                )
            if unit.parent_id is not None:
                if unit.parent_id == unit.unit_id:
                    self.report(where, "parent", "单位不能以自己为上级单位。")
                elif unit.parent_id not in units:
                    self.unknown_unit(where, "parent", unit.parent_id, "上级单位")
                elif self._has_cycle(unit.unit_id, units):
                    self.report(where, "parent", "上级单位关系形成了循环，请检查 parent。")
            elif unit.kind in CHILD_KINDS:
                self.report(
                    where,
                    None,
                    f'“{unit.name}”是{UNIT_KIND_NAMES[unit.kind]}，必须用 parent = "单位id" '
                    "指明其主管部门（第七十一条：须经主管部门报送）。",
                )
            if unit.county_managed and unit.kind != "coal_mine":
                self.report(
                    where,
                    "county_managed",
                    'county_managed（县管）只适用于 kind = "coal_mine" 的煤矿。',
                )
            expected_kind = {
                "gov_office": "office",
                "party_office": "party_office",
                "legal_bureau": "department",
                "finance_bureau": "department",
                "audit_bureau": "department",
                "emergency_bureau": "department",
            }
            for role in unit.roles:
                want = expected_kind[role]
                if unit.kind and unit.kind != want:
                    self.report(
                        where,
                        "kind",
                        f"单位职能 {role}（{UNIT_ROLE_NAMES[role]}）"
                        f'要求 kind = "{want}"，当前为“{unit.kind}”。',
                    )
        for role in UNIT_ROLE_ORDER:
            holders = [(u, w) for u, w in self.units if role in u.roles]
            if len(holders) > 1:
                first = self.line_of(holders[0][1], "roles")
                for _, w in holders[1:]:
                    self.report(
                        w,
                        "roles",
                        f"单位职能 {role}（{UNIT_ROLE_NAMES[role]}）只能由一个单位承担，"
                        f"已用于 {first}。",
                        role,
                    )
            elif not holders and role in REQUIRED_UNIT_ROLES and "units" in self.data:
                self.report(
                    _Where("units"),
                    None,
                    f"没有单位承担 {role}（{UNIT_ROLE_NAMES[role]}）。请在该单位的 [[units]] 中写 "
                    f'roles = ["{role}"]。',
                )

        # People: units, roles, 分管 lists.
        in_charge_by: dict[str, tuple[Person, _Where]] = {}
        for person, where in self.people:
            unit_entry = units.get(person.unit_id) if person.unit_id else None
            if person.unit_id and unit_entry is None:
                self.unknown_unit(where, "unit", person.unit_id, "所在单位")
            home = unit_entry[0] if unit_entry else None
            if home is not None:
                unit = home
                leader_roles = person.roles & LEADER_ROLES
                if leader_roles and unit.kind != "leadership":
                    names = _listing(ROLE_NAMES[r] for r in ROLE_ORDER if r in leader_roles)
                    self.report(
                        where,
                        "unit",
                        f'{names}应属于 kind = "leadership" 的县政府领导单位，'
                        f"当前单位“{unit.name}”。",
                        person.unit_id,
                    )
                office_roles = person.roles & OFFICE_ROLES
                in_office = unit.kind == "office" or unit.parent_id in office_ids
                if office_roles and not in_office:
                    names = _listing(ROLE_NAMES[r] for r in ROLE_ORDER if r in office_roles)
                    self.report(
                        where,
                        "unit",
                        f"{names}应属于县政府办公室或其内设机构，当前单位“{unit.name}”。",
                        person.unit_id,
                    )
            if person.in_charge_of and not person.roles & (IN_CHARGE_ROLES | {"office_deputy"}):
                self.report(
                    where,
                    "in_charge_of",
                    "只有常务副县长、副县长、县政府党组成员（以及协助其工作的办公室副主任）"
                    "可以配置 "
                    "in_charge_of（分管单位）。",
                )
            for unit_id in person.in_charge_of:
                target = units.get(unit_id)
                if target is None:
                    self.unknown_unit(where, "in_charge_of", unit_id, "分管单位")
                    continue
                if target[0].kind in ("leadership", "office"):
                    self.report(
                        where,
                        "in_charge_of",
                        f"“{target[0].name}”不能作为分管单位。",
                        unit_id,
                    )
                    continue
                if person.roles & IN_CHARGE_ROLES:
                    other = in_charge_by.get(unit_id)
                    if other is not None:
                        self.report(
                            where,
                            "in_charge_of",
                            f"“{target[0].name}”已由{other[0].name}分管"
                            f"（{self.line_of(other[1], 'in_charge_of')}），"
                            "一个单位只能有一位分管领导。",
                            unit_id,
                        )
                    else:
                        in_charge_by[unit_id] = (person, where)
            if person.secretarial and "office_deputy" not in person.roles:
                self.report(
                    where,
                    "secretarial",
                    "secretarial = true（分管文秘）只适用于办公室副主任（office_deputy）。",
                )
            if "unit_head" in person.roles:
                heads = [
                    u
                    for u, _ in self.units
                    if u.head_id == person.user_id
                    and (u.kind in HEADED_KINDS or u.kind not in UNIT_KINDS)
                ]
                if not heads:
                    self.report(
                        where,
                        "roles",
                        "此人有 unit_head（主要负责人）角色，"
                        "但不是任何部门、乡镇、开发区、县属企业或煤矿的 head。"
                        '请在该单位的 [[units]] 中写 head = "'
                        + person.user_id
                        + '"，或删去此角色。',
                        "unit_head",
                    )

        # Role counts.
        if "people" in self.data:
            anchor = _Where("people")
            for role in SOLE_ROLES:
                role_holders = [(p, w) for p, w in self.people if role in p.roles]
                if not role_holders:
                    self.report(
                        anchor, None, f"没有人担任 {role}（{ROLE_NAMES[role]}），必须恰好一人。"
                    )
                for _, w in role_holders[1:]:
                    self.report(
                        w,
                        "roles",
                        f"{role}（{ROLE_NAMES[role]}）只能一人担任，已由 {role_holders[0][0].name}"
                        f"（{self.line_of(role_holders[0][1], 'roles')}）担任。",
                        role,
                    )
            if not any("office_deputy" in p.roles and p.secretarial for p, _ in self.people):
                self.report(
                    anchor,
                    None,
                    "没有分管文秘的办公室副主任："
                    "请在其中一位 office_deputy 的条目中写 secretarial = true"
                    "（发文流程第二步，第七十三条）。",
                )
            for role in ("admin_section", "office_clerk"):
                if not any(role in p.roles for p, _ in self.people):
                    self.report(anchor, None, f"至少需要一人担任 {role}（{ROLE_NAMES[role]}）。")

        # County-managed coal mines need a leader in charge (their leave goes to him).
        for unit, where in self.units:
            if (
                unit.county_managed
                and unit.kind == "coal_mine"
                and unit.unit_id not in in_charge_by
            ):
                self.report(
                    where,
                    "county_managed",
                    f"县管煤矿“{unit.name}”必须有分管副县长："
                    f"请把“{unit.unit_id}”写入该副县长的 in_charge_of"
                    "（其主要负责人的请假由分管副县长审批）。",
                )

        # AB pairs.
        paired: dict[str, int] = {}
        for (a, b), i in self.pairs:
            where = _Where("ab_roles")
            for uid in (a, b):
                if uid not in people:
                    self.unknown_person(where, "pairs", uid, f"第 {i + 1} 组 AB 角中的")
            if a == b:
                self.report(
                    where,
                    "pairs",
                    f"第 {i + 1} 组 AB 角中“{a}”与自己配对，请改为两位不同的领导。",
                    a,
                )
                continue
            for uid in (a, b):
                if uid in paired:
                    self.report(
                        where,
                        "pairs",
                        f"“{uid}”同时出现在第 {paired[uid] + 1} 组和第 {i + 1} 组 AB 角中，"
                        "每人只能有一位 AB 角。",
                        uid,
                    )
                else:
                    paired[uid] = i

        # Group members.
        for group, where in self.groups:
            for uid in group.member_ids:
                if uid not in people:
                    self.unknown_person(where, "members", uid, "群成员")

    @staticmethod
    def _has_cycle(start: str, units: Mapping[str, tuple[Unit, _Where]]) -> bool:
        seen = {start}
        current = units[start][0].parent_id
        while current is not None and current in units:
            if current in seen:
                return True
            seen.add(current)
            current = units[current][0].parent_id
        return False


def _ident(item: object) -> str | None:
    """The identifying value of an array-of-tables entry, for locations."""
    if isinstance(item, dict):
        for key in ("user_id", "id", "conversation_id"):
            value = item.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def _parse_time(raw: object) -> time | None:
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


def _parse_date(raw: object) -> date | None:
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


def _read(path: Path) -> tuple[Config | None, list[ConfigProblem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [ConfigProblem(str(path), "找不到配置文件，请检查路径。")]
    except UnicodeDecodeError:
        return None, [ConfigProblem(str(path), "配置文件不是 UTF-8 编码，请用 UTF-8 重新保存。")]
    except OSError as exc:
        return None, [ConfigProblem(str(path), f"无法读取配置文件（{exc.strerror}）。")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_ERROR_LINE.search(str(exc))
        location = f"第 {match.group(1)} 行" if match else str(path)
        detail = str(exc)
        return None, [
            ConfigProblem(
                location,
                f"TOML 语法错误（{detail}）。请检查该行的引号、方括号、等号和逗号，"
                "字符串须用英文双引号括起。",
            )
        ]
    loader = _Loader(text, data, path)
    config = loader.load()
    return config, loader.problems


def check_config(path: Path) -> list[ConfigProblem]:
    """Every problem in the file (empty when it is valid)."""
    return _read(path)[1]


def load_config(path: Path) -> Config:
    """The validated configuration; raises :class:`ConfigError` listing all problems."""
    config, problems = _read(path)
    if problems or config is None:
        raise ConfigError(problems or [ConfigProblem(str(path), "配置无法加载。")])
    return config


def load_secrets(env: Mapping[str, str]) -> Secrets:
    """Secrets from environment variables; raises :class:`ConfigError` naming every
    missing or invalid variable."""
    problems: list[ConfigProblem] = []

    def need(name: str, what: str) -> str:
        value = env.get(name, "").strip()
        if not value:
            problems.append(
                ConfigProblem(
                    f"环境变量 {name}",
                    f"未设置{what}。请在启动前设置该环境变量（不要写入配置文件）。",
                )
            )
        return value

    app_key = need("DINGTALK_APP_KEY", "钉钉应用的 AppKey（Client ID）")
    app_secret = need("DINGTALK_APP_SECRET", "钉钉应用的 AppSecret（Client Secret）")
    robot_code = env.get("DINGTALK_ROBOT_CODE", "").strip() or app_key
    agent_raw = need("DINGTALK_AGENT_ID", "钉钉应用的 AgentId（发送工作通知需要）")
    agent_id = 0
    if agent_raw:
        if agent_raw.isdigit() and int(agent_raw) > 0:
            agent_id = int(agent_raw)
        else:
            problems.append(
                ConfigProblem(
                    "环境变量 DINGTALK_AGENT_ID",
                    "AgentId 应为正整数（在钉钉开发者后台“应用信息”中查看），"
                    f"当前为“{agent_raw}”。",
                )
            )
    if problems:
        raise ConfigError(problems)
    return Secrets(app_key=app_key, app_secret=app_secret, robot_code=robot_code, agent_id=agent_id)
