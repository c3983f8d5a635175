"""``govbot export emergencies --year 2026``: every event reported in the period, one row
each — who reported it, when it happened and was reported, the delay past the limit
(迟报), grade, 敏感, who acknowledged and when, how many DINGs it took, the 续报 and the
终报. Blocking: runs from the CLI with ``Database.run_sync``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import from_epoch_ms
from handlers.export import cell, write_table
from handlers.export_request import ExportRequest

if TYPE_CHECKING:
    from storage.session import Session

EMERGENCIES = "emergencies"


def _minutes_late(event: Mapping[str, Any], limit: int) -> int:
    late = from_epoch_ms(event["reported_ms"]) - from_epoch_ms(event["happened_ms"])
    return max(0, int((late - timedelta(minutes=limit)).total_seconds() // 60))


def _stamp(ms: int | None) -> str:
    return from_epoch_ms(ms).strftime("%Y-%m-%d %H:%M") if ms else ""


def rows(events: list[dict[str, Any]], start: date, end: date, limit: int) -> list[dict[str, Any]]:
    found = []
    for event in sorted(events, key=lambda e: e["reported_ms"]):
        if not start <= from_epoch_ms(event["reported_ms"]).date() <= end:
            continue
        kinds = [r["kind"] for r in event["reports"]]
        found.append(
            {
                "number": event["id"],
                "what": event["what"],
                "place": event["place"],
                "unit": event["unit"],
                "reporter": event["reporter"],
                "happened": _stamp(event["happened_ms"]),
                "reported": _stamp(event["reported_ms"]),
                "minutes_late": _minutes_late(event, limit),
                "grade": event["grade"],
                "sensitive": bool(event.get("sensitive")),
                "acks": {u: _stamp(ms) for u, ms in event.get("acks", {}).items()},
                "dings": int(event.get("dings", 0)),
                "updates": kinds.count("update"),
                "final": _stamp(event.get("closed_ms")),
            }
        )
    return found


def export_emergencies(request: ExportRequest) -> int:
    config, messages = request.config, request.messages
    limit = config.rules.emergency_report_minutes if config is not None else 60
    units, people = request.unit_names(), request.person_names()

    def read(session: Session) -> list[dict[str, Any]]:
        return session.collection(EMERGENCIES).all_open()

    found = rows(request.db.run_sync(read), request.start, request.end, limit)

    def csv_rows() -> Iterator[list[str]]:
        yield messages.text("cli_export_emergencies_header").split(",")
        for row in found:
            acks = "；".join(f"{people.get(u, u)} {at}" for u, at in row["acks"].items())
            yield [
                row["number"],
                cell(row["what"]),  # typed by people: never read as a formula
                cell(row["place"]),
                units.get(row["unit"], row["unit"]),
                people.get(row["reporter"], row["reporter"]),
                row["happened"],
                row["reported"],
                str(row["minutes_late"]),
                messages.label("emergency_grades", row["grade"]),
                messages.word("yes" if row["sensitive"] else "no"),
                acks,
                str(row["dings"]),
                str(row["updates"]),
                row["final"],
            ]

    return write_table(request.out, request.fmt, found, csv_rows)
