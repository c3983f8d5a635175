"""To-do tasks."""

from __future__ import annotations

from typing import Any

from tests.sandbox.conftest import Api

BASE = "/v1.0/todo/users/union-ls/tasks"


def todo(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": "审批：请假申请",
        "executorIds": ["union-ls"],
        "detailUrl": {"appUrl": "dingtalk://x", "pcUrl": "https://x"},
        "sourceId": "leave-1",
    }
    body.update(over)
    return body


async def test_todo_lifecycle(api: Api) -> None:
    no_detail = todo()
    no_detail.pop("detailUrl")
    resp = await api.new("POST", BASE + "?operatorId=union-ls", no_detail)
    assert resp.status_code == 400 and resp.json()["code"] == "todo.taskCreate.paramError"
    unknown = await api.new("POST", BASE, todo(executorIds=["union-ghost"]))
    assert unknown.status_code == 400
    long = await api.new("POST", BASE, todo(subject="字" * 1025))
    assert long.status_code == 400
    created = await api.new("POST", BASE + "?operatorId=union-ls", todo())
    assert created.status_code == 200
    task = created.json()
    assert task["id"] and task["subject"] == "审批：请假申请" and task["done"] is False
    dup = await api.new("POST", BASE, todo())
    assert dup.status_code == 400 and dup.json()["message"] == "task exist"
    item = (await api.inbox("lisi"))[0]
    assert item["kind"] == "todo" and item["todo"]["id"] == task["id"]
    done = await api.new("PUT", f"{BASE}/{task['id']}?operatorId=union-ls", {"done": True})
    assert done.json()["result"] is True
    assert (await api.inbox("lisi"))[0]["todo"]["done"] is True
    status = await api.new(
        "PUT",
        f"{BASE}/{task['id']}/executorStatus?operatorId=union-ls",
        {"executorStatusList": [{"id": "union-ls", "isDone": True}]},
    )
    assert status.json()["result"] is True
    got = await api.new("GET", f"{BASE}/{task['id']}")
    assert got.json()["executorStatusList"] == [{"id": "union-ls", "isDone": True}]
    deleted = await api.new("DELETE", f"{BASE}/{task['id']}?operatorId=union-ls")
    assert deleted.json()["result"] is True
    assert (await api.new("GET", f"{BASE}/{task['id']}")).status_code == 400


async def test_org_query_finds_a_task_by_its_source_page_by_page(api: Api) -> None:
    query = "/v1.0/todo/users/union-ls/org/tasks/query"
    await api.new("POST", "/sandbox/quota", {"qps_per_api": 1000})  # 25 creates at once
    ids = []
    for n in range(25):  # more than one page
        created = await api.new("POST", BASE + "?operatorId=union-ls", todo(sourceId=f"s{n}"))
        ids.append(created.json()["id"])
    await api.new("PUT", f"{BASE}/{ids[0]}?operatorId=union-ls", {"done": True})
    first = (await api.new("POST", query, {"isDone": False})).json()
    assert len(first["todoCards"]) == 20 and first["nextToken"]
    card = first["todoCards"][0]
    assert card["sourceId"] == "s1" and card["taskId"] == ids[1] and card["isDone"] is False
    rest = (await api.new("POST", query, {"isDone": False, "nextToken": first["nextToken"]})).json()
    assert [c["sourceId"] for c in rest["todoCards"]] == [f"s{n}" for n in range(21, 25)]
    assert rest["nextToken"] is None
    done = (await api.new("POST", query, {"isDone": True})).json()
    assert [c["taskId"] for c in done["todoCards"]] == [ids[0]]
    bad = await api.new("POST", query, {"isDone": "no"})
    assert bad.status_code == 400
    other = (await api.new("POST", "/v1.0/todo/users/union-zs/org/tasks/query", {})).json()
    assert other["todoCards"] == []  # only the user's own
