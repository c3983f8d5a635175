"""Typed configuration objects and the fixed vocabularies (role keys, unit kinds).

The loader (:mod:`bot.config.loader`) turns the TOML file into these objects; everything else
in the bot reads only these. All of them are immutable.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from importlib import resources
from pathlib import Path
from types import MappingProxyType


def _load_names() -> dict[str, Mapping[str, str]]:
    """The display names of roles, unit kinds and unit roles (messages/config_names.toml)."""
    raw = resources.files("messages").joinpath("config_names.toml").read_text(encoding="utf-8")
    return {section: MappingProxyType(names) for section, names in tomllib.loads(raw).items()}


_NAMES = _load_names()

# The vocabularies (person roles, unit kinds, unit roles) are written once, key and
# display name together, in messages/config_names.toml; their order there is the
# listing order used here.

# Display names of the roles (shown to people; the wording of the work rules).
ROLE_NAMES: Mapping[str, str] = _NAMES["roles"]
# Person roles, in the order used when listing a person's roles (rules-map, first table).
ROLE_ORDER: tuple[str, ...] = tuple(ROLE_NAMES)
ROLE_KEYS: frozenset[str] = frozenset(ROLE_ORDER)

# Roles held by members of the county government (they sit in a ``leadership`` unit).
LEADER_ROLES: frozenset[str] = frozenset(
    {"county_head", "executive_deputy", "deputy_head", "party_member"}
)
# Leaders who have 分管 areas and are "the leader in charge" of units.
IN_CHARGE_ROLES: frozenset[str] = frozenset({"executive_deputy", "deputy_head", "party_member"})
# Roles of the government office's own staff.
OFFICE_ROLES: frozenset[str] = frozenset(
    {"office_director", "office_deputy", "admin_section", "office_clerk"}
)
# Roles that must be held by exactly one person.
SOLE_ROLES: tuple[str, ...] = ("county_head", "executive_deputy", "office_director")

UNIT_KIND_NAMES: Mapping[str, str] = _NAMES["unit_kinds"]
UNIT_KIND_ORDER: tuple[str, ...] = tuple(UNIT_KIND_NAMES)
UNIT_KINDS: frozenset[str] = frozenset(UNIT_KIND_ORDER)
# Unit kinds whose responsible person (主要负责人) must be named (第一百零一条 and 请示).
HEADED_KINDS: frozenset[str] = frozenset(
    {"department", "town", "dev_zone", "enterprise", "coal_mine"}
)
# Unit kinds that belong to a parent unit and act through it (第七十一条).
CHILD_KINDS: frozenset[str] = frozenset({"internal", "affiliated"})

UNIT_ROLE_NAMES: Mapping[str, str] = _NAMES["unit_roles"]
UNIT_ROLE_ORDER: tuple[str, ...] = tuple(UNIT_ROLE_NAMES)
UNIT_ROLE_KEYS: frozenset[str] = frozenset(UNIT_ROLE_ORDER)
# Unit roles that exactly one unit must carry.
REQUIRED_UNIT_ROLES: tuple[str, ...] = (
    "gov_office",
    "party_office",
    "legal_bureau",
    "finance_bureau",
    "audit_bureau",
)

# Document-number prefixes that must be configured (发文字号): county government and
# government office documents.
REQUIRED_DOC_PREFIXES: tuple[str, ...] = ("county_gov", "gov_office")

DEFAULT_API_BASE = "https://api.dingtalk.com"
DEFAULT_TODO_LINK = "https://www.dingtalk.com/"
DEFAULT_OAPI_BASE = "https://oapi.dingtalk.com"
DEFAULT_MONTHLY_API_QUOTA = 10_000
DEFAULT_TODO_DELAY_MINUTES = 120
DEFAULT_API_QUOTA_WARN_RATIO = 0.8


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    union_id: str
    name: str
    unit_id: str
    title: str
    roles: frozenset[str]
    in_charge_of: tuple[str, ...]
    secretarial: bool


@dataclass(frozen=True, slots=True)
class Unit:
    unit_id: str
    name: str
    kind: str
    head_id: str | None
    parent_id: str | None
    roles: frozenset[str]
    county_managed: bool


@dataclass(frozen=True, slots=True)
class Group:
    conversation_id: str
    name: str
    member_ids: tuple[str, ...]
    purpose: str | None


@dataclass(frozen=True, slots=True)
class RuleParams:
    """Numbers from the work rules; all can be changed in ``[rules]``."""

    cosign_working_days: int = 2  # 第六十九条: 会签 reply limit; silence is deemed no objection
    # 第七十条: 财政局/审计局 签批 of fiscal requests; never deemed, the silent are reminded
    # and the office director is told the next working morning.
    signoff_working_days: int = 3
    feedback_working_days: int = 10  # 第八十五条: supervision feedback when no deadline given
    # 批示件 checkpoints, calendar days from dispatch (第八十七条; the province's 13710 way).
    instruction_feedback_days: int = 3
    instruction_result_days: int = 7
    instruction_complex_days: int = 30
    # 突发事件 (第八十三条), in real minutes, nights and holidays included.
    emergency_report_minutes: int = 60  # written report due this long after it happened
    emergency_ack_minutes: int = 10  # no 收悉 by then: a DING to whoever has not
    emergency_repeats: int = 3  # DINGs at most, one every emergency_ack_minutes
    emergency_ding_type: int = 1  # 1 in DingTalk, 2 text message, 3 phone call
    # 规范性文件 (第二十三、二十五条): validity period in years from the issued date (试行
    # documents: normative_trial_years), and the evaluation reminder this many months before.
    normative_valid_years: int = 5
    normative_trial_years: int = 2
    normative_remind_months: int = 6
    # 群众来信, 县长信箱 and 12345 (第四十四、八十八条), calendar days from receipt, as the
    # 信访工作条例 sets them: 受理告知 within 15, 办结 within 60, one extension of at most 30.
    letter_notice_days: int = 15
    letter_finish_days: int = 60
    letter_extension_days: int = 30
    # 政务信息 考核 (第八十二条): points per adopted item by the level it was adopted at;
    # the monthly 通报 ranks units on these points (adopted information only).
    information_points_county: int = 1
    information_points_city: int = 3
    information_points_province: int = 5
    comprehensive_max_chars: int = 2000  # 第六十九条
    single_topic_max_chars: int = 1000  # 第六十九条
    agenda_deadline_working_days: int = 5  # items in this many working days before the meeting
    agenda_distribution_working_days: int = 1  # agenda sent this many working days before
    max_report_minutes: int = 10  # 第五十六条
    max_meeting_minutes: int = 60  # 第六十四条
    max_speaking_units: int = 4  # 第六十五条
    max_speaking_minutes: int = 5  # 第六十五条
    # 常务会议 twice a month (第五十一条): proposed dates fall on this ISO weekday (4 = Thursday).
    executive_meeting_weekday: int = 4
    distribution_remind_working_days: int = 1
    distribution_escalate_working_days: int = 2
    # Handling period of approval steps the rules give no limit for (shown on the card,
    # reminded on its last morning; nobody is deemed to agree).
    step_working_days: int = 3
    office_day_end: time = time(18, 0)
    daily_digest_time: time = time(8, 30)


@dataclass(frozen=True, slots=True)
class YearCalendar:
    """Holiday overrides for one year.

    ``holidays`` are days off that would otherwise be working days; ``workdays`` are
    adjusted working days (调休上班, usually a Saturday or Sunday). With ``complete`` the
    table is the whole truth for the year: every other Monday–Friday is a working day
    and chinese_calendar is not consulted.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    complete: bool


@dataclass(frozen=True, slots=True)
class County:
    name: str
    short_name: str
    doc_prefixes: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DingTalkSettings:
    api_base: str
    oapi_base: str
    corp_id: str
    # Where a DingTalk to-do's "详情" opens (DingTalk requires one); the flow number is
    # appended as ?flow=... so an office H5 page can show it.
    todo_link: str = DEFAULT_TODO_LINK
    # The organisation's monthly DingTalk API call quota (standard edition: 10,000) and the
    # share of it at which non-essential calls (read-status checks, to-dos) stop and the
    # office is told (bot/api_budget.py).
    monthly_api_quota: int = DEFAULT_MONTHLY_API_QUOTA
    api_quota_warn_ratio: float = DEFAULT_API_QUOTA_WARN_RATIO
    # A step's DingTalk to-do is created only if the step is still open this long after
    # it was assigned (0: at once); a step handled sooner costs no to-do calls.
    todo_delay_minutes: int = DEFAULT_TODO_DELAY_MINUTES


@dataclass(frozen=True, slots=True)
class Secrets:
    app_key: str
    app_secret: str = field(repr=False)
    robot_code: str
    agent_id: int


@dataclass(frozen=True)
class Config:
    county: County
    people: Mapping[str, Person]
    units: Mapping[str, Unit]
    groups: Mapping[str, Group]
    ab_pairs: tuple[tuple[str, str], ...]
    rules: RuleParams
    calendar_overrides: Mapping[int, YearCalendar]
    cards: Mapping[str, str]
    dingtalk: DingTalkSettings
    source: Path
