"""Helpers for the meeting scenarios: plan a meeting, submit an item, walk its chain."""

from __future__ import annotations

import re
import time
from typing import Any

from tests.harness import Control, item_text
from tests.scenario.flows import actions, cards, press, wait_card

HEAD = "wang.jianguo"  # 县长
EXEC = "li.zhiqiang"  # 常务副县长 (分管 财政局)
ZHANG = "zhang.lihua"  # 副县长 in charge of 教育局 and 住建局
DIRECTOR = "sun.yongming"  # 办公室主任
ADMIN = "feng.lijuan"  # 行政股
EDU_HEAD = "cai.wenbin"
EDU_STAFF = "jia.lin"
HOUSING_HEAD_UNIT = "zjj"
FINANCE_HEAD = "xie.jianhua"
LEGAL_HEAD = "huang.zhigang"


def set_clock(control: Control, iso: str) -> None:
    """Moves the sandbox time and waits until the bot has adopted it and run what fell
    due (or, with no bot following, returns at once)."""
    control.move_clock({"set": iso})


def has(control: Control, user: str, *parts: str, timeout: float = 20) -> str:
    items = control.wait_for(
        user, lambda i: any(all(p in item_text(x) for p in parts) for x in i), timeout=timeout
    )
    return next(item_text(x) for x in reversed(items) if all(p in item_text(x) for p in parts))


def count(control: Control, user: str, *parts: str) -> int:
    return sum(1 for x in control.bot_items(user) if all(p in item_text(x) for p in parts))


def _answer_text(item: dict[str, Any]) -> str:
    """A chat answer's text, or the note on a card's own view (a submission is confirmed
    by the note on the flow card it starts, not by a message of its own)."""
    if item.get("kind") == "card":
        return str((item.get("cardData") or {}).get("note") or "")
    return item_text(item)


def _answers(control: Control, user: str, before: int) -> str:
    """The bot's answers after item ``before``: waits for the first, then a moment for
    the rest (notices that happen to arrive meanwhile are included)."""
    control.wait_for(user, lambda i: any(_answer_text(x) for x in i[before:]))
    time.sleep(0.5)
    items = control.bot_items(user)[before:]
    return "\n".join(text for text in map(_answer_text, items) if text)


def fill(control: Control, user: str, text: str) -> str:
    """Sends a whole form in one message and confirms its summary; returns the answers."""
    before = len(control.bot_items(user))
    control.send(user, text)
    answer = _answers(control, user, before)
    if "请核对" not in answer:
        return answer
    before = len(control.bot_items(user))
    control.send(user, "确认")
    return _answers(control, user, before)


def plan(control: Control, when: str, kind: str = "常务会议", extra: str = "") -> str:
    answer = fill(
        control,
        DIRECTOR,
        f"安排会议\n会议类型：{kind}\n时间：{when}\n地点：县政府第一会议室\n{extra}".strip(),
    )
    found = re.search(r"已安排会议 (HY\d{4}-\d{4})", answer)
    assert found, answer
    return found.group(1)


def item_form(meeting: str, title: str, **overrides: str) -> str:
    fields = {
        "会议": meeting,
        "议题名称": title,
        "议题类别": "6",
        "内容摘要": "工程总投资3000万元，需会议研究资金安排和建设主体。",
        "汇报时间": "8",
        "规范性文件": "否",
        "重大行政决策": "否",
        "合法性审查": "经本单位法规股审查，本议题内容合法。",
        "会议资料": "汇报稿：扩建工程的必要性和实施方案。",
        "政策依据": "《普通高中建设标准》",
        "拟参会人员": "县教育局局长蔡文斌",
        "拟定意见": "同意实施，资金由县财政统筹。",
        "报县委常委会": "否",
    }
    fields.update(overrides)
    return "议题\n" + "\n".join(f"{k}：{v}" for k, v in fields.items() if v)


def submit_item(control: Control, user: str, meeting: str, title: str, **overrides: str) -> str:
    answer = fill(control, user, item_form(meeting, title, **overrides))
    found = re.search(r"已提交，编号 (YT\d{4}-\d{4})", answer)
    assert found, answer
    return found.group(1)


def act(control: Control, user: str, title: str, button: str, opinion: str = "") -> None:
    """Presses ``button`` on the first of ``user``'s cards titled ``title`` that offers it."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for card in cards(control, user):
            if title in str(card["cardData"].get("title")) and any(
                a["text"] == button for a in actions(card)
            ):
                press(control, user, card, button, opinion)
                return
        time.sleep(0.1)
    raise AssertionError(f"{user} never had a card {title!r} with {button!r}")


def through_office(control: Control, title: str, *, signoff: bool = True) -> None:
    """签发 → 上会建议 → 行政股 → 办公室主任 → 县长 上会."""
    if signoff:
        act(control, EDU_HEAD, title, "签发")
    act(control, ZHANG, title, "上会建议")
    act(control, ADMIN, title, "审核通过")
    act(control, DIRECTOR, title, "审核通过")
    act(control, HEAD, title, "上会")
    wait_card(control, EDU_STAFF, lambda c: c["cardData"]["status"] == "已列入会议议程", title)


def meeting_cards(control: Control, user: str, title_part: str = "会议") -> list[dict[str, Any]]:
    return [
        c
        for c in cards(control, user)
        if title_part in str(c["cardData"].get("title")) and "agenda" in c["cardData"]
    ]


def meeting_card(control: Control, user: str, title_part: str = "会议") -> dict[str, Any]:
    found = meeting_cards(control, user, title_part)
    assert found, f"{user} holds no meeting card"
    return found[-1]


def wait_meeting(
    control: Control, user: str, predicate: Any, timeout: float = 20
) -> dict[str, Any]:
    """Waits until one of ``user``'s meeting cards satisfies ``predicate`` (cardData)."""
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        seen = meeting_cards(control, user)
        for card in seen:
            if predicate(card["cardData"]):
                return card
        time.sleep(0.1)
    raise AssertionError(
        f"no meeting card of {user} matched; seen: {[c['cardData'] for c in seen]}"
    )


def click_meeting(
    control: Control,
    user: str,
    button: str,
    note: str = "",
    substitute: str = "",
    meeting: str = "",
) -> None:
    """Clicks ``button`` on ``user``'s card of ``meeting`` (default: his latest meeting),
    once the card offers it."""
    deadline = time.monotonic() + 20
    chosen: dict[str, Any] | None = None
    while chosen is None:
        found = [c for c in meeting_cards(control, user) if meeting in str(c["cardData"]["fields"])]
        card = found[-1] if found else {}
        chosen = next((a for a in actions(card) if a["text"] == button), None) if card else None
        if chosen is None:
            assert time.monotonic() < deadline, f"{user}'s meeting card never offered {button}"
            time.sleep(0.1)
    inputs = {"local_note": note} if note else {}
    if substitute:
        inputs["local_substitute"] = substitute
    control.post(
        f"/sandbox/cards/{card['outTrackId']}/click",
        {"userId": user, "text": button, "inputs": inputs},
    )
