"""Who has read a distributed document, besides who has signed for it (第七十八条)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import actions, card_of, head_of, press, wait_card
from tests.scenario.test_documents import _approve_chain, _draft
from tests.scenario.test_flow_resilience import raw_click

pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")


def _progress(card: dict[str, object]) -> str:
    data = card["cardData"]
    assert isinstance(data, dict)
    return str(data.get("progress", ""))


def test_office_card_tracks_read_and_signed(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    title = "关于做好冬季供水保障工作的通知"
    _draft(control, clerk, title, "县政府办公室", "依申请公开")
    card = _approve_chain(control, directory, title, county=False)
    press(control, directory.sole("office_director").user_id, card, "签发")

    edu, finance = head_of(directory, "jyj"), head_of(directory, "czj")
    office = wait_card(control, clerk, lambda c: "已读 0/2，已签收 0/2" in _progress(c), title)
    assert office["cardData"]["missing"].count("（未读）") == 2
    # Both got one work notification (one call for all recipients); the education head
    # opens it.
    notice = control.wait_for(edu, lambda i: any(_is_notice(x) for x in i), timeout=10)
    assert len([c for c in control.calls() if c.get("path") == ASYNCSEND]) == 1
    control.post(f"/sandbox/users/{edu}/read", {"ids": [x["id"] for x in notice]})
    # Read status is checked on a schedule (+1 h, +5 h, +23 h), one call for the work
    # notification of both recipients.
    time.sleep(2)
    assert _read_status_calls(control) == []
    control.post("/sandbox/clock", {"advance_seconds": 61 * 60})
    office = wait_card(control, clerk, lambda c: "已读 1/2，已签收 0/2" in _progress(c), title)
    assert len(_read_status_calls(control)) == 1
    missing = office["cardData"]["missing"]
    edu_line = next(line for line in missing.splitlines() if "县教育局" in line)
    finance_line = next(line for line in missing.splitlines() if "县财政局" in line)
    assert "未读" not in edu_line and "未读" in finance_line

    press(control, edu, wait_card(control, edu, lambda c: True, title), "签收")
    # A 签收 is not pushed to the office card (one DingTalk call each)...
    time.sleep(2)
    office = card_of(control, clerk, title)
    assert "已签收 0/2" in _progress(office)
    # ...the clerk's 刷新进度 shows it at once, in the click's answer (no DingTalk call).
    calls = len(control.calls())
    answer = press(control, clerk, office, "刷新进度")
    assert "已读 1/2，已签收 1/2" in answer["response"]["cardData"]["cardParamMap"]["progress"]
    office = wait_card(control, clerk, lambda c: "已读 1/2，已签收 1/2" in _progress(c), title)
    assert "县教育局" not in office["cardData"]["missing"]
    assert len(control.calls()) == calls
    assert "签收" in card_of(control, edu, title)["cardData"]["note"]
    # Only the office card answers it: the same params sent from a recipient's card
    # change nothing there.
    refresh = next(a for a in actions(office) if a["text"] == "刷新进度")
    params = {k: v for k, v in refresh.items() if k not in ("text", "color")}
    theirs = card_of(control, finance, title)
    answer = raw_click(control, finance, theirs["outTrackId"], "", params)
    assert not (answer.get("response") or {}).get("cardData"), answer
    control.wait_for(finance, lambda i: any("不是经办人" in item_text(x) for x in i))

    # The finance head never opens it: the reminder (next working morning) and the
    # office's report (the morning after) say so.
    control.move_clock({"set": "2026-11-25T08:30:30+08:00"})
    reminder = control.wait_for(
        finance, lambda i: any("签收提醒" in item_text(x) for x in i), timeout=10
    )
    assert any("尚未阅读" in item_text(x) for x in reminder if "签收提醒" in item_text(x))
    control.move_clock({"set": "2026-11-26T08:30:30+08:00"})
    items = control.wait_for(
        clerk, lambda i: any("签收情况" in item_text(x) for x in i), timeout=10
    )
    report = next(item_text(x) for x in items if "签收情况" in item_text(x))
    assert "县财政局（未读）" in report and "已读 1/2，已签收 1/2" in report
    assert "县教育局" not in report
    # Past DingTalk's 24-hour window nobody is polled any more; within it the finance
    # head's batch was asked at most once per checkpoint.
    polled = _read_status_calls(control)
    assert polled and all(c["status"] == 200 for c in polled)
    assert len(polled) <= 5
    time.sleep(5)  # longer than the sandbox's read-check period
    assert len(_read_status_calls(control)) == len(polled)


@pytest.mark.sandbox_start("2026-11-27T09:00:00+08:00")
def test_friday_document_is_chased_on_working_mornings(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    """Issued on a Friday: no reminder that evening nor over the weekend; Monday 08:30
    the recipients, Tuesday 08:30 the drafter, both citing 第七十八条."""
    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    title = "关于做好周末值班工作的通知"
    _draft(control, clerk, title, "县政府办公室", "依申请公开")
    card = _approve_chain(control, directory, title, county=False)
    press(control, directory.sole("office_director").user_id, card, "签发")
    finance = head_of(directory, "czj")
    wait_card(control, finance, lambda c: True, title)

    def reminders() -> list[str]:
        texts = [item_text(x) for x in control.bot_items(finance)]
        return [t for t in texts if "签收提醒" in t and title in t]

    def reports() -> list[str]:
        texts = [item_text(x) for x in control.bot_items(clerk)]
        return [t for t in texts if "签收情况" in t and title in t]

    for moment in ("2026-11-27T18:00:30+08:00", "2026-11-28T18:00:30+08:00"):
        control.move_clock({"set": moment})
        assert reminders() == [] and reports() == []
    control.move_clock({"set": "2026-11-30T08:29:00+08:00"})
    assert reminders() == []
    control.move_clock({"set": "2026-11-30T08:30:30+08:00"})
    control.wait_for(finance, lambda _: bool(reminders()), timeout=10)
    assert "第七十八条" in reminders()[0] and "已分发 1 个工作日" in reminders()[0]
    assert reports() == []
    control.move_clock({"set": "2026-12-01T08:30:30+08:00"})
    control.wait_for(clerk, lambda _: bool(reports()), timeout=10)
    assert "第七十八条" in reports()[0] and "县财政局" in reports()[0]


ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"
SEND_RESULT = "/topapi/message/corpconversation/getsendresult"


def _is_notice(item: dict[str, Any]) -> bool:
    return item.get("kind") == "work_notification" and "收文通知" in item_text(item)


def _read_status_calls(control: Control) -> list[dict[str, Any]]:
    return [c for c in control.calls() if c.get("path") == SEND_RESULT]
