"""Every export ``govbot export <what>`` offers, by name (the CLI lists them from here)."""

from __future__ import annotations

from collections.abc import Callable

from handlers.emergencies.export import export_emergencies
from handlers.export import export_audit, export_leave
from handlers.export_request import ExportRequest
from handlers.information.export import export_information
from handlers.normative.export import export_normative
from handlers.supervision.export import export_supervision


def _audit(request: ExportRequest) -> int:
    r = request
    return export_audit(r.db, r.start, r.end, r.fmt, r.out, messages=r.messages)


def _leave(request: ExportRequest) -> int:
    """Days away per person, with names and units when the organisation file is at hand."""
    r, config = request, request.config
    names: dict[str, tuple[str, str]] = {}
    if config is not None:
        units = r.unit_names()
        names = {
            p.user_id: (p.name, units.get(p.unit_id, p.unit_id)) for p in config.people.values()
        }
    return export_leave(r.db, r.start, r.end, r.fmt, r.out, messages=r.messages, names=names)


EXPORTS: dict[str, Callable[[ExportRequest], int]] = {
    "audit": _audit,
    "leave": _leave,
    "supervision": export_supervision,
    "emergencies": export_emergencies,
    "information": export_information,
    "normative": export_normative,
}
