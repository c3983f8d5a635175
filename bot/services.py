"""The objects every handler may use, built once by ``create_app`` and passed down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from bot.calendar import WorkCalendar
    from bot.clock import Clock
    from bot.config import Config, OrgDirectory
    from bot.dialog import Forms
    from bot.files import FileStore
    from bot.outbox import Outbox
    from bot.router import Router
    from bot.workflow import Workflow
    from messages.render import Messages
    from storage.database import Database

T = TypeVar("T")


@dataclass
class Services:
    config: Config
    directory: OrgDirectory
    calendar: WorkCalendar
    clock: Clock
    messages: Messages
    db: Database
    router: Router
    # Built after Services (they need it); set once by create_app.
    _workflow: Workflow | None = field(default=None, repr=False)
    _forms: Forms | None = field(default=None, repr=False)
    _outbox: Outbox | None = field(default=None, repr=False)
    _files: FileStore | None = field(default=None, repr=False)
    # Called when issued documents change (the website is rebuilt); thread-safe.
    site_changed: Callable[[], None] = field(default=lambda: None, repr=False)

    @property
    def workflow(self) -> Workflow:
        return _wired(self._workflow, "workflow")

    @property
    def forms(self) -> Forms:
        return _wired(self._forms, "forms")

    @property
    def files(self) -> FileStore:
        return _wired(self._files, "file store")

    @property
    def outbox(self) -> Outbox:
        return _wired(self._outbox, "outbox")


def _wired(value: T | None, what: str) -> T:
    """A part set after construction, or the error saying it never was."""
    if value is None:
        raise RuntimeError(f"{what} not wired")
    return value
