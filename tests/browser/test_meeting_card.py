"""The meeting card in the console: a unit head with an agenda item cannot come, types
his reason and substitute on the card, and the office director's card shows it live."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ConsolePage
from tests.harness import BotProcess, Control, SandboxThread
from tests.scenario.meetings import DIRECTOR, EDU_HEAD, plan

pytestmark = pytest.mark.sandbox_start("2026-11-30T08:00:00+08:00")


def _meeting_card(console: ConsolePage) -> Any:
    return console.page.locator("[data-testid=card]", has_text="校园安全专题会议").last


def test_unit_substitute_on_the_card_shows_on_the_office_card(
    sandbox: SandboxThread, control: Control, bot: BotProcess, open_console: Any
) -> None:
    plan(
        control,
        "2026-12-08 15:00",
        kind="专题会议",
        extra="会议名称：全县校园安全专题会议\n主持人：张丽华\n参会单位：县教育局",
    )
    office = open_console(label="office")
    office.be(DIRECTOR)
    office.single_chat().click()
    office_card = _meeting_card(office)
    office_card.wait_for()
    assert "预计出席组成人员" in office_card.inner_text()

    unit = open_console(label="unit")
    unit.be(EDU_HEAD)
    unit.single_chat().click()
    card = _meeting_card(unit)
    card.wait_for()
    assert card.get_by_test_id("card-action").all_inner_texts() == ["确认参加", "请假并报替代人员"]
    inputs = card.get_by_test_id("card-input")
    assert inputs.count() == 2  # the reason, and the substitute (units only)
    unit.shot("meeting-card")
    inputs.nth(0).fill("赴市参加教育工作会议")
    inputs.nth(1).fill("贾琳 副局长")
    card.locator("[data-testid=card-action]", has_text="请假并报替代人员").click()
    card.get_by_text("您的参会情况：由替代人员参会").wait_for()
    unit.shot("substitute-recorded")

    office_card.get_by_text("替代人员 贾琳 副局长").wait_for()
    office.bot_message("参会替代人员备案").wait_for()
    office.shot("office-sees-substitute")
    assert unit.dialogs == [] and office.dialogs == []
