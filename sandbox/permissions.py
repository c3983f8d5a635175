"""The app's permission scopes (权限点), as DingTalk's developer console grants them.

Every DingTalk API the sandbox serves needs one scope; by default all are granted.
``POST /sandbox/permissions {"revoke": [...], "grant": [...]}`` changes them. A call
without its scope is answered like DingTalk: new API HTTP 403
``Forbidden.AccessDenied.AccessTokenPermissionDenied`` with
``accessdenieddetail.requiredScopes``; oapi HTTP 200 errcode 60011, the scope named in
``errmsg``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, OapiError

ROBOT = "qyapi_robot_sendmsg"
CARD = "Card.Instance.Write"
CARD_STREAMING = "Card.Streaming.Write"
TODO_WRITE = "Todo.Todo.Write"
TODO_READ = "Todo.Todo.Read"
WORK_NOTICE = "Message.WorkNotice"
MEMBER = "qyapi_get_member"
DEPARTMENTS = "qyapi_get_department_list"
BASE = "qyapi_base"

SCOPES: tuple[str, ...] = (
    ROBOT,
    CARD,
    CARD_STREAMING,
    TODO_WRITE,
    TODO_READ,
    WORK_NOTICE,
    MEMBER,
    DEPARTMENTS,
    BASE,
)

_TODO = "/v1.0/todo/users/{union_id}/tasks"
# (method, route) -> scope, for every DingTalk API the sandbox serves (routes as
# registered, so path parameters appear as {name}).
ENDPOINT_SCOPES: dict[tuple[str, str], str] = {
    ("POST", "/v1.0/robot/oToMessages/batchSend"): ROBOT,
    ("POST", "/v1.0/robot/groupMessages/send"): ROBOT,
    ("GET", "/v1.0/robot/oToMessages/readStatus"): ROBOT,
    ("POST", "/v1.0/robot/groupMessages/query"): ROBOT,
    ("POST", "/v1.0/robot/otoMessages/batchRecall"): ROBOT,
    ("POST", "/v1.0/robot/groupMessages/recall"): ROBOT,
    ("POST", "/v1.0/robot/messageFiles/download"): ROBOT,
    ("POST", "/v1.0/robot/ding/send"): ROBOT,
    ("POST", "/v1.0/card/instances/createAndDeliver"): CARD,
    ("POST", "/v1.0/card/instances"): CARD,
    ("POST", "/v1.0/card/instances/deliver"): CARD,
    ("PUT", "/v1.0/card/instances"): CARD,
    ("POST", _TODO): TODO_WRITE,
    ("GET", _TODO + "/{task_id}"): TODO_READ,
    ("PUT", _TODO + "/{task_id}"): TODO_WRITE,
    ("DELETE", _TODO + "/{task_id}"): TODO_WRITE,
    ("POST", "/v1.0/todo/users/{union_id}/org/tasks/query"): TODO_READ,
    ("PUT", _TODO + "/{task_id}/executorStatus"): TODO_WRITE,
    ("POST", "/topapi/message/corpconversation/asyncsend_v2"): WORK_NOTICE,
    ("POST", "/topapi/message/corpconversation/getsendresult"): WORK_NOTICE,
    ("POST", "/topapi/message/corpconversation/getsendprogress"): WORK_NOTICE,
    ("POST", "/topapi/message/corpconversation/recall"): WORK_NOTICE,
    ("POST", "/topapi/v2/user/get"): MEMBER,
    ("POST", "/topapi/user/listid"): MEMBER,
    ("POST", "/topapi/v2/user/list"): MEMBER,
    ("POST", "/topapi/user/getbyunionid"): MEMBER,
    ("POST", "/topapi/v2/department/listsub"): DEPARTMENTS,
    ("POST", "/topapi/v2/department/listsubid"): DEPARTMENTS,
    ("POST", "/topapi/v2/department/get"): DEPARTMENTS,
    ("POST", "/media/upload"): BASE,
}
PERMISSION_CODE = "Forbidden.AccessDenied.AccessTokenPermissionDenied"
PERMISSION_ERRCODE = 60011
HELP_URL = "https://open.dingtalk.com/document/orgapp/add-api-permission"


@dataclass
class Permissions:
    granted: set[str] = field(default_factory=lambda: set(SCOPES))

    def change(self, revoke: list[str], grant: list[str]) -> None:
        unknown = sorted({*revoke, *grant} - set(SCOPES))
        if unknown:
            raise ValueError(", ".join(unknown))
        self.granted -= set(revoke)
        self.granted |= set(grant)

    def refusal(self, method: str, route: str, oapi: bool) -> web.Response | None:
        """DingTalk's answer when the app lacks the scope of this call, else ``None``."""
        scope = ENDPOINT_SCOPES.get((method.upper(), route))
        if scope is None or scope in self.granted:
            return None
        if oapi:
            message = f"没有调用该接口的权限，缺少权限点：{scope}，申请参考：{HELP_URL}"
            return OapiError(PERMISSION_ERRCODE, message).response()
        return ApiError(
            403,
            PERMISSION_CODE,
            f"没有调用该接口的权限，接口权限申请参考：{HELP_URL}",
            accessdenieddetail={"requiredScopes": [scope]},
        ).response()

    def view(self) -> dict[str, Any]:
        return {
            "granted": [s for s in SCOPES if s in self.granted],
            "revoked": [s for s in SCOPES if s not in self.granted],
            "endpoints": [
                {"method": method, "path": path, "scope": scope}
                for (method, path), scope in ENDPOINT_SCOPES.items()
            ],
        }


PERMISSIONS: web.AppKey[Permissions] = web.AppKey("sandbox_permissions", Permissions)
