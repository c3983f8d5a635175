"""DingTalk to-do tasks (``/v1.0/todo/users/{unionId}/tasks``)."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, json_response, read_json_object, request_id
from sandbox.records import Todo
from sandbox.state import SandboxState, state_of

CREATE_ERROR = "todo.taskCreate.paramError"
PRIORITIES = {10, 20, 30, 40}


def _bad(message: str, code: str = CREATE_ERROR) -> ApiError:
    return ApiError(400, code, message)


def _union_ids(state: SandboxState, body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(f"{key} 必须是 unionId 字符串数组")
    if len(value) > 100:
        raise _bad(f"{key} 最多 100 人")
    unknown = [v for v in value if state.seed.user_by_union(v) is None]
    if unknown:
        raise _bad(f"{key} 包含不存在的 unionId：{', '.join(unknown)}")
    return list(dict.fromkeys(value))


def _check_fields(state: SandboxState, body: dict[str, Any], *, creating: bool) -> None:
    subject = body.get("subject")
    if creating or "subject" in body:
        if not isinstance(subject, str) or not subject.strip():
            raise _bad("subject 不能为空")
        if len(subject) > 1024:
            raise _bad("subject 不能超过 1024 个字符")
    description = body.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 4096):
        raise _bad("description 必须是不超过 4096 个字符的字符串")
    due = body.get("dueTime")
    if due is not None and (not isinstance(due, int) or isinstance(due, bool) or due <= 0):
        raise _bad("dueTime 必须是毫秒时间戳")
    if "done" in body and not isinstance(body["done"], bool):
        raise _bad("done 必须是布尔值")
    _union_ids(state, body, "executorIds")
    _union_ids(state, body, "participantIds")


def _operator(state: SandboxState, request: web.Request) -> str:
    operator = request.query.get("operatorId", "")
    if operator and state.seed.user_by_union(operator) is None:
        raise _bad("operatorId 不存在")
    return operator


def _owner(state: SandboxState, request: web.Request) -> str:
    union_id = request.match_info["union_id"]
    if state.seed.user_by_union(union_id) is None:
        raise _bad("unionId 不存在")
    return union_id


async def create_task(request: web.Request) -> web.Response:
    """POST /v1.0/todo/users/{unionId}/tasks?operatorId="""
    state = state_of(request)
    owner = _owner(state, request)
    operator = _operator(state, request)
    body = await read_json_object(request)
    _check_fields(state, body, creating=True)
    detail = body.get("detailUrl")
    if (
        not isinstance(detail, dict)
        or not isinstance(detail.get("appUrl"), str)
        or not isinstance(detail.get("pcUrl"), str)
        or not detail["appUrl"]
        or not detail["pcUrl"]
    ):
        raise _bad("detailUrl 必填，且需要 appUrl 和 pcUrl")
    if body.get("priority") is not None and body["priority"] not in PRIORITIES:
        raise _bad("priority 只能是 10、20、30、40")
    source_id = body.get("sourceId")
    if source_id is not None and not isinstance(source_id, str):
        raise _bad("sourceId 必须是字符串")
    if source_id and source_id in state.todo_source_ids:
        raise _bad("task exist")
    notify = body.get("notifyConfigs")
    if notify is not None and (
        not isinstance(notify, dict) or not all(isinstance(v, str) for v in notify.values())
    ):
        raise _bad("notifyConfigs 的值必须是字符串")
    now = state.clock.now_ms()
    executors = _union_ids(state, body, "executorIds") or []
    task = {
        "id": "task" + secrets.token_hex(12),
        "subject": body["subject"],
        "description": body.get("description", ""),
        "startTime": now,
        "dueTime": body.get("dueTime"),
        "finishTime": None,
        "done": False,
        "executorIds": executors,
        "participantIds": _union_ids(state, body, "participantIds") or [],
        "detailUrl": detail,
        "source": "isv_dingtalkapp",
        "sourceId": source_id,
        "createdTime": now,
        "modifiedTime": now,
        "creatorId": body.get("creatorId") or operator or owner,
        "modifierId": operator or owner,
        "bizTag": "",
        "requestId": request_id(),
        "isOnlyShowExecutor": bool(body.get("isOnlyShowExecutor", False)),
        "priority": body.get("priority", 20),
        "notifyConfigs": notify or {},
    }
    todo = Todo(id=task["id"], owner_union_id=owner, data=task)
    todo.executor_done = dict.fromkeys(executors, False)
    state.todos[todo.id] = todo
    if source_id:
        state.todo_source_ids.add(source_id)
    for union_id in executors or [owner]:
        user = state.seed.user_by_union(union_id)
        if user is not None:
            state.new_item(
                user.user_id,
                "todo",
                title=str(task["subject"]),
                text=str(task["description"]),
                todo_id=todo.id,
                source="todo",
            )
    return json_response(task)


def _todo(state: SandboxState, request: web.Request) -> Todo:
    _owner(state, request)
    todo = state.todos.get(request.match_info["task_id"])
    if todo is None or todo.deleted:
        raise ApiError(400, "todo.task.notExist", "task not exist")
    return todo


async def get_task(request: web.Request) -> web.Response:
    """GET /v1.0/todo/users/{unionId}/tasks/{taskId}"""
    return json_response(_todo(state_of(request), request).view())


async def update_task(request: web.Request) -> web.Response:
    """PUT /v1.0/todo/users/{unionId}/tasks/{taskId}?operatorId="""
    state = state_of(request)
    todo = _todo(state, request)
    operator = _operator(state, request)
    body = await read_json_object(request)
    _check_fields(state, body, creating=False)
    for key in ("subject", "description", "dueTime", "done", "executorIds", "participantIds"):
        if key in body:
            todo.data[key] = body[key]
    if "executorIds" in body:
        todo.executor_done = {u: todo.executor_done.get(u, False) for u in body["executorIds"]}
    now = state.clock.now_ms()
    if body.get("done") is True:
        todo.data["finishTime"] = now
    todo.data["modifiedTime"] = now
    todo.data["modifierId"] = operator or todo.owner_union_id
    state.bus.publish({"type": "inbox", "todoId": todo.id, "event": "updated"})
    return json_response({"result": True, "requestId": request_id()})


async def executor_status(request: web.Request) -> web.Response:
    """PUT /v1.0/todo/users/{unionId}/tasks/{taskId}/executorStatus?operatorId="""
    state = state_of(request)
    todo = _todo(state, request)
    _operator(state, request)
    body = await read_json_object(request)
    entries = body.get("executorStatusList")
    if not isinstance(entries, list) or not entries:
        raise _bad("executorStatusList 不能为空", "todo.taskUpdate.paramError")
    for entry in entries:
        if (
            not isinstance(entry, dict)
            or entry.get("id") not in todo.executor_done
            or not isinstance(entry.get("isDone"), bool)
        ):
            raise _bad(f"executorStatusList 项不合法：{entry}", "todo.taskUpdate.paramError")
    for entry in entries:
        todo.executor_done[entry["id"]] = entry["isDone"]
    todo.data["modifiedTime"] = state.clock.now_ms()
    state.bus.publish({"type": "inbox", "todoId": todo.id, "event": "updated"})
    return json_response({"result": True, "requestId": request_id()})


async def delete_task(request: web.Request) -> web.Response:
    """DELETE /v1.0/todo/users/{unionId}/tasks/{taskId}?operatorId="""
    state = state_of(request)
    todo = _todo(state, request)
    _operator(state, request)
    todo.deleted = True
    state.bus.publish({"type": "inbox", "todoId": todo.id, "event": "deleted"})
    return json_response({"result": True, "requestId": request_id()})


# Cards per page of the org to-do query (DingTalk does not document its page size).
QUERY_PAGE = 20


async def query_org_tasks(request: web.Request) -> web.Response:
    """POST /v1.0/todo/users/{unionId}/org/tasks/query {isDone, nextToken}: the to-dos
    this organisation's apps created where the user is an executor (or the owner when it
    has none), done or not, a page at a time; ``nextToken`` is null after the last."""
    state = state_of(request)
    owner = _owner(state, request)
    body = await read_json_object(request)
    done = body.get("isDone")
    if done is not None and not isinstance(done, bool):
        raise _bad("isDone 必须是布尔值", "todo.queryTask.paramError")
    token = body.get("nextToken")
    if token is not None and (not isinstance(token, str) or not token.isdigit()):
        raise _bad("nextToken 不合法", "todo.queryTask.paramError")
    start = int(token) if token else 0
    mine = [
        t
        for t in state.todos.values()
        if not t.deleted
        and owner in (t.data.get("executorIds") or [t.owner_union_id])
        and (done is None or bool(t.data.get("done")) == done)
    ]
    mine.sort(key=lambda t: int(t.data.get("createdTime") or 0))
    page = mine[start : start + QUERY_PAGE]
    keys = (
        "taskId",
        "subject",
        "sourceId",
        "bizTag",
        "createdTime",
        "creatorId",
        "detailUrl",
        "dueTime",
        "isDone",
        "modifiedTime",
        "priority",
    )
    cards = [
        {
            k: v
            for k, v in {**t.data, "taskId": t.id, "isDone": t.data.get("done")}.items()
            if k in keys
        }
        for t in page
    ]
    more = start + QUERY_PAGE < len(mine)
    return json_response(
        {"todoCards": cards, "nextToken": str(start + QUERY_PAGE) if more else None}
    )


def register(app: web.Application) -> None:
    base = "/v1.0/todo/users/{union_id}/tasks"
    r = app.router
    r.add_post(base, create_task)
    r.add_post("/v1.0/todo/users/{union_id}/org/tasks/query", query_org_tasks)
    r.add_get(base + "/{task_id}", get_task)
    r.add_put(base + "/{task_id}", update_task)
    r.add_delete(base + "/{task_id}", delete_task)
    r.add_put(base + "/{task_id}/executorStatus", executor_status)
