"""`govbot doctor` against the sandbox: all green with the demo organisation; each kind
of broken item reported with its fix, exit 1; a bad configuration exits 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sandbox.launcher import bot_environment
from tests.harness import PY, ROOT, Control, SandboxThread, python_env


def _env(**changes: str) -> dict[str, str]:
    env = python_env()
    env.update({k: v for k, v in bot_environment().items() if k.startswith("DINGTALK_")})
    env.update(changes)
    return env


def _doctor(
    sandbox: SandboxThread, config: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            PY,
            "-m",
            "bot",
            "doctor",
            "--config",
            str(config or sandbox.config_path),
            "--endpoint",
            sandbox.url,
        ],
        env=_env(**env),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def _section(output: str, title: str) -> str:
    """The lines of one 【section】 of the checklist."""
    start = output.index(f"【{title}】")
    end = output.find("【", start + 1)
    return output[start : end if end != -1 else len(output)]


def _broken_config(tmp_path: Path, sandbox: SandboxThread) -> Path:
    text = sandbox.config_path.read_text("utf-8")
    replacements = {
        'user_id = "lin.xiao"': 'user_id = "lin.xiao.left"',  # not in DingTalk
        'union_id = "uYc0Han0Xue00000020"': 'union_id = "uYc0WrongUnion000099"',
        'approval = "govbot.approval.schema"': 'approval = "draft.approval.schema"',
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    text += (
        "\n[[groups]]\n"
        'conversation_id = "cidNoSuchGroup000099=="\n'
        'name = "已解散的群"\n'
        'members = ["sun.yongming"]\n'
    )
    path = tmp_path / "broken.toml"
    path.write_text(text, "utf-8")
    return path


def test_demo_organisation_is_all_green(sandbox: SandboxThread, control: Control) -> None:
    result = _doctor(sandbox)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "✘" not in out and "–" not in _section(out, "人员")
    assert "50 人的 userId 在钉钉通讯录中，unionId 一致" in out
    for scope in ("qyapi_robot_sendmsg", "Card.Instance.Write", "Message.WorkNotice"):
        assert f"✔ {scope}" in out
    assert "✔ 阳城县政府办公室工作群（cidYc0GovOffice0000001==）" in out
    assert '✔ meeting = "govbot.meeting.schema" 已发布' in out
    assert "全部通过" in out
    # Nothing was delivered to anyone: probes only.
    calls = control.calls()
    assert not [c for c in calls if c["path"].endswith(("/send", "/batchSend", "asyncsend_v2"))]
    assert not [c for c in calls if c["path"].startswith("/v1.0/card/instances/")]
    assert all(not i for i in (control.inbox("wang.jianguo"), control.inbox("sun.yongming")))


def test_broken_people_group_and_template_each_reported_with_fix(
    sandbox: SandboxThread, tmp_path: Path
) -> None:
    result = _doctor(sandbox, _broken_config(tmp_path, sandbox))
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout

    people = _section(out, "人员")
    assert "✔ 48 人" in people
    assert "✘ 林晓（lin.xiao.left）" in people
    assert "钉钉通讯录中没有 userId“lin.xiao.left”" in people
    assert "通讯录 → 成员管理" in people
    assert "✘ 韩雪（han.xue）" in people
    assert "配置文件中是“uYc0WrongUnion000099”，钉钉通讯录中是“uYc0Han0Xue00000020”" in people
    assert "union_id 改为“uYc0Han0Xue00000020”" in people

    groups = _section(out, "钉钉群")
    assert "✘ 已解散的群（cidNoSuchGroup000099==）" in groups
    assert "群设置 → 机器人 → 添加机器人" in groups
    assert "✔ 阳城县政府领导班子群" in groups

    cards = _section(out, "卡片模板")
    assert '✘ approval = "draft.approval.schema"' in cards
    assert "不存在或尚未发布" in cards and "param.templateNotExist" in cards
    assert "“导入” messages/cards/approval.json 并发布" in cards
    assert '✔ notice = "govbot.notice.schema" 已发布' in cards

    assert "结论：4 项未通过（✘）。" in out
    assert "✘" not in _section(out, "权限") + _section(out, "机器人")


def test_wrong_secret_stops_at_the_credentials(sandbox: SandboxThread) -> None:
    result = _doctor(sandbox, DINGTALK_APP_SECRET="not-the-secret")
    assert result.returncode == 1
    out = result.stdout
    assert "✘ 新版接口访问凭证" in out and "✘ 旧版接口访问凭证" in out
    assert "AppKey 或 AppSecret 不对" in out and "invalidClientIdOrSecret" in out
    assert "凭证与基础信息" in out and "DINGTALK_APP_SECRET" in out
    assert "其余各项没有检查" in out
    assert "【人员】" not in out
    assert "not-the-secret" not in out + result.stderr


def test_wrong_robot_code_is_reported_and_groups_not_checked(sandbox: SandboxThread) -> None:
    result = _doctor(sandbox, DINGTALK_ROBOT_CODE="dingSomeoneElsesRobot")
    assert result.returncode == 1
    robot = _section(result.stdout, "机器人")
    assert "✘ 机器人编码 dingSomeoneElsesRobot" in robot
    assert "不属于本应用" in robot and "robot.notExist" in robot
    assert "消息接收模式选 Stream 模式" in robot and "DINGTALK_ROBOT_CODE" in robot
    groups = _section(result.stdout, "钉钉群")
    assert "– 全部 3 个群" in groups and "请先解决上方“机器人”一节的问题" in groups
    # The other sections are unaffected.
    assert "✔ 50 人" in result.stdout


def test_revoked_permissions_are_named_with_where_to_grant_them(
    sandbox: SandboxThread, control: Control
) -> None:
    control.post(
        "/sandbox/permissions",
        {"revoke": ["Card.Instance.Write", "Message.WorkNotice", "qyapi_get_member"]},
    )
    result = _doctor(sandbox)
    assert result.returncode == 1
    out = result.stdout
    permissions = _section(out, "权限")
    assert "✔ qyapi_robot_sendmsg" in permissions
    for scope in ("Card.Instance.Write", "Message.WorkNotice", "qyapi_get_member"):
        line = next(x for x in permissions.splitlines() if scope in x)
        assert line.startswith("✘"), line
        assert f"搜索 {scope}" in permissions
    assert "开发配置 → 权限管理" in permissions
    # Items that need a missing scope are not checked rather than reported broken.
    assert "– 全部 6 个模板" in _section(out, "卡片模板")
    assert "应用缺少权限 Card.Instance.Write" in _section(out, "卡片模板")
    assert "– 全部 50 人" in _section(out, "人员")
    assert "结论：3 项未通过（✘），2 项因此未检查（–）" in out


def test_department_scope_only_warns(sandbox: SandboxThread, control: Control) -> None:
    control.post("/sandbox/permissions", {"revoke": ["qyapi_get_department_list"]})
    result = _doctor(sandbox)
    assert result.returncode == 0, result.stdout
    line = next(x for x in result.stdout.splitlines() if "qyapi_get_department_list" in x)
    assert line.startswith("!") and "只有 govbot import-org 需要" in line
    assert "1 项提示不影响运行" in result.stdout


def test_bad_configuration_or_missing_environment_exit_2(
    sandbox: SandboxThread, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[county]\nname = "阳城县"\n', "utf-8")
    result = _doctor(sandbox, bad)
    assert result.returncode == 2
    assert "有" in result.stderr and "处问题" in result.stderr
    result = _doctor(sandbox, DINGTALK_AGENT_ID="")
    assert result.returncode == 2
    assert "DINGTALK_AGENT_ID" in result.stderr


def test_another_apps_agent_id_is_reported_with_both_fixes(sandbox: SandboxThread) -> None:
    result = _doctor(sandbox, DINGTALK_AGENT_ID="999")
    assert result.returncode == 1
    permissions = _section(result.stdout, "权限")
    line = next(x for x in permissions.splitlines() if "Message.WorkNotice" in x)
    assert line.startswith("✘")
    assert "AgentId 999 不是本应用的" in permissions
    assert "DINGTALK_AGENT_ID" in permissions and "搜索 Message.WorkNotice" in permissions
