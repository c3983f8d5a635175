"""Robot OpenAPI and sessionWebhook strictness."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import httpx

from sandbox.app import RunningSandbox
from tests.sandbox.conftest import APP_KEY, Api
from tests.sandbox.wsclient import StreamClient


async def test_batch_send_limits_and_invalid_staff(api: Api) -> None:
    resp = await api.send_text([f"u{i}" for i in range(21)])
    assert resp.status_code == 400 and resp.json()["code"]
    resp = await api.send_text(["zhangsan", "ghost"])
    assert resp.status_code == 200
    assert resp.json()["invalidStaffIdList"] == ["ghost"]
    assert resp.json()["processQueryKey"]
    inbox = await api.inbox("zhangsan")
    assert [i["kind"] for i in inbox] == ["text"] and inbox[0]["text"] == "你好"
    assert await api.inbox("ghost") == []


async def test_msg_param_must_be_json_string_with_required_keys(api: Api) -> None:
    base = {"robotCode": APP_KEY, "userIds": ["zhangsan"], "msgKey": "sampleMarkdown"}
    as_object = await api.new(
        "POST", "/v1.0/robot/oToMessages/batchSend", {**base, "msgParam": {"title": "t"}}
    )
    assert as_object.status_code == 400
    missing = await api.new(
        "POST",
        "/v1.0/robot/oToMessages/batchSend",
        {**base, "msgParam": json.dumps({"title": "t"})},
    )
    assert missing.status_code == 400
    bad_key = await api.new(
        "POST",
        "/v1.0/robot/oToMessages/batchSend",
        {**base, "msgKey": "sampleActionCard1", "msgParam": "{}"},
    )
    assert bad_key.status_code == 400
    wrong_robot = await api.new(
        "POST",
        "/v1.0/robot/oToMessages/batchSend",
        {**base, "robotCode": "other", "msgParam": json.dumps({"title": "t", "text": "x"})},
    )
    assert wrong_robot.status_code == 400


async def test_read_status_follows_inbox_reads(api: Api, client: httpx.AsyncClient) -> None:
    pqk = (await api.send_text(["zhangsan", "lisi"])).json()["processQueryKey"]
    assert "+" in pqk or "/" in pqk  # callers must URL-encode it
    item = (await api.inbox("lisi"))[0]
    await client.post("/sandbox/users/lisi/read", json={"ids": [item["id"]]})
    path = "/v1.0/robot/oToMessages/readStatus"
    resp = await api.new("GET", f"{path}?robotCode={APP_KEY}&processQueryKey={quote(pqk, safe='')}")
    infos = {i["userId"]: i["readStatus"] for i in resp.json()["messageReadInfoList"]}
    assert infos == {"zhangsan": "UNREAD", "lisi": "READ"}
    unencoded = await api.new(
        "GET", f"/v1.0/robot/oToMessages/readStatus?robotCode={APP_KEY}&processQueryKey={pqk}"
    )
    assert unencoded.status_code == 400


async def test_group_send_query_and_recall(api: Api, client: httpx.AsyncClient) -> None:
    body = {
        "robotCode": APP_KEY,
        "openConversationId": "cidOffice==",
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": "全体注意"}),
    }
    resp = await api.new("POST", "/v1.0/robot/groupMessages/send", body)
    pqk = resp.json()["processQueryKey"]
    unknown = await api.new(
        "POST", "/v1.0/robot/groupMessages/send", {**body, "openConversationId": "cidNope"}
    )
    assert unknown.status_code == 400
    too_big = await api.new(
        "POST",
        "/v1.0/robot/groupMessages/send",
        {**body, "msgParam": json.dumps({"content": "字" * 6000}, ensure_ascii=False)},
    )
    assert too_big.status_code == 400
    item = (await api.inbox("zhangsan"))[0]
    await client.post("/sandbox/users/zhangsan/read", json={"ids": [item["id"]]})
    query = await api.new(
        "POST",
        "/v1.0/robot/groupMessages/query",
        {"robotCode": APP_KEY, "processQueryKey": pqk, "openConversationId": "cidOffice=="},
    )
    assert query.json()["readUserIds"] == ["zhangsan"]
    recall = await api.new(
        "POST",
        "/v1.0/robot/groupMessages/recall",
        {"robotCode": APP_KEY, "openConversationId": "cidOffice==", "processQueryKeys": [pqk]},
    )
    assert recall.json()["successResult"] == [pqk]
    assert (await api.inbox("lisi"))[0]["recalled"] is True


async def test_session_webhook_reply_and_expiry(
    sandbox: RunningSandbox, api: Api, client: httpx.AsyncClient
) -> None:
    stream = StreamClient(sandbox.url)
    await stream.connect()
    try:
        await client.post("/sandbox/users/zhangsan/messages", json={"text": "你好"})
        data = json.loads((await stream.next_frame("/v1.0/im/bot/messages/get"))["data"])
    finally:
        await stream.close()
    hook = data["sessionWebhook"]
    ok = await client.post(
        hook, json={"msgtype": "markdown", "markdown": {"title": "回复", "text": "**好**"}}
    )
    assert ok.json()["errcode"] == 0
    bad = await client.post(hook, json={"msgtype": "interactiveCard", "card": {}})
    assert bad.json()["errcode"] != 0
    inbox = await api.inbox("zhangsan")
    assert inbox[-1]["kind"] == "markdown" and inbox[-1]["text"] == "**好**"
    await client.post("/sandbox/clock", json={"advance_seconds": 90 * 60 + 1})
    expired = await client.post(hook, json={"msgtype": "text", "text": {"content": "迟到"}})
    assert expired.json() == {"errcode": 300001, "errmsg": "session 不存在"} | {
        "request_id": expired.json()["request_id"]
    }


async def test_user_file_download(
    sandbox: RunningSandbox, api: Api, client: httpx.AsyncClient
) -> None:
    stream = StreamClient(sandbox.url)
    await stream.connect()
    try:
        content = "公文内容".encode()
        await client.post(
            "/sandbox/users/lisi/messages",
            json={
                "file": {
                    "name": "../../报告.docx",
                    "content_base64": base64.b64encode(content).decode(),
                }
            },
        )
        data = json.loads((await stream.next_frame("/v1.0/im/bot/messages/get"))["data"])
    finally:
        await stream.close()
    assert data["msgtype"] == "file" and data["content"]["fileName"] == "../../报告.docx"
    resp = await api.new(
        "POST",
        "/v1.0/robot/messageFiles/download",
        {"robotCode": APP_KEY, "downloadCode": data["content"]["downloadCode"]},
    )
    url = resp.json()["downloadUrl"]
    assert url.startswith(sandbox.url)
    assert (await client.get(url)).content == content
    bad = await api.new(
        "POST", "/v1.0/robot/messageFiles/download", {"robotCode": APP_KEY, "downloadCode": "x"}
    )
    assert bad.status_code == 400
