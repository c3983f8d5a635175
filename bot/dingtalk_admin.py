"""DingTalk calls used only by the administration commands (``govbot doctor``,
``govbot import-org``): contacts listing and harmless probes.

Same transport as the bot (:class:`bot.dingtalk.DingTalkClient`: token cache, retries,
error mapping); the calls here change nothing on DingTalk's side: probes use made-up
ids (``doctor-<random>``) so that DingTalk answers "not found" when the call itself is
allowed, and a card instance is created without being delivered to anyone.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any, Self

import httpx

from bot.dingtalk import DingTalkClient, DingTalkCredentials, optional_int
from bot.dingtalk.todos import todo_task_path

USER_PAGE = 100  # /topapi/v2/user/list: size ≤ 100
MAX_USER_PAGES = 10_000
MAX_DEPARTMENTS = 20_000
PACE_QPS = 12.0  # DingTalk allows 20 calls per second per API and app


def probe_id() -> str:
    """A made-up id that cannot name anything real."""
    return f"doctor-{secrets.token_hex(8)}"


@dataclass(frozen=True, slots=True)
class Department:
    dept_id: int
    name: str
    parent_id: int | None  # None for the root


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    union_id: str
    name: str
    title: str
    dept_ids: tuple[int, ...]
    leader_in: tuple[int, ...]  # departments where DingTalk marks this user as 主管


def _member(item: dict[str, Any]) -> Member:
    dept_ids = tuple(d for d in (optional_int(x) for x in item.get("dept_id_list") or []) if d)
    leader_in = tuple(
        d
        for entry in item.get("leader_in_dept") or []
        if isinstance(entry, dict) and entry.get("leader") is True
        for d in [optional_int(entry.get("dept_id"))]
        if d is not None
    )
    return Member(
        user_id=str(item.get("userid") or ""),
        union_id=str(item.get("unionid") or ""),
        name=str(item.get("name") or ""),
        title=str(item.get("title") or ""),
        dept_ids=dept_ids,
        leader_in=leader_in,
    )


class _Pacer:
    """Spaces request starts evenly, so that a long run of look-ups (one per person)
    stays under DingTalk's per-API QPS limit (20 per second) even beside a running bot."""

    def __init__(self, qps: float) -> None:
        self._interval = 1.0 / qps
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self, _request: httpx.Request) -> None:
        async with self._lock:
            now = asyncio.get_running_loop().time()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            await asyncio.sleep(delay)


class DingTalkAdminClient(DingTalkClient):
    """:class:`DingTalkClient` plus the contacts listing and the doctor's probes, at
    most ``pace_qps`` requests per second."""

    def __init__(
        self, creds: DingTalkCredentials, *, pace_qps: float = PACE_QPS, **options: Any
    ) -> None:
        pacer = _Pacer(pace_qps)
        self._paced_http = httpx.AsyncClient(event_hooks={"request": [pacer.wait]})
        super().__init__(creds, http=self._paced_http, **options)

    async def aclose(self) -> None:
        await super().aclose()
        await self._paced_http.aclose()

    async def __aenter__(self) -> Self:
        return self

    # ------------------------------------------------------------------ contacts

    async def get_department(self, dept_id: int) -> Department:
        body = await self._oapi(
            "/topapi/v2/department/get",
            idempotent=True,
            json_body={"dept_id": dept_id, "language": "zh_CN"},
        )
        result = body.get("result")
        res: dict[str, Any] = result if isinstance(result, dict) else {}
        return Department(
            dept_id=dept_id,
            name=str(res.get("name") or ""),
            parent_id=optional_int(res.get("parent_id")),
        )

    async def list_sub_departments(self, dept_id: int) -> list[Department]:
        body = await self._oapi(
            "/topapi/v2/department/listsub",
            idempotent=True,
            json_body={"dept_id": dept_id, "language": "zh_CN"},
        )
        found: list[Department] = []
        for item in body.get("result") or []:
            if not isinstance(item, dict):
                continue
            sub = optional_int(item.get("dept_id"))
            if sub is None:
                continue
            parent = optional_int(item.get("parent_id"))
            found.append(Department(sub, str(item.get("name") or ""), parent or dept_id))
        return found

    async def department_tree(self, root: int) -> list[Department]:
        """The root and every department below it, parents before children."""
        tree = [await self.get_department(root)]
        seen = {root}
        index = 0
        while index < len(tree) and len(tree) < MAX_DEPARTMENTS:
            for sub in await self.list_sub_departments(tree[index].dept_id):
                if sub.dept_id not in seen:
                    seen.add(sub.dept_id)
                    tree.append(sub)
            index += 1
        return tree

    async def list_members(self, dept_id: int) -> list[Member]:
        """The users directly in one department, all pages."""
        members: list[Member] = []
        cursor = 0
        for _ in range(MAX_USER_PAGES):
            body = await self._oapi(
                "/topapi/v2/user/list",
                idempotent=True,
                json_body={
                    "dept_id": dept_id,
                    "cursor": cursor,
                    "size": USER_PAGE,
                    "language": "zh_CN",
                },
            )
            result = body.get("result")
            res: dict[str, Any] = result if isinstance(result, dict) else {}
            members += [_member(i) for i in res.get("list") or [] if isinstance(i, dict)]
            next_cursor = optional_int(res.get("next_cursor"))
            if not res.get("has_more") or next_cursor is None or next_cursor == cursor:
                break
            cursor = next_cursor
        return members

    # ------------------------------------------------------------------ probes

    async def probe_robot(self) -> None:
        """Read status of a made-up message: allowed → "processQueryKey not found"."""
        await self.read_status(probe_id())

    async def probe_group(self, open_conversation_id: str) -> None:
        """Recall a made-up message in the group: the group must exist (and have the
        robot); nothing is recalled."""
        await self.recall_group(open_conversation_id, [probe_id()])

    async def create_card_instance(self, template_id: str) -> str:
        """Create a card instance that is delivered to nobody; returns its outTrackId."""
        out_track_id = probe_id()
        await self._api(
            "POST",
            "/v1.0/card/instances",
            idempotent=True,
            json_body={
                "cardTemplateId": template_id,
                "outTrackId": out_track_id,
                "cardData": {"cardParamMap": {}},
                "callbackType": "STREAM",
            },
        )
        return out_track_id

    async def probe_todo_read(self, union_id: str) -> None:
        await self._api(
            "GET",
            todo_task_path(union_id, probe_id()),
            idempotent=True,
        )

    async def probe_todo_write(self, union_id: str) -> None:
        """Update a made-up to-do (nothing exists to change)."""
        await self._change_todo("PUT", union_id, probe_id(), {"done": False})

    async def probe_work_notice(self) -> None:
        """Progress of a made-up work-notification task of our AgentId."""
        await self._oapi(
            "/topapi/message/corpconversation/getsendprogress",
            idempotent=True,
            json_body={"agent_id": self._creds.agent_id, "task_id": 1},
        )

    async def probe_media(self) -> None:
        """Upload an empty file: refused as empty when uploads are allowed; nothing is
        stored."""
        await self.upload_media("file", "govbot-doctor.pdf", b"")

    async def probe_member(self) -> None:
        await self.get_user(probe_id())

    async def probe_departments(self) -> None:
        await self.list_sub_departments(1)
