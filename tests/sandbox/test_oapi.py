"""Work notifications, media upload and contacts on the oapi host."""

from __future__ import annotations

import json

import httpx

from tests.sandbox.conftest import APP_KEY, Api


async def upload(client: httpx.AsyncClient, token: str, name: str, kind: str = "file") -> dict:
    resp = await client.post(
        "/media/upload",
        params={"access_token": token, "type": kind},
        files={"media": (name, b"%PDF-1.4 test", "application/pdf")},
    )
    assert resp.status_code == 200
    return dict(resp.json())


async def test_media_upload_and_robot_file(api: Api, client: httpx.AsyncClient) -> None:
    ok = await upload(client, api.token, "纪要.pdf")
    assert ok["errcode"] == 0 and ok["media_id"].startswith("@lA") and ok["type"] == "file"
    assert (await upload(client, api.token, "evil.exe"))["errcode"] != 0
    assert (await upload(client, api.token, "a.pdf", "sticker"))["errcode"] != 0
    served = await client.get(f"/sandbox/media/{ok['media_id']}")
    assert served.content == b"%PDF-1.4 test"
    resp = await api.new(
        "POST",
        "/v1.0/robot/oToMessages/batchSend",
        {
            "robotCode": APP_KEY,
            "userIds": ["zhangsan"],
            "msgKey": "sampleFile",
            "msgParam": json.dumps(
                {"mediaId": ok["media_id"], "fileName": "纪要.pdf", "fileType": "pdf"}
            ),
        },
    )
    assert resp.status_code == 200
    assert (await api.inbox("zhangsan"))[0]["kind"] == "file"
    bad_media = await api.new(
        "POST",
        "/v1.0/robot/oToMessages/batchSend",
        {
            "robotCode": APP_KEY,
            "userIds": ["zhangsan"],
            "msgKey": "sampleFile",
            "msgParam": json.dumps({"mediaId": "@lAnope", "fileName": "a", "fileType": "pdf"}),
        },
    )
    assert bad_media.status_code == 400


async def test_work_notification_flow(api: Api, client: httpx.AsyncClient) -> None:
    path = "/topapi/message/corpconversation/"
    msg = {"msgtype": "markdown", "markdown": {"title": "督办提醒", "text": "请于周五前办结"}}
    wrong_agent = await api.oapi(
        path + "asyncsend_v2", {"agent_id": 1, "userid_list": "lisi", "msg": msg}
    )
    assert wrong_agent["errcode"] != 0
    as_list = await api.oapi(
        path + "asyncsend_v2", {"agent_id": 4242, "userid_list": ["lisi"], "msg": msg}
    )
    assert as_list["errcode"] != 0
    bad_msg = await api.oapi(
        path + "asyncsend_v2",
        {"agent_id": 4242, "userid_list": "lisi", "msg": {"msgtype": "markdown", "markdown": {}}},
    )
    assert bad_msg["errcode"] != 0
    sent = await api.oapi(
        path + "asyncsend_v2", {"agent_id": 4242, "userid_list": "lisi,zhangsan,ghost", "msg": msg}
    )
    assert sent["errcode"] == 0
    task_id = sent["task_id"]
    item = (await api.inbox("lisi"))[0]
    assert item["kind"] == "work_notification" and item["title"] == "督办提醒"
    await client.post("/sandbox/users/lisi/read", json={"ids": [item["id"]]})
    result = await api.oapi(path + "getsendresult", {"agent_id": 4242, "task_id": task_id})
    send_result = result["send_result"]
    assert send_result["read_user_id_list"] == ["lisi"]
    assert send_result["unread_user_id_list"] == ["zhangsan"]
    assert send_result["invalid_user_id_list"] == ["ghost"]
    progress = await api.oapi(path + "getsendprogress", {"agent_id": 4242, "task_id": task_id})
    assert progress["progress"]["status"] == 2
    again = await api.oapi(
        path + "asyncsend_v2", {"agent_id": 4242, "userid_list": "lisi", "msg": msg}
    )
    again_result = await api.oapi(
        path + "getsendresult", {"agent_id": 4242, "task_id": again["task_id"]}
    )
    assert again_result["send_result"]["forbidden_user_id_list"] == ["lisi"]
    recall = await api.oapi(path + "recall", {"agent_id": 4242, "msg_task_id": task_id})
    assert recall["errcode"] == 0
    assert (await api.inbox("lisi"))[0]["recalled"] is True


async def test_contacts(api: Api) -> None:
    user = await api.oapi("/topapi/v2/user/get", {"userid": "wangwu", "language": "zh_CN"})
    assert user["result"]["name"] == "王五" and user["result"]["unionid"] == "union-ww"
    depts = await api.oapi("/topapi/v2/department/listsub", {"dept_id": 1})
    assert {d["dept_id"] for d in depts["result"]} == {2, 3}
    ids = await api.oapi("/topapi/user/listid", {"dept_id": 2})
    assert ids["result"]["userid_list"] == ["zhangsan", "lisi"]
    page = await api.oapi("/topapi/v2/user/list", {"dept_id": 2, "cursor": 0, "size": 1})
    assert page["result"]["has_more"] is True and page["result"]["next_cursor"] == 1
    by_union = await api.oapi("/topapi/user/getbyunionid", {"unionid": "union-ls"})
    assert by_union["result"]["userid"] == "lisi"
    assert (await api.oapi("/topapi/user/getbyunionid", {"unionid": "x"}))["errcode"] == 60121
