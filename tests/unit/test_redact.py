"""Log redaction: credentials never reach a log handler."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

import bot.redact as redact_module
from bot.dingtalk import DingTalkAmbiguousError
from bot.redact import SecretRedactor, install_redaction, register_secret
from tests.unit.test_dingtalk_fakes import APP_SECRET, harness, ok

TICKET = "tick-secret-1234"
SESSION = "sess-secret-5678"
WEBHOOK = f"https://oapi.test/robot/sendBySession?session={SESSION}"
DOWNLOAD = "https://files.test/dl/abc?Expires=1&Signature=sig-secret-9012"


def record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, None)


def redacted(msg: str, *args: object, secrets: tuple[str, ...] = ()) -> str:
    rec = record(msg, *args)
    assert SecretRedactor(secrets).filter(rec) is True
    return rec.getMessage()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET https://oapi.test/gettoken?appkey=k&appsecret=SEC-1 200", "SEC-1"),
        ("POST https://oapi.test/media/upload?access_token=TOK-1&type=file", "TOK-1"),
        ("connect wss://gw.test/connect?ticket=TICK%2B1", "TICK%2B1"),
        ("reply to https://oapi.test/robot/sendBySession?session=SESS-1", "SESS-1"),
        ("headers {'x-acs-dingtalk-access-token': 'TOK-2', 'accept': 'json'}", "TOK-2"),
        ("headers [(b'x-acs-dingtalk-access-token', b'TOK-3')]", "TOK-3"),
        ('body {"appKey": "k", "appSecret": "SEC-2"}', "SEC-2"),
        ("body {'clientId': 'k', 'clientSecret': 'SEC-3'}", "SEC-3"),
        ('answer {"accessToken":"TOK-4","expireIn":7200}', "TOK-4"),
        ('answer {"endpoint": "wss://x", "ticket": "TICK-2"}', "TICK-2"),
        ('answer {"downloadUrl": "https://f.test/a?x=1&y=2"}', "https://f.test/a"),
        ('msg {"sessionWebhook": "https://o.test/robot/sendBySession?s=1"}', "o.test"),
        ("GET https://f.test/a.pdf?Expires=1&Signature=SIG-1", "SIG-1"),
    ],
)
def test_patterns_are_masked(text: str, secret: str) -> None:
    out = redacted(text)
    assert secret not in out
    assert "***" in out


def test_args_are_masked_and_folded_into_the_message() -> None:
    rec = record("calling %s with %r", "https://o.test/x?access_token=TOK-9", {"k": 1})
    SecretRedactor().filter(rec)
    assert rec.args is None
    assert rec.getMessage() == "calling https://o.test/x?access_token=*** with {'k': 1}"


def test_registered_secrets_are_masked_anywhere() -> None:
    out = redacted("the value plainSECRETvalue leaked", secrets=("plainSECRETvalue",))
    assert out == "the value *** leaked"


def test_short_registered_strings_are_ignored() -> None:
    assert redacted("a b c", secrets=("a",)) == "a b c"


def test_tracebacks_are_masked() -> None:
    try:
        raise RuntimeError("failed: https://o.test/x?access_token=TOK-EXC")
    except RuntimeError:
        rec = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "boom", None, __import__("sys").exc_info()
        )
    SecretRedactor().filter(rec)
    assert rec.exc_text is not None
    assert "TOK-EXC" not in rec.exc_text
    assert "RuntimeError" in rec.exc_text
    formatted = logging.Formatter().format(rec)
    assert "TOK-EXC" not in formatted


def test_broken_log_call_does_not_raise() -> None:
    # The SDK does logger.exception('unknown exception', e): args without a %s.
    rec = record("unknown exception", ValueError("ticket=TICK-X"))
    assert SecretRedactor().filter(rec) is True
    assert "TICK-X" not in rec.getMessage()
    assert "unknown exception" in rec.getMessage()


# ---------------------------------------------------------------- installation


@pytest.fixture
def clean_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(redact_module, "_installed", [])
    levels = {n: logging.getLogger(n).level for n in ("httpx", "httpcore")}
    yield
    for handler in logging.getLogger().handlers:
        for f in list(handler.filters):
            if isinstance(f, SecretRedactor):
                handler.removeFilter(f)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("clean_logging")
def test_install_attaches_to_root_handlers_and_quiets_httpx(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_redaction(["installed-secret-1"])
    install_redaction([])  # idempotent: one redactor per handler
    assert [type(f) for f in caplog.handler.filters] == [SecretRedactor]
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("httpcore").level == logging.WARNING
    logging.getLogger("some.module").warning("value installed-secret-1 here")
    register_secret("late-secret-2")
    logging.getLogger("some.module").warning("value late-secret-2 here")
    assert "installed-secret-1" not in caplog.text
    assert "late-secret-2" not in caplog.text
    assert caplog.text.count("value *** here") == 2


@pytest.mark.usefixtures("clean_logging")
async def test_no_secret_reaches_the_logs_during_a_client_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_redaction([APP_SECRET])
    caplog.set_level(logging.DEBUG)
    # Even if someone turns httpx logging back on, URLs must come out masked.
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    log = logging.getLogger("govbot.test")
    async with harness(secret_sink=register_secret) as h:
        h.fake.on("POST", "/media/upload", ok({"errcode": 0, "media_id": "@m"}))
        h.fake.on(
            "POST",
            "/v1.0/gateway/connections/open",
            ok({"endpoint": "wss://gw.test/connect", "ticket": TICKET}),
        )
        h.fake.on("POST", "/v1.0/robot/messageFiles/download", ok({"downloadUrl": DOWNLOAD}))
        h.fake.on(
            "POST",
            "/v1.0/robot/oToMessages/batchSend",
            httpx.ReadTimeout(f"timed out, token {await h.client.access_token()}"),
        )
        await h.client.upload_media("file", "a.pdf", b"x")
        endpoint, ticket = await h.client.open_stream_connection([])
        url = await h.client.message_file_download_url("code")
        with pytest.raises(DingTalkAmbiguousError) as info:
            await h.client.send_text(["u1"], "hi")
        api_token = await h.client.access_token()
        oapi_token = await h.client.oapi_token()
        # What careless code and the SDK tend to log:
        log.info("connect %s?ticket=%s", endpoint, ticket)
        log.info("reply via %s", WEBHOOK)
        log.info("download %s", url)
        log.debug("request headers %s", {"x-acs-dingtalk-access-token": api_token})
        log.debug("token answer %s", {"accessToken": api_token, "expireIn": 7200})
        log.debug("creds %s", {"appKey": "k", "appSecret": APP_SECRET})
        try:
            raise RuntimeError(f"oapi call failed: access_token={oapi_token}")
        except RuntimeError:
            log.exception("unknown exception", info.value)  # the SDK's broken call
    text = caplog.text
    assert "HTTP Request" in text  # httpx did log the URLs...
    for secret in (APP_SECRET, api_token, oapi_token, TICKET, SESSION, DOWNLOAD, "sig-secret"):
        assert secret not in text, secret
        for rec in caplog.records:
            assert secret not in rec.getMessage(), secret
    assert "***" in text
