"""Browser tests of the sandbox console: the real sandbox, the real bot process and
Debian's Chromium driven by Playwright. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import ROOT, SandboxThread
from tests.scenario import conftest as scenario

# The sandbox + bot fixtures of the scenario tests, reused as they are.
sandbox = scenario.sandbox
control = scenario.control
bot = scenario.bot

SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 15_000


def chromium_path() -> str | None:
    candidates = [
        os.environ.get("CHROMIUM", ""),
        shutil.which("chromium") or "",
        "/usr/bin/chromium",
    ]
    return next((c for c in candidates if c and Path(c).is_file()), None)


# Module scope, not session: while Playwright's sync API is running, asyncio sees its loop
# as the thread's running loop, which would break the async tests that run afterwards.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (make test installs it: apt-get install chromium)"
        if os.environ.get("GOVBOT_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class ConsolePage:
    """One browser tab on the console, with the helpers the tests share."""

    def __init__(self, page: Any, name: str) -> None:
        self.page = page
        self.name = name
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.set_default_timeout(WAIT_MS)

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready=true]")

    def testid(self, name: str) -> Any:
        return self.page.get_by_test_id(name)

    def be(self, user_id: str) -> None:
        """Click the person in the directory and wait until the page is his."""
        person = self.page.locator(f"[data-testid=person][data-user-id='{user_id}']")
        person.click()
        self.page.wait_for_function(
            "id => location.hash.includes('user=' + encodeURIComponent(id))", arg=user_id
        )
        self.page.locator(f"[data-testid=person].active[data-user-id='{user_id}']").wait_for()

    def conversation(self, conversation_id: str) -> Any:
        return self.page.locator(
            f"[data-testid=conversation][data-conversation-id='{conversation_id}']"
        )

    def single_chat(self) -> Any:
        return self.page.locator("[data-testid=conversation][data-kind=single]").first

    def messages(self) -> Any:
        return self.page.locator("[data-testid=messages] [data-testid=message]")

    def bot_message(self, text: str) -> Any:
        return self.page.locator(
            "[data-testid=messages] [data-testid=message][data-direction=in]", has_text=text
        ).last

    def send(self, text: str) -> None:
        box = self.testid("composer-input")
        box.fill(text)
        box.press("Enter")

    def shot(self, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{step}.png"
        self.page.screenshot(path=str(path))
        return path


def _test_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name.removeprefix("test_"))


@pytest.fixture
def open_console(
    browser: Any, sandbox: SandboxThread, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """Factory: open_console(viewport=DESKTOP, label="") -> ConsolePage (own context)."""
    contexts: list[Any] = []
    pages: list[ConsolePage] = []

    def make(viewport: dict[str, int] = DESKTOP, label: str = "", hash_: str = "") -> ConsolePage:
        phone = viewport == PHONE
        context = browser.new_context(
            viewport=viewport,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
        )
        contexts.append(context)
        name = _test_name(request) + (f"-{label}" if label else "")
        console = ConsolePage(context.new_page(), name)
        pages.append(console)
        console.open(f"{sandbox.url}/{hash_}")
        return console

    yield make
    for context in contexts:
        context.close()
    for console in pages:
        assert console.errors == [], f"JavaScript errors on the page: {console.errors}"
        assert console.dialogs == [], f"unexpected dialogs: {console.dialogs}"


class BotApi:
    """The sandbox's DingTalk OpenAPI, called as the bot would (for set-ups)."""

    def __init__(self, url: str) -> None:
        from sandbox.demo import DEMO_APP_KEY, DEMO_APP_SECRET

        self.robot_code = DEMO_APP_KEY
        self.http = httpx.Client(base_url=url, timeout=10)
        answer = self.http.post(
            "/v1.0/oauth2/accessToken",
            json={"appKey": DEMO_APP_KEY, "appSecret": DEMO_APP_SECRET},
        )
        answer.raise_for_status()
        self.http.headers["x-acs-dingtalk-access-token"] = answer.json()["accessToken"]

    def call(self, method: str, path: str, body: dict[str, Any]) -> Any:
        answer = self.http.request(method, path, json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def oapi_token(self) -> str:
        from sandbox.demo import DEMO_APP_KEY, DEMO_APP_SECRET

        answer = self.http.get(
            "/gettoken", params={"appkey": DEMO_APP_KEY, "appsecret": DEMO_APP_SECRET}
        )
        return str(answer.json()["access_token"])

    def oapi(self, path: str, token: str, body: dict[str, Any]) -> Any:
        answer = self.http.post(path, params={"access_token": token}, json=body).json()
        assert answer.get("errcode") == 0, answer
        return answer

    def upload(self, token: str, name: str, content: bytes) -> str:
        answer = self.http.post(
            "/media/upload",
            params={"access_token": token, "type": "file"},
            files={"media": (name, content, "application/octet-stream")},
        ).json()
        assert answer.get("errcode") == 0, answer
        return str(answer["media_id"])

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def bot_api(sandbox: SandboxThread) -> Iterator[BotApi]:
    client = BotApi(sandbox.url)
    yield client
    client.close()
