"""Normative documents (规范性文件, 第二十三、二十五条) as stored records: one register
with unified registration numbers (GF2026-0001…), the validity period (5 years, 试行 2,
from [rules]), the day the issuing unit and the 司法局 are asked to evaluate it, and its
status after the periodic clean-up (清理)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.lifecycle import Lifecycle

if TYPE_CHECKING:
    from bot.config_schema import RuleParams

NORMATIVE = "normative"
COUNTY = "county"  # issued by the county government itself (not one department)

# In force; kept in force by a clean-up (继续有效); to be revised (修改); repealed (废止);
# past its validity period without a decision (失效).
VALID, CONTINUED = "valid", "continued"
AMENDED, REPEALED, EXPIRED = "amended", "repealed", "expired"
NORMATIVE_LIFECYCLE = Lifecycle.of(
    "normative",
    VALID,
    {
        VALID: (CONTINUED, AMENDED, REPEALED, EXPIRED),
        # 继续有效 keeps the document until its validity period ends, no longer.
        CONTINUED: (AMENDED, REPEALED, EXPIRED),
    },
    final=(AMENDED, REPEALED, EXPIRED),
)
IN_FORCE = (VALID, CONTINUED)
CLEANUP_RESULTS = (CONTINUED, AMENDED, REPEALED)  # what a clean-up may mark


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier); the month's last day when it has none."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def valid_until(rules: RuleParams, issued: date, trial: bool) -> date:
    """The last day in force: issued date plus 5 years (试行 2), from [rules]."""
    years = rules.normative_trial_years if trial else rules.normative_valid_years
    return add_months(issued, 12 * years) - timedelta(days=1)


def remind_on(rules: RuleParams, until: date) -> date:
    """The day the issuing unit and the 司法局 are asked to evaluate (6 months before)."""
    return add_months(until, -rules.normative_remind_months)


def new_record(
    *,
    number: str,
    title: str,
    doc_number: str,
    unit: str,
    county: bool,
    issuer_name: str,
    issued: date,
    trial: bool,
    review: str,
    rules: RuleParams,
    by: str,
    now: datetime,
) -> dict[str, Any]:
    until = valid_until(rules, issued, trial)
    return {
        "id": number,
        **NORMATIVE_LIFECYCLE.begin(VALID),
        "title": title,
        "doc_number": doc_number,
        "unit": unit,
        "county": county,
        "issuer_name": issuer_name,  # as named when registered (the website shows it)
        "issued": issued.isoformat(),
        "trial": trial,
        "review": review,
        "valid_until": until.isoformat(),
        "remind_on": remind_on(rules, until).isoformat(),
        "reminded_ms": None,
        "registered_by": by,
        "registered_ms": to_epoch_ms(now),
        "cleanup": None,
    }


def matches(record: Mapping[str, Any], unit_name: str, keyword: str) -> bool:
    """Whether ``keyword`` is in the number, title, 文号 or issuing unit's name."""
    if not keyword:
        return True
    haystack = " ".join(
        [str(record["id"]), str(record["title"]), str(record["doc_number"]), unit_name]
    )
    return keyword.casefold() in haystack.casefold()
