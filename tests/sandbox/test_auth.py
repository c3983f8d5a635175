"""Tokens, authentication and error shapes of both hosts."""

from __future__ import annotations

import httpx

from tests.sandbox.conftest import APP_KEY, APP_SECRET, Api


async def test_token_is_stable_while_valid(client: httpx.AsyncClient) -> None:
    body = {"appKey": APP_KEY, "appSecret": APP_SECRET}
    first = (await client.post("/v1.0/oauth2/accessToken", json=body)).json()
    second = (await client.post("/v1.0/oauth2/accessToken", json=body)).json()
    assert first["accessToken"] == second["accessToken"]
    assert first["expireIn"] == 7200


async def test_wrong_secret_and_form_body_rejected(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/v1.0/oauth2/accessToken", json={"appKey": APP_KEY, "appSecret": "wrong"}
    )
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "invalidClientIdOrSecret"
    assert set(body) == {"code", "message", "requestid"}
    form = await client.post(
        "/v1.0/oauth2/accessToken", data={"appKey": APP_KEY, "appSecret": APP_SECRET}
    )
    assert form.status_code == 400


async def test_bad_and_missing_token(api: Api, client: httpx.AsyncClient) -> None:
    api.token = "not-a-token"
    resp = await api.send_text(["zhangsan"])
    assert resp.status_code == 400
    assert resp.json()["code"] == "InvalidAuthentication"
    resp = await client.post("/v1.0/robot/oToMessages/batchSend", json={})
    assert resp.json()["code"] == "AuthenticationFailed.MissingParameter"
    # ?access_token= is not accepted by the new API
    resp = await client.post(
        "/v1.0/robot/oToMessages/batchSend", params={"access_token": "x"}, json={}
    )
    assert resp.status_code == 400


async def test_token_expires_with_sandbox_time(api: Api, client: httpx.AsyncClient) -> None:
    assert (await api.send_text(["zhangsan"])).status_code == 200
    await client.post("/sandbox/clock", json={"advance_seconds": 7201})
    resp = await api.send_text(["zhangsan"])
    assert resp.json()["code"] == "InvalidAuthentication"
    fresh = await client.post(
        "/v1.0/oauth2/accessToken", json={"appKey": APP_KEY, "appSecret": APP_SECRET}
    )
    assert fresh.json()["accessToken"] != api.token


async def test_expire_tokens_fault(api: Api, client: httpx.AsyncClient) -> None:
    await client.post("/sandbox/faults", json={"expire_tokens": True})
    assert (await api.send_text(["zhangsan"])).json()["code"] == "InvalidAuthentication"


async def test_oapi_token_and_errors(client: httpx.AsyncClient) -> None:
    ok = (await client.get("/gettoken", params={"appkey": APP_KEY, "appsecret": APP_SECRET})).json()
    assert ok["errcode"] == 0 and ok["expires_in"] == 7200
    bad = (await client.get("/gettoken", params={"appkey": APP_KEY, "appsecret": "x"})).json()
    assert bad["errcode"] == 40096
    resp = await client.post("/topapi/v2/user/get", params={"access_token": "bad"}, json={})
    assert resp.status_code == 200
    assert resp.json()["errcode"] == 88 and resp.json()["sub_code"] == "40014"
    resp = await client.post(
        "/topapi/v2/user/get", params={"access_token": ok["access_token"]}, json={"userid": "x"}
    )
    assert resp.json()["errcode"] == 60121


async def test_unknown_paths(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1.0/robot/noSuchThing", json={})
    assert resp.status_code == 404 and "code" in resp.json()
    resp = await client.post("/topapi/no/such", json={})
    assert resp.status_code == 200 and resp.json()["errcode"] == 22
