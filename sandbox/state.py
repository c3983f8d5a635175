"""Everything the sandbox knows, in one object owned by the aiohttp application."""

from __future__ import annotations

import hashlib
import itertools
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.card_template import Template
from sandbox.cards import Card
from sandbox.clock import SandboxClock, iso_from_ms
from sandbox.events import EventBus
from sandbox.faults import Faults
from sandbox.files import StoredFile
from sandbox.inbox import Inboxes, InboxItem
from sandbox.records import RobotSend, Session, Todo, WorkNotification
from sandbox.seed import SandboxSeed
from sandbox.tokens import TokenStore

if TYPE_CHECKING:
    from sandbox.gateway import StreamHub

MAX_CALLS = 5000


class SandboxState:
    def __init__(self, seed: SandboxSeed) -> None:
        self.seed = seed
        self.clock = SandboxClock(seed.start_time)
        self.bus = EventBus()
        self.tokens = TokenStore(seed.token_ttl_s, self.clock.now_ms)
        self.faults = Faults()
        self.inboxes = Inboxes()
        self.base_url = ""  # set once the server knows its address
        self.hub: StreamHub | None = None
        self.calls: list[dict[str, Any]] = []
        self.sessions: dict[str, Session] = {}
        self.user_files: dict[str, StoredFile] = {}  # downloadCode -> file
        self.download_links: dict[str, StoredFile] = {}  # link token -> file
        self.media: dict[str, StoredFile] = {}  # media_id -> file
        self.robot_sends: dict[str, RobotSend] = {}
        self.cards: dict[str, Card] = {}
        self._templates: dict[str, Template | None] = {}
        self.notifications: dict[int, WorkNotification] = {}
        self.notified_today: set[tuple[str, str, str]] = set()  # (date, user, content hash)
        self.todos: dict[str, Todo] = {}
        self.todo_source_ids: set[str] = set()
        self._seq = itertools.count(1)
        self._task_ids = itertools.count(int(self.clock.now_ms() / 1000) * 10)

    @property
    def stream(self) -> StreamHub:
        if self.hub is None:
            raise RuntimeError("stream hub not attached")
        return self.hub

    def template(self, template_id: str) -> Template | None:
        """The parsed card-platform template (None for an id registered without one)."""
        if template_id not in self._templates:
            raw = self.seed.card_templates.get(template_id) or {}
            self._templates[template_id] = Template(raw) if raw else None
        return self._templates[template_id]

    # -- ids -------------------------------------------------------------------------
    def next_seq(self) -> int:
        return next(self._seq)

    def new_task_id(self) -> int:
        return next(self._task_ids)

    @staticmethod
    def token(prefix: str = "", nbytes: int = 12) -> str:
        return prefix + secrets.token_urlsafe(nbytes)

    def single_conversation_id(self, user_id: str) -> str:
        digest = hashlib.sha256(f"{self.seed.corp_id}/{user_id}".encode()).hexdigest()[:22]
        return f"cid{digest}=="

    def sender_id(self, user_id: str) -> str:
        digest = hashlib.sha256(f"sender/{user_id}".encode()).hexdigest()[:28]
        return f"$:LWCP_v1:${digest}"

    def chatbot_user_id(self) -> str:
        digest = hashlib.sha256(f"bot/{self.seed.robot_code}".encode()).hexdigest()[:28]
        return f"$:LWCP_v1:${digest}"

    # -- people ----------------------------------------------------------------------
    def user_name(self, user_id: str) -> str:
        user = self.seed.user(user_id)
        return user.name if user else f"钉钉用户{user_id}"

    def user_conversations(self, user_id: str) -> list[str]:
        return [g.conversation_id for g in self.seed.groups if user_id in g.member_ids]

    # -- inbox -----------------------------------------------------------------------
    def deliver(self, item: InboxItem) -> InboxItem:
        self.inboxes.add(item)
        self.bus.publish(
            {"type": "inbox", "userId": item.user_id, "itemId": item.id, "kind": item.kind}
        )
        return item

    def new_item(self, user_id: str, kind: str, **fields: Any) -> InboxItem:
        fields.setdefault("direction", "in")
        item = InboxItem(
            id=f"it{self.next_seq()}", user_id=user_id, ts=self.clock.now_ms(), kind=kind, **fields
        )
        return self.deliver(item)

    def mark_read(self, user_id: str, ids: list[str]) -> list[str]:
        marked = []
        for item_id in ids:
            item = self.inboxes.get(item_id)
            if item is None or item.user_id != user_id:
                continue
            if not item.read:
                item.read = True
                item.read_ts = self.clock.now_ms()
                marked.append(item_id)
        if marked:
            self.bus.publish({"type": "inbox", "userId": user_id, "read": marked})
        return marked

    def clock_view(self) -> dict[str, Any]:
        ms = self.clock.now_ms()
        return {
            "now": iso_from_ms(ms),
            "epoch_ms": ms,
            "version": self.clock.version,
            "followed": self.clock.followed,
            "follower": self.clock.follower_present(),
        }


STATE: web.AppKey[SandboxState] = web.AppKey("sandbox_state", SandboxState)
# What a handler wants shown in the call log instead of an unreadable body (uploads).
UPLOAD_INFO: web.RequestKey[dict[str, Any]] = web.RequestKey("upload_info", dict)


def state_of(request: web.Request) -> SandboxState:
    return request.app[STATE]


def base_url(request: web.Request) -> str:
    state = state_of(request)
    return state.base_url or str(request.url.origin())
