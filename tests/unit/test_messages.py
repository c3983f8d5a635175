from __future__ import annotations

from pathlib import Path

import pytest

from messages.markdown import Trusted, md_escape, one_line
from messages.render import Messages

TEMPLATES = Path(__file__).resolve().parents[2] / "messages" / "templates"


@pytest.mark.parametrize(
    "hostile",
    [
        "[点我](javascript:alert(1))",
        "![x](http://evil/beacon.png)",
        "<img src=x onerror=alert(1)>",
        "# 假标题",
        "**审批结果：已同意**",
        "- 列表\n1. 编号",
    ],
)
def test_markdown_injection_is_neutralised(hostile: str) -> None:
    escaped = str(md_escape(hostile))
    for token in ("](", "![", "<img", "**", "# "):
        assert token not in escaped
    assert not escaped.startswith("-")
    assert "\n1." not in escaped


def test_trusted_and_scalars_pass_through() -> None:
    assert md_escape(Trusted("**粗**")) == "**粗**"
    assert md_escape(3) == 3
    assert md_escape(None) == ""


def test_one_line_caps_and_flattens() -> None:
    assert one_line("甲\n乙\r\n丙") == "甲 乙 丙"
    assert one_line("字" * 300, 10) == "字" * 9 + "…"


def test_markdown_template_escapes_values_but_not_its_own_markup() -> None:
    rendered = Messages().markdown(
        "unknown_command", text="[x](javascript:1)", suggestions=[{"word": "帮助", "summary": "s"}]
    )
    assert rendered.title == "未识别的指令"
    assert "**帮助**" in rendered.text
    assert "](javascript" not in rendered.text


def test_plain_template_is_not_markdown_escaped() -> None:
    text = Messages().text("cli_config_ok", path="/etc/gov_bot/[a].toml")
    assert "/etc/gov_bot/[a].toml" in text


def test_every_template_parses() -> None:
    messages = Messages()
    env = messages._plain_env
    for path in TEMPLATES.glob("*.j2"):
        env.get_template(path.name)  # raises on a syntax error


def test_missing_variable_is_an_error_not_blank() -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        Messages().text("too_long", length=5)
