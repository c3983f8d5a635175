"""Config loading, validation (every problem at once, with lines) and the org directory."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path

import pytest

from bot.config import (
    ROLE_KEYS,
    UNIT_KINDS,
    UNIT_ROLE_KEYS,
    ConfigError,
    ConfigProblem,
    OrgDirectory,
    Person,
    check_config,
    load_config,
    load_secrets,
)
from bot.config_schema import RuleParams

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "sandbox" / "demo_org.toml"
DEMO_TEXT = DEMO.read_text(encoding="utf-8")

MINIMAL_HEAD = """
[county]
name = "阳城县"
short_name = "阳城"
[county.doc_prefixes]
county_gov = "阳政发"
gov_office = "阳政办发"

[dingtalk]
corp_id = "dingtest"
"""


def variant(tmp_path: Path, *edits: tuple[str, str], extra: str = "") -> Path:
    """The demo config with text replacements (each must match exactly once)."""
    text = DEMO_TEXT
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "config.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """1-based line number of the nth line containing needle."""
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    return hits[nth - 1]


def find(problems: list[ConfigProblem], location: str, message: str) -> ConfigProblem:
    hits = [p for p in problems if location in p.location and message in p.message]
    assert hits, f"no problem at {location!r} with {message!r} in:\n" + "\n".join(
        map(str, problems)
    )
    return hits[0]


# -- the demo organisation ----------------------------------------------------------------


def test_demo_config_is_valid() -> None:
    assert check_config(DEMO) == []
    config = load_config(DEMO)
    assert config.source == DEMO
    assert config.county.name == "阳城县"
    assert config.county.short_name == "阳城"
    assert config.county.doc_prefixes["county_gov"] == "阳政发"
    assert config.county.doc_prefixes["gov_office"] == "阳政办发"
    assert config.dingtalk.api_base == "https://api.dingtalk.com"
    assert config.dingtalk.oapi_base == "https://oapi.dingtalk.com"
    assert config.rules == RuleParams()
    assert config.rules.office_day_end == time(18, 0)
    assert config.rules.daily_digest_time == time(8, 30)
    assert config.calendar_overrides == {}
    assert config.cards["approval"]
    assert ("wang.jianguo", "li.zhiqiang") in config.ab_pairs
    assert len(config.ab_pairs) >= 2
    for person in config.people.values():
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", person.user_id)
        assert person.roles <= ROLE_KEYS
    assert len({p.union_id for p in config.people.values()}) == len(config.people)
    for unit in config.units.values():
        assert unit.kind in UNIT_KINDS
        assert unit.roles <= UNIT_ROLE_KEYS


def test_demo_has_the_required_shape() -> None:
    org = OrgDirectory(load_config(DEMO))
    assert len(org.holders("deputy_head")) in (3, 4)
    assert len(org.holders("party_member")) == 1
    assert 2 <= len(org.holders("office_deputy")) <= 3
    assert org.holders("admin_section")
    assert org.holders("office_clerk")
    kinds = {u.kind for u in org.config.units.values()}
    assert kinds == UNIT_KINDS
    for role in UNIT_ROLE_KEYS:
        assert org.unit_with_role(role) is not None, role
    for unit in org.config.units.values():
        if unit.kind == "department":
            assert len(org.members(unit.unit_id)) >= 2, unit.name
    mines = [u for u in org.config.units.values() if u.county_managed]
    assert mines
    assert all(org.leader_in_charge(m.unit_id) is not None for m in mines)


def test_org_directory_queries() -> None:
    org = OrgDirectory(load_config(DEMO))
    head = org.sole("county_head")
    assert head.name == "王建国"
    assert org.role_names(head) == ["县长"]
    assert org.sole("executive_deputy").user_id == "li.zhiqiang"
    assert org.sole("office_director").user_id == "sun.yongming"
    assert org.secretarial_deputy().user_id == "zhou.wenjing"
    with pytest.raises(LookupError):
        org.sole("deputy_head")

    assert org.person("nobody") is None
    legal = org.unit_with_role("legal_bureau")
    assert legal is not None and legal.name == "县司法局"
    assert org.unit_head(legal.unit_id) == org.person("huang.zhigang")
    assert org.unit_of("lin.xiao") == legal
    assert [p.user_id for p in org.members("sfj")] == ["huang.zhigang", "lin.xiao"]
    assert org.role_names(org.person("huang.zhigang")) == ["主要负责人"]  # type: ignore[arg-type]

    # 分管: direct, and inherited by internal units and affiliated institutions.
    leader = org.leader_in_charge("dlmy")
    assert leader is not None and leader.user_id == "zhao.guodong"
    leader = org.leader_in_charge("bdcdj")  # affiliated to 自然资源局
    assert leader is not None and leader.user_id == "liu.zhenhua"
    assert org.leader_in_charge("awh") is None
    deputy = org.office_deputy_for("dlmy")
    assert deputy is not None and deputy.user_id == "wu.haitao"
    assert [u.unit_id for u in org.units_in_charge("li.zhiqiang")] == ["fgj", "czj"]
    # 县审计局 is under the county head himself: no deputy is in charge of it.
    assert org.leader_in_charge("sjj") is None

    assert org.ab_partner("wang.jianguo") == "li.zhiqiang"
    assert org.ab_partner("li.zhiqiang") == "wang.jianguo"
    assert org.ab_partner("lin.xiao") is None

    office_group = org.group_for("gov_office")
    assert office_group is not None
    assert org.group(office_group.conversation_id) == office_group
    assert office_group in org.groups_of("ma.jun")
    assert org.group_for("nonexistent") is None
    assert org.group("cid-unknown") is None

    people = org.all_people()
    assert len(people) == len(org.config.people)
    assert [p.user_id for p in people[:2]] == ["wang.jianguo", "li.zhiqiang"]
    first_office = next(i for i, p in enumerate(people) if "office_director" in p.roles)
    last_leader = max(i for i, p in enumerate(people) if p.unit_id == "leaders")
    assert first_office == last_leader + 1
    office_block = {p.user_id for p in people[first_office : first_office + 8]}
    assert {"feng.lijuan", "he.jing", "ma.jun", "yang.fan"} <= office_block


def test_role_names_order_is_stable() -> None:
    org = OrgDirectory(load_config(DEMO))
    person = Person(
        user_id="x",
        union_id="x",
        name="某人",
        unit_id="xzfb",
        title="",
        roles=frozenset({"unit_head", "office_clerk", "admin_section", "office_deputy"}),
        in_charge_of=(),
        secretarial=False,
    )
    assert org.role_names(person) == ["办公室副主任", "行政股", "办公室相关人员", "主要负责人"]


def test_unit_head_role_must_match_a_head(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        (
            'title = "秘书科科长"\nunit = "xzfb"\nroles = ["office_clerk"]',
            'title = "秘书科科长"\nunit = "xzfb"\nroles = ["office_clerk", "unit_head"]',
        ),
    )
    find(check_config(path), "(ma.jun).roles", "不是任何部门")


# -- broken configurations --------------------------------------------------------------------


def test_many_mistakes_are_all_reported_with_lines(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ('roles = ["county_head"]', 'roles = ["county_hed"]'),
        ('user_id = "liu.zhenhua"', 'user_id = "zhao.guodong"'),
        ('head = "xu.weidong"', 'head = "xu.weidon"'),
        (
            'id = "bdcdj"\nname = "县不动产登记中心"\nkind = "affiliated"\nparent = "zrzyj"\n',
            'id = "bdcdj"\nname = "县不动产登记中心"\nkind = "affiliated"\n',
        ),
        ('in_charge_of = ["yjj", "dlmy", "dlx"]', 'in_charge_of = ["yjj", "dlx"]'),
        ('  ["zhao.guodong", "chen.wei"],', '  ["zhao.guodong", "zhang.lihua"],'),
        ('union_id = "uYc0Tang0Ming000021"', 'union_id = "uYc0Cao0Yang0000022"'),
        ("cosign_working_days = 2 ", "cosign_working_days = 0 "),
        ('office_day_end = "18:00"', 'office_day_end = "6pm"'),
        ('gov_office = "阳政办发"   # 必填', 'office = "阳政办发"   # 必填'),
        ('kind = "town"\nhead = "dai.hongmei"', 'kind = "twon"\nhead = "dai.hongmei"'),
        ('title = "县长"\n', 'title = "县长"\nnickname = "老王"\n'),
        (
            '  "sun.yongming", "zhou.wenjing", "gao.jianping",',
            '  "sun.yongming", "zhou.wenjing", "gao.jianpin",',
        ),
        ('roles = ["finance_bureau"]', 'roles = ["audit_bureau"]'),
        extra="\n[calendar.2027]\nholidays = [2027-01-01, 2026-10-01]\ncomplete = true\n",
    )
    problems = check_config(path)
    text = "\n".join(map(str, problems))

    p = find(problems, "[[people]] #1 (wang.jianguo).roles", "未知的角色“county_hed”")
    assert "county_head" in p.message  # suggestion
    assert p.location.startswith(f"第 {line_of(path, 'county_hed')} 行")
    find(problems, "(wang.jianguo).nickname", "未知的配置项")
    find(problems, "[[people]]", "county_head（县长）")
    p = find(problems, "[[people]] #5 (zhao.guodong).user_id", "重复")
    line = line_of(path, 'user_id = "zhao.guodong"', nth=2)
    assert p.location.startswith(f"第 {line} 行")
    find(problems, "(cao.yang).union_id", "重复")  # cao.yang comes after tang.ming
    p = find(problems, "(yjj).head", "“xu.weidon”不在 [[people]] 中")
    assert "xu.weidong" in p.message
    find(problems, "(bdcdj)", "parent")
    find(problems, "(dlmy).county_managed", "分管副县长")
    find(problems, "[ab_roles].pairs", "“zhang.lihua”同时出现在第 2 组和第 3 组")
    find(problems, "[rules].cosign_working_days", "正整数")
    find(problems, "[rules].office_day_end", "时:分")
    find(problems, "[county.doc_prefixes]", "gov_office")
    find(problems, "(dlx).kind", "“twon”")
    find(problems, ").members", "“gao.jianpin”不在 [[people]] 中")
    find(problems, "(sjj).roles", "audit_bureau（审计局）只能由一个单位承担")
    find(problems, "[[units]]", "finance_bureau")
    find(problems, "[calendar.2027].holidays", "2026-10-01 不在 2027 年内")

    # Every problem has a location, and almost all of them a line number.
    assert all(p.location and p.message for p in problems)
    assert sum(p.location.startswith("第 ") for p in problems) == len(problems)
    assert len(problems) >= 16

    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == problems
    assert str(caught.value).count("\n") == len(problems)
    assert text.splitlines()[0] in str(caught.value)


def test_syntax_error_is_one_problem_with_its_line(tmp_path: Path) -> None:
    path = variant(tmp_path, ('name = "阳城县"\n', 'name = "阳城县\n'))
    problems = check_config(path)
    assert len(problems) == 1
    line = line_of(path, 'name = "阳城县')
    assert problems[0].location == f"第 {line} 行"
    assert "语法错误" in problems[0].message


def test_missing_file() -> None:
    problems = check_config(Path("/nonexistent/govbot.toml"))
    assert len(problems) == 1
    assert "找不到配置文件" in problems[0].message


def test_wrong_types(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("county_managed = true ", 'county_managed = "yes" '),
        ("secretarial = true ", "secretarial = 1 "),
        ("max_meeting_minutes = 60 ", "max_meeting_minutes = 60.5 "),
        ('in_charge_of = ["sfj"]', 'in_charge_of = "sfj"'),
        ('name = "县审计局"', "name = 42"),
    )
    problems = check_config(path)
    find(problems, "(dlmy).county_managed", "true 或 false")
    find(problems, "(zhou.wenjing).secretarial", "true 或 false")
    find(problems, "[rules].max_meeting_minutes", "小数")
    find(problems, "(chen.wei).in_charge_of", "字符串数组")
    find(problems, "(sjj).name", "字符串")


def test_people_and_unit_rules(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ('roles = ["office_deputy"]\nsecretarial = true ', 'roles = ["office_deputy"]\n#'),
        ('roles = ["executive_deputy"]', 'roles = ["executive_deputy", "county_head"]'),
        (
            'title = "行政股科员"\nunit = "xzfb.xzg"\nroles = ["admin_section"]',
            'title = "行政股科员"\nunit = "sfj"\nroles = ["admin_section", "legal_bureau"]',
        ),
        (
            'title = "司法局局长"\nunit = "sfj"\nroles = ["unit_head"]',
            'title = "司法局局长"\nunit = "sfj"',
        ),
        (
            'title = "东岭乡党政办科员"\nunit = "dlx"',
            'title = "东岭乡党政办科员"\nunit = "dlx"\nsecretarial = true',
        ),
        ('in_charge_of = ["sfj"]', 'in_charge_of = ["sfj", "jyj"]'),
        (
            'kind = "internal"\nparent = "zrzyj"\nhead = "yao.yuan"',
            'kind = "internal"\nparent = "zrzyj.ghg"\nhead = "yao.yuan"',
        ),
        ('  ["yan.zhiming", "pan.jianjun"],', '  ["yan.zhiming", "yan.zhiming"],'),
        ("county_managed = true ", "county_managed = true\n#"),
    )
    problems = check_config(path)
    find(problems, "[[people]]", "没有分管文秘的办公室副主任")
    find(problems, "(li.zhiqiang).roles", "county_head（县长）只能一人担任")
    find(problems, "(he.jing).roles", "这是单位职能")
    find(problems, "(he.jing).unit", "县政府办公室或其内设机构")
    find(problems, "(huang.zhigang).roles", "unit_head")
    find(problems, "(xia.lei).secretarial", "只适用于办公室副主任")
    find(problems, "(chen.wei).in_charge_of", "已由张丽华分管")
    find(problems, "(zrzyj.ghg).parent", "不能以自己为上级单位")
    find(problems, "[ab_roles].pairs", "与自己配对")


def test_units_missing_heads_and_cycles(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        MINIMAL_HEAD
        + """
[[units]]
id = "a"
name = "甲股"
kind = "internal"
parent = "b"

[[units]]
id = "b"
name = "乙股"
kind = "internal"
parent = "a"

[[units]]
id = "town"
name = "某镇"
kind = "town"

[[units]]
id = "pit"
name = "某矿"
kind = "department"
county_managed = true
""",
        encoding="utf-8",
    )
    problems = check_config(path)
    find(problems, "[[units]] #1 (a).parent", "循环")
    find(problems, "[[units]] #3 (town)", "必须用 head")
    find(problems, "(pit).county_managed", "只适用于")
    find(problems, "[[units]]", "legal_bureau")
    find(problems, "c.toml", "缺少 [[people]]")


def test_calendar_overrides_are_parsed(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        extra=(
            "\n[calendar.2027]\n"
            'holidays = [2027-01-01, "2027-10-01"]\n'
            "workdays = [2027-09-26]\n"
            "complete = true\n"
            "\n[calendar.2026]\n"
            "holidays = [2026-09-29]\n"
        ),
    )
    config = load_config(path)
    table = config.calendar_overrides[2027]
    assert table.holidays == {date(2027, 1, 1), date(2027, 10, 1)}
    assert table.workdays == {date(2027, 9, 26)}
    assert table.complete
    assert not config.calendar_overrides[2026].complete


def test_calendar_override_mistakes(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        extra=(
            "\n[calendar.2027]\n"
            'holidays = [2027-01-01, "2027-02-30"]\n'
            "workdays = [2027-01-01]\n"
            'complete = "yes"\n'
            "\n[calendar.next]\n"
            "holidays = []\n"
        ),
    )
    problems = check_config(path)
    find(problems, "[calendar.2027].workdays", "同时出现在 holidays 和 workdays")
    find(problems, "[calendar.2027].complete", "true 或 false")
    find(problems, "[calendar]", "“next”不是年份")
    find(problems, "[calendar.2027].holidays", "'2027-02-30' 不是日期")
    assert len(problems) == 4


def test_rules_defaults_and_overrides(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("cosign_working_days = 2 ", "cosign_working_days = 3 "),
        ('daily_digest_time = "08:30"', 'daily_digest_time = "7:45"'),
    )
    rules = load_config(path).rules
    assert rules.cosign_working_days == 3
    assert rules.daily_digest_time == time(7, 45)
    assert rules.feedback_working_days == 10


def test_rule_consistency(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("single_topic_max_chars = 1000 ", "single_topic_max_chars = 3000 "),
        ("distribution_escalate_working_days = 2 ", "distribution_escalate_working_days = 1 "),
        ("distribution_remind_working_days = 1 ", "distribution_remind_working_days = 2 "),
    )
    problems = check_config(path)
    find(problems, "[rules].single_topic_max_chars", "不应大于")
    find(problems, "[rules].distribution_escalate_working_days", "应晚于")


# -- secrets ---------------------------------------------------------------------------------


def test_secrets_in_the_file_are_problems(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        (
            'corp_id = "dingyc0demo0corp0000"',
            'corp_id = "dingyc0demo0corp0000"\napp_secret = "s3cr3t"\nAppKey = "ding123"',
        ),
        (
            'approval = "govbot.approval.schema"',
            'approval = "govbot.approval.schema"\naccess_token = "abc"',
        ),
        ('user_id = "ma.jun"', 'user_id = "ma.jun"\npassword = "123456"'),
    )
    problems = check_config(path)
    p = find(problems, "[dingtalk].app_secret", "DINGTALK_APP_SECRET")
    assert p.location.startswith(f"第 {line_of(path, 'app_secret = ')} 行")
    find(problems, "[dingtalk].AppKey", "DINGTALK_APP_KEY")
    find(problems, "[cards].access_token", "密钥")
    find(problems, "[[people]]", "“password”")
    assert len(problems) == 4  # flagged once each, not also as unknown keys
    # "secretarial" is a legitimate key and is not mistaken for a secret (demo passes).


def test_load_secrets() -> None:
    secrets = load_secrets(
        {
            "DINGTALK_APP_KEY": "dingkey",
            "DINGTALK_APP_SECRET": "topsecret",
            "DINGTALK_AGENT_ID": "123456",
        }
    )
    assert secrets.app_key == "dingkey"
    assert secrets.robot_code == "dingkey"  # defaults to the app key
    assert secrets.agent_id == 123456
    assert "topsecret" not in repr(secrets)

    secrets = load_secrets(
        {
            "DINGTALK_APP_KEY": "dingkey",
            "DINGTALK_APP_SECRET": "topsecret",
            "DINGTALK_ROBOT_CODE": "robot",
            "DINGTALK_AGENT_ID": "7",
        }
    )
    assert secrets.robot_code == "robot"


def test_load_secrets_lists_every_missing_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_secrets({"DINGTALK_APP_KEY": "  "})
    locations = [p.location for p in caught.value.problems]
    assert locations == [
        "环境变量 DINGTALK_APP_KEY",
        "环境变量 DINGTALK_APP_SECRET",
        "环境变量 DINGTALK_AGENT_ID",
    ]
    assert "DINGTALK_APP_SECRET" in str(caught.value)

    with pytest.raises(ConfigError) as caught:
        load_secrets(
            {"DINGTALK_APP_KEY": "k", "DINGTALK_APP_SECRET": "s", "DINGTALK_AGENT_ID": "abc"}
        )
    assert len(caught.value.problems) == 1
    assert "正整数" in caught.value.problems[0].message


def test_dingtalk_budget_settings(tmp_path: Path) -> None:
    assert load_config(DEMO).dingtalk.todo_delay_minutes == 120
    good = variant(tmp_path, ("\n[dingtalk]\n", "\n[dingtalk]\ntodo_delay_minutes = 0\n"))
    assert load_config(good).dingtalk.todo_delay_minutes == 0
    bad = variant(
        tmp_path,
        (
            "\n[dingtalk]\n",
            '\n[dingtalk]\ntodo_delay_minutes = "2h"\nmonthly_api_quota = 0\n'
            "api_quota_warn_ratio = 1.5\n",
        ),
    )
    problems = check_config(bad)
    find(problems, "todo_delay_minutes", "0 到 1440 的整数")
    find(problems, "monthly_api_quota", "正整数")
    find(problems, "api_quota_warn_ratio", "不超过 1")
