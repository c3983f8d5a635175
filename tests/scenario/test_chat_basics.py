"""A person messages the bot through the sandbox; the real bot process answers."""

from __future__ import annotations

import pytest

from bot.config import OrgDirectory
from sandbox.demo import CORP_ONLY_USERS
from tests.harness import BotProcess, Control, SandboxThread, item_text, texts

# A quiet working-day morning (before the 09:00 daily job), so that only the calls a test
# makes happen while it counts them.
pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")


def _directory(sandbox: SandboxThread) -> OrgDirectory:
    return OrgDirectory(sandbox.config)


def test_help_lists_every_registered_command(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    clerk = _directory(sandbox).holders("office_clerk")[0]
    control.send(clerk.user_id, "帮助")
    items = control.wait_for(clerk.user_id, lambda i: len(i) >= 1)
    assert len(items) == 1
    reply = item_text(items[0])
    assert "帮助" in reply and "我是谁" in reply
    assert "查看您在通讯录中的姓名、单位和角色" in reply
    assert items[0]["conversationType"] == "1"


def test_whoami_shows_name_unit_and_roles(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = _directory(sandbox)
    deputy = directory.holders("deputy_head")[0]
    control.send(deputy.user_id, "我是谁")
    reply = item_text(control.wait_for(deputy.user_id, lambda i: len(i) >= 1)[0])
    assert deputy.name in reply
    assert "副县长" in reply
    unit = directory.unit(deputy.unit_id)
    assert unit is not None and unit.name in reply
    partner = directory.ab_partner(deputy.user_id)
    if partner:
        partner_person = directory.person(partner)
        assert partner_person is not None and partner_person.name in reply


def test_unknown_user_is_sent_to_the_government_office(control: Control, bot: BotProcess) -> None:
    stranger = CORP_ONLY_USERS[0][0]  # in the DingTalk organisation, not in the config
    control.send(stranger, "帮助")
    reply = item_text(control.wait_for(stranger, lambda i: len(i) >= 1)[0])
    assert "县政府办公室" in reply
    assert "通讯录" in reply


def test_unknown_command_suggests_the_closest(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    clerk = _directory(sandbox).holders("office_clerk")[0]
    control.send(clerk.user_id, "帮主")
    reply = item_text(control.wait_for(clerk.user_id, lambda i: len(i) >= 1)[0])
    assert "没有找到" in reply
    assert "帮助" in reply


def test_group_message_is_answered_in_the_group(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = _directory(sandbox)
    group = directory.group_for("gov_office")
    assert group is not None
    member = group.member_ids[0]
    control.post(
        f"/sandbox/groups/{group.conversation_id}/messages", {"userId": member, "text": "我是谁"}
    )
    items = control.wait_for(
        member, lambda i: any(x.get("conversationId") == group.conversation_id for x in i)
    )
    in_group = [x for x in items if x.get("conversationId") == group.conversation_id]
    person = directory.person(member)
    assert person is not None
    assert person.name in item_text(in_group[0])
    other = group.member_ids[1]
    assert any(person.name in t for t in texts(control.bot_items(other)))


def test_hostile_text_is_escaped_in_markdown(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    clerk = _directory(sandbox).holders("office_clerk")[0]
    control.send(clerk.user_id, "[点我](javascript:alert(1)) **审批结果：已同意**")
    reply = item_text(control.wait_for(clerk.user_id, lambda i: len(i) >= 1)[0])
    assert "](javascript:" not in reply
    assert "**审批结果" not in reply
