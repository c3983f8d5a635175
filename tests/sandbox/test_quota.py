"""Monthly call quota, QPS limits and permission scopes, in DingTalk's answer shapes."""

from __future__ import annotations

import httpx

from sandbox.app import RunningSandbox
from tests.sandbox.conftest import Api

READ = "/v1.0/robot/oToMessages/readStatus"


async def _quota(client: httpx.AsyncClient) -> dict[str, object]:
    resp = await client.get("/sandbox/quota")
    assert resp.status_code == 200
    data: dict[str, object] = resp.json()
    return data


async def test_calls_are_counted_per_month_of_the_sandbox_clock(
    api: Api, client: httpx.AsyncClient
) -> None:
    before = await _quota(client)
    assert before["monthly_limit"] == 10_000 and before["used"] == 0
    assert (await api.send_text(["zhangsan"])).status_code == 200
    await api.oapi("/topapi/v2/user/get", {"userid": "zhangsan"})
    await client.get("/sandbox/calls")  # the control API is not metered
    assert (await _quota(client))["used"] == 2
    month = str(before["month"])
    await client.post("/sandbox/clock", json={"advance_seconds": 32 * 24 * 3600})
    after = await _quota(client)
    assert after["used"] == 0 and after["month"] != month
    months = after["months"]
    assert isinstance(months, dict) and months[month] == {"used": 2, "limit": 10_000}


async def test_over_the_quota_both_hosts_answer_in_dingtalk_shapes(
    api: Api, client: httpx.AsyncClient
) -> None:
    resp = await client.post("/sandbox/quota", json={"monthly_limit": 5, "used": 4})
    assert resp.json()["remaining"] == 1
    assert (await api.send_text(["zhangsan"])).status_code == 200  # the fifth call
    refused = await api.send_text(["zhangsan"])
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "Forbidden.AccessDenied.ApiCountLimitForOrg"
    assert body["message"] and body["requestid"]
    oapi = await api.oapi("/topapi/v2/user/get", {"userid": "zhangsan"})
    assert oapi["errcode"] == 90020 and oapi["errmsg"]
    assert (await _quota(client))["used"] == 5  # refused calls are not counted
    assert len(await api.inbox("zhangsan")) == 1
    await client.post("/sandbox/quota", json={"monthly_limit": 100})
    assert (await api.send_text(["zhangsan"])).status_code == 200


async def test_token_endpoints_are_neither_counted_nor_refused(
    api: Api, client: httpx.AsyncClient
) -> None:
    await client.post("/sandbox/quota", json={"monthly_limit": 0})
    resp = await client.post(
        "/v1.0/oauth2/accessToken", json={"appKey": "dingtestkey", "appSecret": "test-secret-value"}
    )
    assert resp.status_code == 200
    assert (await _quota(client))["used"] == 0


async def test_qps_fault_answers_the_next_calls_with_403(
    api: Api, client: httpx.AsyncClient
) -> None:
    resp = await client.post("/sandbox/faults", json={"qps_limit_next": 2})
    assert resp.json()["qps_limit_next"] == 2
    first = await api.send_text(["zhangsan"])
    assert first.status_code == 403
    assert first.json()["code"] == "Forbidden.AccessDenied.QpsLimitForApi"
    oapi = await api.oapi("/topapi/v2/user/get", {"userid": "zhangsan"})
    assert oapi["errcode"] == 90018
    assert (await api.send_text(["zhangsan"])).status_code == 200
    assert (await client.get("/sandbox/faults")).json()["qps_limit_next"] == 0
    assert (await _quota(client))["used"] == 1


async def test_qps_limit_per_api(api: Api, client: httpx.AsyncClient) -> None:
    await client.post("/sandbox/quota", json={"qps_per_api": 2})
    # Six quick calls span at most a couple of seconds: some of them are over 2/s.
    statuses = [(await api.send_text(["zhangsan"])).status_code for _ in range(6)]
    refused = [s for s in statuses if s == 403]
    assert refused, statuses
    other = await api.oapi("/topapi/v2/user/get", {"userid": "zhangsan"})
    assert other["errcode"] in (0, 90018)


async def test_permissions_default_all_granted_and_revoke_answers_403(
    api: Api, client: httpx.AsyncClient
) -> None:
    view = (await client.get("/sandbox/permissions")).json()
    assert "qyapi_robot_sendmsg" in view["granted"] and view["revoked"] == []
    scopes = {(e["method"], e["path"]): e["scope"] for e in view["endpoints"]}
    assert scopes[("POST", "/v1.0/robot/oToMessages/batchSend")] == "qyapi_robot_sendmsg"
    assert scopes[("PUT", "/v1.0/card/instances")] == "Card.Instance.Write"
    assert scopes[("POST", "/topapi/message/corpconversation/asyncsend_v2")] == (
        "Message.WorkNotice"
    )
    changed = await client.post(
        "/sandbox/permissions", json={"revoke": ["qyapi_robot_sendmsg", "qyapi_get_member"]}
    )
    assert changed.json()["revoked"] == ["qyapi_robot_sendmsg", "qyapi_get_member"]
    denied = await api.send_text(["zhangsan"])
    assert denied.status_code == 403
    body = denied.json()
    assert body["code"] == "Forbidden.AccessDenied.AccessTokenPermissionDenied"
    assert body["accessdenieddetail"] == {"requiredScopes": ["qyapi_robot_sendmsg"]}
    assert "add-api-permission" in body["message"] and body["requestid"]
    assert await api.inbox("zhangsan") == []
    oapi = await api.oapi("/topapi/v2/user/get", {"userid": "zhangsan"})
    assert oapi["errcode"] == 60011 and "qyapi_get_member" in oapi["errmsg"]
    # Other scopes are unaffected; a grant restores.
    assert (await api.oapi("/topapi/v2/department/listsub", {"dept_id": 1}))["errcode"] == 0
    await client.post("/sandbox/permissions", json={"grant": ["qyapi_robot_sendmsg"]})
    assert (await api.send_text(["zhangsan"])).status_code == 200


async def test_todo_read_and_write_are_separate_scopes(api: Api, client: httpx.AsyncClient) -> None:
    await client.post("/sandbox/permissions", json={"revoke": ["Todo.Todo.Write"]})
    resp = await api.new(
        "POST",
        "/v1.0/todo/users/union-zs/tasks",
        {"subject": "测试", "detailUrl": {"appUrl": "https://x", "pcUrl": "https://x"}},
        params={"operatorId": "union-zs"},
    )
    assert resp.status_code == 403
    assert resp.json()["accessdenieddetail"]["requiredScopes"] == ["Todo.Todo.Write"]
    read = await api.new("GET", "/v1.0/todo/users/union-zs/tasks/nope")
    assert read.status_code != 403


async def test_control_api_validates(client: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    bad = await client.post("/sandbox/permissions", json={"revoke": ["no.such.Scope"]})
    assert bad.status_code == 400 and "no.such.Scope" in bad.json()["error"]
    bad = await client.post("/sandbox/quota", json={"monthly_limit": -1})
    assert bad.status_code == 400
    bad = await client.post("/sandbox/quota", json={"limit": 3})
    assert bad.status_code == 400
    bad = await client.post("/sandbox/faults", json={"qps_limit_next": "x"})
    assert bad.status_code == 400
