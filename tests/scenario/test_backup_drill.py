"""The restore drill of docs/deploy.md, as the office does it: `govbot backup` while the
bot runs, `govbot restore` into a new folder, the bot started on the restored folder
finds every submission (第十二步 of the deployment guide)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.config import OrgDirectory
from tests.harness import PY, ROOT, BotProcess, Control, SandboxThread, item_text, python_env
from tests.scenario.flows import staff_of
from tests.scenario.test_requests import REQUEST, _submit

pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")


def _govbot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "bot", *args],
        cwd=ROOT,
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_backup_while_running_then_restore_and_run(
    sandbox: SandboxThread, control: Control, bot: BotProcess, tmp_path: Path
) -> None:
    clerk = staff_of(OrgDirectory(sandbox.config), "jyj")
    _submit(control, clerk, REQUEST)
    archive = tmp_path / "govbot-20261124.tar.gz"
    done = _govbot("backup", "--data", str(bot.data_dir), "--out", str(archive))
    assert done.returncode == 0, done.stderr
    assert "已备份" in done.stdout
    # Never over a folder in use (or any folder with data).
    refused = _govbot("restore", str(archive), "--data", str(bot.data_dir))
    assert refused.returncode == 3 and "不是空目录" in refused.stderr
    restored = tmp_path / "restored"
    done = _govbot("restore", str(archive), "--data", str(restored))
    assert done.returncode == 0, done.stderr
    assert "数据检查通过" in done.stdout
    # The office switches to the restored folder: the 请示 is there, its card answers.
    bot.stop()
    (tmp_path / "logs2").mkdir()
    again = BotProcess(bot.sandbox_url, bot.config_path, restored, tmp_path / "logs2")
    again.start()
    try:
        control.wait_connected()
        before = len(control.bot_items(clerk))
        control.send(clerk, "公文 QS2026-0001")
        control.wait_for(clerk, lambda i: any("教学楼维修资金" in item_text(x) for x in i[before:]))
    finally:
        again.stop()
