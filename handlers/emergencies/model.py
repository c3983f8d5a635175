"""突发事件 (第八十三条) as stored records: one event, its first report and the 续报 and 终报
attached to it, who has acknowledged (收悉) and when, and whether the report was late.
Its clocks run in real minutes, nights and holidays included (not working days)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import from_epoch_ms, to_epoch_ms
from bot.lifecycle import Lifecycle
from handlers.common.units import role_heads

if TYPE_CHECKING:
    from bot.services import Services

EMERGENCIES = "emergencies"
OPEN, CLOSED = "open", "closed"  # closed by the 终报
EMERGENCY_LIFECYCLE = Lifecycle.of("emergency", OPEN, {OPEN: (CLOSED,)}, final=(CLOSED,))
GRADES = ("especially_major", "major", "large", "general", "unknown")  # 特别重大…一般
# The units the first report goes to at once (第八十三条), by their role in the config.
RECEIVING_ROLES = ("emergency_bureau", "party_office", "gov_office")
REPORTING_KINDS = frozenset({"town", "department", "dev_zone", "enterprise", "coal_mine", "office"})


def delay_minutes(services: Services, event: Mapping[str, Any]) -> int:
    """Minutes past the reporting limit (0 when on time)."""
    happened = from_epoch_ms(event["happened_ms"])
    reported = from_epoch_ms(event["reported_ms"])
    limit = timedelta(minutes=services.config.rules.emergency_report_minutes)
    late = reported - happened - limit
    return max(0, int(late.total_seconds() // 60))


def receivers(services: Services) -> list[str]:
    """The heads of the 应急管理局, the 县委办公室 and the 县政府办公室."""
    return role_heads(services.directory, RECEIVING_ROLES)


def unacknowledged(event: Mapping[str, Any]) -> list[str]:
    return [u for u in event["receivers"] if u not in event.get("acks", {})]


def add_report(
    event: dict[str, Any], kind: str, by: str, now: datetime, fields: Mapping[str, str]
) -> None:
    """A 首报, 续报 or 终报 in the event's trail."""
    event.setdefault("reports", []).append(
        {"kind": kind, "by": by, "at_ms": to_epoch_ms(now), **dict(fields)}
    )
