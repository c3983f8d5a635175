"""What ``govbot export <what>`` hands an export: the data folder, the days, the format,
where to write, the organisation file when it can be read (names, holidays, limits,
points) and today's date. Every export takes one request and returns how many records
it wrote. Blocking: exports run from the CLI with ``Database.run_sync``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TextIO

from messages.render import Messages

if TYPE_CHECKING:
    from bot.config import Config
    from storage.database import Database


@dataclass(frozen=True)
class ExportRequest:
    db: Database
    start: date
    end: date
    fmt: str  # "csv" or "json"
    out: TextIO
    config: Config | None
    today: date
    messages: Messages

    def unit_names(self) -> dict[str, str]:
        units = self.config.units if self.config is not None else {}
        return {unit_id: unit.name for unit_id, unit in units.items()}

    def person_names(self) -> dict[str, str]:
        people = self.config.people.values() if self.config is not None else ()
        return {p.user_id: p.name for p in people}
