"""规范性文件 as the units and the 司法局 live it (第二十三–二十五条): registering without a
passed 合法性审查 is refused; a passed review gives the unified number and the validity
period (试行 2 years); six months before the end the issuing unit's head and the 司法局 are
asked to evaluate, once; the register lists and searches; the clean-up marks each document
and the website's register page shows the result."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.harness import BotProcess, Control, SandboxThread
from tests.scenario.flows import wait_card
from tests.scenario.meetings import (
    ADMIN,
    DIRECTOR,
    EDU_HEAD,
    EDU_STAFF,
    LEGAL_HEAD,
    act,
    count,
    fill,
    has,
    set_clock,
)

pytestmark = pytest.mark.sandbox_start("2026-11-30T08:00:00+08:00")

TITLE = "阳城县校外培训机构管理办法（试行）"


def register_form(review: str, trial: str = "是", **overrides: str) -> str:
    fields = {
        "标题": TITLE,
        "文号": "阳教发〔2026〕9号",
        "印发日期": "2026-11-20",
        "试行": trial,
        "合法性审查": review,
    }
    fields.update(overrides)
    return "规范性文件登记\n" + "\n".join(f"{k}：{v}" for k, v in fields.items() if v)


REVIEWED = "县校外培训机构管理办法"


def ask_review(control: Control) -> str:
    answer = fill(
        control,
        EDU_STAFF,
        f"合法性审查\n名称：{REVIEWED}\n类型：规范性文件\n送审材料：送审稿全文……",
    )
    found = re.search(r"HF\d{4}-\d{4}", answer)
    assert found, answer
    return found.group(0)


def pass_review(control: Control) -> None:
    act(control, EDU_HEAD, REVIEWED, "签发")
    act(control, LEGAL_HEAD, REVIEWED, "审查通过", "经审查，未发现与上位法相抵触。")
    wait_card(control, EDU_STAFF, lambda c: c["cardData"]["status"] == "审查通过", REVIEWED)


def _site_page(bot: BotProcess, wanted: str) -> str:
    page = Path(bot.data_dir.with_name(f"{bot.data_dir.name}-site")) / "normative.html"
    deadline = time.monotonic() + 20
    while not (page.exists() and wanted in page.read_text("utf-8")):
        assert time.monotonic() < deadline, f"the register page never showed {wanted!r}"
        time.sleep(0.3)
    return page.read_text("utf-8")


def test_registration_needs_a_passed_review_and_gets_the_unified_number(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    refused = fill(control, EDU_STAFF, register_form("无"))
    assert "第二十三条" in refused and "不予登记" in refused, refused

    # Asked for, not yet passed: still refused, with the article.
    review = ask_review(control)
    not_yet = fill(control, EDU_STAFF, register_form(review))
    assert "尚未通过" in not_yet and "第二十三条" in not_yet, not_yet
    pass_review(control)

    # A unit registers only its own documents.
    other = fill(control, EDU_STAFF, register_form(review, 制定单位="财政局"))
    assert "第二十五条" in other, other

    done = fill(control, EDU_STAFF, register_form(review))
    # 试行: two years from the issued date (normative_trial_years).
    assert "GF2026-0001" in done and "2028年11月19日" in done, done

    # The same review cannot register a second document.
    again = fill(control, EDU_STAFF, register_form(review, 标题="另一个管理办法"))
    assert "GF2026-0001" in again and "第二十五条" in again, again

    # Anyone lists and searches the register.
    control.send(ADMIN, "规范性文件目录 校外培训")
    listed = has(control, ADMIN, "规范性文件登记目录", "GF2026-0001")
    assert "阳教发〔2026〕9号" in listed and "县教育局" in listed and "**有效**" in listed
    control.send(ADMIN, "规范性文件目录 不存在的关键词")
    has(control, ADMIN, "没有找到与“不存在的关键词”相关的规范性文件")

    # 统一公布: the website's register page.
    page = _site_page(bot, "GF2026-0001")
    assert "阳教发〔2026〕9号" in page and "<td>有效</td>" in page


def test_evaluation_reminder_six_months_before_and_the_clean_up(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    review = ask_review(control)
    pass_review(control)
    done = fill(control, EDU_STAFF, register_form(review))
    assert "GF2026-0001" in done, done
    # Valid until 2028-11-19; the evaluation is asked for on 2028-05-19 (a Friday).
    set_clock(control, "2028-05-18T09:10:00+08:00")
    assert count(control, EDU_HEAD, "规范性文件有效期将满") == 0
    set_clock(control, "2028-05-19T09:10:00+08:00")
    text = has(control, EDU_HEAD, "规范性文件有效期将满", "GF2026-0001")
    assert "第二十三条" in text and "2028年11月19日" in text
    has(control, LEGAL_HEAD, "规范性文件有效期将满", "GF2026-0001")
    set_clock(control, "2028-05-22T09:10:00+08:00")  # the next working morning: not again
    assert count(control, EDU_HEAD, "规范性文件有效期将满") == 1
    assert count(control, LEGAL_HEAD, "规范性文件有效期将满") == 1

    # The clean-up: only the office director or the 司法局's head marks it.
    control.send(EDU_STAFF, "清理规范性文件 GF2026-0001 废止")
    has(control, EDU_STAFF, "第二十四条")
    control.send(LEGAL_HEAD, "清理规范性文件 GF2026-0001 继续有效")
    has(control, LEGAL_HEAD, "已将规范性文件 GF2026-0001", "继续有效")
    page = _site_page(bot, "继续有效")
    assert "GF2026-0001" in page
    control.send(DIRECTOR, "清理规范性文件 GF2026-0001 废止")
    has(control, DIRECTOR, "标注为“废止”")
    _site_page(bot, "废止")
    control.send(DIRECTOR, "清理规范性文件 GF2026-0001 继续有效")
    has(control, DIRECTOR, "已废止", "不再清理")
