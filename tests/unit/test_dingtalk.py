"""DingTalkClient transport: token cache, single flight, retries, error mapping."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from bot.clock import FixedClock
from bot.dingtalk import (
    CardDelivery,
    CardUpdate,
    DingTalkAmbiguousError,
    DingTalkAuthError,
    DingTalkClient,
    DingTalkError,
    DingTalkRateLimitedError,
    DingTalkRejectedError,
    DingTalkUnavailableError,
    PermissionDenied,
    QuotaExhausted,
)
from tests.unit.test_dingtalk_fakes import (
    CREDS,
    START,
    FakeDingTalk,
    api_error,
    harness,
    ok,
)

READ = ("GET", "/v1.0/robot/oToMessages/readStatus")
SEND = ("POST", "/v1.0/robot/oToMessages/batchSend")
CARD_PUT = ("PUT", "/v1.0/card/instances")
USER_GET = "/topapi/v2/user/get"


def read_ok() -> httpx.Response:
    return ok({"messageReadInfoList": []})


# ---------------------------------------------------------------- token cache


async def test_token_is_cached_and_sent_in_header() -> None:
    async with harness() as h:
        h.fake.on(*READ, read_ok())
        await h.client.read_status("pqk")
        await h.client.read_status("pqk")
        assert h.fake.token_requests == 1
        calls = h.fake.calls(*READ)
        assert [c.headers["x-acs-dingtalk-access-token"] for c in calls] == ["api-token-1"] * 2
        assert "access_token" not in calls[0].url.params
        token_call = h.fake.calls("POST", "/v1.0/oauth2/accessToken")[0]
        assert token_call.headers["content-type"] == "application/json"
        assert token_call.read() and b'"appKey"' in token_call.content


async def test_token_refreshed_before_expiry_by_the_clock() -> None:
    async with harness() as h:
        assert await h.client.access_token() == "api-token-1"
        h.clock.advance(timedelta(seconds=7200 - 300 - 1))
        assert await h.client.access_token() == "api-token-1"
        h.clock.advance(timedelta(seconds=2))
        assert await h.client.access_token() == "api-token-2"
        assert h.fake.token_requests == 2


async def test_short_lived_token_uses_half_its_life_as_margin() -> None:
    async with harness(FakeDingTalk(expire_in=60)) as h:
        await h.client.access_token()
        h.clock.advance(timedelta(seconds=29))
        await h.client.access_token()
        assert h.fake.token_requests == 1
        h.clock.advance(timedelta(seconds=1))
        await h.client.access_token()
        assert h.fake.token_requests == 2


async def test_single_flight_twenty_concurrent_calls_one_token_request() -> None:
    async with harness() as h:
        h.fake.on(*READ, read_ok())
        await asyncio.gather(*(h.client.read_status(f"pqk{i}") for i in range(20)))
        assert h.fake.token_requests == 1
        assert len(h.fake.calls(*READ)) == 20


async def test_single_flight_for_oapi_token() -> None:
    async with harness() as h:
        h.fake.on("POST", USER_GET, ok({"errcode": 0, "result": {"userid": "u1"}}))
        await asyncio.gather(*(h.client.get_user("u1") for _ in range(20)))
        assert h.fake.oapi_token_requests == 1
        assert h.fake.token_requests == 0


async def test_invalid_token_refreshes_once_and_retries() -> None:
    async with harness() as h:
        h.fake.on(*READ, read_ok())
        await h.client.read_status("pqk")
        h.fake.revoke_tokens()
        await h.client.read_status("pqk")
        assert h.fake.token_requests == 2
        assert [c.headers["x-acs-dingtalk-access-token"] for c in h.fake.calls(*READ)] == [
            "api-token-1",
            "api-token-1",
            "api-token-2",
        ]
        assert h.delays == []


async def test_concurrent_callers_share_one_refresh_after_revocation() -> None:
    async with harness() as h:
        h.fake.on(*READ, read_ok())
        await h.client.read_status("pqk")
        h.fake.revoke_tokens()
        await asyncio.gather(*(h.client.read_status(f"pqk{i}") for i in range(20)))
        assert h.fake.token_requests == 2
        assert len(h.fake.calls(*READ)) <= 1 + 20 + 20  # each retried at most once


async def test_invalid_token_twice_raises_auth_error() -> None:
    async with harness() as h:
        h.fake.on(*READ, api_error(400, "InvalidAuthentication"))
        with pytest.raises(DingTalkAuthError) as info:
            await h.client.read_status("pqk")
        assert info.value.code == "InvalidAuthentication"
        assert info.value.status == 400
        assert h.fake.token_requests == 2
        assert len(h.fake.calls(*READ)) == 2


async def test_http_401_also_triggers_one_refresh() -> None:
    async with harness() as h:
        h.fake.on(*READ, api_error(401, "Unauthorized"), read_ok())
        await h.client.read_status("pqk")
        assert h.fake.token_requests == 2


@pytest.mark.parametrize(
    "answer",
    [
        {"errcode": 42001, "errmsg": "access_token超时"},
        {"errcode": 88, "sub_code": "40014", "sub_msg": "不合法的access_token", "errmsg": "x"},
    ],
)
async def test_oapi_invalid_token_refreshes_once(answer: dict[str, object]) -> None:
    async with harness() as h:
        h.fake.on("POST", USER_GET, ok(answer), ok({"errcode": 0, "result": {"userid": "u1"}}))
        assert await h.client.get_user("u1") == {"userid": "u1"}
        assert h.fake.oapi_token_requests == 2
        calls = h.fake.calls("POST", USER_GET)
        assert [c.url.params["access_token"] for c in calls] == ["oapi-token-1", "oapi-token-2"]


async def test_bad_credentials_raise_auth_error() -> None:
    refusal = api_error(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
    async with harness(FakeDingTalk(token_refusal=refusal)) as h:
        with pytest.raises(DingTalkAuthError) as info:
            await h.client.access_token()
        assert info.value.code == "invalidClientIdOrSecret"
        assert h.fake.token_requests == 1
        assert h.delays == []


# ---------------------------------------------------------------- retries


async def test_429_then_500_then_200_succeeds_with_growing_backoff() -> None:
    async with harness() as h:
        h.fake.on(
            *READ,
            api_error(429, "Throttling"),
            api_error(500, "system.busy"),
            ok({"messageReadInfoList": [{"userId": "u1", "name": "张三", "readStatus": "READ"}]}),
        )
        infos = await h.client.read_status("pqk")
        assert [i.user_id for i in infos] == ["u1"]
        assert len(h.fake.calls(*READ)) == 3
        assert len(h.delays) == 2
        assert 0.25 <= h.delays[0] <= 0.5
        assert 0.5 <= h.delays[1] <= 1.0


async def test_retry_after_header_is_honoured() -> None:
    async with harness() as h:
        limited = httpx.Response(429, json={"code": "Throttling"}, headers={"Retry-After": "3"})
        h.fake.on(*READ, limited, read_ok())
        await h.client.read_status("pqk")
        assert h.delays == [3.0]


async def test_retries_are_bounded_then_unavailable() -> None:
    async with harness(max_retries=3) as h:
        h.fake.on(*READ, api_error(503, "ServiceUnavailable"))
        with pytest.raises(DingTalkUnavailableError) as info:
            await h.client.read_status("pqk")
        assert info.value.status == 503
        assert info.value.code == "ServiceUnavailable"
        assert info.value.request_id == "rid-1"
        assert len(h.fake.calls(*READ)) == 4
        assert len(h.delays) == 3
        assert all(d <= 8.0 for d in h.delays)


async def test_backoff_is_capped() -> None:
    async with harness(max_retries=8, backoff_cap=2.0) as h:
        h.fake.on(*READ, api_error(502, "BadGateway"))
        with pytest.raises(DingTalkUnavailableError):
            await h.client.read_status("pqk")
        assert len(h.delays) == 8
        assert max(h.delays) <= 2.0
        assert min(h.delays[3:]) >= 1.0


async def test_persistent_429_raises_rate_limited() -> None:
    async with harness(max_retries=2) as h:
        h.fake.on(*READ, api_error(429, "Throttling"))
        with pytest.raises(DingTalkRateLimitedError):
            await h.client.read_status("pqk")
        assert len(h.fake.calls(*READ)) == 3


@pytest.mark.parametrize(
    "error", [httpx.ConnectError("refused"), httpx.ConnectTimeout("connect timed out")]
)
async def test_connect_failures_are_retried_even_for_sends(error: Exception) -> None:
    async with harness() as h:
        h.fake.on(*SEND, error, ok({"processQueryKey": "pqk-1"}))
        results = await h.client.send_text(["u1"], "hi")
        assert results[0].process_query_key == "pqk-1"
        assert len(h.fake.calls(*SEND)) == 2
        assert len(h.delays) == 1


async def test_network_errors_outlasting_retries_raise_unavailable() -> None:
    async with harness(max_retries=2) as h:
        h.fake.on(*READ, httpx.ConnectError("refused"))
        with pytest.raises(DingTalkUnavailableError) as info:
            await h.client.read_status("pqk")
        assert info.value.status is None
        assert info.value.code == "ConnectError"


async def test_read_timeout_on_send_is_ambiguous_and_not_retried() -> None:
    async with harness() as h:
        h.fake.on(*SEND, httpx.ReadTimeout("read timed out"))
        with pytest.raises(DingTalkAmbiguousError):
            await h.client.send_to_users(["u1", "u2"], "sampleText", {"content": "hi"})
        assert len(h.fake.calls(*SEND)) == 1
        assert h.delays == []


async def test_read_timeout_on_work_notification_is_ambiguous() -> None:
    async with harness() as h:
        path = "/topapi/message/corpconversation/asyncsend_v2"
        h.fake.on("POST", path, httpx.ReadTimeout("read timed out"))
        with pytest.raises(DingTalkAmbiguousError):
            await h.client.send_work_notification(["u1"], {"msgtype": "text"})
        assert len(h.fake.calls("POST", path)) == 1


async def test_read_timeout_on_card_delivery_is_ambiguous_and_not_repeated() -> None:
    """A repeated delivery would put a second copy of the card in the chat."""
    async with harness() as h:
        path = "/v1.0/card/instances/deliver"
        h.fake.on("POST", path, httpx.ReadTimeout("read timed out"))
        with pytest.raises(DingTalkAmbiguousError):
            await h.client.deliver_card(CardDelivery(out_track_id="card-1", user_ids=["u1"]))
        assert len(h.fake.calls("POST", path)) == 1


async def test_read_timeout_on_idempotent_call_is_retried() -> None:
    async with harness() as h:
        h.fake.on(*CARD_PUT, httpx.ReadTimeout("read timed out"), ok({"success": True}))
        await h.client.update_card(CardUpdate("track-1", {"status": "done"}))
        assert len(h.fake.calls(*CARD_PUT)) == 2
        assert len(h.delays) == 1


# ---------------------------------------------------------------- error mapping


async def test_business_error_is_rejected_with_code_and_request_id() -> None:
    async with harness() as h:
        h.fake.on(*CARD_PUT, api_error(400, "param.cardNotExist", "卡片不存在"))
        with pytest.raises(DingTalkRejectedError) as info:
            await h.client.update_card(CardUpdate("track-1", {"a": 1}))
        err = info.value
        assert (err.status, err.code, err.message, err.request_id) == (
            400,
            "param.cardNotExist",
            "卡片不存在",
            "rid-1",
        )
        assert "param.cardNotExist" in str(err)
        assert h.delays == []


async def test_missing_permission_is_auth_error_without_refresh() -> None:
    async with harness() as h:
        h.fake.on(*CARD_PUT, api_error(403, "Forbidden.AccessDenied.AccessTokenPermissionDenied"))
        with pytest.raises(DingTalkAuthError):
            await h.client.update_card(CardUpdate("track-1", {"a": 1}))
        assert h.fake.token_requests == 1


async def test_oapi_business_errcode_is_rejected() -> None:
    async with harness() as h:
        h.fake.on("POST", USER_GET, ok({"errcode": 60121, "errmsg": "找不到该用户"}))
        with pytest.raises(DingTalkRejectedError) as info:
            await h.client.get_user("nobody")
        assert (info.value.status, info.value.code, info.value.message) == (
            200,
            "60121",
            "找不到该用户",
        )


async def test_oapi_busy_is_retried_and_rate_limit_mapped() -> None:
    async with harness(max_retries=1) as h:
        h.fake.on(
            "POST",
            USER_GET,
            ok({"errcode": -1, "errmsg": "系统繁忙"}),
            ok({"errcode": 0, "result": {"userid": "u1"}}),
        )
        assert await h.client.get_user("u1") == {"userid": "u1"}
        h.fake.on("POST", USER_GET, ok({"errcode": 90018, "errmsg": "限流"}))
        with pytest.raises(DingTalkRateLimitedError) as info:
            await h.client.get_user("u1")
        assert info.value.code == "90018"


async def test_oapi_gettoken_bad_credentials_is_auth_error() -> None:
    refusal = ok({"errcode": 40096, "errmsg": "不合法的appKey或appSecret"})
    async with harness(FakeDingTalk(token_refusal=refusal)) as h:
        with pytest.raises(DingTalkAuthError) as info:
            await h.client.oapi_token()
        assert info.value.code == "40096"
        assert h.fake.oapi_token_requests == 1


# ---------------------------------------------------------------- timeouts, lifecycle


async def test_default_timeouts_are_applied() -> None:
    async with harness() as h:
        h.fake.on(*READ, read_ok())
        await h.client.read_status("pqk")
        timeout = h.fake.calls(*READ)[0].extensions["timeout"]
        assert timeout["connect"] == 5.0
        assert timeout["read"] == 10.0


async def test_custom_timeout_is_applied() -> None:
    async with harness(timeout=httpx.Timeout(3.0, connect=1.0)) as h:
        h.fake.on(*READ, read_ok())
        await h.client.read_status("pqk")
        timeout = h.fake.calls(*READ)[0].extensions["timeout"]
        assert (timeout["connect"], timeout["read"]) == (1.0, 3.0)


async def test_aclose_closes_only_an_owned_http_client() -> None:
    owned = DingTalkClient(CREDS, clock=FixedClock(START))
    await owned.aclose()
    assert owned._http.is_closed
    async with harness() as h:
        await h.client.aclose()
        assert not h.http.is_closed


def test_credentials_repr_hides_the_secret() -> None:
    assert CREDS.app_secret not in repr(CREDS)


# ---------------------------------------------------------------- quota, QPS, permissions

PERMISSION_BODY = {
    "code": "Forbidden.AccessDenied.AccessTokenPermissionDenied",
    "message": "没有调用该接口的权限，接口权限申请参考：https://open.dingtalk.com/document/orgapp/add-api-permission",
    "requestid": "rid-9",
    "accessdenieddetail": {"requiredScopes": ["qyapi_robot_sendmsg"]},
}


class RecordingObserver:
    def __init__(self) -> None:
        self.before: list[tuple[str, str]] = []
        self.after: list[tuple[str, str, str | None]] = []

    def before_call(self, method: str, path: str) -> None:
        self.before.append((method, path))

    def after_call(self, method: str, path: str, error: DingTalkError | None) -> None:
        self.after.append((method, path, None if error is None else type(error).__name__))


@pytest.mark.parametrize(
    "code",
    ["Forbidden.AccessDenied.QpsLimitForApi", "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"],
)
async def test_qps_403_is_retried_with_backoff_and_then_succeeds(code: str) -> None:
    async with harness() as h:
        h.fake.on(*SEND, api_error(403, code), api_error(403, code), ok({"processQueryKey": "k"}))
        results = await h.client.send_text(["u1"], "你好")
        assert [r.process_query_key for r in results] == ["k"]
        assert len(h.fake.calls(*SEND)) == 3  # a throttled send was not delivered: resent
        assert len(h.delays) == 2 and all(d > 0 for d in h.delays)


async def test_qps_403_outlasting_the_retries_is_rate_limited_not_auth() -> None:
    async with harness(max_retries=2) as h:
        h.fake.on(*READ, api_error(403, "Forbidden.AccessDenied.QpsLimitForApi"))
        with pytest.raises(DingTalkRateLimitedError) as info:
            await h.client.read_status("pqk")
        assert not isinstance(info.value, DingTalkAuthError)
        assert len(h.fake.calls(*READ)) == 3


@pytest.mark.parametrize("errcode", [90018, 90019])
async def test_oapi_qps_errcodes_are_retried(errcode: int) -> None:
    async with harness() as h:
        h.fake.on(
            "POST",
            USER_GET,
            ok({"errcode": errcode, "errmsg": "限流"}),
            ok({"errcode": 0, "result": {"userid": "u1"}}),
        )
        assert await h.client.get_user("u1") == {"userid": "u1"}
        assert len(h.delays) == 1


async def test_quota_exhausted_on_both_hosts_is_not_retried() -> None:
    async with harness() as h:
        h.fake.on(*SEND, api_error(403, "Forbidden.AccessDenied.ApiCountLimitForOrg", "超额"))
        with pytest.raises(QuotaExhausted) as info:
            await h.client.send_text(["u1"], "你好")
        assert info.value.status == 403
        assert info.value.code == "Forbidden.AccessDenied.ApiCountLimitForOrg"
        assert not isinstance(info.value, DingTalkAuthError)
        h.fake.on("POST", USER_GET, ok({"errcode": 90020, "errmsg": "超过调用上限"}))
        with pytest.raises(QuotaExhausted) as oapi:
            await h.client.get_user("u1")
        assert oapi.value.code == "90020"
        assert len(h.fake.calls(*SEND)) == 1 and len(h.fake.calls("POST", USER_GET)) == 1
        assert h.delays == []


async def test_permission_denied_names_the_scope_and_is_not_retried() -> None:
    async with harness() as h:
        h.fake.on(*SEND, httpx.Response(403, json=PERMISSION_BODY))
        with pytest.raises(PermissionDenied) as info:
            await h.client.send_text(["u1"], "你好")
        assert info.value.scope == "qyapi_robot_sendmsg"
        assert isinstance(info.value, DingTalkAuthError)  # old callers still see an auth error
        assert len(h.fake.calls(*SEND)) == 1 and h.delays == []
        assert h.fake.token_requests == 1  # no token refresh either


async def test_permission_denied_scope_from_errmsg_or_from_the_path() -> None:
    async with harness() as h:
        h.fake.on(
            "POST",
            USER_GET,
            ok({"errcode": 60011, "errmsg": "没有调用该接口的权限，缺少权限点：qyapi_get_member"}),
        )
        with pytest.raises(PermissionDenied) as oapi:
            await h.client.get_user("u1")
        assert (oapi.value.code, oapi.value.scope) == ("60011", "qyapi_get_member")
        # No scope in the answer: the bot's own table names it.
        h.fake.on(*CARD_PUT, api_error(403, "Forbidden.AccessDenied.AccessTokenPermissionDenied"))
        with pytest.raises(PermissionDenied) as card:
            await h.client.update_card(CardUpdate("track-1", {"a": 1}))
        assert card.value.scope == "Card.Instance.Write"


async def test_observer_sees_every_attempt_but_no_token_call() -> None:
    observer = RecordingObserver()
    async with harness(observer=observer) as h:
        h.fake.on(*READ, api_error(503, "system.busy"), read_ok())
        await h.client.read_status("pqk")
        h.fake.on(*SEND, httpx.Response(403, json=PERMISSION_BODY))
        with pytest.raises(PermissionDenied):
            await h.client.send_text(["u1"], "你好")
        assert observer.before == [READ, READ, SEND]
        assert observer.after == [(*READ, None), (*SEND, "PermissionDenied")]
