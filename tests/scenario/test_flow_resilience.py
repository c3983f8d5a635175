"""Approval flows under stress, driven through the sandbox like officials would: the same
button clicked many times at once, two clerks acting at the same instant, stale and
forged clicks, and the bot killed or restarted in the middle of a chain."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.clock import TZ
from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import (
    actions,
    card_of,
    cards,
    head_of,
    head_with_role,
    press,
    staff_of,
    wait_card,
)
from tests.scenario.test_requests import EDU, REQUEST, _submit

pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")

TITLE = "维修资金"  # part of REQUEST's title
ALREADY = "已经办理过"
# Two 会签 departments, no fiscal money: submit → 签发 → 会签 → 审核 → 批示.
JOINT = """请示
标题：关于联合开展校园周边安全整治的请示
类别：专题性
正文：拟于十二月联合开展校园周边安全整治。
涉及部门：县财政局、县应急管理局
财政资金：否"""
JOINT_TITLE = "校园周边"
OTHER = """请示
标题：关于城区地质灾害隐患点治理的请示
类别：专题性
正文：城区北山发现两处地质灾害隐患点，需要治理。
涉及部门：县财政局
财政资金：否"""
OTHER_TITLE = "地质灾害"
SECOND_EDU = """请示
标题：关于县第二中学操场改造的请示
类别：专题性
正文：县第二中学操场年久失修，需要改造。
涉及部门：县财政局
财政资金：否"""
SECOND_EDU_TITLE = "操场改造"
_TRAIL_LINE = re.compile(r"\*\*(?P<who>[^*]+)\*\*(?:（代[^）]*）)? (?P<rest>[^\n]+)")
# How decisions read in the trail (messages/flows.toml [done] and [deemed]); an opinion
# follows after "：".
_TRAIL_WORDS = sorted(
    (
        "提交",
        "签发",
        "退回修改",
        "会签同意",
        "会签有不同意见",
        "签批同意",
        "签批不同意",
        "审核通过",
        "批示同意",
        "批示不同意",
        "撤回",
        "修改后重新提交",
        "逾期未复，视为无不同意见（第六十九条）",
    ),
    key=len,
    reverse=True,
)


# -- helpers ---------------------------------------------------------------------------


def trail(card: dict[str, Any]) -> list[tuple[str, str]]:
    """The card's trail as (who, what) pairs, in order."""
    entries = []
    for m in _TRAIL_LINE.finditer(str(card["cardData"].get("trail", ""))):
        rest = m["rest"].strip()
        what = next((w for w in _TRAIL_WORDS if rest.startswith(w)), rest)
        entries.append((m["who"], what))
    return entries


def name_of(directory: OrgDirectory, user_id: str) -> str:
    person = directory.person(user_id)
    assert person is not None
    return person.name


def card_by_id(control: Control, user: str, out_track_id: str) -> dict[str, Any]:
    found = [c for c in cards(control, user) if c["outTrackId"] == out_track_id]
    assert found, f"{user} does not hold card {out_track_id}"
    return found[-1]


def click_params(
    card: dict[str, Any], button: str, opinion: str = ""
) -> tuple[str, dict[str, Any]]:
    """What the card-platform button labelled ``button`` sends: an empty actionId and the
    params bound to its loop item, plus the typed opinion (kept to replay or forge)."""
    chosen = next(a for a in actions(card) if a["text"] == button)
    params = {k: v for k, v in chosen.items() if k not in ("text", "color")}
    return "", {**params, **({"opinion": opinion} if opinion else {})}


def _raw(action_id: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"actionIds": [action_id] if action_id else [], "params": params}


def raw_click(
    control: Control, user: str, out_track_id: str, action_id: str, params: dict[str, Any]
) -> dict[str, Any]:
    """A click whose callback carries exactly these params (a stale or modified client)."""
    result: dict[str, Any] = control.post(
        f"/sandbox/cards/{out_track_id}/click", {"userId": user, "raw": _raw(action_id, params)}
    )
    return result


def at_once(url: str, clicks: list[tuple[str, str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Fire every (user, outTrackId, actionId, params) click from its own thread, released
    together by a barrier; returns the click endpoint's answers in the same order."""
    barrier = threading.Barrier(len(clicks))
    answers: list[dict[str, Any]] = [{} for _ in clicks]
    errors: list[BaseException] = []

    def fire(index: int) -> None:
        user, out_track_id, action_id, params = clicks[index]
        try:
            with httpx.Client(base_url=url, timeout=30) as http:
                barrier.wait(timeout=10)
                answer = http.post(
                    f"/sandbox/cards/{out_track_id}/click",
                    json={"userId": user, "raw": _raw(action_id, params)},
                )
                answer.raise_for_status()
                answers[index] = answer.json()
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(len(clicks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return answers


def settle(control: Control, seconds: float = 2.0) -> None:
    """Give anything duplicated by a bug time to show up (waits; asserts nothing)."""
    time.sleep(seconds)
    control.get("/sandbox/clock")


def card_puts(control: Control, out_track_id: str) -> list[dict[str, Any]]:
    """The bodies of every card update (PUT /v1.0/card/instances) of this card."""
    return [
        c["body"]
        for c in control.calls()
        if c["method"] == "PUT"
        and c["path"] == "/v1.0/card/instances"
        and isinstance(c["body"], dict)
        and c["body"].get("outTrackId") == out_track_id
    ]


def messages_to(control: Control, user: str) -> list[str]:
    """Everything but cards and to-dos the bot sent this user, as visible text."""
    return [item_text(i) for i in control.bot_items(user) if i.get("kind") not in ("card", "todo")]


def replies_with(control: Control, user: str, words: str) -> int:
    return sum(1 for text in messages_to(control, user) if words in text)


def wait_stream(control: Control, predicate: Any, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = control.get("/sandbox/stream/status")
        if predicate(status):
            return status
        time.sleep(0.1)
    raise AssertionError(f"stream never reached the expected state; last: {status}")


def signed_off(control: Control, directory: OrgDirectory, text: str, title: str) -> str:
    """Submit a 请示 from the education bureau and have its head sign it; returns the
    submitter's user id."""
    clerk, head = staff_of(directory, EDU), head_of(directory, EDU)
    _submit(control, clerk, text)
    press(control, head, wait_card(control, head, lambda c: bool(actions(c)), title), "签发")
    return clerk


def at_review(control: Control, directory: OrgDirectory) -> str:
    """REQUEST signed and co-signed by the finance bureau: now at the office review."""
    clerk = signed_off(control, directory, REQUEST, TITLE)
    finance = head_with_role(directory, "finance_bureau")
    press(
        control,
        finance,
        wait_card(control, finance, lambda c: bool(actions(c)), TITLE),
        "同意",
    )
    return clerk


def by_status(status: str) -> Any:
    return lambda c: c["cardData"].get("status") == status


# -- 1. ten identical clicks at once ---------------------------------------------------


def test_ten_identical_concurrent_clicks_make_one_transition(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk, head = staff_of(directory, EDU), head_of(directory, EDU)
    finance = head_with_role(directory, "finance_bureau")
    _submit(control, clerk, REQUEST)
    card = wait_card(control, head, lambda c: bool(actions(c)), TITLE)
    out_track_id = card["outTrackId"]
    action_id, params = click_params(card, "签发")
    settle(control, 1.0)
    clerk_before = messages_to(control, clerk)

    answers = at_once(control.url, [(head, out_track_id, action_id, params)] * 10)
    assert all(a["acked"] for a in answers), answers

    finance_card = wait_card(control, finance, lambda c: bool(actions(c)), TITLE)
    wait_card(control, clerk, lambda c: "会签" in c["cardData"]["status"], TITLE)
    settle(control)

    # One 签发 in the trail, seen the same by everyone who holds the card.
    final = card_of(control, clerk, TITLE)
    assert [w for _, w in trail(final)].count("签发") == 1, final["cardData"]["trail"]
    assert final["cardData"]["trail"] == card_of(control, head, TITLE)["cardData"]["trail"]
    # The next step's assignee holds exactly one card, with buttons.
    assert len(cards(control, finance)) == 1
    assert [a["text"] for a in actions(finance_card)] == ["同意", "有不同意见（须写明意见）"]
    assert actions(card_of(control, head, TITLE)) == []
    # Nobody was told twice, and no click failed (the repeated ones may be ignored or
    # answered with "已经办理过", never with an error).
    clerk_after = messages_to(control, clerk)
    assert not [t for t, n in Counter(clerk_after).items() if n > 1], clerk_after
    assert len(clerk_after) - len(clerk_before) <= 1
    assert all(ALREADY in t for t in messages_to(control, head)), messages_to(control, head)
    # The outbox sent the card update once per version of the card: one PUT for the
    # version after 签发, none repeated.
    puts = [put["cardData"]["cardParamMap"] for put in card_puts(control, out_track_id)]
    assert [p["trail"] for p in puts if "会签" in p["status"]] == [final["cardData"]["trail"]]
    versions = Counter(p["trail"] for p in puts)
    assert [n for n in versions.values() if n > 1] == [], puts
    # Exactly one to-do for the finance head once his step has waited past the delay.
    control.post("/sandbox/clock", {"advance_seconds": 121 * 60})
    control.wait_for(finance, lambda i: any(x.get("kind") == "todo" for x in i))
    settle(control)
    todos = [i for i in control.bot_items(finance) if i.get("kind") == "todo"]
    assert len(todos) == 1


# -- 2. two clerks of the office at the same instant ------------------------------------


def test_two_office_clerks_at_the_same_instant_one_wins(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = at_review(control, directory)
    first, second = (p.user_id for p in directory.holders("office_clerk")[:2])
    card_a = wait_card(control, first, lambda c: bool(actions(c)), TITLE)
    card_b = wait_card(control, second, lambda c: bool(actions(c)), TITLE)
    assert card_a["outTrackId"] == card_b["outTrackId"]
    pass_id, pass_params = click_params(card_a, "审核通过")
    back_id, back_params = click_params(card_b, "退回修改", opinion="请补充维修预算明细。")

    answers = at_once(
        control.url,
        [
            (first, card_a["outTrackId"], pass_id, pass_params),
            (second, card_b["outTrackId"], back_id, back_params),
        ],
    )
    assert all(a["acked"] for a in answers), answers
    took = [bool((a.get("response") or {}).get("cardData")) for a in answers]
    assert took.count(True) == 1, answers
    winner, loser = (first, second) if took[0] else (second, first)

    control.wait_for(loser, lambda i: any(ALREADY in item_text(x) for x in i))
    settle(control)
    assert replies_with(control, winner, ALREADY) == 0
    assert replies_with(control, loser, ALREADY) == 1

    final = card_of(control, clerk, TITLE)
    whats = [w for _, w in trail(final)]
    assert whats.count("审核通过") + whats.count("退回修改") == 1, whats
    if winner == first:
        assert "审核通过" in whats and "财政局" in final["cardData"]["status"]
        assert (name_of(directory, first), "审核通过") in trail(final)
    else:
        assert final["cardData"]["status"] == "已退回修改"
        assert (name_of(directory, second), "退回修改") in trail(final)
        assert "请补充维修预算明细" in final["cardData"]["result"]
    # Everyone sees the same single outcome; neither clerk still has buttons.
    for user in (first, second, clerk):
        seen = card_of(control, user, TITLE)["cardData"]
        assert seen["status"] == final["cardData"]["status"]
        assert seen["trail"] == final["cardData"]["trail"]
    assert actions(card_of(control, first, TITLE)) == []
    assert actions(card_of(control, second, TITLE)) == []


# -- 3. clicks after completion and stale cards -----------------------------------------


def _decided(
    control: Control, directory: OrgDirectory
) -> tuple[str, dict[str, Any], tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    """JOINT decided by the leader; returns the submitter, his final card and the old
    click parameters of the unit head's 签发 and of the leader's 同意."""
    clerk, head = staff_of(directory, EDU), head_of(directory, EDU)
    _submit(control, clerk, JOINT)
    card = wait_card(control, head, lambda c: bool(actions(c)), JOINT_TITLE)
    head_click = click_params(card, "签发")
    press(control, head, card, "签发")
    for role in ("finance_bureau", "emergency_bureau"):
        dept = head_with_role(directory, role)
        press(
            control,
            dept,
            wait_card(control, dept, lambda c: bool(actions(c)), JOINT_TITLE),
            "同意",
        )
    office_clerk = directory.holders("office_clerk")[0].user_id
    press(
        control,
        office_clerk,
        wait_card(control, office_clerk, lambda c: bool(actions(c)), JOINT_TITLE),
        "审核通过",
    )
    leader = directory.leader_in_charge(EDU)
    assert leader is not None
    card = wait_card(control, leader.user_id, lambda c: bool(actions(c)), JOINT_TITLE)
    leader_click = click_params(card, "同意", opinion="同意，请抓紧实施。")
    press(control, leader.user_id, card, "同意", opinion="同意，请抓紧实施。")
    wait_card(control, clerk, by_status("已同意"), JOINT_TITLE)
    settle(control, 1.0)
    return clerk, card_of(control, clerk, JOINT_TITLE), head_click, leader_click


def test_leader_clicking_again_after_the_decision_changes_nothing(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk, final, _, (action_id, params) = _decided(control, directory)
    leader = directory.leader_in_charge(EDU)
    assert leader is not None
    out_track_id = final["outTrackId"]
    puts_before = len(card_puts(control, out_track_id))
    # The card no longer offers him anything; he clicks his old button anyway, having
    # typed another opinion.
    assert actions(card_of(control, leader.user_id, JOINT_TITLE)) == []
    answer = raw_click(
        control, leader.user_id, out_track_id, action_id, {**params, "opinion": "不同意。"}
    )
    assert answer["acked"]
    control.wait_for(leader.user_id, lambda i: any(ALREADY in item_text(x) for x in i))
    settle(control)
    for user in (clerk, leader.user_id):
        now = card_of(control, user, JOINT_TITLE)["cardData"]
        assert now["status"] == "已同意"
        assert now["trail"] == final["cardData"]["trail"]
        assert now["result"] == final["cardData"]["result"]
    assert len(card_puts(control, out_track_id)) == puts_before
    assert replies_with(control, leader.user_id, ALREADY) == 1


def test_stale_identical_click_after_completion_changes_nothing(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk, final, (action_id, params), _ = _decided(control, directory)
    head = head_of(directory, EDU)
    out_track_id = final["outTrackId"]
    # The unit head clicks 签发 again with exactly the parameters of his old card.
    answer = raw_click(control, head, out_track_id, action_id, params)
    assert answer["acked"]
    settle(control)
    for user in (clerk, head):
        now = card_of(control, user, JOINT_TITLE)["cardData"]
        assert now["status"] == "已同意", now["status"]
        assert now["trail"] == final["cardData"]["trail"]
    control.wait_for(head, lambda i: any(ALREADY in item_text(x) for x in i), timeout=5)


# -- 4. SIGKILL in the middle of the chain ----------------------------------------------


def test_bot_killed_mid_chain_continues_exactly_once(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = signed_off(control, directory, REQUEST, TITLE)
    head = head_of(directory, EDU)
    finance = head_with_role(directory, "finance_bureau")
    audit = head_with_role(directory, "audit_bureau")
    card = wait_card(control, finance, lambda c: bool(actions(c)), TITLE)
    action_id, params = click_params(card, "同意")

    bot.kill()
    wait_stream(control, lambda s: s["connections"] == 0)
    down = raw_click(control, finance, card["outTrackId"], action_id, params)
    assert not down["acked"]
    assert control.get("/sandbox/stream/status")["queued"] >= 1

    bot.start()
    control.wait_connected()
    # DingTalk does not reliably replay card callbacks: the official clicks again.
    raw_click(control, finance, card["outTrackId"], action_id, params)

    office_clerk = directory.holders("office_clerk")[0].user_id
    review = wait_card(control, office_clerk, lambda c: bool(actions(c)), TITLE)
    settle(control)
    assert len(cards(control, office_clerk)) == 1
    assert [w for _, w in trail(card_of(control, clerk, TITLE))].count("会签同意") == 1
    control.post("/sandbox/clock", {"advance_seconds": 121 * 60})
    control.wait_for(office_clerk, lambda i: any(x.get("kind") == "todo" for x in i))
    settle(control)
    assert len([i for i in control.bot_items(office_clerk) if i.get("kind") == "todo"]) == 1

    press(control, office_clerk, review, "审核通过")
    for person in (finance, audit):
        press(
            control,
            person,
            wait_card(
                control,
                person,
                lambda c: bool(actions(c)) and "签批" in c["cardData"]["status"],
                TITLE,
            ),
            "签批同意",
        )
    leader = directory.leader_in_charge(EDU)
    assert leader is not None
    press(
        control,
        leader.user_id,
        wait_card(control, leader.user_id, lambda c: bool(actions(c)), TITLE),
        "同意",
        opinion="同意。",
    )
    final = wait_card(control, clerk, by_status("已同意"), TITLE)
    settle(control)
    final = card_of(control, clerk, TITLE)
    names = {u: name_of(directory, u) for u in (clerk, head, finance, audit, office_clerk)}
    assert trail(final) == [
        (names[clerk], "提交"),
        (names[head], "签发"),
        (names[finance], "会签同意"),
        (names[office_clerk], "审核通过"),
        (names[finance], "签批同意"),
        (names[audit], "签批同意"),
        (leader.name, "批示同意"),
    ], final["cardData"]["trail"]
    finished = [t for t in messages_to(control, clerk) if "已同意" in t]
    assert len(finished) <= 1, finished


# -- 5. forged payloads -----------------------------------------------------------------


def test_forged_params_naming_another_flow_change_nothing(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    edu_clerk, edu_head = staff_of(directory, EDU), head_of(directory, EDU)
    land_clerk, land_head = staff_of(directory, "zrzyj"), head_of(directory, "zrzyj")
    _submit(control, edu_clerk, REQUEST)
    _submit(control, land_clerk, OTHER)
    mine = wait_card(control, edu_head, lambda c: bool(actions(c)), TITLE)
    theirs = wait_card(control, land_head, lambda c: bool(actions(c)), OTHER_TITLE)
    assert mine["outTrackId"] != theirs["outTrackId"]
    before = {
        (u, t): card_of(control, u, t)["cardData"]
        for u, t in ((edu_clerk, TITLE), (land_clerk, OTHER_TITLE))
    }
    action_id, forged = click_params(theirs, "签发")
    # The education head, a real assignee of his own card, clicks it with params that
    # name the other flow and its assignment.
    answer = raw_click(control, edu_head, mine["outTrackId"], action_id, forged)
    assert answer["acked"]
    assert not (answer.get("response") or {}).get("cardData"), answer
    control.wait_for(
        edu_head,
        lambda i: any(
            "无权" in item_text(x) or ALREADY in item_text(x) or "失效" in item_text(x) for x in i
        ),
    )
    settle(control)
    for (user, title), data in before.items():
        now = card_of(control, user, title)["cardData"]
        assert now["status"] == data["status"] and now["trail"] == data["trail"]
        assert now["title"] == data["title"]
    assert actions(card_of(control, edu_head, TITLE))
    assert actions(card_of(control, land_head, OTHER_TITLE))
    assert not cards(control, head_with_role(directory, "finance_bureau"))


def test_forged_params_naming_another_flow_of_the_same_assignee_change_nothing(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk, head = staff_of(directory, EDU), head_of(directory, EDU)
    _submit(control, clerk, REQUEST)
    _submit(control, clerk, SECOND_EDU)
    card_a = wait_card(control, head, lambda c: bool(actions(c)), TITLE)
    card_b = wait_card(control, head, lambda c: bool(actions(c)), SECOND_EDU_TITLE)
    assert card_a["outTrackId"] != card_b["outTrackId"]
    before_a, before_b = card_a["cardData"], card_b["cardData"]
    action_id, forged = click_params(card_b, "签发")
    answer = raw_click(control, head, card_a["outTrackId"], action_id, forged)
    assert answer["acked"]
    settle(control)
    # Flow B was not signed through someone else's card …
    now_b = card_by_id(control, clerk, card_b["outTrackId"])["cardData"]
    assert (now_b["status"], now_b["trail"]) == (before_b["status"], before_b["trail"])
    # … and card A still shows flow A, unchanged.
    now_a = card_by_id(control, head, card_a["outTrackId"])
    assert now_a["cardData"]["title"] == before_a["title"], now_a["cardData"]["title"]
    assert now_a["cardData"]["trail"] == before_a["trail"]
    assert actions(now_a)
    assert actions(card_by_id(control, head, card_b["outTrackId"]))


# -- 6. a clean restart loses nothing ---------------------------------------------------


def _deadline_iso(text: str, after_s: int) -> str:
    """The card's deadline ("2026年11月26日 18:00") plus ``after_s`` seconds, as ISO."""
    found = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日 (\d{2}):(\d{2})", text)
    assert found, text
    y, m, d, hh, mm = (int(g) for g in found.groups())
    moment = datetime(y, m, d, hh, mm, tzinfo=TZ) + timedelta(seconds=after_s)
    return moment.isoformat()


def test_restart_loses_nothing_and_deemed_consent_still_fires(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = signed_off(control, directory, JOINT, JOINT_TITLE)
    head = head_of(directory, EDU)
    finance = head_with_role(directory, "finance_bureau")
    emergency = head_with_role(directory, "emergency_bureau")
    card = wait_card(control, finance, lambda c: bool(actions(c)), JOINT_TITLE)
    wait_card(control, emergency, lambda c: bool(actions(c)), JOINT_TITLE)
    deadline = card["cardData"]["deadline"]
    assert "2026年11月26日 18:00" in deadline, deadline

    assert bot.terminate() == 0
    bot.start()
    control.wait_connected()

    # The 会签 department acts after the restart.
    press(control, finance, card_of(control, finance, JOINT_TITLE), "同意")
    wait_card(
        control,
        clerk,
        lambda c: "会签同意" in [w for _, w in trail(c)],
        JOINT_TITLE,
    )
    # The silent department is reminded on the morning of the last day …
    control.post("/sandbox/clock", {"set": "2026-11-26T09:00:30+08:00"})
    control.wait_for(
        emergency,
        lambda i: any("会签" in item_text(x) and "提醒" in item_text(x) for x in i),
        timeout=10,
    )
    assert not any("提醒" in t for t in messages_to(control, finance) if JOINT_TITLE in t)
    # … and deemed to agree after the deadline.
    control.post("/sandbox/clock", {"set": _deadline_iso(deadline, 30)})
    review = wait_card(
        control, clerk, lambda c: "审核" in c["cardData"]["status"], JOINT_TITLE, timeout=10
    )
    assert "逾期未复，视为无不同意见（第六十九条）" in review["cardData"]["trail"]
    assert actions(card_of(control, emergency, JOINT_TITLE)) == []

    office_clerk = directory.holders("office_clerk")[0].user_id
    press(
        control,
        office_clerk,
        wait_card(control, office_clerk, lambda c: bool(actions(c)), JOINT_TITLE),
        "审核通过",
    )
    leader = directory.leader_in_charge(EDU)
    assert leader is not None
    press(
        control,
        leader.user_id,
        wait_card(control, leader.user_id, lambda c: bool(actions(c)), JOINT_TITLE),
        "同意",
        opinion="同意。",
    )
    final = wait_card(control, clerk, by_status("已同意"), JOINT_TITLE)
    names = {u: name_of(directory, u) for u in (clerk, head, finance, emergency, office_clerk)}
    assert trail(final) == [
        (names[clerk], "提交"),
        (names[head], "签发"),
        (names[finance], "会签同意"),
        (names[emergency], "逾期未复，视为无不同意见（第六十九条）"),
        (names[office_clerk], "审核通过"),
        (leader.name, "批示同意"),
    ], final["cardData"]["trail"]
