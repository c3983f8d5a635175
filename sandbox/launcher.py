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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from bot.config import Config, OrgDirectory, load_config
from messages.render import Messages
from sandbox.app import RunningSandbox, start_sandbox
from sandbox.clock import TZ
from sandbox.contacts import ROOT_DEPT, OrgSeed, SeedDept
from sandbox.demo import (
    CORP_ONLY_USERS,
    DEMO_AGENT_ID,
    DEMO_APP_KEY,
    DEMO_APP_SECRET,
    demo_config_path,
)
from sandbox.persistence import autosave, load_state
from sandbox.seed import SandboxSeed, SeedGroup, SeedUser
from sandbox.state import SandboxState

log = logging.getLogger(__name__)

BOT_STOP_BUDGET_S = 5.0
EXIT_START_REFUSED = 2
# The bot is restarted when it dies, like a service manager would (deploy/govbot.service):
# after 1 s, doubling up to 30 s while it keeps dying young; not when it refused to
# start for a reason a restart cannot fix (bot/cli.py: 2 configuration, 3 data folder).
RESTART_FIRST_S = 1.0
RESTART_MAX_S = 30.0
RESTART_RESET_AFTER_S = 60.0
PERMANENT_EXITS = (2, 3)
SNAPSHOT_FILE = "sandbox-world.pickle"
# The sandbox DingTalk organisation (root department) is "<county>人民政府".
ORG_NAME_SUFFIX = "人民政府"


def card_definitions(config: Config) -> dict[str, dict[str, object]]:
    """Template id -> definition, from the card files under messages/cards/."""
    cards_dir = resources.files("messages").joinpath("cards")
    templates: dict[str, dict[str, object]] = {}
    for name, template_id in config.cards.items():
        source = cards_dir.joinpath(f"{name}.json")
        templates[template_id] = json.loads(source.read_text("utf-8")) if source.is_file() else {}
    return templates


FIRST_DEPT_ID = 1001


def departments_from_config(
    config: Config, extra_units: list[str]
) -> tuple[list[SeedDept], dict[str, int]]:
    """DingTalk departments modelled on the org's units (sub-units are sub-departments,
    the unit's head is the department's 主管), plus one top-level department per name in
    ``extra_units``. Returns the departments and unit id/extra name -> dept id."""
    ids: dict[str, int] = {}
    for unit_id in config.units:
        ids[unit_id] = FIRST_DEPT_ID + len(ids)
    for name in extra_units:
        ids.setdefault(name, FIRST_DEPT_ID + len(ids))
    depts: list[SeedDept] = []
    for unit in config.units.values():
        parent = ids.get(unit.parent_id, ROOT_DEPT) if unit.parent_id else ROOT_DEPT
        leaders = (unit.head_id,) if unit.head_id else ()
        depts.append(SeedDept(ids[unit.unit_id], unit.name, parent, leaders))
    for name in dict.fromkeys(extra_units):
        depts.append(SeedDept(ids[name], name))
    return depts, ids


def seed_from_config(config: Config, **overrides: object) -> SandboxSeed:
    directory = OrgDirectory(config)
    extra_units = [unit_name for _, _, unit_name in CORP_ONLY_USERS]
    departments, dept_ids = departments_from_config(config, extra_units)
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
                dept_id=dept_ids.get(person.unit_id, ROOT_DEPT),
            )
        )
    for user_id, name, unit_name in CORP_ONLY_USERS:
        users.append(
            SeedUser(
                user_id, f"union-{user_id}", name, unit_name, roles=[], dept_id=dept_ids[unit_name]
            )
        )
    groups = [
        SeedGroup(g.conversation_id, g.name, list(g.member_ids)) for g in config.groups.values()
    ]
    seed = OrgSeed(
        app_key=DEMO_APP_KEY,
        app_secret=DEMO_APP_SECRET,
        robot_code=DEMO_APP_KEY,
        agent_id=DEMO_AGENT_ID,
        corp_id=config.dingtalk.corp_id,
        users=users,
        groups=groups,
        card_templates=card_definitions(config),
        org_name=config.county.name + ORG_NAME_SUFFIX,
        departments=departments,
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


class StartRefusedError(Exception):
    """``--start`` is earlier than the time of the world saved in the data folder."""

    def __init__(self, saved: datetime) -> None:
        super().__init__(saved.isoformat())
        self.saved = saved


async def _start(
    port: int, data_dir: Path, config_path: Path, start: datetime | None = None
) -> _Running:
    config = load_config(config_path)
    overrides: dict[str, object] = {} if start is None else {"start_time": start}
    sandbox = await start_sandbox(seed_from_config(config, **overrides), port=port)
    chosen_offset = sandbox.state.clock.offset
    snapshot = data_dir / SNAPSHOT_FILE
    if load_state(sandbox.state, snapshot):
        log.info("sandbox world restored from %s", snapshot)
        # Sandbox time never goes back: a saved world already past --start keeps its time.
        if start is not None and sandbox.state.clock.offset != chosen_offset:
            saved = sandbox.state.clock.now()
            await sandbox.stop()
            raise StartRefusedError(saved)
    saver = asyncio.create_task(autosave(sandbox.state, snapshot))
    bot = await _bot_process(config_path, data_dir, sandbox.url)
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
    if start is not None:
        sys.stdout.write(
            messages.text("cli_sandbox_start", part="banner", now=_beijing(sandbox.state)) + "\n"
        )
    sys.stdout.flush()
    return _Running(sandbox, bot, saver)


def _beijing(state: SandboxState) -> str:
    return state.clock.now().astimezone(TZ).strftime("%Y-%m-%d %H:%M")


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


async def _serve(
    port: int, data_dir: Path, config_path: Path, start: datetime | None = None
) -> int:
    try:
        running = await _start(port, data_dir, config_path, start)
    except StartRefusedError as refused:
        sys.stderr.write(
            Messages().text(
                "cli_sandbox_start",
                part="refused",
                data=str(data_dir),
                saved=refused.saved.astimezone(TZ).strftime("%Y-%m-%d %H:%M"),
            )
            + "\n"
        )
        return EXIT_START_REFUSED
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    code = await _supervise(
        running, stop, lambda: _bot_process(config_path, data_dir, running.sandbox.url)
    )
    await _stop_bot(running.bot)
    running.saver.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running.saver
    await running.sandbox.stop()
    return code


async def _bot_process(config_path: Path, data_dir: Path, url: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *bot_command(config_path, data_dir / "bot", url), env=bot_environment()
    )


async def _supervise(
    running: _Running,
    stop: asyncio.Event,
    spawn: Callable[[], Awaitable[asyncio.subprocess.Process]],
) -> int:
    """Until ``stop``: wait for the bot; when it dies, start it again with backoff.
    Returns 0, or the bot's exit code when it refused to start for good."""
    loop = asyncio.get_running_loop()
    delay = RESTART_FIRST_S
    while True:
        started = loop.time()
        bot_exit = asyncio.create_task(running.bot.wait())
        stop_wait = asyncio.create_task(stop.wait())
        await asyncio.wait({bot_exit, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        stop_wait.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stop_wait
        if stop.is_set():
            bot_exit.cancel()
            return 0
        code = running.bot.returncode
        if code in PERMANENT_EXITS:
            log.error("the bot refused to start (exit code %s); not restarted", code)
            return int(code or 1)
        if loop.time() - started >= RESTART_RESET_AFTER_S:
            delay = RESTART_FIRST_S
        log.error("the bot process exited with code %s; restarting in %.0f s", code, delay)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await stop.wait()
        if stop.is_set():
            return 0
        running.bot = await spawn()
        delay = min(delay * 2, RESTART_MAX_S)


def run_sandbox(
    *, port: int, data_dir: Path, config_path: str | None, start: datetime | None = None
) -> int:
    """Serve until Ctrl+C. ``start`` (timezone-aware) sets the sandbox time for a new
    world; a world saved in ``data_dir`` that is already later keeps its own time and
    the start is refused (exit 2)."""
    path = Path(config_path) if config_path else demo_config_path()
    data_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_serve(port, data_dir, path, start))
