"""发文 through the 发文卡 chain (第七十五条), numbering on 签发, distribution (第七十八条)."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import actions, card_of, cards, head_of, press, wait_card

pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")
BODY = "\n正文：为做好全县冬季校园安全工作，现将有关事项通知如下。"


def _draft(
    control: Control,
    clerk: str,
    title: str,
    doc_type: str,
    disclosure: str,
    recipients: str = "县教育局、县财政局",
    with_body: bool = True,
) -> None:
    body = BODY if with_body else ""
    control.send(
        clerk,
        f"发文\n标题：{title}\n发文机关：{doc_type}\n主办单位：县教育局\n"
        f"主送：{recipients}\n公开属性：{disclosure}{body}",
    )
    control.wait_for(
        clerk, lambda i: any("请核对发文卡" in item_text(x) and title in item_text(x) for x in i)
    )
    control.send(clerk, "确认")
    control.wait_for(
        clerk, lambda i: any("已提交" in item_text(x) and title in item_text(x) for x in i)
    )


def _wait_until(check: Any, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def _approve_chain(
    control: Control, directory: OrgDirectory, title: str, county: bool
) -> dict[str, Any]:
    deputy = directory.secretarial_deputy().user_id
    press(
        control,
        deputy,
        wait_card(control, deputy, lambda c: bool(actions(c)), title),
        "同意",
        opinion="文字已核。",
    )
    leader = directory.leader_in_charge("jyj")
    assert leader is not None
    press(
        control,
        leader.user_id,
        wait_card(control, leader.user_id, lambda c: bool(actions(c)), title),
        "同意",
        opinion="同意印发。",
    )
    director = directory.sole("office_director").user_id
    card = wait_card(control, director, lambda c: bool(actions(c)), title)
    if not county:
        return card
    press(control, director, card, "同意", opinion="拟同意，请县长签发。")
    head = directory.sole("county_head").user_id
    return wait_card(control, head, lambda c: bool(actions(c)), title)


def test_county_document_is_numbered_distributed_and_signed_for(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    title = "关于做好冬季校园安全工作的通知"
    _draft(control, clerk, title, "县政府", "主动公开")
    # Leaders see nothing before the office has reviewed (第七十五条).
    head = directory.sole("county_head").user_id
    assert not [c for c in cards(control, head) if title in str(c["cardData"].get("title"))]
    card = _approve_chain(control, directory, title, county=True)
    assert [a["text"] for a in actions(card)] == ["签发", "退回修改"]
    press(control, head, card, "签发")

    edu, finance = head_of(directory, "jyj"), head_of(directory, "czj")
    notice = wait_card(control, edu, lambda c: c["cardData"].get("status") == "请签收", title)
    assert "阳政发〔2026〕1号" in notice["cardData"]["fields"]
    assert "冬季校园安全" in notice["cardData"]["body"]
    office = wait_card(
        control, clerk, lambda c: "已签收 0/2" in c["cardData"].get("progress", ""), title
    )
    assert "县财政局" in office["cardData"]["missing"]
    # 主动公开: on the government website, page and feed (第七十八条).
    site = bot.data_dir.with_name(f"{bot.data_dir.name}-site")
    _wait_until(
        lambda: (site / "feed.json").exists() and title in (site / "feed.json").read_text("utf-8")
    )
    assert "阳政发〔2026〕1号" in (site / "index.html").read_text("utf-8")
    # The 发文 card and the query say it is issued, with its 文号 (not "已同意").
    issued = "已签发印发 阳政发〔2026〕1号"
    wait_card(control, head, lambda c: c["cardData"].get("status") == issued, title)
    control.wait_for(clerk, lambda i: any(f"发文办结：{issued}" in item_text(x) for x in i))
    control.send(clerk, "公文 阳政发〔2026〕1号")
    control.wait_for(clerk, lambda i: any(f"状态：{issued}" in item_text(x) for x in i))
    # Only the office director may revoke; then it leaves the site and the feed.
    control.send(clerk, "撤销公文 阳政发〔2026〕1号")
    control.wait_for(clerk, lambda i: any("办公室主任操作" in item_text(x) for x in i))
    director = directory.sole("office_director").user_id
    control.send(director, "撤销公文 阳政发〔2026〕1号")
    control.wait_for(director, lambda i: any("已撤销" in item_text(x) for x in i))
    _wait_until(lambda: title not in (site / "feed.json").read_text("utf-8"))
    assert title not in (site / "index.html").read_text("utf-8")
    withdrawn = "已撤销（原文号 阳政发〔2026〕1号）"
    revoked = wait_card(control, head, lambda c: c["cardData"].get("status") == withdrawn, title)
    assert "撤销公开（政府网站和订阅源不再显示）" in revoked["cardData"]["trail"]
    control.send(clerk, "公文 阳政发〔2026〕1号")
    control.wait_for(clerk, lambda i: any(f"状态：{withdrawn}" in item_text(x) for x in i))
    press(control, edu, notice, "签收")
    # The office sees it on its card's 刷新进度 (a 签收 alone is not pushed).
    press(control, clerk, office, "刷新进度")
    wait_card(control, clerk, lambda c: "已签收 1/2" in c["cardData"].get("progress", ""), title)
    signed = card_of(control, edu, title)
    assert actions(signed) == [] and "签收" in signed["cardData"]["note"]
    # The finance head has not signed: the next working morning he is reminded, the
    # morning after the office is told.
    control.move_clock({"set": "2026-11-25T08:30:30+08:00"})
    control.wait_for(finance, lambda i: any("签收提醒" in item_text(x) for x in i), timeout=10)
    control.move_clock({"set": "2026-11-26T08:30:30+08:00"})
    control.wait_for(
        clerk,
        lambda i: any("签收情况" in item_text(x) and "县财政局" in item_text(x) for x in i),
        timeout=10,
    )


def test_office_document_is_signed_by_the_director(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    title = "关于调整值班安排的通知"
    _draft(control, clerk, title, "县政府办公室", "依申请公开", recipients="县教育局")
    card = _approve_chain(control, directory, title, county=False)
    press(control, directory.sole("office_director").user_id, card, "签发")
    edu = head_of(directory, "jyj")
    notice = wait_card(control, edu, lambda c: c["cardData"].get("status") == "请签收", title)
    assert "阳政办发〔2026〕1号" in notice["cardData"]["fields"]


def test_return_goes_back_to_the_drafter_and_resubmits(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    title = "关于开展安全生产检查的通知"
    _draft(control, clerk, title, "县政府办公室", "主动公开", recipients="县教育局")
    deputy = directory.secretarial_deputy().user_id
    press(
        control,
        deputy,
        wait_card(control, deputy, lambda c: bool(actions(c)), title),
        "退回修改",
        opinion="请补充检查时间。",
    )
    card = wait_card(control, clerk, lambda c: bool(actions(c)), title)
    assert "请补充检查时间" in card["cardData"]["trail"]
    press(control, clerk, card, "修改后重新提交", opinion="已补充。")
    wait_card(
        control, deputy, lambda c: bool(actions(c)) and "重新提交" in c["cardData"]["trail"], title
    )


def _said(control: Control, user: str, *parts: str) -> str:
    items = control.wait_for(user, lambda i: any(all(p in item_text(x) for p in parts) for x in i))
    return next(item_text(x) for x in items if all(p in item_text(x) for p in parts))


def _answered(control: Control, user: str, message: str | dict[str, Any], *parts: str) -> str:
    """Sends ``message`` (text, or a raw body such as a file) and returns the first new
    reply holding all ``parts`` (an earlier, identical prompt does not count)."""

    def matching(items: list[dict[str, Any]]) -> list[str]:
        texts = [item_text(x) for x in items]
        return [t for t in texts if all(p in t for p in parts)]

    before = len(matching(control.bot_items(user)))
    if isinstance(message, str):
        control.send(user, message)
    else:
        control.send_raw(user, message)
    items = control.wait_for(user, lambda i: len(matching(i)) > before)
    return matching(items)[before]


def _revise_file_away(control: Control, clerk: str, number: str, text: str) -> None:
    """修改发文 twice: first a file is added (the text kept), then the file is dropped by
    typing the very same text, which is still a change (删除了文件)."""
    import base64

    pdf = {"name": "检查方案.pdf", "content_base64": base64.b64encode(b"%PDF-1.4 x").decode()}
    _answered(control, clerk, f"修改发文 {number}", "修改后的公文标题")
    # The prompt holds the whole current text (longer than the trail's excerpt).
    _answered(control, clerk, "不变", "修改后的公文正文", f"现为：{text}；")
    _answered(control, clerk, {"file": pdf}, "请发送正文文字", f"现为：{text}；")
    summary = _answered(control, clerk, "不变", "请核对", "检查方案.pdf")
    assert "正文文字" in summary
    done = _answered(control, clerk, "确认", "已修改", number)
    assert "添加了文件《检查方案.pdf》" in done and f"公文 {number}" in done
    _answered(control, clerk, f"修改发文 {number}", "修改后的公文标题")
    _answered(control, clerk, "不变", "修改后的公文正文", "现为：附件《检查方案.pdf》")
    _answered(control, clerk, text, "请核对")
    done = _answered(control, clerk, "确认", "已修改", number)
    assert "删除了文件《检查方案.pdf》" in done and "没有改动" not in done


def test_returned_draft_is_revised_before_resubmitting(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    """After 退回修改 the drafter is told how to revise (第七十三、七十五条), edits the
    title, the body and the file in a pre-filled form (the whole text shown), and every
    earlier version stays readable in full in the 公文 query."""
    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    title = "关于开展消防安全检查的通知"
    _draft(control, clerk, title, "县政府办公室", "主动公开", recipients="县教育局")
    number = re.findall(r"FW\d{4}-\d{4}", item_text(card_of(control, clerk, title)))[0]
    # Not returned yet: nothing to revise.
    control.send(clerk, f"修改发文 {number}")
    assert "第七十三、七十五条" in _said(control, clerk, "不能修改", number)
    deputy = directory.secretarial_deputy().user_id
    card = wait_card(control, deputy, lambda c: bool(actions(c)), title)
    press(control, deputy, card, "退回修改", opinion="请写明检查范围。")
    notice = _said(control, clerk, "发文退回修改", number)
    assert f"修改发文 {number}" in notice and "第七十三、七十五条" in notice
    card = wait_card(control, clerk, lambda c: bool(actions(c)), title)
    assert f"修改发文 {number}" in card["cardData"]["note"]

    # First the title only: the prompts show the current values, "不变" keeps the body.
    control.send(clerk, f"修改发文 {number}")
    assert f"现为：{title}" in _said(control, clerk, "修改后的公文标题")
    new_title = "关于开展全县学校消防安全检查的通知"
    control.send(clerk, new_title)
    assert "现为：为做好全县冬季校园安全工作" in _said(control, clerk, "修改后的公文正文")
    control.send(clerk, "不变")
    _said(control, clerk, "请核对", new_title)
    control.send(clerk, "确认")
    assert "原标题“关于开展消防安全检查的通知”" in _said(control, clerk, "已修改", number)
    # Then the body (the title now kept).
    control.send(clerk, f"修改发文 {number}")
    _said(control, clerk, f"现为：{new_title}")
    control.send(clerk, "不变")
    _said(control, clerk, "修改后的公文正文", "现为：为做好")
    long_text = (
        "为做好全县学校消防安全工作，检查范围为全县中小学和幼儿园。检查内容包括消防设施、"
        "疏散通道、用电安全和应急预案，各校须于十二月十日前完成自查并报送县教育局。"
    )
    control.send(clerk, long_text)
    _said(control, clerk, "请核对", "检查范围为全县中小学")
    control.send(clerk, "确认")
    assert "原正文：为做好全县冬季校园安全工作" in _said(control, clerk, "已修改", "修改了正文")

    card = wait_card(control, clerk, lambda c: "原正文" in c["cardData"]["trail"], new_title)
    trail = card["cardData"]["trail"]
    assert "原标题“关于开展消防安全检查的通知”" in trail and "修改文稿" in trail
    assert "检查范围为全县中小学" in card["cardData"]["summary"]
    _revise_file_away(control, clerk, number, long_text)
    # The card shows the dropped file at once (its update is not swallowed).
    wait_card(control, clerk, lambda c: "删除了文件" in c["cardData"]["trail"], new_title)

    reply = _answered(control, clerk, f"公文 {number}", "办理经过", new_title)
    assert "原标题“关于开展消防安全检查的通知”" in reply and "原正文：为做好全县冬季" in reply
    assert "修改前的4稿全文" in reply
    name = directory.person(clerk).name  # type: ignore[union-attr]
    first = _said(control, clerk, f"{number} 第1稿")
    assert f"由{name}修改" in first and title in first and BODY.split("：")[1] in first
    fourth = _said(control, clerk, f"{number} 第4稿")
    assert long_text in fourth and "《检查方案.pdf》" in fourth
    press(control, clerk, card, "修改后重新提交", opinion="已写明检查范围。")
    again = wait_card(control, deputy, lambda c: bool(actions(c)), new_title)
    assert "检查范围为全县中小学" in again["cardData"]["summary"]


def test_secret_document_is_never_sent(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    title = "关于某涉密事项的通知"
    control.send(
        clerk,
        f"发文\n标题：{title}\n发文机关：县政府办公室\n主办单位：县教育局\n"
        f"主送：县教育局\n公开属性：涉密{BODY}",
    )
    control.wait_for(clerk, lambda i: any("不得在钉钉中填写" in item_text(x) for x in i))
    _draft(control, clerk, title, "县政府办公室", "涉密", recipients="县教育局", with_body=False)
    card = _approve_chain(control, directory, title, county=False)
    press(control, directory.sole("office_director").user_id, card, "签发")
    edu = head_of(directory, "jyj")
    items = control.wait_for(edu, lambda i: any("机要渠道" in item_text(x) for x in i))
    notice = next(item_text(x) for x in items if "机要渠道" in item_text(x))
    # The issuer the drafter chose, not always 县政府.
    assert "人民政府办公室印发了涉密公文" in notice and "第七十八条" in notice
    assert not [c for c in cards(control, edu) if "请签收" in str(c["cardData"].get("status"))]
    site = bot.data_dir.with_name(f"{bot.data_dir.name}-site")
    _wait_until(lambda: (site / "feed.json").exists())
    time.sleep(1)
    for page in site.rglob("*"):
        if page.is_file():
            assert title not in page.read_text("utf-8", "replace")
    bodies = [str(c["body"]) for c in control.calls()]
    assert not any("冬季校园安全工作，现将" in b for b in bodies)


def test_two_documents_issued_at_once_get_consecutive_numbers(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    director = directory.sole("office_director").user_id
    final_cards = []
    for title in ("关于甲事项的通知", "关于乙事项的通知"):
        _draft(control, clerk, title, "县政府办公室", "不予公开", recipients="县教育局")
        final_cards.append(_approve_chain(control, directory, title, county=False))
    threads = [
        threading.Thread(target=press, args=(control, director, c, "签发")) for c in final_cards
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    edu = head_of(directory, "jyj")
    numbers: list[str] = []
    for title in ("关于甲事项的通知", "关于乙事项的通知"):
        notice = wait_card(control, edu, lambda c: c["cardData"].get("status") == "请签收", title)
        numbers += [
            n
            for n in ("阳政办发〔2026〕1号", "阳政办发〔2026〕2号")
            if n in notice["cardData"]["fields"]
        ]
    assert sorted(numbers) == ["阳政办发〔2026〕1号", "阳政办发〔2026〕2号"]


def test_document_sent_as_a_file_reaches_recipients_and_the_website(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    import base64

    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    title = "关于印发冬季供暖保障方案的通知"
    control.send(
        clerk,
        f"发文\n标题：{title}\n发文机关：县政府办公室\n主办单位：县教育局\n"
        "主送：县教育局\n公开属性：主动公开",
    )
    control.wait_for(clerk, lambda i: any("Word、PDF、OFD" in item_text(x) for x in i))
    content = b"%PDF-1.4 heating plan"
    control.send_raw(
        clerk,
        {"file": {"name": "供暖方案.pdf", "content_base64": base64.b64encode(content).decode()}},
    )
    control.wait_for(clerk, lambda i: any("已收到公文文件" in item_text(x) for x in i))
    control.send(clerk, "现将冬季供暖保障方案印发给你们，请认真贯彻执行。")
    control.wait_for(
        clerk,
        lambda i: any("请核对发文卡" in item_text(x) and "供暖方案.pdf" in item_text(x) for x in i),
    )
    control.send(clerk, "确认")
    card = _approve_chain(control, directory, title, county=False)
    press(control, directory.sole("office_director").user_id, card, "签发")

    edu = head_of(directory, "jyj")
    files = control.wait_for(edu, lambda i: any(x.get("kind") == "file" for x in i))
    sent = next(x for x in files if x.get("kind") == "file")
    assert "供暖方案.pdf" in item_text(sent)
    site = bot.data_dir.with_name(f"{bot.data_dir.name}-site")
    _wait_until(
        lambda: (site / "feed.json").exists() and title in (site / "feed.json").read_text("utf-8")
    )
    copied = [p for p in (site / "files").iterdir() if p.suffix == ".pdf"]
    assert [p.read_bytes() for p in copied] == [content]
