"""The objects every handler may use, built once by ``create_app`` and passed down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.calendar import WorkCalendar
    from bot.clock import Clock
    from bot.config import Config, OrgDirectory
    from bot.router import Router
    from messages.render import Messages
    from storage.database import Database


@dataclass(frozen=True)
class Services:
    config: Config
    directory: OrgDirectory
    calendar: WorkCalendar
    clock: Clock
    messages: Messages
    db: Database
    router: Router
