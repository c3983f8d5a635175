"""群众来信, 县长信箱 and 12345 as the office, the 信访局 and the units live them (第四十四、
八十八条): the four kinds of 第八十八条 reach the office director and every other letter
the 信访局; a leader's 批示 is organised by the 信访局 and the result goes straight back
to him; a 12345 item's first unit forwards it only with a reason, its limits count in
calendar days from receipt, and an overdue limit is chased on a working morning."""

from __future__ import annotations

import base64

import pytest

from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import actions, press, wait_card
from tests.scenario.meetings import (
    ADMIN,
    DIRECTOR,
    EDU_HEAD,
    EDU_STAFF,
    ZHANG,
    count,
    fill,
    has,
    set_clock,
)

BUREAU_HEAD = "qin.haiyan"  # 县信访局
BUREAU_CLERK = "lu.xiaoming"
HOUSING_HEAD = "xue.gang"  # 县住房和城乡建设局, in 张丽华's charge


def letter(writer: str, kind: str, text: str = "反映城区道路积水严重，请予治理。") -> str:
    return f"来信\n来信人：{writer}\n联系方式：13800000000\n来信内容：{text}\n来信类别：{kind}"


def is_open(card: dict[str, object]) -> bool:
    return bool(actions(card))  # type: ignore[arg-type]


@pytest.mark.sandbox_start("2026-12-01T09:30:00+08:00")
def test_each_kind_of_letter_goes_where_article_88_sends_it(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    refused = fill(control, EDU_STAFF, letter("赵一", "一般来信"))
    assert "由县政府办公室或县信访局登记" in refused and "第四十四、八十八条" in refused
    bad = fill(control, ADMIN, letter("赵一", "重要来信"))
    assert "来信类别请回复" in bad and "县级以上领导来信" in bad

    kinds = {
        "钱二": "县级以上领导来信",
        "孙三": "知名人士来信",
        "李四": "主要负责人来信",
        "周五": "全局性影响来信",
    }
    for number, (writer, kind) in enumerate(kinds.items(), start=1):
        answer = fill(control, ADMIN, letter(writer, kind))
        assert f"LX2026-000{number}" in answer, answer
        assert "属第八十八条所列信函，由县人民政府办公室办理" in answer
        card = wait_card(control, DIRECTOR, is_open, f"群众来信：{writer}")
        assert [a["text"] for a in actions(card)] == [
            "已告知",
            "呈领导批示",
            "交办",
            "办结（电话答复）",
            "办结（书面答复）",
            "延期",
        ]
        assert (
            kind in card["cardData"]["fields"] and "县人民政府办公室" in card["cardData"]["fields"]
        )
        # The registrar follows it; the 信访局 does not receive the office's letters.
        wait_card(control, ADMIN, lambda c: not actions(c), f"群众来信：{writer}")
    assert not [c for c in control.bot_items(BUREAU_HEAD) if c.get("kind") == "card"]

    # A letter that came on paper: its scan is the content.
    control.send(BUREAU_CLERK, "来信\n来信人：吴六\n联系方式：阳城县东街5号\n来信类别：一般来信")
    has(control, BUREAU_CLERK, "扫描件")
    scan = b"%PDF-1.4 scanned letter " + bytes(range(256)) * 4
    body = {"file": {"name": "吴六来信.pdf", "content_base64": base64.b64encode(scan).decode()}}
    control.send_raw(BUREAU_CLERK, body)
    has(control, BUREAU_CLERK, "请核对", "吴六来信.pdf")
    control.send(BUREAU_CLERK, "确认")
    general = has(control, BUREAU_CLERK, "已登记群众来信")
    assert "LX2026-0005" in general and "县信访局" in general
    card = wait_card(control, BUREAU_HEAD, is_open, "群众来信：吴六")
    assert "吴六来信.pdf" in card["cardData"]["summary"]
    control.wait_for(  # the scan itself, as a file
        BUREAU_HEAD,
        lambda items: any(
            i.get("kind") != "card" and "吴六来信.pdf" in item_text(i) for i in items
        ),
    )
    assert "一般来信" in card["cardData"]["fields"] and "县信访局" in card["cardData"]["fields"]
    assert "2026年12月16日前" in card["cardData"]["deadline"]
    assert count(control, DIRECTOR, "群众来信：吴六") == 0


@pytest.mark.sandbox_start("2026-12-01T09:30:00+08:00")
def test_a_leaders_instruction_is_organised_and_the_result_reported_back_to_him(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    answer = fill(
        control, BUREAU_CLERK, letter("郑七", "一般来信", "学校门口早晚交通拥堵，孩子上学不安全。")
    )
    assert "LX2026-0001" in answer
    card = wait_card(control, BUREAU_HEAD, is_open, "群众来信：郑七")
    press(control, BUREAU_HEAD, card, "呈领导批示", "")
    has(control, BUREAU_HEAD, "请在意见框填写县领导姓名", "第四十四条")
    press(control, BUREAU_HEAD, card, "呈领导批示", "张丽华")

    # The leader's card has 批示, which needs his opinion.
    mine = wait_card(control, ZHANG, is_open, "群众来信：郑七")
    assert [a["text"] for a in actions(mine)] == ["批示"]
    press(control, ZHANG, mine, "批示", "")
    has(control, ZHANG, "写明批示意见", "第八十八条")
    press(control, ZHANG, mine, "批示", "请教育局会同交警大队疏导，一周内答复。")

    # The 信访局 organises: it names the unit.
    has(control, BUREAU_HEAD, "领导已批示", "一周内答复", "第八十八条")
    organise = wait_card(
        control, BUREAU_HEAD, lambda c: "交办" in [a["text"] for a in actions(c)], "郑七"
    )
    assert organise["cardData"]["status"] == "领导已批示，待信访局交办"
    press(control, BUREAU_HEAD, organise, "交办", "教育局")

    unit = wait_card(control, EDU_HEAD, is_open, "群众来信：郑七")
    assert "请教育局会同交警大队疏导" in unit["cardData"]["fields"]
    press(control, EDU_HEAD, unit, "办结（书面答复）", "")
    has(control, EDU_HEAD, "办结须写明办理结果", "第八十八条")
    press(control, EDU_HEAD, unit, "办结（书面答复）", "已安排早晚高峰护学岗，并书面答复来信人。")

    # Straight back to the leader (第八十八条), and recorded as answered to the writer.
    report = has(control, ZHANG, "您批示的来信办理结果")
    assert "护学岗" in report and "书面" in report and "第八十八条" in report
    done = wait_card(
        control, ZHANG, lambda c: c["cardData"]["status"] == "已办结并答复", "群众来信：郑七"
    )
    fields = done["cardData"]["fields"]
    assert "答复方式" in fields and "书面" in fields and "答复时间" in fields
    assert "护学岗" in done["cardData"]["result"]
    for words in ("呈领导批示", "领导批示", "交办", "办结，书面答复"):
        assert words in done["cardData"]["trail"], done["cardData"]["trail"]
    has(control, BUREAU_CLERK, "已办结", "护学岗")


@pytest.mark.sandbox_start("2026-12-03T10:00:00+08:00")
def test_a_12345_item_is_forwarded_with_a_reason_and_its_clock_runs_from_receipt(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    answer = fill(
        control,
        ADMIN,
        "12345\n反映人：冯八\n联系方式：13900000000\n反映内容：幸福小区路灯损坏一个月无人修理。\n"
        "受理时间：2026-12-01 09:30\n首办单位：教育局",
    )
    # Received on 1 December, registered on the 3rd: 15 and 60 calendar days from receipt.
    assert "XX2026-0001" in answer and "首问负责" in answer
    assert "2026年12月16日" in answer and "2027年1月30日" in answer

    first = wait_card(control, EDU_HEAD, is_open, "12345热线：冯八")
    assert [a["text"] for a in actions(first)] == [
        "已告知",
        "办结（电话答复）",
        "办结（书面答复）",
        "转办",
        "延期",
    ]
    press(control, EDU_HEAD, first, "转办", "住房和城乡建设局")
    has(control, EDU_HEAD, "转办须写明接收单位和理由", "第四十四条")
    press(control, EDU_HEAD, first, "转办", "住房和城乡建设局：路灯属市政设施，由住建局管理")

    second = wait_card(control, HOUSING_HEAD, is_open, "12345热线：冯八")
    assert "2027年1月30日前" in second["cardData"]["deadline"]
    assert "县教育局 → 县住房和城乡建设局" in second["cardData"]["trail"]
    notice = has(control, HOUSING_HEAD, "事项转办", "路灯属市政设施")
    assert "首问负责" in notice and "2027年1月30日前办结" in notice
    wait_card(control, EDU_HEAD, lambda c: not actions(c), "12345热线：冯八")

    # 受理告知 was due on 16 December: the next working morning it is overdue, and the
    # unit's head and its leader in charge are told, citing the rules.
    set_clock(control, "2026-12-17T09:10:00+08:00")
    late = has(control, HOUSING_HEAD, "来信事项已逾期", "XX2026-0001")
    assert "逾期 1 日" in late and "第四十四条" in late and "15 日内告知" in late
    has(control, ZHANG, "来信事项已逾期", "XX2026-0001")
    assert count(control, EDU_HEAD, "来信事项已逾期") == 0  # no longer his
    assert count(control, DIRECTOR, "来信事项逾期未办") == 0

    press(control, HOUSING_HEAD, wait_card(control, HOUSING_HEAD, is_open, "冯八"), "已告知")
    wait_card(control, HOUSING_HEAD, lambda c: "已告知" in c["cardData"]["deadline"], "冯八")
