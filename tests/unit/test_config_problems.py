"""Config problems are reason codes rendered by messages/templates/config_problems.j2:
every code the loader uses has a macro there, and every macro is used. The display
names of the vocabulary come from messages/config_names.toml."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.config import ConfigError, check_config, load_secrets
from bot.config_schema import (
    CHILD_KINDS,
    HEADED_KINDS,
    IN_CHARGE_ROLES,
    LEADER_ROLES,
    OFFICE_ROLES,
    REQUIRED_UNIT_ROLES,
    ROLE_NAMES,
    ROLE_ORDER,
    SOLE_ROLES,
    UNIT_KIND_ORDER,
    UNIT_ROLE_NAMES,
    UNIT_ROLE_ORDER,
)
from messages.render import Messages

REPO = Path(__file__).resolve().parents[2]
CONFIG_PACKAGE = REPO / "bot" / "config"
PROBLEMS_TEMPLATE = REPO / "messages" / "templates" / "config_problems.j2"
# Macros that are pieces of other macros, not reasons.
HELPER_MACROS = {"type_name", "suggest", "choices_list", "field"}
# Where the reason code sits in a call: report.add(where, key, code), texts.problem(location,
# code); helpers take it as code= and pass it on.
CODE_ARGUMENT = {"add": 2, "problem": 1}


def codes_used_in_python() -> set[str]:
    codes: set[str] = set()
    for path in CONFIG_PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            index = CODE_ARGUMENT.get(name or "")
            if index is not None and len(node.args) > index:
                arg = node.args[index]
                if isinstance(arg, ast.Name) and arg.id == "code":
                    continue  # a helper passing on its code= argument
                assert isinstance(arg, ast.Constant), f"{path.name}:{node.lineno}: code not literal"
                codes.add(arg.value)
            codes.update(
                k.value.value
                for k in node.keywords
                if k.arg == "code" and isinstance(k.value, ast.Constant)
            )
    return codes


def macros_in_template() -> set[str]:
    text = PROBLEMS_TEMPLATE.read_text(encoding="utf-8")
    return set(re.findall(r"{%\s*macro\s+(\w+)\(", text)) - HELPER_MACROS


def test_every_reason_code_has_a_template_and_every_template_is_used() -> None:
    used = codes_used_in_python()
    defined = macros_in_template()
    assert len(used) > 80
    assert used - defined == set(), "codes without a macro in config_problems.j2"
    assert defined - used == set(), "macros in config_problems.j2 no code uses"


def test_a_problem_carries_its_code_and_values(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[rules]\ncosign_working_days = 0\n", encoding="utf-8")
    problem = next(p for p in check_config(path) if p.code == "not_positive")
    assert problem.params == {"key": "cosign_working_days", "value": 0}
    assert problem.message == Messages().text(
        "config_problem", code="not_positive", params=problem.params
    )
    assert problem.message == "“cosign_working_days”应为正整数，实际是 0。"
    assert str(problem) == f"第 2 行 [rules].cosign_working_days：{problem.message}"


def test_secrets_problems_are_located_at_their_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_secrets({"DINGTALK_APP_KEY": "k", "DINGTALK_APP_SECRET": "s"})
    [problem] = caught.value.problems
    assert problem.code == "env_missing"
    assert str(caught.value) == (
        "配置有 1 处问题：\n- 环境变量 DINGTALK_AGENT_ID：未设置钉钉应用的 AgentId"
        "（发送工作通知需要）。请在启动前设置该环境变量（不要写入配置文件）。"
    )


def test_every_field_description_has_a_text() -> None:
    template = PROBLEMS_TEMPLATE.read_text(encoding="utf-8")
    whats = {
        k.value.value
        for path in CONFIG_PACKAGE.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        for k in node.keywords
        if k.arg == "what" and isinstance(k.value, ast.Constant)
    }
    assert len(whats) > 20
    assert {w for w in whats if f'"{w}": "' not in template} == set()


def test_every_role_kind_and_unit_role_the_code_names_has_a_display_name() -> None:
    assert LEADER_ROLES | IN_CHARGE_ROLES | OFFICE_ROLES | set(SOLE_ROLES) <= set(ROLE_ORDER)
    assert {"leadership", "office"} | HEADED_KINDS | CHILD_KINDS <= set(UNIT_KIND_ORDER)
    assert set(REQUIRED_UNIT_ROLES) <= set(UNIT_ROLE_ORDER)
    assert ROLE_NAMES["county_head"] == "县长" and UNIT_ROLE_NAMES["audit_bureau"] == "审计局"
