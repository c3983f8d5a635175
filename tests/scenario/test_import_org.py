"""`govbot import-org` from the sandbox's contacts: a skeleton that check-config rejects
with clear problems, and accepts once the office has filled in the roles."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from bot.config import load_config
from sandbox.launcher import bot_environment
from tests.harness import PY, ROOT, Control, SandboxThread, python_env


def _govbot(*args: str) -> subprocess.CompletedProcess[str]:
    env = python_env()
    env.update({k: v for k, v in bot_environment().items() if k.startswith("DINGTALK_")})
    return subprocess.run(
        [PY, "-m", "bot", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def _import(sandbox: SandboxThread, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _govbot("import-org", "--out", str(out), "--endpoint", sandbox.url, *extra)


def _fill_roles(skeleton: str, sandbox: SandboxThread) -> str:
    """What the office does: roles, 分管, heads and kinds the names did not give away,
    and the card template ids."""
    demo = load_config(sandbox.config_path)
    data = tomllib.loads(skeleton)
    unit_by_name = {u["name"]: u["id"] for u in data["units"]}
    skeleton_unit = {u.unit_id: unit_by_name[u.name] for u in demo.units.values()}

    def person_lines(user_id: str) -> str:
        person = demo.people.get(user_id)
        roles = sorted(person.roles) if person else []
        if user_id in ("zhou.laifang", "he.xiaoyu"):  # heads of units demo does not list
            roles = ["unit_head"]
        lines = [f"roles = {roles!r}".replace("'", '"')]
        if person and person.in_charge_of:
            ids = [skeleton_unit[u] for u in person.in_charge_of]
            lines.append(f"in_charge_of = {ids!r}".replace("'", '"'))
        if person and person.secretarial:
            lines.append("secretarial = true")
        return "\n".join(lines)

    blocks = skeleton.split("\n[[people]]\n")
    for i, block in enumerate(blocks[1:], start=1):
        user_id = re.search(r'^user_id = "([^"]+)"', block, re.M)
        assert user_id is not None
        blocks[i] = re.sub(
            r"^roles = .*$", person_lines(user_id.group(1)), block, count=1, flags=re.M
        )
    text = "\n[[people]]\n".join(blocks)

    def set_unit(name: str, kind: str, head: str | None = None) -> None:
        nonlocal text
        blocks = text.split("\n[[units]]\n")
        index = next(i for i, b in enumerate(blocks) if f'\nname = "{name}"\n' in b)
        block = re.sub(r"^kind = .*$", f'kind = "{kind}"', blocks[index], count=1, flags=re.M)
        if head is not None:
            block = re.sub(r'^# head = "".*$', f'head = "{head}"', block, count=1, flags=re.M)
        blocks[index] = block
        text = "\n[[units]]\n".join(blocks)

    set_unit("县林业局", "department", "zhou.laifang")
    set_unit("县档案馆", "department", "he.xiaoyu")
    set_unit("县安全生产委员会", "coordination")
    for key in ("approval", "notice", "meeting"):
        text = re.sub(rf'^{key} = "".*$', f'{key} = "{demo.cards[key]}"', text, flags=re.M)
    return text


def test_skeleton_from_contacts_is_rejected_then_accepted_once_filled(
    sandbox: SandboxThread, tmp_path: Path
) -> None:
    out = tmp_path / "govbot.toml"
    result = _import(sandbox, out, "--corp-id", "dingyc0demo0corp0000")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"已从钉钉通讯录生成配置文件草稿：{out}" in result.stdout
    assert "govbot check-config" in result.stdout
    skeleton = out.read_text("utf-8")
    data = tomllib.loads(skeleton)

    # What DingTalk knows is in it: every member, with userId, unionId, name, title, unit.
    people = {p["user_id"]: p for p in data["people"]}
    assert len(people) == 52  # the 50 configured officials and two staff only in DingTalk
    han = people["han.xue"]
    assert (han["union_id"], han["name"], han["title"]) == (
        "uYc0Han0Xue00000020",
        "韩雪",
        "财政局预算股科员",
    )
    units = {u["id"]: u for u in data["units"]}
    assert units[han["unit"]]["name"] == "县财政局"
    assert all(p["roles"] in ([], ["unit_head"]) for p in people.values())
    assert "请填写角色" in skeleton
    # Kinds guessed where the name is obvious; sub-departments keep their parent unit.
    kinds = {u["name"]: u["kind"] for u in data["units"]}
    assert kinds["县财政局"] == "department" and kinds["东岭乡人民政府"] == "town"
    assert kinds["县人民政府办公室"] == "office" and kinds["中共阳城县委办公室"] == "party_office"
    assert kinds["阳城县东岭煤业有限公司"] == "coal_mine" and kinds["县安全生产委员会"] == ""
    by_name = {u["name"]: u for u in data["units"]}
    assert by_name["县人民政府办公室行政股"]["kind"] == "internal"
    assert by_name["县人民政府办公室行政股"]["parent"] == by_name["县人民政府办公室"]["id"]
    assert by_name["县不动产登记中心"]["kind"] == "affiliated"
    # DingTalk's 部门主管 becomes the head; unit roles guessed from names.
    assert by_name["县财政局"]["head"] == "xie.jianhua" and people["xie.jianhua"]["roles"] == [
        "unit_head"
    ]
    assert by_name["县司法局"]["roles"] == ["legal_bureau"]
    assert "head" not in by_name["县林业局"]
    assert data["county"]["name"] == "阳城县"
    assert data["county"]["doc_prefixes"] == {"county_gov": "阳政发", "gov_office": "阳政办发"}
    assert data["dingtalk"]["corp_id"] == "dingyc0demo0corp0000"
    assert data["cards"] == {"approval": "", "notice": "", "meeting": ""}

    # check-config names what the office still has to do.
    check = _govbot("check-config", str(out))
    assert check.returncode == 2
    problems = check.stderr
    for expected in (
        "没有人担任 county_head（县长）",
        "没有人担任 executive_deputy（常务副县长）",
        "没有人担任 office_director（办公室主任）",
        "没有分管文秘的办公室副主任",
        "至少需要一人担任 admin_section（行政股）",
        "“县林业局”是政府部门，必须用 head",
        "“kind”（单位类别）不能为空",
        "卡片模板“approval”应为非空字符串",
    ):
        assert expected in problems, expected

    filled = tmp_path / "filled.toml"
    filled.write_text(_fill_roles(skeleton, sandbox), "utf-8")
    check = _govbot("check-config", str(filled))
    assert check.returncode == 0, check.stderr
    assert "检查通过" in check.stdout


def test_import_org_refuses_to_overwrite_and_names_a_missing_scope(
    sandbox: SandboxThread, control: Control, tmp_path: Path
) -> None:
    out = tmp_path / "govbot.toml"
    out.write_text("# 办公室已经填好的配置\n", "utf-8")
    result = _import(sandbox, out)
    assert result.returncode == 2
    assert "已存在" in result.stderr and "--force" in result.stderr
    assert out.read_text("utf-8") == "# 办公室已经填好的配置\n"

    control.post("/sandbox/permissions", {"revoke": ["qyapi_get_department_list"]})
    result = _import(sandbox, out, "--force")
    assert result.returncode == 1
    assert "应用缺少权限 qyapi_get_department_list" in result.stderr
    assert "权限管理" in result.stderr
    assert out.read_text("utf-8") == "# 办公室已经填好的配置\n"

    control.post("/sandbox/permissions", {"grant": ["qyapi_get_department_list"]})
    result = _import(sandbox, out, "--force")
    assert result.returncode == 0, result.stderr
    # Without --corp-id the CorpId is left for the office and check-config says so.
    assert tomllib.loads(out.read_text("utf-8"))["dingtalk"]["corp_id"] == ""
    assert "corp_id" in _govbot("check-config", str(out)).stderr
