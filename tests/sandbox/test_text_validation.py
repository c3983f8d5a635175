"""Text that is not valid Unicode (lone UTF-16 surrogates, e.g. a JSON ``"\\ud800"``
escape) is refused at every door, as DingTalk does, and a stored one can never break a
user's inbox; media uploads take only what DingTalk's media/upload takes."""

from __future__ import annotations

import json
from typing import Any

import httpx

from sandbox.app import RunningSandbox
from sandbox.errors import lone_surrogate_at, scrub
from sandbox.media import MB
from tests.sandbox.conftest import APP_KEY, Api
from tests.sandbox.wsclient import StreamClient

# JSON text whose "\ud800" escape json.loads turns into a lone surrogate.
LONE = "\\ud800"


def raw(body: str) -> bytes:
    """A JSON body as bytes, escapes kept as written (httpx's json= cannot send these)."""
    return body.encode("ascii")


async def post_raw(
    client: httpx.AsyncClient, path: str, body: str, **headers: str
) -> httpx.Response:
    return await client.post(
        path, content=raw(body), headers={"content-type": "application/json", **headers}
    )


def oto_body(content_json: str) -> str:
    """A batchSend body whose msgParam (a JSON string itself) holds ``content_json``."""
    param = '{"content": "' + content_json + '"}'
    return json.dumps(
        {"robotCode": APP_KEY, "userIds": ["zhangsan"], "msgKey": "sampleText", "msgParam": param}
    )


async def test_user_message_with_a_lone_surrogate_is_refused(
    client: httpx.AsyncClient, api: Api
) -> None:
    bad = await post_raw(client, "/sandbox/users/zhangsan/messages", '{"text": "a' + LONE + 'b"}')
    assert bad.status_code == 400
    assert "代理项" in bad.json()["error"] and "text" in bad.json()["error"]
    group = await post_raw(
        client,
        "/sandbox/groups/cidOffice==/messages",
        '{"userId": "zhangsan", "text": "' + LONE + '"}',
    )
    assert group.status_code == 400
    # Nothing was stored: the inbox still answers and holds no message.
    assert await api.inbox("zhangsan") == []
    # A proper pair (an emoji written as two escapes) is ordinary text.
    ok = await post_raw(client, "/sandbox/users/zhangsan/messages", '{"text": "\\ud83d\\ude00"}')
    assert ok.status_code == 200
    assert [i["text"] for i in await api.inbox("zhangsan")] == ["\U0001f600"]


async def test_robot_sends_with_a_lone_surrogate_get_dingtalks_parameter_error(
    client: httpx.AsyncClient, api: Api
) -> None:
    headers = {"x-acs-dingtalk-access-token": api.token}
    # The surrogate is only inside msgParam, itself a JSON string: found there too.
    oto = await post_raw(client, "/v1.0/robot/oToMessages/batchSend", oto_body(LONE), **headers)
    assert oto.status_code == 400
    assert oto.json()["code"] == "param.invalid"
    assert "msgParam.content" in oto.json()["message"]
    group_body = json.dumps(
        {
            "robotCode": APP_KEY,
            "openConversationId": "cidOffice==",
            "msgKey": "sampleMarkdown",
            "msgParam": '{"title": "t", "text": "x' + LONE + '"}',
        }
    )
    group = await post_raw(client, "/v1.0/robot/groupMessages/send", group_body, **headers)
    assert group.status_code == 400 and group.json()["code"] == "param.invalid"
    # Directly in the outer body as well.
    direct = await post_raw(
        client,
        "/v1.0/robot/oToMessages/batchSend",
        '{"robotCode": "' + APP_KEY + '", "userIds": ["zhang' + LONE + '"], '
        '"msgKey": "sampleText", "msgParam": "{}"}',
        **headers,
    )
    assert direct.status_code == 400 and "userIds[0]" in direct.json()["message"]
    assert await api.inbox("zhangsan") == [] and await api.inbox("lisi") == []
    # The same send with proper text goes through.
    fine = await post_raw(
        client, "/v1.0/robot/oToMessages/batchSend", oto_body("\\u4f60\\u597d"), **headers
    )
    assert fine.status_code == 200
    assert [i["text"] for i in await api.inbox("zhangsan")] == ["你好"]


async def test_card_data_with_a_lone_surrogate_is_refused(
    client: httpx.AsyncClient, api: Api
) -> None:
    body = json.dumps(
        {
            "cardTemplateId": "approval.schema",
            "outTrackId": "card-bad-text",
            "cardData": {"cardParamMap": {"title": "PLACEHOLDER"}},
            "callbackType": "STREAM",
            "openSpaceId": "dtv1.card//IM_ROBOT.lisi",
            "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT"},
        }
    ).replace("PLACEHOLDER", "x" + LONE)
    answer = await post_raw(
        client,
        "/v1.0/card/instances/createAndDeliver",
        body,
        **{"x-acs-dingtalk-access-token": api.token},
    )
    assert answer.status_code == 400 and answer.json()["code"] == "param.invalid"
    assert await api.inbox("lisi") == []


async def test_oapi_sends_with_a_lone_surrogate_get_a_nonzero_errcode(
    sandbox: RunningSandbox, client: httpx.AsyncClient, api: Api
) -> None:
    # A work notification whose msg is a JSON string holding the escape.
    msg = '{"msgtype": "text", "text": {"content": "x' + LONE + '"}}'
    body = json.dumps({"agent_id": 4242, "userid_list": "lisi", "msg": msg})
    answer = await post_raw(
        client,
        f"/topapi/message/corpconversation/asyncsend_v2?access_token={api.token}",
        body,
    )
    assert answer.status_code == 200 and answer.json()["errcode"] != 0
    assert "代理项" in answer.json()["errmsg"]
    # A sessionWebhook reply.
    stream = StreamClient(sandbox.url)
    await stream.connect()
    try:
        await client.post("/sandbox/users/zhangsan/messages", json={"text": "你好"})
        data = json.loads((await stream.next_frame("/v1.0/im/bot/messages/get"))["data"])
    finally:
        await stream.close()
    reply = await post_raw(
        client,
        data["sessionWebhook"].removeprefix(sandbox.url),
        '{"msgtype": "text", "text": {"content": "' + LONE + '"}}',
    )
    assert reply.status_code == 200 and reply.json()["errcode"] == 40035
    inbox = await api.inbox("zhangsan")
    assert [i["text"] for i in inbox] == ["你好"] and await api.inbox("lisi") == []


async def test_a_stored_lone_surrogate_never_breaks_the_inbox(
    sandbox: RunningSandbox, client: httpx.AsyncClient, api: Api
) -> None:
    # Should one get past the doors (a future endpoint, a saved state), the inbox and
    # the call log still answer, showing U+FFFD in its place.
    sandbox.state.new_item(
        "zhangsan", "text", title="t\udfff", text="a\ud800b", extra={"k": "\ud800"}
    )
    items = await api.inbox("zhangsan")
    assert items[0]["text"] == "a\ufffdb" and items[0]["title"] == "t\ufffd"
    assert items[0]["k"] == "\ufffd"
    sandbox.state.calls.append({"id": 0, "body": {"text": "\ud800"}})
    calls = await client.get("/sandbox/calls")
    assert calls.status_code == 200 and calls.json()[-1]["body"] == {"text": "\ufffd"}


def test_surrogate_search_and_scrub() -> None:
    assert lone_surrogate_at({"a": ["ok", "x\ud800"]}) == "a[1]"
    assert lone_surrogate_at("\udc00") == "$"
    assert lone_surrogate_at({"p": '{"c": "\\ud800"}'}) is None
    assert lone_surrogate_at({"p": '{"c": "\\ud800"}'}, nested=True) == "p.c"
    assert lone_surrogate_at({"p": '{"c": "\\ud83d\\ude00"}'}, nested=True) is None
    assert lone_surrogate_at({"p": "{not json \\u"}, nested=True) is None
    assert scrub("a\ud800b\ud83d\ude00") == "a\ufffdb\U0001f600"
    assert scrub("普通文字") == "普通文字"


# ---------------------------------------------------------------- media/upload


async def upload(
    client: httpx.AsyncClient, token: str, name: str, content: bytes = b"data"
) -> dict[str, Any]:
    answer = await client.post(
        "/media/upload",
        params={"access_token": token, "type": "file"},
        files={"media": (name, content, "application/octet-stream")},
    )
    assert answer.status_code == 200  # oapi: errors are HTTP 200 with an errcode
    return dict(answer.json())


async def test_media_upload_takes_only_dingtalks_file_types(
    client: httpx.AsyncClient, api: Api
) -> None:
    for name in (
        "a.doc",
        "b.DOCX",
        "c.xls",
        "d.xlsx",
        "e.ppt",
        "f.pptx",
        "g.zip",
        "h.pdf",
        "i.rar",
    ):
        answer = await upload(client, api.token, name)
        assert answer["errcode"] == 0 and answer["media_id"], name
    for name in (
        "公文.ofd",
        "通知.wps",
        "表.et",
        "演示.dps",
        "说明.txt",
        "扫描.jpg",
        "x.exe",
        "noext",
    ):
        answer = await upload(client, api.token, name)
        assert answer["errcode"] == 40005, name
        assert "不合法的文件类型" in answer["errmsg"]


async def test_media_upload_enforces_20_mb(client: httpx.AsyncClient, api: Api) -> None:
    assert (await upload(client, api.token, "full.pdf", b"x" * (20 * MB)))["errcode"] == 0
    too_big = await upload(client, api.token, "big.pdf", b"x" * (20 * MB + 1))
    assert too_big["errcode"] == 40006 and "不合法的文件大小" in too_big["errmsg"]
    assert (await upload(client, api.token, "empty.pdf", b""))["errcode"] == 40006
