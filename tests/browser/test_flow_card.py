"""A real 请示 in the console: the clerk submits it in chat, the unit head signs it off
on his card, and the clerk's card changes in place, without reload."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import OrgDirectory
from tests.browser.conftest import ConsolePage
from tests.harness import BotProcess, Control, SandboxThread
from tests.scenario.flows import head_of, staff_of

pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")

REQUEST = "请示\n标题：关于县第一中学操场改造的请示\n类别：专题性\n正文：操场改造。\n财政资金：否"


def _flow_card(console: ConsolePage) -> Any:
    return console.page.locator("[data-testid=card]", has_text="操场改造").last


def test_signing_on_one_phone_updates_the_card_on_the_other(
    sandbox: SandboxThread, control: Control, bot: BotProcess, open_console: Any
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk, head = staff_of(directory, "jyj"), head_of(directory, "jyj")
    submitter = open_console(label="clerk")
    submitter.be(clerk)
    submitter.single_chat().click()
    submitter.send(REQUEST)
    submitter.bot_message("请核对请示").wait_for()
    submitter.send("确认")
    submitter.bot_message("已提交").wait_for()
    mine = _flow_card(submitter)
    mine.get_by_test_id("card-tag").filter(has_text="待主要负责人签发").wait_for()
    assert mine.get_by_test_id("card-action").count() == 0  # the submitter cannot sign
    submitter.shot("submitted")

    signer = open_console(label="head")
    signer.be(head)
    signer.single_chat().click()
    card = _flow_card(signer)
    card.wait_for()
    assert card.get_by_test_id("card-action").all_inner_texts() == ["签发", "退回修改"]
    signer.shot("to-sign")
    card.get_by_test_id("card-input").fill("同意上报。")
    card.locator("[data-testid=card-action]", has_text="签发").click()
    card.get_by_test_id("card-tag").filter(has_text="待县政府办公室审核").wait_for()
    assert card.get_by_test_id("card-action").count() == 0  # his buttons are gone
    signer.shot("signed")

    # The clerk's page shows the change live.
    mine.get_by_test_id("card-tag").filter(has_text="待县政府办公室审核").wait_for()
    assert "签发" in mine.inner_text() and "同意上报" in mine.inner_text()
    submitter.shot("updated-for-submitter")
    assert submitter.dialogs == [] and signer.dialogs == []
