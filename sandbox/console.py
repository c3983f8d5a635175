"""The sandbox web console: a DingTalk-like page in which one can be any official.

Serves the page (``/``, ``/console``), its static files (``/static/...``) and a few small
JSON endpoints under ``/console/api/`` that the page needs beyond the control API: the
directory grouped by unit with Chinese role names, the card template definitions, an
inbox enriched with file details, unread counts, the next working day and the call log.
These paths are neither authenticated nor recorded (see ``sandbox.middleware``).
"""

from __future__ import annotations

import mimetypes
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.calendar import WorkCalendar
from bot.clock import TZ
from bot.config_schema import LEADER_ROLES, OFFICE_ROLES, ROLE_NAMES
from sandbox.chatbot import check_user_id
from sandbox.control import render_item
from sandbox.errors import ControlError, json_response
from sandbox.files import StoredFile
from sandbox.inbox import InboxItem
from sandbox.state import SandboxState, state_of

STATIC_DIR = Path(__file__).resolve().parent / "static"
NO_CACHE = {"Cache-Control": "no-cache"}
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
MAX_CALLS_SHOWN = 300
# Units whose people hold these roles come first in the directory.
LEADER_RANK, OFFICE_RANK, OTHER_RANK = 0, 1, 2
MAX_WALK_DAYS = 60


@cache
def _calendar() -> WorkCalendar:
    return WorkCalendar()


def _file_response(path: Path) -> web.Response:
    ctype = CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    return web.Response(
        body=path.read_bytes(),
        content_type=ctype or "application/octet-stream",
        charset="utf-8" if path.suffix in (".js", ".css", ".html", ".svg") else None,
        headers=NO_CACHE,
    )


async def index(request: web.Request) -> web.Response:
    return _file_response(STATIC_DIR / "index.html")


async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise ControlError(404, f"文件不存在：{name}")
    return _file_response(path)


async def favicon(request: web.Request) -> web.Response:
    return _file_response(STATIC_DIR / "favicon.svg")


def _rank(roles: list[str]) -> int:
    if LEADER_ROLES & set(roles):
        return LEADER_RANK
    if OFFICE_ROLES & set(roles):
        return OFFICE_RANK
    return OTHER_RANK


async def directory(request: web.Request) -> web.Response:
    """People grouped by unit (leadership and the office first), groups, 1:1 chats."""
    state = state_of(request)
    units: dict[str, dict[str, Any]] = {}
    people = []
    for user in state.seed.users:
        unit = units.setdefault(user.unit, {"name": user.unit, "rank": OTHER_RANK, "users": []})
        unit["rank"] = min(unit["rank"], _rank(user.roles))
        unit["users"].append(user.user_id)
        people.append(
            {
                "userId": user.user_id,
                "name": user.name,
                "unit": user.unit,
                "title": user.title,
                "roles": user.roles,
                "roleNames": [ROLE_NAMES.get(r, r) for r in user.roles],
                "unionId": user.union_id,
                "singleConversationId": state.single_conversation_id(user.user_id),
            }
        )
    ordered = sorted(units.values(), key=lambda u: u["rank"])  # stable: seed order within
    groups = [
        {"conversationId": g.conversation_id, "title": g.title, "memberIds": g.member_ids}
        for g in state.seed.groups
    ]
    return json_response(
        {
            "users": people,
            "units": [{"name": u["name"], "users": u["users"]} for u in ordered],
            "groups": groups,
        }
    )


async def card_templates(request: web.Request) -> web.Response:
    """templateId -> definition (from messages/cards/*.json via the seed)."""
    return json_response(state_of(request).seed.card_templates)


def _user_file(state: SandboxState, item: InboxItem) -> tuple[str, StoredFile] | None:
    """The file a user sent with this message (matched by owner, name and time)."""
    name = item.text.removeprefix("[文件] ")
    found = [
        (code, f)
        for code, f in state.user_files.items()
        if f.owner == item.user_id and f.name == name and f.created_at <= item.ts
    ]
    return max(found, key=lambda cf: cf[1].created_at) if found else None


def _file_info(state: SandboxState, item: InboxItem) -> dict[str, Any] | None:
    param = item.msg_param or {}
    if item.kind == "user_message" and item.extra.get("msgtype") == "file":
        owner = item.extra.get("from", item.user_id)
        match = _user_file(state, item) if owner == item.user_id else None
        if match is None:
            return {"name": item.text.removeprefix("[文件] "), "size": None, "url": ""}
        code, sent = match
        return {"name": sent.name, "size": sent.size, "url": f"/console/files/{code}"}
    media_id = ""
    if item.kind == "file" and isinstance(param.get("mediaId"), str):
        media_id = param["mediaId"]
    elif item.kind == "work_notification" and param.get("msgtype") == "file":
        part = param.get("file") or {}
        media_id = str(part.get("media_id", ""))
    if not media_id:
        return None
    stored = state.media.get(media_id)
    name = str(param.get("fileName") or (stored.name if stored else "文件"))
    return {
        "name": name,
        "size": stored.size if stored else None,
        "url": f"/sandbox/media/{quote(media_id, safe='')}" if stored else "",
    }


async def inbox(request: web.Request) -> web.Response:
    """The user's inbox as the control API renders it, plus file name/size/link."""
    state = state_of(request)
    user_id = request.match_info["user_id"]
    check_user_id(user_id)
    out = []
    for item in state.inboxes.of(user_id):
        view = render_item(state, item)
        info = _file_info(state, item)
        if info is not None:
            view["file"] = info
        out.append(view)
    return json_response(out)


async def user_file(request: web.Request) -> web.Response:
    """GET /console/files/{code}: a file a user sent to the bot."""
    stored = state_of(request).user_files.get(request.match_info["code"])
    if stored is None:
        raise ControlError(404, "文件不存在")
    return web.Response(
        body=stored.content,
        content_type=stored.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.name)}"},
    )


async def unread(request: web.Request) -> web.Response:
    """userId -> number of unread items the user received."""
    state = state_of(request)
    counts = {}
    for user in state.seed.users:
        items = state.inboxes.of(user.user_id)
        counts[user.user_id] = sum(
            1 for i in items if i.direction == "in" and not i.read and not i.recalled
        )
    return json_response(counts)


def next_workday(moment: datetime) -> datetime:
    """The same Beijing wall time on the next working day."""
    local = moment.astimezone(TZ)
    calendar = _calendar()
    day: date = local.date()
    for _ in range(MAX_WALK_DAYS):
        day += timedelta(days=1)
        if calendar.is_workday(day):
            return datetime.combine(day, local.timetz())
    raise ControlError(400, "两个月内没有工作日，请检查节假日配置")


async def next_workday_view(request: web.Request) -> web.Response:
    """GET /console/api/next-workday?from=ISO"""
    raw = request.query.get("from", "")
    try:
        moment = datetime.fromisoformat(raw) if raw else state_of(request).clock.now()
    except ValueError as exc:
        raise ControlError(400, "from 不是合法的 ISO 时间") from exc
    if moment.tzinfo is None:
        raise ControlError(400, "from 必须带时区，例如 2026-11-24T09:00:00+08:00")
    result = next_workday(moment)
    return json_response({"from": moment.isoformat(), "next": result.isoformat()})


async def calls(request: web.Request) -> web.Response:
    """The newest OpenAPI calls first (at most MAX_CALLS_SHOWN)."""
    entries = state_of(request).calls[-MAX_CALLS_SHOWN:]
    return json_response({"total": len(state_of(request).calls), "calls": list(reversed(entries))})


def setup_console(app: web.Application) -> None:
    r = app.router
    r.add_get("/", index)
    r.add_get("/console", index)
    r.add_get("/console/", index)
    r.add_get("/favicon.ico", favicon)
    r.add_get("/static/{name:.+}", static_file)
    r.add_get("/console/api/directory", directory)
    r.add_get("/console/api/cards", card_templates)
    r.add_get("/console/api/users/{user_id}/inbox", inbox)
    r.add_get("/console/api/unread", unread)
    r.add_get("/console/api/next-workday", next_workday_view)
    r.add_get("/console/api/calls", calls)
    r.add_get("/console/files/{code}", user_file)
