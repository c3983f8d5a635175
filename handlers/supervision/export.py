"""The per-unit annual supervision table (第八十六条): for each lead unit, the items it
was given in the period, closed on time, closed late, still open within the deadline,
overdue, and the grades. Counted on results (deadlines and closing dates) only, never on
app activity such as clicks or reading.

Blocking: runs from the CLI with ``Database.run_sync``, never on the event loop."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, TextIO

from bot.calendar import WorkCalendar
from bot.clock import from_epoch_ms
from handlers.export import write_table as write_csv_or_json
from handlers.export_request import ExportRequest
from handlers.supervision.model import (
    CLOSED,
    GRADES,
    PENDING,
    REFUSED,
    effective_due,
    lead_unit,
    with_defaults,
)
from handlers.supervision.model import SUPERVISION as ITEMS

if TYPE_CHECKING:
    from messages.render import Messages
    from storage.database import Database
    from storage.session import Session

COUNTS = ("assigned", "on_time", "late", "open", "overdue")


def annual_table(
    items: Iterable[Mapping[str, Any]],
    start: date,
    end: date,
    calendar: WorkCalendar,
    today: date,
) -> dict[str, dict[str, int]]:
    """unit id -> counts, for items opened from ``start`` to ``end`` (inclusive)."""
    table: dict[str, dict[str, int]] = {}
    for item in items:
        if item["state"] in (PENDING, REFUSED):
            continue  # never opened: nothing was asked of the unit
        opened = from_epoch_ms(item["created_ms"]).date()
        if not start <= opened <= end:
            continue
        row = table.setdefault(lead_unit(item), dict.fromkeys((*COUNTS, *GRADES), 0))
        row["assigned"] += 1
        due = effective_due(calendar, item)
        if item["state"] == CLOSED:
            closed = from_epoch_ms(item["closed_ms"]).date()
            row["on_time" if closed <= due else "late"] += 1
            if item.get("grade") in GRADES:
                row[item["grade"]] += 1
        else:
            row["overdue" if today > due else "open"] += 1
    return table


def read_items(db: Database) -> list[dict[str, Any]]:
    def read(session: Session) -> list[dict[str, Any]]:
        return [with_defaults(i) for i in session.collection(ITEMS).all_open()]

    return db.run_sync(read)


def write_table(
    table: Mapping[str, Mapping[str, int]],
    fmt: str,
    out: TextIO,
    *,
    messages: Messages,
    unit_names: Mapping[str, str],
) -> int:
    rows = sorted(table.items(), key=lambda kv: (unit_names.get(kv[0], kv[0]), kv[0]))
    records: list[dict[str, Any]] = [
        {"unit_id": u, "unit": unit_names.get(u, u), **counts} for u, counts in rows
    ]

    def csv_rows() -> Iterator[list[str]]:
        yield messages.text("cli_export_supervision_header").split(",")
        for record in records:
            yield [record["unit"], *(str(record[k]) for k in (*COUNTS, *GRADES))]

    return write_csv_or_json(out, fmt, records, csv_rows)


def export_supervision(request: ExportRequest) -> int:
    """``govbot export supervision``: the table of items opened in the request's days,
    with the organisation file's holidays and unit names when it can be read."""
    config = request.config
    calendar = WorkCalendar(config.calendar_overrides if config is not None else {})
    items = read_items(request.db)
    table = annual_table(items, request.start, request.end, calendar, request.today)
    names = request.unit_names()
    return write_table(table, request.fmt, request.out, messages=request.messages, unit_names=names)
