"""The objects every handler may use, built once by ``create_app`` and passed down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
        if self._workflow is None:
            raise RuntimeError("workflow not wired")
        return self._workflow

    @property
    def forms(self) -> Forms:
        if self._forms is None:
            raise RuntimeError("forms not wired")
        return self._forms

    @property
    def files(self) -> FileStore:
        if self._files is None:
            raise RuntimeError("file store not wired")
        return self._files

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            raise RuntimeError("outbox not wired")
        return self._outbox
