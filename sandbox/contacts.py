"""Contacts (oapi ``/topapi/...``), answered from the seed users."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.errors import OapiError, oapi_ok, read_json_object
from sandbox.seed import SeedUser
from sandbox.state import SandboxState, state_of

ROOT_DEPT = 1


def _user_view(user: SeedUser) -> dict[str, Any]:
    return {
        "userid": user.user_id,
        "unionid": user.union_id,
        "name": user.name,
        "title": user.title,
        "mobile": "",
        "job_number": "",
        "dept_id_list": [user.dept_id],
        "dept_order_list": [{"dept_id": user.dept_id, "order": 0}],
        "leader_in_dept": [{"dept_id": user.dept_id, "leader": False}],
        "role_list": [
            {"id": i + 1, "name": r, "group_name": "角色"} for i, r in enumerate(user.roles)
        ],
        "active": True,
        "admin": False,
        "boss": False,
        "email": "",
        "org_email": "",
    }


def _depts(state: SandboxState) -> dict[int, str]:
    names: dict[int, str] = {}
    for user in state.seed.users:
        if user.dept_id != ROOT_DEPT:
            names.setdefault(user.dept_id, user.unit)
    return names


def _dept_id(body: dict[str, Any], state: SandboxState) -> int:
    value = body.get("dept_id")
    if not isinstance(value, int) and not (isinstance(value, str) and value.isdigit()):
        raise OapiError(40035, "缺少参数 dept_id")
    dept = int(value)
    if dept != ROOT_DEPT and dept not in _depts(state):
        raise OapiError(60003, "部门不存在")
    return dept


async def user_get(request: web.Request) -> web.Response:
    """POST /topapi/v2/user/get"""
    state = state_of(request)
    body = await read_json_object(request, oapi=True)
    user = state.seed.user(str(body.get("userid", "")))
    if user is None:
        raise OapiError(60121, "找不到该用户")
    return oapi_ok(result=_user_view(user))


async def department_listsub(request: web.Request) -> web.Response:
    """POST /topapi/v2/department/listsub"""
    state = state_of(request)
    dept = _dept_id(await read_json_object(request, oapi=True), state)
    subs = []
    if dept == ROOT_DEPT:
        subs = [
            {
                "dept_id": d,
                "name": name,
                "parent_id": ROOT_DEPT,
                "auto_add_user": True,
                "create_dept_group": True,
            }
            for d, name in sorted(_depts(state).items())
        ]
    return oapi_ok(result=subs)


async def user_listid(request: web.Request) -> web.Response:
    """POST /topapi/user/listid"""
    state = state_of(request)
    dept = _dept_id(await read_json_object(request, oapi=True), state)
    ids = [u.user_id for u in state.seed.users if u.dept_id == dept]
    return oapi_ok(result={"userid_list": ids})


async def user_list(request: web.Request) -> web.Response:
    """POST /topapi/v2/user/list"""
    state = state_of(request)
    body = await read_json_object(request, oapi=True)
    dept = _dept_id(body, state)
    cursor, size = body.get("cursor", 0), body.get("size")
    if not isinstance(size, int) or not 1 <= size <= 100:
        raise OapiError(40035, "不合法的参数：size 必须在 1 到 100 之间")
    if not isinstance(cursor, int) or cursor < 0:
        raise OapiError(40035, "不合法的参数：cursor")
    users = [u for u in state.seed.users if u.dept_id == dept]
    page = users[cursor : cursor + size]
    has_more = cursor + size < len(users)
    result: dict[str, Any] = {"has_more": has_more, "list": [_user_view(u) for u in page]}
    if has_more:
        result["next_cursor"] = cursor + size
    return oapi_ok(result=result)


async def user_by_union(request: web.Request) -> web.Response:
    """POST /topapi/user/getbyunionid"""
    state = state_of(request)
    body = await read_json_object(request, oapi=True)
    user = state.seed.user_by_union(str(body.get("unionid", "")))
    if user is None:
        raise OapiError(60121, "找不到该用户")
    return oapi_ok(result={"contact_type": 0, "userid": user.user_id})


def register(app: web.Application) -> None:
    r = app.router
    r.add_post("/topapi/v2/user/get", user_get)
    r.add_post("/topapi/v2/department/listsub", department_listsub)
    r.add_post("/topapi/user/listid", user_listid)
    r.add_post("/topapi/v2/user/list", user_list)
    r.add_post("/topapi/user/getbyunionid", user_by_union)
