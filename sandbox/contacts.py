"""Contacts (oapi ``/topapi/...``): the department tree and its members.

A seed built from an organisation file (:class:`OrgSeed`, see ``sandbox/launcher.py``)
declares DingTalk departments modelled on the org's units (sub-units are
sub-departments, a unit's head is the department's 主管). A plain
:class:`~sandbox.seed.SandboxSeed` gets one department per distinct ``dept_id`` of its
users, all under the root.

Shapes follow dingtalk-api.md §9: ``department/listsub`` → ``result: [{dept_id, name,
parent_id, ...}]``, ``user/list`` → ``result: {has_more, next_cursor?, list}`` with
``size`` 1..100, unknown department errcode 60003, unknown user 60121, bad parameters
40035.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.errors import OapiError, oapi_ok, read_json_object
from sandbox.seed import SandboxSeed, SeedUser
from sandbox.state import SandboxState, state_of

ROOT_DEPT = 1
MAX_PAGE = 100


@dataclass(frozen=True)
class SeedDept:
    dept_id: int
    name: str
    parent_id: int = ROOT_DEPT
    leader_ids: tuple[str, ...] = ()


@dataclass
class OrgSeed(SandboxSeed):
    """A seed that also knows the organisation's name and department tree."""

    org_name: str = ""
    departments: list[SeedDept] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        ids = [d.dept_id for d in self.departments]
        if len(ids) != len(set(ids)) or ROOT_DEPT in ids:
            raise ValueError("department ids must be unique and not the root's")
        known = {ROOT_DEPT, *ids}
        for dept in self.departments:
            if dept.parent_id not in known:
                raise ValueError(f"department {dept.dept_id} has an unknown parent")
        for user in self.users:
            if user.dept_id not in known:
                raise ValueError(f"user {user.user_id} is in an unknown department")


def _departments(seed: SandboxSeed) -> dict[int, SeedDept]:
    """Every department except the root, by id, in display order."""
    if isinstance(seed, OrgSeed):
        return {d.dept_id: d for d in seed.departments}
    found: dict[int, SeedDept] = {}
    for user in seed.users:
        if user.dept_id != ROOT_DEPT and user.dept_id not in found:
            found[user.dept_id] = SeedDept(user.dept_id, user.unit)
    return dict(sorted(found.items()))


def _root_name(seed: SandboxSeed) -> str:
    if isinstance(seed, OrgSeed) and seed.org_name:
        return seed.org_name
    return seed.corp_id


def _is_leader(seed: SandboxSeed, user: SeedUser, dept_id: int) -> bool:
    dept = _departments(seed).get(dept_id)
    return dept is not None and user.user_id in dept.leader_ids


def _user_view(seed: SandboxSeed, user: SeedUser) -> dict[str, Any]:
    return {
        "userid": user.user_id,
        "unionid": user.union_id,
        "name": user.name,
        "title": user.title,
        "mobile": "",
        "job_number": "",
        "dept_id_list": [user.dept_id],
        "dept_order_list": [{"dept_id": user.dept_id, "order": 0}],
        "leader_in_dept": [
            {"dept_id": user.dept_id, "leader": _is_leader(seed, user, user.dept_id)}
        ],
        "role_list": [
            {"id": i + 1, "name": r, "group_name": "角色"} for i, r in enumerate(user.roles)
        ],
        "active": True,
        "admin": False,
        "boss": False,
        "email": "",
        "org_email": "",
    }


def _dept_view(dept: SeedDept) -> dict[str, Any]:
    return {
        "dept_id": dept.dept_id,
        "name": dept.name,
        "parent_id": dept.parent_id,
        "auto_add_user": True,
        "create_dept_group": True,
    }


def _int_param(body: dict[str, Any], key: str, *, default: int | None = None) -> int:
    value = body.get(key, default)
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int):
        if key not in body:
            raise OapiError(40035, f"缺少参数 {key}")
        raise OapiError(40035, f"不合法的参数：{key} 必须是整数")
    return value


def _dept_id(body: dict[str, Any], state: SandboxState, *, default: int | None = None) -> int:
    dept = _int_param(body, "dept_id", default=default)
    if dept != ROOT_DEPT and dept not in _departments(state.seed):
        raise OapiError(60003, "部门不存在")
    return dept


def _members(seed: SandboxSeed, dept: int) -> list[SeedUser]:
    return [u for u in seed.users if u.dept_id == dept]


def _children(seed: SandboxSeed, dept: int) -> list[SeedDept]:
    return [d for d in _departments(seed).values() if d.parent_id == dept]


async def user_get(request: web.Request) -> web.Response:
    """POST /topapi/v2/user/get"""
    state = state_of(request)
    body = await read_json_object(request, oapi=True)
    user_id = body.get("userid")
    if not isinstance(user_id, str) or not user_id:
        raise OapiError(40035, "缺少参数 userid")
    user = state.seed.user(user_id)
    if user is None:
        raise OapiError(60121, "找不到该用户")
    return oapi_ok(result=_user_view(state.seed, user))


async def department_listsub(request: web.Request) -> web.Response:
    """POST /topapi/v2/department/listsub (without dept_id: the root's children)"""
    state = state_of(request)
    body = await read_json_object(request, oapi=True)
    dept = _dept_id(body, state, default=ROOT_DEPT)
    return oapi_ok(result=[_dept_view(d) for d in _children(state.seed, dept)])


async def department_listsubid(request: web.Request) -> web.Response:
    """POST /topapi/v2/department/listsubid"""
    state = state_of(request)
    body = await read_json_object(request, oapi=True)
    dept = _dept_id(body, state, default=ROOT_DEPT)
    return oapi_ok(result={"dept_id_list": [d.dept_id for d in _children(state.seed, dept)]})


async def department_get(request: web.Request) -> web.Response:
    """POST /topapi/v2/department/get"""
    state = state_of(request)
    body = await read_json_object(request, oapi=True)
    dept = _dept_id(body, state)
    if dept == ROOT_DEPT:
        return oapi_ok(result={"dept_id": ROOT_DEPT, "name": _root_name(state.seed), "order": 0})
    found = _departments(state.seed)[dept]
    return oapi_ok(
        result={
            **_dept_view(found),
            "dept_manager_userid_list": list(found.leader_ids),
            "order": 0,
        }
    )


async def user_listid(request: web.Request) -> web.Response:
    """POST /topapi/user/listid"""
    state = state_of(request)
    dept = _dept_id(await read_json_object(request, oapi=True), state)
    ids = [u.user_id for u in _members(state.seed, dept)]
    return oapi_ok(result={"userid_list": ids})


async def user_list(request: web.Request) -> web.Response:
    """POST /topapi/v2/user/list {dept_id, cursor, size ≤ 100}"""
    state = state_of(request)
    body = await read_json_object(request, oapi=True)
    dept = _dept_id(body, state)
    cursor = _int_param(body, "cursor", default=0)
    size = _int_param(body, "size")
    if not 1 <= size <= MAX_PAGE:
        raise OapiError(40035, f"不合法的参数：size 必须在 1 到 {MAX_PAGE} 之间")
    if cursor < 0:
        raise OapiError(40035, "不合法的参数：cursor")
    users = _members(state.seed, dept)
    page = users[cursor : cursor + size]
    has_more = cursor + size < len(users)
    result: dict[str, Any] = {
        "has_more": has_more,
        "list": [_user_view(state.seed, u) for u in page],
    }
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
    r.add_post("/topapi/v2/department/listsubid", department_listsubid)
    r.add_post("/topapi/v2/department/get", department_get)
    r.add_post("/topapi/user/listid", user_listid)
    r.add_post("/topapi/v2/user/list", user_list)
    r.add_post("/topapi/user/getbyunionid", user_by_union)
