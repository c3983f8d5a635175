"""The sandbox web console in a real browser, against the real bot process."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import pytest

from bot.config import OrgDirectory
from tests.browser.conftest import PHONE, BotApi, ConsolePage
from tests.harness import BotProcess, Control, SandboxThread

QUIET_TUESDAY = "2026-11-24T07:00:00+08:00"
NOTICE = "2027年节假日安排尚未配置"
GOV_OFFICE_GROUP = "cidYc0GovOffice0000001=="
ACTOR = "zhou.wenjing"  # a member of the office group who may act on the card
OBSERVER = "sun.yongming"  # another member: sees the card, no buttons
pytestmark = pytest.mark.sandbox_start(QUIET_TUESDAY)


def _sole(sandbox: SandboxThread, role: str) -> str:
    return OrgDirectory(sandbox.config).sole(role).user_id


def _create_card(api: BotApi, out_track_id: str) -> None:
    """A card in the office group, as the bot would send it (approval template)."""
    bound = {"action": "flow.act", "flow": "QS-browser", "assignment": "a1"}
    actions = [
        {"text": "同意", "color": "blue", **bound, "decision": "ok"},
        {"text": "退回", "color": "red", **bound, "decision": "no"},
    ]
    fields = [
        {"label": "来文单位", "value": "县教育局"},
        {"label": "文号", "value": "阳教请〔2026〕3号"},
    ]
    api.call(
        "POST",
        "/v1.0/card/instances/createAndDeliver",
        {
            "cardTemplateId": "govbot.approval.schema",
            "outTrackId": out_track_id,
            "openSpaceId": f"dtv1.card//IM_GROUP.{GOV_OFFICE_GROUP}",
            "imGroupOpenDeliverModel": {"robotCode": api.robot_code},
            "callbackType": "STREAM",
            "cardData": {
                "cardParamMap": {
                    "title": "请示：关于新建城东小学的请示",
                    "status": "待签发",
                    "status_color": "blue",
                    "summary": "拟新建**城东小学**，总投资 1.2 亿元。",
                    "fields": json.dumps(fields, ensure_ascii=False),
                    "trail": "- 县教育局 提交\n- 办公室 审核通过",
                }
            },
            "privateData": {
                ACTOR: {
                    "cardParamMap": {
                        "can_act": "true",
                        "actions": json.dumps(actions, ensure_ascii=False),
                    }
                }
            },
        },
    )


def _card(console: ConsolePage, out_track_id: str) -> Any:
    return console.page.locator(f"[data-testid=card][data-out-track-id='{out_track_id}']")


def test_help_reply_is_rendered_markdown(
    sandbox: SandboxThread, control: Control, bot: BotProcess, open_console: Any
) -> None:
    console = open_console()
    units = console.page.locator("[data-testid=unit]").evaluate_all(
        "els => els.map(e => e.dataset.unit)"
    )
    assert units[:2] == ["县人民政府领导", "县人民政府办公室"]
    deputy = console.page.locator("[data-testid=person][data-user-id='zhang.lihua']")
    assert "副县长" in deputy.locator("[data-testid=role]").all_inner_texts()

    console.be("zhang.lihua")
    assert console.testid("current-user-name").inner_text() == "张丽华"
    console.send("帮助")
    mine = console.page.locator("[data-testid=message][data-direction=out]").last
    mine.wait_for()
    assert mine.inner_text().strip().endswith("帮助")
    reply = console.bot_message("可以直接发送")
    reply.wait_for()
    bold = reply.locator("strong").all_inner_texts()
    assert "帮助" in bold, bold
    assert reply.locator("li").count() >= 2
    console.shot("help-reply")

    # The chat was read in the console: the bot's reply is marked read in the sandbox.
    deadline = time.monotonic() + 5
    while any(not i["read"] for i in control.bot_items("zhang.lihua")):
        assert time.monotonic() < deadline, "items stayed unread"
        time.sleep(0.1)


def test_moving_time_brings_the_notice_live(
    sandbox: SandboxThread, control: Control, bot: BotProcess, open_console: Any
) -> None:
    director = _sole(sandbox, "office_director")
    console = open_console()
    console.be(director)
    console.page.evaluate("window.__noReload = true")
    clock = console.testid("sandbox-time")
    assert "11月24日 周二 07:0" in clock.inner_text()

    console.testid("advance-hour").click()
    console.page.wait_for_function(
        "() => document.querySelector('[data-testid=sandbox-time]').textContent.includes(' 08:0')"
    )
    assert console.page.locator("[data-testid=message]", has_text=NOTICE).count() == 0

    console.testid("jump-open").click()
    console.testid("jump-date").fill("2026-11-24")
    console.testid("jump-time").fill("09:01")
    console.shot("jump-picker")
    console.testid("jump-go").click()
    notice = console.bot_message(NOTICE)
    notice.wait_for()
    assert notice.locator("h3", has_text=NOTICE).count() == 1
    assert "09:0" in clock.inner_text()
    console.shot("notice-live")

    # +1 工作日: Wednesday, same time; the next morning's notice arrives too.
    console.testid("advance-workday").click()
    console.page.wait_for_function(
        "() => document.querySelector('[data-testid=sandbox-time]').textContent"
        ".includes('11月25日 周三 09:0')"
    )
    console.page.locator("[data-testid=message]", has_text=NOTICE).nth(1).wait_for()
    assert console.page.evaluate("window.__noReload") is True
    console.shot("next-workday")


def test_hostile_text_is_shown_as_text(
    sandbox: SandboxThread,
    control: Control,
    bot: BotProcess,
    bot_api: BotApi,
    open_console: Any,
) -> None:
    user = "li.zhiqiang"
    console = open_console()
    console.be(user)
    hostile = ["<img src=x onerror=alert(1)>", "[点我](javascript:alert(1))"]
    for text in hostile:
        console.send(text)
        console.page.locator("[data-testid=message][data-direction=out]", has_text=text).wait_for()
    # The bot answers both (unknown command), echoing the text in markdown.
    console.page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=message][data-direction=in]').length >= 2"
    )
    # And a markdown message straight from the OpenAPI, with every trick at once.
    markdown = (
        "### 测试\n<img src=x onerror=alert(1)>\n\n[点我](javascript:alert(1)) "
        "[官网](https://www.gov.cn/) <script>alert(2)</script>\n\n"
        "| 项目 | 状态 |\n| --- | --- |\n| 议题 | **已收** |"
    )
    api_send = {"title": "测试", "text": markdown}
    bot_api.call(
        "POST",
        "/v1.0/robot/oToMessages/batchSend",
        {
            "robotCode": bot_api.robot_code,
            "userIds": [user],
            "msgKey": "sampleMarkdown",
            "msgParam": json.dumps(api_send, ensure_ascii=False),
        },
    )
    rendered = console.bot_message("官网")
    rendered.wait_for()
    page = console.page
    assert page.locator("[data-testid=bubble] img").count() == 0
    assert page.locator("[data-testid=bubble] script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("a[href^='JAVASCRIPT' i]").count() == 0
    assert rendered.locator("a[href='https://www.gov.cn/']").inner_text() == "官网"
    assert "<img src=x onerror=alert(1)>" in rendered.inner_text()
    assert "[点我](javascript:alert(1))" in rendered.inner_text()
    assert rendered.locator("table td strong").inner_text() == "已收"
    for text in hostile:
        bubble = page.locator("[data-testid=message][data-direction=out]", has_text=text)
        assert bubble.locator("[data-testid=bubble]").inner_text().strip() == text
    page.wait_for_timeout(300)  # give any injected handler the chance to fire
    assert console.dialogs == []
    console.shot("hostile")


def test_card_renders_from_template_and_click_reaches_the_bot(
    sandbox: SandboxThread,
    control: Control,
    bot: BotProcess,
    bot_api: BotApi,
    open_console: Any,
) -> None:
    actor = open_console(label="actor")
    actor.be(ACTOR)
    observer = open_console(label="observer")
    observer.be(OBSERVER)
    for console in (actor, observer):
        console.conversation(GOV_OFFICE_GROUP).click()

    _create_card(bot_api, "card-browser-1")
    mine, theirs = _card(actor, "card-browser-1"), _card(observer, "card-browser-1")
    mine.wait_for()
    theirs.wait_for()
    for card in (mine, theirs):
        assert card.get_by_test_id("card-title").inner_text() == "请示：关于新建城东小学的请示"
        assert card.get_by_test_id("card-tag").inner_text() == "待签发"
        assert "阳教请〔2026〕3号" in card.inner_text()
        assert card.locator("strong", has_text="城东小学").count() == 1
        assert card.locator("li").count() == 2
    assert mine.get_by_test_id("card-input").count() == 1
    assert mine.get_by_test_id("card-action").all_inner_texts() == ["同意", "退回"]
    assert theirs.get_by_test_id("card-input").count() == 0
    assert theirs.get_by_test_id("card-action").count() == 0
    actor.shot("card-actor")
    observer.shot("card-observer")

    mine.get_by_test_id("card-input").fill("同意，请办理。")
    mine.locator("[data-testid=card-action]", has_text="同意").click()
    # The click went to the bot with the button's params and the opinion.
    deadline = time.monotonic() + 10
    callbacks: list[dict[str, Any]] = []
    while not callbacks:
        assert time.monotonic() < deadline, "no callback recorded"
        callbacks = control.get("/sandbox/cards/card-browser-1")["callbacks"]
        time.sleep(0.1)
    assert callbacks[0]["userId"] == ACTOR
    # What the template's button binds: an empty actionId, its loop item's fields and
    # the typed opinion.
    assert callbacks[0]["actionId"] == ""
    assert callbacks[0]["params"] == {
        "action": "flow.act",
        "flow": "QS-browser",
        "assignment": "a1",
        "decision": "ok",
        "opinion": "同意，请办理。",
    }
    # The bot does not know this card: it says so privately, in his 1:1 chat.
    single = actor.single_chat()
    single.get_by_test_id("conversation-unread").wait_for()
    single.click()
    actor.bot_message("这张卡片已失效").wait_for()
    actor.shot("card-expired-reply")

    # A card update reaches everyone who holds the card, in place, without reload.
    bot_api.call(
        "PUT",
        "/v1.0/card/instances",
        {
            "outTrackId": "card-browser-1",
            "cardData": {
                "cardParamMap": {
                    "status": "已同意",
                    "status_color": "green",
                    "result": "周文静 同意：同意，请办理。",
                }
            },
            "privateData": {ACTOR: {"cardParamMap": {"can_act": "false"}}},
            "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
        },
    )
    actor.conversation(GOV_OFFICE_GROUP).click()
    for console in (actor, observer):
        card = _card(console, "card-browser-1")
        card.get_by_test_id("card-tag").filter(has_text="已同意").wait_for()
        assert card.get_by_test_id("card-action").count() == 0
        assert "周文静 同意" in card.inner_text()
    observer.shot("card-updated")


def test_phone_viewport_shows_chat_and_usable_card(
    sandbox: SandboxThread,
    control: Control,
    bot: BotProcess,
    bot_api: BotApi,
    open_console: Any,
) -> None:
    phone = open_console(viewport=PHONE)
    page = phone.page
    assert not page.get_by_test_id("directory").is_visible() or (
        page.get_by_test_id("directory").bounding_box()["x"] < 0
    )
    phone.testid("open-directory").click()
    phone.shot("directory-drawer")
    phone.be(ACTOR)
    page.wait_for_timeout(300)  # the drawer slides away
    assert page.get_by_test_id("directory").bounding_box()["x"] + 10 < 0

    phone.send("帮助")
    phone.bot_message("可以直接发送").wait_for()
    chat = page.get_by_test_id("chat").bounding_box()
    assert chat["width"] >= 380
    phone.shot("chat")

    _create_card(bot_api, "card-phone-1")
    phone.conversation(GOV_OFFICE_GROUP).click()
    card = _card(phone, "card-phone-1")
    card.wait_for()
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["width"] >= 300
    card.get_by_test_id("card-input").fill("手机上同意")
    button = card.locator("[data-testid=card-action]", has_text="同意")
    button.scroll_into_view_if_needed()
    phone.shot("card")
    button.tap()
    deadline = time.monotonic() + 10
    while not control.get("/sandbox/cards/card-phone-1")["callbacks"]:
        assert time.monotonic() < deadline, "the tap did not reach the card"
        time.sleep(0.1)
    callback = control.get("/sandbox/cards/card-phone-1")["callbacks"][0]
    assert callback["params"]["opinion"] == "手机上同意"
    page.get_by_test_id("toast").filter(has_text="已提交").wait_for()
    phone.shot("card-clicked")


def test_calls_drawer_lists_calls_and_switches_faults(
    sandbox: SandboxThread, control: Control, bot: BotProcess, open_console: Any
) -> None:
    console = open_console()
    page = console.page
    assert not console.testid("calls-drawer").is_visible()  # collapsed by default
    console.be("chen.wei")
    console.send("帮助")
    console.bot_message("可以直接发送").wait_for()

    console.testid("toggle-calls").click()
    drawer = console.testid("calls-drawer")
    drawer.wait_for()
    batch = drawer.locator("[data-testid=call][data-path='/v1.0/robot/oToMessages/batchSend']")
    batch.first.wait_for()
    batch.first.locator("summary").click()
    request_body = batch.first.get_by_test_id("call-request").inner_text()
    assert "sampleMarkdown" in request_body and "chen.wei" in request_body
    assert "processQueryKey" in batch.first.get_by_test_id("call-response").inner_text()
    console.shot("calls")

    # Fail the next call with 429: the bot's next send is throttled, then retried.
    console.testid("fault-count").fill("1")
    console.testid("fault-status").select_option("429")
    console.testid("fault-fail-apply").click()
    console.testid("fault-state").filter(has_text="待失败 1 次（429）").wait_for()
    assert control.get("/sandbox/faults")["fail_next"] == 1
    console.send("我是谁")
    drawer.locator("[data-testid=call] .call-status.bad", has_text="429").first.wait_for()
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=message][data-direction=in]').length >= 2"
    )
    console.testid("calls-filter").fill("batchSend")
    page.wait_for_timeout(200)
    paths = drawer.locator("[data-testid=call]").evaluate_all("els => els.map(e => e.dataset.path)")
    assert paths and all(p.endswith("batchSend") for p in paths)
    console.shot("calls-fault")


def test_work_notices_todos_and_files(
    sandbox: SandboxThread, control: Control, bot_api: BotApi, open_console: Any
) -> None:
    user = "he.jing"
    union_id = next(u.union_id for u in sandbox.seed.users if u.user_id == user)
    token = bot_api.oapi_token()
    note = {
        "msgtype": "markdown",
        "markdown": {
            "title": "议题报送提醒",
            "text": "### 议题报送提醒\n请于 **周五 18:00** 前报送。",
        },
    }
    bot_api.oapi(
        "/topapi/message/corpconversation/asyncsend_v2",
        token,
        {"agent_id": sandbox.seed.agent_id, "userid_list": user, "msg": note},
    )
    now_ms = control.get("/sandbox/clock")["epoch_ms"]
    bot_api.call(
        "POST",
        f"/v1.0/todo/users/{union_id}/tasks?operatorId={union_id}",
        {
            "subject": "审核《关于新建城东小学的请示》",
            "dueTime": now_ms + 2 * 86_400_000,
            "executorIds": [union_id],
            "detailUrl": {"appUrl": "https://example.com/a", "pcUrl": "https://example.com/p"},
        },
    )
    media_id = bot_api.upload(token, "会议纪要.docx", b"x" * 2048)
    file_param = {"mediaId": media_id, "fileName": "会议纪要.docx", "fileType": "docx"}
    bot_api.call(
        "POST",
        "/v1.0/robot/oToMessages/batchSend",
        {
            "robotCode": bot_api.robot_code,
            "userIds": [user],
            "msgKey": "sampleFile",
            "msgParam": json.dumps(file_param, ensure_ascii=False),
        },
    )

    console = open_console()
    console.be(user)
    file_message = console.page.get_by_test_id("file-message").filter(has_text="会议纪要.docx")
    file_message.wait_for()
    assert "2.0 KB" in file_message.inner_text()
    link = file_message.get_by_test_id("file-download")
    assert link.get_attribute("href") == f"/sandbox/media/{quote(media_id, safe='')}"
    # Attaching a file sends it as this person.
    console.testid("file-input").set_input_files(
        files=[{"name": "报告.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 hi"}]
    )
    mine = console.page.locator("[data-testid=message][data-direction=out]", has_text="报告.pdf")
    mine.wait_for()
    assert "11 B" in mine.inner_text()
    console.shot("file")

    console.testid("tab-notices").click()
    notice = console.page.get_by_test_id("work-notice").first
    notice.locator("h3", has_text="议题报送提醒").wait_for()
    assert notice.locator("strong").inner_text() == "周五 18:00"
    console.shot("notices")
    console.testid("tab-todos").click()
    todo = console.page.get_by_test_id("todo").first
    todo.wait_for()
    assert todo.get_by_test_id("todo-subject").inner_text() == "审核《关于新建城东小学的请示》"
    assert todo.get_by_test_id("todo-status").inner_text() == "待处理"
    assert "截止：2026-11-26 07:0" in todo.get_by_test_id("todo-due").inner_text()
    console.shot("todos")
    # Seen in the console: the notice is read now, as the bot's read check would see.
    deadline = time.monotonic() + 5
    while any(not i["read"] for i in control.bot_items(user) if i["kind"] == "work_notification"):
        assert time.monotonic() < deadline, "the work notification stayed unread"
        time.sleep(0.1)
