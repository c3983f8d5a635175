"""``govbot export normative --year 2026``: the register of normative documents issued in
the period (第二十五条), by issued date — number, title, 文号, issuing unit, issued, 试行,
valid until, status and the clean-up result. Blocking: runs from the CLI with
``Database.run_sync``, never on the event loop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from handlers.export import write_table
from handlers.export_request import ExportRequest
from handlers.normative.model import NORMATIVE


def export_normative(request: ExportRequest) -> int:
    messages = request.messages
    start, end = request.start.isoformat(), request.end.isoformat()
    found = request.db.run_sync(
        lambda s: s.collection(NORMATIVE).find(lambda d: start <= d["issued"] <= end)
    )
    records: list[dict[str, Any]] = [
        {
            "number": r["id"],
            "title": r["title"],
            "doc_number": r["doc_number"],
            "issuer": r["issuer_name"],
            "issued": r["issued"],
            "trial": r["trial"],
            "valid_until": r["valid_until"],
            "state": r["state"],
            "review": r["review"],
        }
        for r in sorted(found, key=lambda r: (date.fromisoformat(r["issued"]), r["id"]))
    ]

    def csv_rows() -> Iterator[list[str]]:
        yield messages.text("cli_export_normative_header").split(",")
        for r in records:
            yield [
                r["number"],
                r["title"],
                r["doc_number"],
                r["issuer"],
                r["issued"],
                messages.label("normative_labels", "yes" if r["trial"] else "no"),
                r["valid_until"],
                messages.label("normative_states", r["state"]),
                r["review"],
            ]

    return write_table(request.out, request.fmt, records, csv_rows)
