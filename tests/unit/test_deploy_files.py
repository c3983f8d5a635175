"""The shipped systemd unit parses and runs the bot as documented; the deployment guide
lists every permission scope the bot's app needs (bot.permission_scopes)."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

from bot.cli import build_parser
from bot.permission_scopes import ALL_SCOPES, SCOPE_KEYS, scope_purpose, scope_title
from messages.render import Messages

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "govbot.service"
GUIDE = ROOT / "docs" / "deploy.md"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(UNIT.read_text("utf-8"))
    return parser


def test_systemd_unit_runs_the_bot_and_restarts_it() -> None:
    unit = _unit()
    assert unit.sections() == ["Unit", "Service", "Install"]
    service = unit["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == "/opt/govbot/.venv/bin/govbot" and argv[1] == "run"
    args = build_parser().parse_args(argv[1:])  # the command line the bot accepts
    assert (args.config, args.data) == ("/etc/govbot/govbot.toml", "/var/lib/govbot")
    assert service["Restart"] == "always"
    assert float(service["RestartSec"]) > 0
    assert service["EnvironmentFile"] == "/etc/govbot/env"
    assert service["User"] == "govbot"
    assert service["WorkingDirectory"] == "/opt/govbot"
    # Exit codes that need a person (bad config, locked/damaged data) are not looped.
    assert set(service["RestartPreventExitStatus"].split()) == {"2", "3"}
    assert "govbot" in service["StateDirectory"].split()
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_guide_lists_every_scope_with_its_purpose() -> None:
    guide = GUIDE.read_text("utf-8")
    messages = Messages()
    assert len(SCOPE_KEYS) >= 7
    for scope in ALL_SCOPES:
        row = next((line for line in guide.splitlines() if f"| `{scope.key}` |" in line), None)
        assert row is not None, f"docs/deploy.md does not list {scope.key}"
        assert scope_title(messages, scope.key) in row
        assert scope_purpose(messages, scope.key) not in ("", scope.key)
    for needed in (
        "govbot doctor",
        "deploy/govbot.service",
        "/etc/govbot/env",
        "可见范围",
        "Stream",
    ):
        assert needed in guide
    for card in ("approval", "notice", "meeting"):
        assert f"messages/cards/{card}.json" in guide
