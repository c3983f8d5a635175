"""``govbot export information --year 2026``: the per-unit table of 政务信息 for the period
(第八十二条's 报送通报和考核): submitted, adopted by level, not adopted, 约稿 asked and
missed, misses marked 造成严重后果, the score on adopted information and the rank —
counted as the monthly 通报 counts them. Blocking: runs from the CLI with
``Database.run_sync``, never on the event loop."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from bot.config_schema import RuleParams
from handlers.export import write_table
from handlers.export_request import ExportRequest
from handlers.information.report import COUNTS, criticised, points_of, ranked, read_all, unit_table

COLUMNS = (*COUNTS[:-1], "serious", "score")


def annual_rows(
    table: dict[str, dict[str, int]],
    criticisms: Iterable[Mapping[str, Any]],
    order: list[str],
) -> list[dict[str, Any]]:
    """Ranked rows of the units in ``table``, each with its misses marked 造成严重后果
    (``criticisms``)."""
    rows = ranked(table, order)
    serious: dict[str, int] = {}
    for entry in criticisms:
        serious[entry["unit"]] = serious.get(entry["unit"], 0) + 1
    for row in rows:
        row["serious"] = serious.get(row["unit"], 0)
    return rows


def export_information(request: ExportRequest) -> int:
    config, messages = request.config, request.messages
    rules = config.rules if config is not None else RuleParams()
    names = request.unit_names()
    items, requests = request.db.run_sync(read_all)
    period = (request.start, request.end)
    table = unit_table(items, requests, *period, points_of(rules))
    rows = annual_rows(table, criticised(requests, *period), list(names))
    records = [
        {"unit_id": r["unit"], "unit": names.get(r["unit"], r["unit"]), "rank": r["rank"]}
        | {k: r[k] for k in COLUMNS}
        for r in rows
    ]

    def csv_rows() -> Iterator[list[str]]:
        yield messages.text("cli_export_information_header").split(",")
        for r in records:
            rank = str(r["rank"]) if r["rank"] else ""
            yield [rank, r["unit"], *(str(r[k]) for k in COLUMNS)]

    return write_table(request.out, request.fmt, records, csv_rows)
