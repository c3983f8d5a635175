"""Exports for the office: the audit trail and leave records as CSV or JSON.

Blocking: these run from the CLI with ``Database.run_sync``, never on the event loop.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, TextIO

from bot.clock import TZ
from bot.config_schema import ROLE_NAMES
from bot.flow_audit import action_name
from handlers.common.checks import one_of
from messages.render import Messages
from storage.database import Database
from storage.session import Session

log = logging.getLogger(__name__)

AUDIT_LOG = "audit"
FORMATS: tuple[str, ...] = ("csv", "json")
BOM = "\ufeff"  # so that Excel opens the UTF-8 CSV as UTF-8
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def parse_aware(value: object) -> datetime | None:
    """An ISO timestamp that names its time zone, or None (stored data may be anything)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _beijing(at: object) -> datetime | None:
    moment = parse_aware(at)
    return None if moment is None else moment.astimezone(TZ)


def read_audit(db: Database, start: date, end: date) -> list[dict[str, Any]]:
    """Audit records whose Beijing date lies in ``start..end`` (inclusive), in log order."""
    if start > end:
        raise ValueError("start after end")

    def read(session: Session) -> list[dict[str, Any]]:
        audit = session.log(AUDIT_LOG)
        found: list[dict[str, Any]] = []
        for year in audit.years():
            if not start.year <= year <= end.year:
                continue
            for record in audit.read(year):
                moment = _beijing(record.get("at"))
                if moment is None:
                    log.warning("audit record without a valid time skipped: %r", record)
                elif start <= moment.date() <= end:
                    found.append(record)
        return found

    return db.run_sync(read)


class _Labels:
    def __init__(self, messages: Messages) -> None:
        self._messages = messages

    def action(self, record: Mapping[str, Any]) -> str:
        kind, action = str(record.get("kind") or ""), str(record.get("action") or "")
        return action_name(self._messages, kind, action, deemed=bool(record.get("deemed")))

    def get(self, section: str, key: object) -> str:
        text = "" if key is None else str(key)
        try:
            return self._messages.label(section, text)
        except KeyError:
            return text


def cell(text: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): officials type titles and opinions."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_row(record: Mapping[str, Any], labels: _Labels) -> list[str]:
    moment = _beijing(record.get("at"))
    roles = record.get("roles") or []
    cells = [
        str(record.get("flow") or ""),
        labels.get("kinds", record.get("kind")),
        str(record.get("title") or ""),
        str(record.get("name") or record.get("user") or ""),
        "、".join(ROLE_NAMES.get(str(r), str(r)) for r in roles),
        str(record.get("acting_for") or ""),
        labels.action(record),
        str(record.get("action") or ""),
        str(record.get("opinion") or ""),
    ]
    at = moment.strftime("%Y-%m-%d %H:%M:%S") if moment else str(record.get("at", ""))
    return [cell(at), *(cell(c) for c in cells)]


def write_table(
    out: TextIO,
    fmt: str,
    records: list[dict[str, Any]],
    csv_rows: Callable[[], Iterable[list[str]]],
) -> int:
    """``json``: ``records`` as one JSON list; ``csv``: a BOM, then ``csv_rows()`` (header
    first). Returns how many records."""
    if fmt == "json":
        json.dump(records, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(BOM)
        csv.writer(out, lineterminator="\r\n").writerows(csv_rows())
    out.flush()
    return len(records)


def export_audit(
    db: Database, start: date, end: date, fmt: str, out: TextIO, *, messages: Messages | None = None
) -> int:
    """Write the audit records of ``start..end`` to ``out``; returns how many.

    ``csv``: a BOM, a Chinese header row, one row per record (labels instead of codes;
    the act both in words and as its code, for machines).
    ``json``: the stored records as one JSON list, ``action`` the stored code (as
    before, for programs reading it) and ``action_name`` the act in words.
    ``out`` should be opened with ``newline=""`` for CSV.
    """
    one_of(fmt, FORMATS, "export format")
    records = read_audit(db, start, end)
    texts = messages or Messages()
    labels = _Labels(texts)
    if fmt == "json":
        records = [{**r, "action_name": labels.action(r)} for r in records]

    def csv_rows() -> Iterator[list[str]]:
        yield texts.text("cli_export_audit_header").split(",")
        yield from (_csv_row(record, labels) for record in records)

    return write_table(out, fmt, records, csv_rows)


LEAVE_KINDS = ("meeting", "trip", "study", "visit", "vacation", "family", "medical")


def leave_days(db: Database, start: date, end: date) -> list[dict[str, Any]]:
    """Per person, calendar days away (half-day precision) by kind within
    ``start..end``: approved absences (cut short by 销假) and urgent departures not
    regularised by a form (which would count twice)."""
    from handlers.leave.model import ABSENCES, days_in, effective_end, slot

    first, last = slot(start, 0), slot(end, 1)

    def read(session: Session) -> list[dict[str, Any]]:
        return session.collection(ABSENCES).find(
            lambda d: (
                d["status"] == "approved" or (d["status"] == "urgent" and not d.get("regularised"))
            )
        )

    people: dict[str, dict[str, Any]] = {}
    for absence in sorted(db.run_sync(read), key=lambda d: d["start_slot"]):
        days = days_in(max(first, absence["start_slot"]), min(last, effective_end(absence)))
        if not days:
            continue
        row = people.setdefault(
            absence["user"],
            {"user": absence["user"], "unit_id": absence["unit_id"], "days": {}},
        )
        row["days"][absence["kind"]] = row["days"].get(absence["kind"], 0) + days
    return list(people.values())


def _days(value: float) -> str:
    return f"{value:g}"


def export_leave(
    db: Database,
    start: date,
    end: date,
    fmt: str,
    out: TextIO,
    *,
    messages: Messages | None = None,
    names: Mapping[str, tuple[str, str]] | None = None,
) -> int:
    """Days away per person and kind (``names``: user id -> (name, unit name))."""
    one_of(fmt, FORMATS, "export format")
    rows = leave_days(db, start, end)
    texts = messages or Messages()
    known = names or {}
    if fmt == "json":
        for row in rows:
            row["name"], row["unit"] = known.get(row["user"], (row["user"], row["unit_id"]))
            row["total"] = sum(row["days"].values())

    def csv_rows() -> Iterator[list[str]]:
        kinds = [texts.label("leave_kinds", k) for k in LEAVE_KINDS]
        yield texts.text("cli_export_leave_header", kinds=kinds).split(",")
        for row in rows:
            name, unit = known.get(row["user"], (row["user"], row["unit_id"]))
            cells = [_days(row["days"].get(k, 0)) for k in LEAVE_KINDS]
            total = _days(sum(row["days"].values()))
            yield [cell(name), cell(unit), *cells, total]

    return write_table(out, fmt, rows, csv_rows)
