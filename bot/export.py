"""Exports for the office: the audit trail (and, later, leave records) as CSV or JSON.

Blocking: these run from the CLI with ``Database.run_sync``, never on the event loop.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TextIO

from bot.clock import TZ
from bot.config_schema import ROLE_NAMES
from messages.render import Messages
from storage.database import Database
from storage.session import Session

log = logging.getLogger(__name__)

AUDIT_LOG = "audit"
FORMATS: tuple[str, ...] = ("csv", "json")
BOM = "\ufeff"  # so that Excel opens the UTF-8 CSV as UTF-8
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _beijing(at: object) -> datetime | None:
    if not isinstance(at, str):
        return None
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(TZ)


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

    def get(self, section: str, key: object) -> str:
        text = "" if key is None else str(key)
        try:
            return self._messages.label(section, text)
        except KeyError:
            return text


def _cell(text: str) -> str:
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
        labels.get("done", record.get("action")),
        str(record.get("opinion") or ""),
    ]
    at = moment.strftime("%Y-%m-%d %H:%M:%S") if moment else str(record.get("at", ""))
    return [_cell(at), *(_cell(c) for c in cells)]


def export_audit(
    db: Database,
    start: date,
    end: date,
    fmt: str,
    out: TextIO,
    *,
    messages: Messages | None = None,
) -> int:
    """Write the audit records of ``start..end`` to ``out``; returns how many.

    ``csv``: a BOM, a Chinese header row, one row per record (labels instead of codes).
    ``json``: the stored records, unchanged, as one JSON list.
    ``out`` should be opened with ``newline=""`` for CSV.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    records = read_audit(db, start, end)
    messages = messages or Messages()
    if fmt == "json":
        json.dump(records, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        header = messages.text("cli_export_audit_header").split(",")
        labels = _Labels(messages)
        out.write(BOM)
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(_csv_row(record, labels) for record in records)
    out.flush()
    return len(records)
