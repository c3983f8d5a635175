"""The information 通报 (第八十二条: 报送通报和考核机制): per unit, in a period, the
information submitted, adopted by level, the 约稿 missed, the score and the ranking.

Counting: an item counts as submitted in the period it was submitted, as adopted in the
period the office adopted it; a 约稿 miss counts in the period its deadline fell in. The
score counts adopted information only (points per level from ``[rules]``); units without
adopted information are listed unranked. 通报批评 lists only misses the office director
marked 造成严重后果, in the period they were marked — each appears in one monthly 通报.

On the first working day of each month at 09:00 the office director gets the previous
month's table; ``信息通报 2026-11`` gives any month to the office."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import from_epoch_ms
from bot.errors import UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from handlers.common.notify import markdown_message
from handlers.information.model import ADOPTED, INFO_REQUESTS, INFORMATION, LEVELS, NOT_ADOPTED
from handlers.information.people import ensure_info_office
from handlers.requests.flow import SUBMITTING_KINDS
from handlers.supervision.people import director
from messages.vocabulary import MONTH

if TYPE_CHECKING:
    from bot.config_schema import RuleParams
    from bot.services import Services
    from storage.session import Session

COUNTS = ("submitted", *LEVELS, "adopted", "not_adopted", "requested", "missed", "score")


def points_of(rules: RuleParams) -> dict[str, int]:
    """Points per adopted item by level (第八十二条's 考核; configurable)."""
    return {
        "county": rules.information_points_county,
        "city": rules.information_points_city,
        "province": rules.information_points_province,
    }


def _day(ms: int | None) -> date | None:
    return from_epoch_ms(ms).date() if ms else None


def unit_table(
    items: Iterable[Mapping[str, Any]],
    requests: Iterable[Mapping[str, Any]],
    start: date,
    end: date,
    points: Mapping[str, int],
    units: Sequence[str] = (),
) -> dict[str, dict[str, int]]:
    """unit id -> counts from ``start`` to ``end`` (inclusive); ``units`` are listed even
    without anything to count."""
    table: dict[str, dict[str, int]] = {u: dict.fromkeys(COUNTS, 0) for u in units}

    def row(unit: str) -> dict[str, int]:
        return table.setdefault(unit, dict.fromkeys(COUNTS, 0))

    def within(day: date | None) -> bool:
        return day is not None and start <= day <= end

    for item in items:
        if within(_day(item["submitted_ms"])):
            row(item["unit"])["submitted"] += 1
        if not within(_day(item.get("decided_ms"))):
            continue
        if item["state"] == ADOPTED and item.get("level") in LEVELS:
            counts = row(item["unit"])
            counts[item["level"]] += 1
            counts["adopted"] += 1
            counts["score"] += points[item["level"]]
        elif item["state"] == NOT_ADOPTED:
            row(item["unit"])["not_adopted"] += 1
    for request in requests:
        if not within(date.fromisoformat(request["deadline"])):
            continue
        for unit in request["units"]:
            row(unit)["requested"] += 1
        for unit in request["misses"]:
            row(unit)["missed"] += 1
    return table


def ranked(
    table: Mapping[str, Mapping[str, int]], order: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Rows by score (adopted information only), ties sharing a rank (1, 1, 3); units
    with no adopted information come last, unranked (rank None), in ``order``."""
    position = {u: i for i, u in enumerate(order)}
    rows = sorted(
        table.items(),
        key=lambda kv: (-kv[1]["score"], position.get(kv[0], len(position)), kv[0]),
    )
    result: list[dict[str, Any]] = []
    for index, (unit, counts) in enumerate(rows):
        rank: int | None = None
        if counts["score"] > 0:
            same = result and result[-1]["score"] == counts["score"]
            rank = result[-1]["rank"] if same else index + 1
        result.append({"unit": unit, "rank": rank, **counts})
    return result


def criticised(
    requests: Iterable[Mapping[str, Any]], start: date, end: date
) -> list[dict[str, str]]:
    """Misses marked 造成严重后果 from ``start`` to ``end``: the 通报批评 section."""
    found = []
    for request in requests:
        for unit, miss in request["misses"].items():
            marked = _day(miss.get("serious_ms"))
            if marked is not None and start <= marked <= end:
                found.append(
                    {
                        "unit": unit,
                        "number": request["id"],
                        "topic": request["topic"],
                        "deadline": request["deadline"],
                    }
                )
    return sorted(found, key=lambda f: (f["number"], f["unit"]))


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def submitting_units(services: Services) -> list[str]:
    return [u.unit_id for u in services.config.units.values() if u.kind in SUBMITTING_KINDS]


def read_all(session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return session.collection(INFORMATION).all_open(), session.collection(INFO_REQUESTS).all_open()


def month_view(
    services: Services,
    items: Iterable[Mapping[str, Any]],
    requests: Sequence[Mapping[str, Any]],
    year: int,
    month: int,
) -> dict[str, Any]:
    """What the 通报 template shows for one month."""
    start, end = month_bounds(year, month)
    order = submitting_units(services)
    points = points_of(services.config.rules)
    table = unit_table(items, requests, start, end, points, order)
    rows = ranked(table, order)
    for row in rows:
        unit = services.directory.unit(row["unit"])
        row["name"] = unit.name if unit else row["unit"]
    criticism = criticised(requests, start, end)
    for entry in criticism:
        unit = services.directory.unit(entry["unit"])
        entry["name"] = unit.name if unit else entry["unit"]
    totals = {k: sum(r[k] for r in rows) for k in COUNTS}
    active = [r for r in rows if any(r[k] for k in COUNTS)]
    return {
        "year": year,
        "month": month,
        "rows": active,
        "silent": [r["name"] for r in rows if r not in active],  # nothing at all to count
        "totals": totals,
        "points": points,
        "criticism": criticism,
    }


async def monthly_report(services: Services, today: date) -> list[Outgoing]:
    """The first working day of the month: last month's 通报 to the office director."""
    if services.calendar.next_workday(today.replace(day=1), include_self=True) != today:
        return []
    user = director(services)
    if user is None:
        return []
    last = today.replace(day=1) - timedelta(days=1)
    items, requests = await services.db.run(read_all)
    view = month_view(services, items, requests, last.year, last.month)
    rendered = services.messages.markdown("info_report", monthly=True, **view)
    return [markdown_message(f"information:report:{last:%Y-%m}", user, rendered)]


def parse_month(text: str, today: date) -> tuple[int, int]:
    """``2026-11``, ``2026年11月``; nothing: the current month (so far)."""
    if not text.strip():
        return today.year, today.month
    found = MONTH.match(text)
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise UserFacingError("info_bad_month")
    year, month = int(found.group(1)), int(found.group(2))
    if (year, month) > (today.year, today.month):
        raise UserFacingError("info_month_future")
    return year, month


async def report_command(ctx: CommandContext) -> list[Outgoing]:
    """信息通报 [2026-11]: the office's table for a month."""
    ensure_info_office(ctx)
    services = ctx.services
    year, month = parse_month(ctx.args, services.clock.now().date())
    items, requests = await services.db.run(read_all)
    return [
        ctx.markdown(
            "info_report", monthly=False, **month_view(services, items, requests, year, month)
        )
    ]
