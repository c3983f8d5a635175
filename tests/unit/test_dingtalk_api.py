"""DingTalkClient endpoints: request shapes and typed results."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.dingtalk import (
    BatchSendResult,
    CardUpdate,
    DeliverResult,
    DingTalkAmbiguousError,
    DingTalkAuthError,
    DingTalkRejectedError,
    DingTalkUnavailableError,
    NewCard,
    NewTodo,
    ReadInfo,
    action_card_param,
    card_param_map,
)
from tests.unit.test_dingtalk_fakes import APP_SECRET, api_error, body_of, harness, ok

SEND = ("POST", "/v1.0/robot/oToMessages/batchSend")
CARD = ("POST", "/v1.0/card/instances/createAndDeliver")
CARD_PUT = ("PUT", "/v1.0/card/instances")
NOTICE = ("POST", "/topapi/message/corpconversation/asyncsend_v2")


def sent_ok(request: httpx.Request) -> httpx.Response:
    users = body_of(request)["userIds"]
    return ok({"processQueryKey": f"pqk-{users[0]}", "invalidStaffIdList": []})


# ---------------------------------------------------------------- robot messages


async def test_45_users_are_sent_in_chunks_of_20_20_5() -> None:
    async with harness() as h:
        h.fake.on(*SEND, sent_ok)
        users = [f"u{i:02d}" for i in range(45)]
        results = await h.client.send_to_users(users, "sampleText", {"content": "开会"})
        bodies = [body_of(r) for r in h.fake.calls(*SEND)]
        assert [len(b["userIds"]) for b in bodies] == [20, 20, 5]
        assert [u for b in bodies for u in b["userIds"]] == users
        assert bodies[0]["robotCode"] == "dingrobot"
        assert bodies[0]["msgKey"] == "sampleText"
        assert isinstance(bodies[0]["msgParam"], str)
        assert json.loads(bodies[0]["msgParam"]) == {"content": "开会"}
        assert [r.process_query_key for r in results] == ["pqk-u00", "pqk-u20", "pqk-u40"]
        assert results[2].user_ids == tuple(users[40:])


async def test_send_result_lists_are_parsed() -> None:
    async with harness() as h:
        h.fake.on(
            *SEND,
            ok(
                {
                    "processQueryKey": "pqk",
                    "invalidStaffIdList": ["bad"],
                    "flowControlledStaffIdList": ["busy"],
                }
            ),
        )
        [result] = await h.client.send_text(["ok", "bad", "busy"], "hi")
        assert result == BatchSendResult("pqk", ("ok", "bad", "busy"), ("bad",), ("busy",), ())


async def test_failure_in_a_later_chunk_reports_the_users_already_sent() -> None:
    async with harness() as h:
        h.fake.on(*SEND, sent_ok, httpx.ReadTimeout("lost"))
        users = [f"u{i:02d}" for i in range(30)]
        with pytest.raises(DingTalkAmbiguousError) as info:
            await h.client.send_text(users, "hi")
        assert info.value.sent_user_ids == tuple(users[:20])


async def test_no_users_sends_nothing() -> None:
    async with harness() as h:
        assert await h.client.send_text([], "hi") == []
        assert h.fake.requests == []


async def test_markdown_and_file_params() -> None:
    async with harness() as h:
        h.fake.on(*SEND, sent_ok)
        await h.client.send_markdown(["u1"], "标题", "**正文**")
        await h.client.send_file(["u1"], "@lAxyz", "通知.pdf", "pdf")
        first, second = (body_of(r) for r in h.fake.calls(*SEND))
        assert first["msgKey"] == "sampleMarkdown"
        assert json.loads(first["msgParam"]) == {"title": "标题", "text": "**正文**"}
        assert second["msgKey"] == "sampleFile"
        assert json.loads(second["msgParam"]) == {
            "mediaId": "@lAxyz",
            "fileName": "通知.pdf",
            "fileType": "pdf",
        }


def test_action_card_with_one_button_uses_single_keys() -> None:
    key, param = action_card_param("T", "X", [("查看", "https://a")])
    assert key == "sampleActionCard"
    assert param == {"title": "T", "text": "X", "singleTitle": "查看", "singleURL": "https://a"}


def test_action_card_with_three_buttons_uses_numbered_keys() -> None:
    key, param = action_card_param("T", "X", [("a", "u1"), ("b", "u2"), ("c", "u3")])
    assert key == "sampleActionCard3"
    assert param["actionTitle1"] == "a" and param["actionURL3"] == "u3"
    assert "singleTitle" not in param


@pytest.mark.parametrize("count", [0, 6])
def test_action_card_button_count_is_checked(count: int) -> None:
    with pytest.raises(ValueError, match="1 to 5"):
        action_card_param("T", "X", [("b", "u")] * count)


async def test_send_action_card_goes_through_batch_send() -> None:
    async with harness() as h:
        h.fake.on(*SEND, sent_ok)
        await h.client.send_action_card(["u1"], "T", "X", [("a", "u1"), ("b", "u2")])
        body = body_of(h.fake.calls(*SEND)[0])
        assert body["msgKey"] == "sampleActionCard2"


async def test_send_to_group_returns_process_query_key() -> None:
    async with harness() as h:
        h.fake.on("POST", "/v1.0/robot/groupMessages/send", ok({"processQueryKey": "gpqk"}))
        assert await h.client.send_to_group("cid1", "sampleText", {"content": "hi"}) == "gpqk"
        body = body_of(h.fake.calls("POST", "/v1.0/robot/groupMessages/send")[0])
        assert body["openConversationId"] == "cid1"
        assert json.loads(body["msgParam"]) == {"content": "hi"}


async def test_read_status_encodes_the_key_and_parses_results() -> None:
    async with harness() as h:
        path = "/v1.0/robot/oToMessages/readStatus"
        h.fake.on(
            "GET",
            path,
            ok(
                {
                    "messageReadInfoList": [
                        {"userId": "u1", "name": "张三", "readStatus": "READ", "readTimestamp": 5},
                        {"userId": "u2", "name": "李四", "readStatus": "UNREAD"},
                    ]
                }
            ),
        )
        infos = await h.client.read_status("a+b/c==")
        assert infos == [ReadInfo("u1", "张三", True, 5), ReadInfo("u2", "李四", False, None)]
        request = h.fake.calls("GET", path)[0]
        assert request.url.params["processQueryKey"] == "a+b/c=="
        assert b"a%2Bb%2Fc%3D%3D" in request.url.raw_path
        assert request.url.params["robotCode"] == "dingrobot"


async def test_group_read_users_follows_next_token() -> None:
    async with harness() as h:
        path = "/v1.0/robot/groupMessages/query"
        h.fake.on(
            "POST",
            path,
            ok({"readUserIds": ["u1", "u2"], "hasMore": True, "nextToken": "t1"}),
            ok({"readUserIds": ["u3"], "hasMore": False}),
        )
        assert await h.client.group_read_users("cid1", "pqk") == ["u1", "u2", "u3"]
        bodies = [body_of(r) for r in h.fake.calls("POST", path)]
        assert "nextToken" not in bodies[0]
        assert bodies[1]["nextToken"] == "t1"
        assert bodies[0]["maxResults"] == 200


async def test_recalls() -> None:
    async with harness() as h:
        h.fake.on(
            "POST",
            "/v1.0/robot/otoMessages/batchRecall",
            ok({"successResult": ["p1"], "failedResult": {"p2": "expired"}}),
        )
        h.fake.on("POST", "/v1.0/robot/groupMessages/recall", ok({"successResult": ["g1"]}))
        result = await h.client.recall_users(["p1", "p2"])
        assert result.succeeded == ("p1",) and result.failed == {"p2": "expired"}
        group = await h.client.recall_group("cid1", ["g1"])
        assert group.succeeded == ("g1",) and group.failed == {}
        body = body_of(h.fake.calls("POST", "/v1.0/robot/groupMessages/recall")[0])
        assert body == {
            "openConversationId": "cid1",
            "robotCode": "dingrobot",
            "processQueryKeys": ["g1"],
        }


# ---------------------------------------------------------------- cards


def test_card_values_become_strings() -> None:
    converted = card_param_map(
        {
            "flag": True,
            "off": False,
            "count": 3,
            "ratio": 1.5,
            "none": None,
            "items": [{"a": 1}, "中"],
            "obj": {"k": "v"},
            "text": "原样",
        }
    )
    assert converted == {
        "flag": "true",
        "off": "false",
        "count": "3",
        "ratio": "1.5",
        "none": "",
        "items": '[{"a":1},"中"]',
        "obj": '{"k":"v"}',
        "text": "原样",
    }


async def test_create_and_deliver_card_request_shape() -> None:
    async with harness() as h:
        h.fake.on(
            *CARD,
            ok(
                {
                    "success": True,
                    "result": {
                        "outTrackId": "track-1",
                        "deliverResults": [
                            {
                                "spaceType": "IM_ROBOT",
                                "spaceId": "u1",
                                "success": True,
                                "carrierId": "pqk-1",
                            }
                        ],
                    },
                }
            ),
        )
        results = await h.client.create_and_deliver_card(
            NewCard(
                template_id="tpl.schema",
                out_track_id="track-1",
                card_data={"done": False, "n": 2},
                user_ids=["u1", "u2"],
                group_ids=["cid1"],
                private_data={"u1": {"canAct": True}},
                at_user_ids={"u1": "张三"},
            )
        )
        assert results == [DeliverResult("IM_ROBOT", "u1", True, "pqk-1", "")]
        body = body_of(h.fake.calls(*CARD)[0])
        assert body["cardTemplateId"] == "tpl.schema"
        assert body["outTrackId"] == "track-1"
        assert body["callbackType"] == "STREAM"
        assert body["openSpaceId"] == "dtv1.card//IM_ROBOT.u1;IM_ROBOT.u2;IM_GROUP.cid1"
        assert body["cardData"] == {"cardParamMap": {"done": "false", "n": "2"}}
        assert body["privateData"] == {"u1": {"cardParamMap": {"canAct": "true"}}}
        assert body["imRobotOpenDeliverModel"] == {
            "spaceType": "IM_ROBOT",
            "robotCode": "dingrobot",
        }
        assert body["imRobotOpenSpaceModel"] == {"supportForward": False}
        assert body["imGroupOpenSpaceModel"] == {"supportForward": False}
        assert body["imGroupOpenDeliverModel"] == {
            "robotCode": "dingrobot",
            "atUserIds": {"u1": "张三"},
        }


async def test_card_for_users_only_has_no_group_models() -> None:
    async with harness() as h:
        h.fake.on(*CARD, ok({"success": True, "result": {"deliverResults": []}}))
        await h.client.create_and_deliver_card(
            NewCard(
                template_id="t",
                out_track_id="x",
                card_data={},
                user_ids=["u1"],
                support_forward=True,
            )
        )
        body = body_of(h.fake.calls(*CARD)[0])
        assert body["openSpaceId"] == "dtv1.card//IM_ROBOT.u1"
        assert body["imRobotOpenSpaceModel"] == {"supportForward": True}
        assert "imGroupOpenDeliverModel" not in body and "privateData" not in body


async def test_card_already_exists_counts_as_success() -> None:
    async with harness() as h:
        h.fake.on(
            *CARD,
            httpx.ReadTimeout("answer lost"),
            api_error(400, "param.cardAlreadyExist", "卡片已存在"),
        )
        results = await h.client.create_and_deliver_card(
            NewCard(template_id="t", out_track_id="x", card_data={"a": "b"}, user_ids=["u1"])
        )
        assert results == []
        assert len(h.fake.calls(*CARD)) == 2


async def test_other_card_rejection_is_raised_with_code() -> None:
    async with harness() as h:
        h.fake.on(*CARD, api_error(400, "param.templateNotExist"))
        with pytest.raises(DingTalkRejectedError) as info:
            await h.client.create_and_deliver_card(
                NewCard(template_id="t", out_track_id="x", card_data={}, group_ids=["cid"])
            )
        assert info.value.code == "param.templateNotExist"


async def test_card_needs_a_target() -> None:
    async with harness() as h:
        with pytest.raises(ValueError, match="user_ids or group_ids"):
            await h.client.create_and_deliver_card(
                NewCard(template_id="t", out_track_id="x", card_data={})
            )


async def test_update_card_body() -> None:
    async with harness() as h:
        h.fake.on(*CARD_PUT, ok({"success": True, "result": True}))
        await h.client.update_card(
            CardUpdate(
                "track-1", {"status": "已同意", "done": True}, {"u1": {"acted": 1}}, by_key=False
            )
        )
        body = body_of(h.fake.calls(*CARD_PUT)[0])
        assert body == {
            "outTrackId": "track-1",
            "cardData": {"cardParamMap": {"status": "已同意", "done": "true"}},
            "privateData": {"u1": {"cardParamMap": {"acted": "1"}}},
            "cardUpdateOptions": {"updateCardDataByKey": False, "updatePrivateDataByKey": False},
            "userIdType": 1,
        }


async def test_update_card_needs_data() -> None:
    async with harness() as h:
        with pytest.raises(ValueError):
            await h.client.update_card(CardUpdate("track-1"))


# ---------------------------------------------------------------- files


async def test_upload_media_is_multipart_with_media_field() -> None:
    async with harness() as h:
        h.fake.on("POST", "/media/upload", ok({"errcode": 0, "media_id": "@lAmedia"}))
        media_id = await h.client.upload_media("file", "报告.pdf", b"%PDF-1.4 data")
        assert media_id == "@lAmedia"
        request = h.fake.calls("POST", "/media/upload")[0]
        assert request.url.params["type"] == "file"
        assert request.url.params["access_token"] == "oapi-token-1"
        assert request.headers["content-type"].startswith("multipart/form-data")
        assert b'name="media"' in request.content
        assert b"%PDF-1.4 data" in request.content


async def test_upload_without_media_id_fails() -> None:
    async with harness() as h:
        h.fake.on("POST", "/media/upload", ok({"errcode": 0}))
        with pytest.raises(DingTalkUnavailableError):
            await h.client.upload_media("image", "a.png", b"png")


async def test_message_file_download_url() -> None:
    sunk: list[str] = []
    async with harness(secret_sink=sunk.append) as h:
        path = "/v1.0/robot/messageFiles/download"
        h.fake.on("POST", path, ok({"downloadUrl": "https://files.test/x?Signature=abc"}))
        url = await h.client.message_file_download_url("dlcode")
        assert url == "https://files.test/x?Signature=abc"
        assert body_of(h.fake.calls("POST", path)[0]) == {
            "downloadCode": "dlcode",
            "robotCode": "dingrobot",
        }
        assert url in sunk and APP_SECRET in sunk and "api-token-1" in sunk


# ---------------------------------------------------------------- work notifications


async def test_work_notification_body() -> None:
    async with harness() as h:
        h.fake.on(*NOTICE, ok({"errcode": 0, "task_id": 777}))
        msg = {"msgtype": "text", "text": {"content": "通知"}}
        assert await h.client.send_work_notification(["u1", "u2"], msg) == 777
        body = body_of(h.fake.calls(*NOTICE)[0])
        assert body == {"agent_id": 42, "userid_list": "u1,u2", "msg": msg}


async def test_work_notification_chunks_of_5000() -> None:
    async with harness() as h:
        h.fake.on(*NOTICE, ok({"errcode": 0, "task_id": 1}), ok({"errcode": 0, "task_id": 2}))
        users = [f"u{i}" for i in range(5001)]
        with pytest.raises(ValueError):
            await h.client.send_work_notification(users, {"msgtype": "text"})
        assert await h.client.send_work_notification_chunked(users, {"msgtype": "text"}) == [1, 2]
        lists = [body_of(r)["userid_list"].split(",") for r in h.fake.calls(*NOTICE)]
        assert [len(x) for x in lists] == [5000, 1]


async def test_work_notification_result() -> None:
    async with harness() as h:
        path = "/topapi/message/corpconversation/getsendresult"
        h.fake.on(
            "POST",
            path,
            ok(
                {
                    "errcode": 0,
                    "send_result": {
                        "read_user_id_list": ["u1"],
                        "unread_user_id_list": ["u2"],
                        "forbidden_user_id_list": ["u3"],
                    },
                }
            ),
        )
        result = await h.client.work_notification_result(777)
        assert result.read == ("u1",) and result.unread == ("u2",)
        assert result.forbidden == ("u3",) and result.invalid == () and result.failed == ()
        assert body_of(h.fake.calls("POST", path)[0]) == {"agent_id": 42, "task_id": 777}


# ---------------------------------------------------------------- to-dos


async def test_create_todo() -> None:
    async with harness() as h:
        path = "/v1.0/todo/users/union1/tasks"
        h.fake.on("POST", path, ok({"id": "task-9", "subject": "审批"}))
        task_id = await h.client.create_todo(
            NewTodo(
                union_id="union1",
                subject="审批",
                description="请审批",
                due_ms=1_700_000_000_000,
                executor_union_ids=["union2"],
                source_id="flow-1:step-2",
                detail_url="https://app.test/flow/1",
            )
        )
        assert task_id == "task-9"
        request = h.fake.calls("POST", path)[0]
        assert request.url.params["operatorId"] == "union1"
        assert body_of(request) == {
            "subject": "审批",
            "description": "请审批",
            "executorIds": ["union2"],
            "creatorId": "union1",
            "sourceId": "flow-1:step-2",
            "detailUrl": {"appUrl": "https://app.test/flow/1", "pcUrl": "https://app.test/flow/1"},
            "priority": 20,
            "dueTime": 1_700_000_000_000,
        }


async def test_duplicate_todo_is_rejected_with_code() -> None:
    async with harness() as h:
        path = "/v1.0/todo/users/union1/tasks"
        h.fake.on("POST", path, api_error(400, "todo.taskCreate.paramError", "task exist"))
        with pytest.raises(DingTalkRejectedError) as info:
            await h.client.create_todo(
                NewTodo(
                    union_id="union1",
                    subject="s",
                    description="",
                    due_ms=None,
                    executor_union_ids=[],
                    source_id="dup",
                    detail_url="https://x",
                )
            )
        assert info.value.code == "todo.taskCreate.paramError"
        assert "dueTime" not in body_of(h.fake.calls("POST", path)[0])


async def test_complete_and_delete_todo() -> None:
    async with harness() as h:
        path = "/v1.0/todo/users/union1/tasks/task-9"
        h.fake.on("PUT", path, ok({"result": True}))
        h.fake.on("DELETE", path, ok({"result": True}))
        await h.client.complete_todo(union_id="union1", task_id="task-9")
        await h.client.delete_todo(union_id="union1", task_id="task-9")
        put = h.fake.calls("PUT", path)[0]
        assert body_of(put) == {"done": True}
        assert put.url.params["operatorId"] == "union1"
        assert h.fake.calls("DELETE", path)[0].url.params["operatorId"] == "union1"


# ---------------------------------------------------------------- contacts, gateway


async def test_get_user() -> None:
    async with harness() as h:
        path = "/topapi/v2/user/get"
        h.fake.on("POST", path, ok({"errcode": 0, "result": {"userid": "u1", "unionid": "un1"}}))
        assert await h.client.get_user("u1") == {"userid": "u1", "unionid": "un1"}
        assert body_of(h.fake.calls("POST", path)[0]) == {"userid": "u1", "language": "zh_CN"}


async def test_open_stream_connection() -> None:
    async with harness() as h:
        path = "/v1.0/gateway/connections/open"
        h.fake.on("POST", path, ok({"endpoint": "wss://gw.test/connect", "ticket": "tick-1"}))
        subs = [{"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"}]
        assert await h.client.open_stream_connection(subs) == ("wss://gw.test/connect", "tick-1")
        body = body_of(h.fake.calls("POST", path)[0])
        assert body["clientId"] == "dingappkey"
        assert body["clientSecret"] == APP_SECRET
        assert body["subscriptions"] == subs
        assert body["localIp"] == ""
        assert h.fake.token_requests == 0


async def test_open_stream_connection_error_body_is_an_error() -> None:
    async with harness() as h:
        path = "/v1.0/gateway/connections/open"
        h.fake.on("POST", path, ok({"code": "invalidClientIdOrSecret", "message": "bad"}))
        with pytest.raises(DingTalkAuthError, match="invalidClientIdOrSecret"):
            await h.client.open_stream_connection([])
        h.fake.on("POST", path, ok({}))
        with pytest.raises(DingTalkUnavailableError):
            await h.client.open_stream_connection([])


async def test_find_todo_pages_through_the_org_query_by_source_id() -> None:
    async with harness() as h:
        path = "/v1.0/todo/users/union1/org/tasks/query"
        h.fake.on(
            "POST",
            path,
            ok({"todoCards": [{"taskId": "t1", "sourceId": "other"}], "nextToken": "20"}),
            ok({"todoCards": [{"taskId": "t7", "sourceId": "flow-1:step-2"}], "nextToken": None}),
            ok({"todoCards": [], "nextToken": None}),
        )
        found = await h.client.find_todo(union_id="union1", source_id="flow-1:step-2")
        assert found == "t7"
        bodies = [body_of(r) for r in h.fake.calls("POST", path)]
        assert bodies == [{"isDone": False}, {"isDone": False, "nextToken": "20"}]
        assert await h.client.find_todo(union_id="union1", source_id="gone") is None
