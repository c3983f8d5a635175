"""``govbot sandbox``: the local DingTalk stand-in plus the bot (as its own process),
with the demo county organisation. All state lives under the data folder."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.config import Config, OrgDirectory, load_config
from messages.render import Messages
from sandbox.app import RunningSandbox, start_sandbox
from sandbox.demo import (
    CORP_ONLY_USERS,
    DEMO_AGENT_ID,
    DEMO_APP_KEY,
    DEMO_APP_SECRET,
    demo_config_path,
)
from sandbox.persistence import autosave, load_state
from sandbox.seed import SandboxSeed, SeedGroup, SeedUser

log = logging.getLogger(__name__)

BOT_STOP_BUDGET_S = 5.0
SNAPSHOT_FILE = "sandbox-world.pickle"


def card_definitions(config: Config) -> dict[str, dict[str, object]]:
    """Template id -> definition, from the card files under messages/cards/."""
    cards_dir = resources.files("messages").joinpath("cards")
    templates: dict[str, dict[str, object]] = {}
    for name, template_id in config.cards.items():
        source = cards_dir.joinpath(f"{name}.json")
        templates[template_id] = json.loads(source.read_text("utf-8")) if source.is_file() else {}
    return templates


def seed_from_config(config: Config, **overrides: object) -> SandboxSeed:
    directory = OrgDirectory(config)
    users = []
    for person in directory.all_people():
        unit = directory.unit(person.unit_id)
        users.append(
            SeedUser(
                user_id=person.user_id,
                union_id=person.union_id,
                name=person.name,
                unit=unit.name if unit else person.unit_id,
                roles=sorted(person.roles),
                title=person.title,
            )
        )
    for user_id, name, unit_name in CORP_ONLY_USERS:
        users.append(SeedUser(user_id, f"union-{user_id}", name, unit_name, roles=[]))
    groups = [
        SeedGroup(g.conversation_id, g.name, list(g.member_ids)) for g in config.groups.values()
    ]
    seed = SandboxSeed(
        app_key=DEMO_APP_KEY,
        app_secret=DEMO_APP_SECRET,
        robot_code=DEMO_APP_KEY,
        agent_id=DEMO_AGENT_ID,
        corp_id=config.dingtalk.corp_id,
        users=users,
        groups=groups,
        card_templates=card_definitions(config),
    )
    for key, value in overrides.items():
        setattr(seed, key, value)
    return seed


def bot_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DINGTALK_APP_KEY=DEMO_APP_KEY,
        DINGTALK_APP_SECRET=DEMO_APP_SECRET,
        DINGTALK_ROBOT_CODE=DEMO_APP_KEY,
        DINGTALK_AGENT_ID=str(DEMO_AGENT_ID),
        PYTHONUNBUFFERED="1",
    )
    return env


def bot_command(config_path: Path, data_dir: Path, sandbox_url: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config_path),
        "--data",
        str(data_dir),
        "--endpoint",
        sandbox_url,
        "--follow-clock",
        f"{sandbox_url}/sandbox/clock",
        "--scan-interval",
        "1",
    ]


@dataclass
class _Running:
    sandbox: RunningSandbox
    bot: asyncio.subprocess.Process
    saver: asyncio.Task[None]


async def _start(port: int, data_dir: Path, config_path: Path) -> _Running:
    config = load_config(config_path)
    sandbox = await start_sandbox(seed_from_config(config), port=port)
    snapshot = data_dir / SNAPSHOT_FILE
    if load_state(sandbox.state, snapshot):
        log.info("sandbox world restored from %s", snapshot)
    saver = asyncio.create_task(autosave(sandbox.state, snapshot))
    bot = await asyncio.create_subprocess_exec(
        *bot_command(config_path, data_dir / "bot", sandbox.url), env=bot_environment()
    )
    messages = Messages()
    directory = OrgDirectory(config)
    accounts = [
        {
            "user_id": p.user_id,
            "name": p.name,
            "roles": "、".join(directory.role_names(p)),
            "unit": (u.name if (u := directory.unit(p.unit_id)) else ""),
        }
        for p in directory.all_people()
    ]
    sys.stdout.write(
        messages.text(
            "cli_sandbox_banner",
            url=sandbox.url,
            data=str(data_dir),
            accounts=accounts,
            county=config.county.name,
        )
        + "\n"
    )
    sys.stdout.flush()
    return _Running(sandbox, bot, saver)


async def _stop_bot(bot: asyncio.subprocess.Process) -> None:
    if bot.returncode is not None:
        return
    bot.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(BOT_STOP_BUDGET_S):
            await bot.wait()
    except TimeoutError:
        bot.kill()
        await bot.wait()


async def _serve(port: int, data_dir: Path, config_path: Path) -> int:
    running = await _start(port, data_dir, config_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bot_exit = asyncio.create_task(running.bot.wait())
    stop_wait = asyncio.create_task(stop.wait())
    await asyncio.wait({bot_exit, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    if bot_exit.done() and not stop.is_set():
        code = running.bot.returncode or 1
        log.error("the bot process exited with code %s", code)
    stop_wait.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stop_wait
    await _stop_bot(running.bot)
    running.saver.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running.saver
    await running.sandbox.stop()
    return code


def run_sandbox(*, port: int, data_dir: Path, config_path: str | None) -> int:
    path = Path(config_path) if config_path else demo_config_path()
    data_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_serve(port, data_dir, path))
