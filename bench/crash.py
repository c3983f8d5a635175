"""Crash safety under fire (issue #11): N random SIGKILLs of the bot while officials drive
请示 and 发文 flows through the sandbox, then an audit of what DingTalk (the sandbox) and
the bot's data folder show. A script that prints figures, not a test.

The bot runs as a real process on a temporary data folder, with ``todo_delay_minutes =
0`` so that every step also gets a DingTalk to-do. Several officials keep flows going at
once: a department's staff member submits a 请示, an office clerk drafts a 发文, and at
every step the current assignee presses the first (positive) button on the flow's card;
now and then somebody asks the bot something (``我是谁``, ``公文 <编号>``, ``公文 <a
unique word>``). At random moments (``--seed``) the bot is SIGKILLed, sometimes right
after a click or message, sometimes again while it is starting up, and restarted on the
same folder as an operator would. Whoever saw no effect of a click or a message does it
again once the bot is back (a person clicks again when the card did not change; a chat
message sent again is a new message). After the last kill every open flow is driven to
its end, the outbox drains, the bot stops cleanly and the audit prints:

- kills, flows started and finished, wall time;
- stuck flows (still open, or a card that lets nobody act or shows an old step);
- duplicate messages (one cause, the same message twice) and duplicate cards (one
  outTrackId twice in one conversation);
- unclosable to-dos (still open in DingTalk for a step that is over);
- gaps and repeats in the numbers (QS…/FW… flows, 阳政办发/阳政发 documents);
- outbox rows parked 待核实 ("uncertain") or failed: possible losses, by design, listed
  apart from the anomalies;
- ``anomalies: N``; the exit status is 0 only when N is 0.

    python bench/crash.py [--kills 100] [--seed 1] [--flows 6] [--quick] [--keep]

``--quick`` is ``--kills 10``. ``--keep`` keeps the temporary folder (data, bot logs); it
is kept anyway when an anomaly is found, and its path printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Config, OrgDirectory, load_config  # noqa: E402
from handlers.requests.flow import SUBMITTING_KINDS  # noqa: E402
from sandbox.demo import demo_config_path  # noqa: E402
from sandbox.inbox import InboxItem  # noqa: E402
from sandbox.launcher import seed_from_config  # noqa: E402
from sandbox.state import SandboxState  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.session import Session  # noqa: E402
from tests.harness import BotProcess, SandboxThread, item_text  # noqa: E402

# A quiet working-day morning: no daily job or digest falls inside the run.
START = datetime.fromisoformat("2026-11-24T07:00:00+08:00")
YEAR = START.year
POLL_S = 0.4
# A click or message without visible effect for this long is done again ...
RETRY_S = 4.0
# What the bot says when a card delivery may not have arrived (card_check.txt.j2).
CARD_CHECK = "请回复“补发卡片"
CARD_REQUEST = re.compile(r"请回复“(补发卡片[^”]*)”")
# ... once the bot has been back this long (queued frames and the outbox go first).
UP_GRACE_S = 2.5
# While settling, a flow nobody could move for this long is stuck (longer than the
# 30 s after which the bot retries a click a crash left half-handled).
STALL_S = 45.0
SETTLE_TIMEOUT_S = 300.0
QUIET_S = 4.0
CONNECT_TIMEOUT_S = 60.0
OPINION = "已阅，同意。"
FLOW_NUMBER = re.compile(r"(?:QS|FW)\d{4}-\d{4}")
DOC_NUMBER = re.compile(r"(阳政办发|阳政发)〔(\d{4})〕(\d+)号")
KIND_LABELS = {"request": "请示", "outgoing": "发文"}
TOPICS = ("冬季供暖保障", "农村公路养护", "校舍安全改造", "防汛物资储备", "集贸市场整治")


class BenchAbortError(Exception):
    """The run cannot go on (the bot does not come back)."""


# -- set-up -----------------------------------------------------------------------------


def crash_config(folder: Path) -> Path:
    """The demo county, with a DingTalk to-do for every step at once and a call quota
    the run cannot exhaust (the budget would hold to-dos back)."""
    text = demo_config_path().read_text("utf-8")
    extra = "[dingtalk]\ntodo_delay_minutes = 0\nmonthly_api_quota = 100000000\n"
    patched, count = re.subn(r"^\[dingtalk\]\n", extra, text, count=1, flags=re.MULTILINE)
    if count != 1:
        raise SystemExit("no [dingtalk] section in the demo config")
    path = folder / "crash_org.toml"
    path.write_text(patched, "utf-8")
    if load_config(path).dingtalk.todo_delay_minutes != 0:
        raise SystemExit("todo_delay_minutes = 0 did not take")
    return path


def start_sandbox(config_path: Path) -> SandboxThread:
    box = SandboxThread()
    box.config_path = config_path
    box.config = load_config(config_path)
    # A short ACK timeout: frames a killed bot never acknowledged come back in seconds.
    box.seed = seed_from_config(
        box.config, ack_timeout_s=3.0, ping_interval_s=2.0, start_time=START
    )
    box.start()
    httpx.post(f"{box.url}/sandbox/quota", json={"monthly_limit": 100_000_000}).raise_for_status()
    return box


class CutShort(logging.Handler):
    """Counts the sandbox requests a kill cut off half-way (aiohttp logs each with a
    traceback); they show the kills land while the bot is talking to DingTalk."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1

    def install(self) -> CutShort:
        server = logging.getLogger("aiohttp.server")
        server.addHandler(self)
        server.propagate = False
        return self


def sandbox_state(box: SandboxThread) -> SandboxState:
    """The sandbox's own state (same process): to-dos and cards as DingTalk holds them."""
    running = box._running
    assert running is not None
    return running.state


@dataclass(frozen=True)
class Cast:
    requesters: list[str]  # staff of departments, towns …: they submit 请示
    drafters: list[str]  # office clerks: they draft 发文
    everyone: list[str]
    unit_names: dict[str, str]  # user -> his unit's name
    departments: list[str]  # unit names a 请示 may touch or a 发文 may go to


def cast_of(config: Config) -> Cast:
    directory = OrgDirectory(config)
    requesters: list[str] = []
    departments: list[str] = []
    for unit in config.units.values():
        if unit.kind not in SUBMITTING_KINDS or not unit.head_id:
            continue
        staff = [p.user_id for p in directory.members(unit.unit_id) if p.user_id != unit.head_id]
        requesters += staff[:1]
        if unit.kind == "department":
            departments.append(unit.name)
    people = list(config.people.values())
    units = {p.user_id: config.units[p.unit_id].name for p in people if p.unit_id in config.units}
    return Cast(
        requesters=requesters,
        drafters=[p.user_id for p in directory.holders("office_clerk")],
        everyone=[p.user_id for p in people],
        unit_names=units,
        departments=departments,
    )


# -- the sandbox, as the officials use it ------------------------------------------------


class Sandbox:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def send(self, user: str, text: str) -> None:
        answer = await self.http.post(f"/sandbox/users/{user}/messages", json={"text": text})
        answer.raise_for_status()

    async def bot_items(self, user: str) -> list[dict[str, Any]]:
        answer = await self.http.get(f"/sandbox/users/{user}/inbox")
        answer.raise_for_status()
        return [i for i in answer.json() if i.get("direction") == "in"]

    async def card(self, out_track_id: str) -> dict[str, Any]:
        answer = await self.http.get(f"/sandbox/cards/{out_track_id}")
        answer.raise_for_status()
        return dict(answer.json())

    async def click(self, user: str, out_track_id: str, button: str) -> int:
        """Press ``button`` as ``user``; the HTTP status (409: no such button any more)."""
        answer = await self.http.post(
            f"/sandbox/cards/{out_track_id}/click",
            json={"userId": user, "text": button, "inputs": {"local_opinion": OPINION}},
        )
        return answer.status_code

    async def stream_status(self) -> dict[str, Any]:
        answer = await self.http.get("/sandbox/stream/status")
        answer.raise_for_status()
        return dict(answer.json())

    async def advance_clock(self, seconds: float) -> None:
        answer = await self.http.post("/sandbox/clock", json={"advance_seconds": seconds})
        answer.raise_for_status()

    async def now_ms(self) -> int:
        answer = await self.http.get("/sandbox/clock")
        answer.raise_for_status()
        return int(answer.json()["epoch_ms"])


class BotKeeper:
    """Starts, kills and restarts the bot, and knows whether it is back."""

    def __init__(self, process: BotProcess, sandbox: Sandbox) -> None:
        self.process = process
        self.sandbox = sandbox
        self.up = asyncio.Event()
        self.up_since = 0.0
        self.kills = 0
        self.kills_starting = 0

    async def start(self) -> None:
        before = int((await self.sandbox.stream_status())["connections_total"])
        await asyncio.to_thread(self.process.start)
        await self._wait_connected(before)

    async def _wait_connected(self, before: int) -> None:
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while time.monotonic() < deadline:
            status = await self.sandbox.stream_status()
            if int(status["connections_total"]) > before and int(status["connections"]) >= 1:
                self.up_since = time.monotonic()
                self.up.set()
                return
            proc = self.process.proc
            if proc is not None and proc.poll() is not None:
                raise BenchAbortError(f"the bot exited with status {proc.returncode} at start")
            await asyncio.sleep(0.05)
        raise BenchAbortError("the bot did not connect to the stream")

    async def kill(self) -> None:
        self.up.clear()
        await asyncio.to_thread(self.process.kill)
        self.kills += 1

    async def kill_while_starting(self, after_s: float) -> None:
        """Dies again during start-up (journal replay, settling the outbox)."""
        await asyncio.to_thread(self.process.start)
        await asyncio.sleep(after_s)
        await self.kill()
        self.kills_starting += 1

    def settled(self) -> bool:
        return self.up.is_set() and time.monotonic() - self.up_since >= UP_GRACE_S


# -- the officials ------------------------------------------------------------------------


@dataclass
class BenchFlow:
    serial: int
    kind: str  # "request" | "outgoing"
    submitter: str
    title: str
    text: str
    number: str = ""
    card: str = ""
    confirmed: bool = False  # 确认 was sent
    finished: bool = False
    stuck: str = ""  # why the bench could not move it on


@dataclass
class Query:
    user: str
    text: str
    answered: Callable[[dict[str, Any]], bool]
    sends: int = 0


@dataclass
class Tally:
    click_retries: int = 0
    message_resends: int = 0
    clicks: int = 0
    messages: int = 0
    card_requests: int = 0  # 补发卡片 after a notice that a card may not have arrived


class Officials:
    """Everybody who uses the bot: submitters, assignees and the curious."""

    def __init__(self, sandbox: Sandbox, keeper: BotKeeper, cast: Cast, seed: int) -> None:
        self.sandbox = sandbox
        self.keeper = keeper
        self.cast = cast
        self.rng = random.Random(seed)
        self.flows: list[BenchFlow] = []
        self.queries: list[Query] = []
        self.tally = Tally()
        self.acted = asyncio.Event()  # set at every click or message (kills aim at it)
        self.settling = False
        self.settle_began = 0.0
        self.submitting: set[str] = set()  # users in the middle of a chat form
        self._serial = 0
        self._card_checks_answered: dict[tuple[str, str], int] = {}

    def settle(self) -> None:
        """From now on a flow that cannot be moved on for STALL_S is stuck."""
        self.settling = True
        self.settle_began = time.monotonic()

    def stalled(self, since: float) -> bool:
        return self.settling and time.monotonic() - max(since, self.settle_began) > STALL_S

    # -- chat -----------------------------------------------------------------------

    async def say(self, user: str, text: str) -> None:
        await self.sandbox.send(user, text)
        self.tally.messages += 1
        self.acted.set()

    async def say_until(
        self, user: str, text: str, seen: Callable[[list[dict[str, Any]]], bool]
    ) -> list[dict[str, Any]]:
        """Send ``text``; send it again while nothing the bot sends afterwards satisfies
        ``seen``. Returns the bot's items since the first send."""
        start = len(await self.sandbox.bot_items(user))
        await self.say(user, text)
        began = last = time.monotonic()
        while True:
            items = (await self.sandbox.bot_items(user))[start:]
            if seen(items):
                return items
            now = time.monotonic()
            if self.stalled(began):
                raise TimeoutError(f"{user} got no answer to {text[:20]!r}")
            if now - last > RETRY_S and self.keeper.settled():
                await self.say(user, text)
                self.tally.message_resends += 1
                last = now
            await asyncio.sleep(POLL_S)

    # -- submitting ---------------------------------------------------------------------

    def new_flow(self, kind: str, submitter: str) -> BenchFlow:
        self._serial += 1
        topic = self.rng.choice(TOPICS)
        tag = f"〔压测{self._serial:04d}〕"
        if kind == "request":
            title = f"关于{topic}经费的请示{tag}"
            text = self._request_text(submitter, title)
        else:
            title = f"关于做好{topic}工作的通知{tag}"
            text = self._document_text(title)
        flow = BenchFlow(self._serial, kind, submitter, title, text)
        self.flows.append(flow)
        return flow

    def _request_text(self, submitter: str, title: str) -> str:
        lines = ["请示", f"标题：{title}", "类别：专题性", "正文：现将有关情况报告如下，请予审批。"]
        own = self.cast.unit_names.get(submitter, "")
        others = [d for d in self.cast.departments if d != own]
        if self.rng.random() < 0.3:
            lines.append(f"涉及部门：{self.rng.choice(others)}")
        fiscal = self.rng.random() < 0.3
        lines.append(f"财政资金：{'是' if fiscal else '否'}")
        return "\n".join(lines)

    def _document_text(self, title: str) -> str:
        issuer = self.rng.choice(("县政府办公室", "县政府办公室", "县政府"))
        lead, *others = self.rng.sample(self.cast.departments, 3)
        to = "、".join(others[: self.rng.randint(1, 2)])
        disclosure = self.rng.choice(("不予公开", "依申请公开", "主动公开"))
        return (
            f"发文\n标题：{title}\n发文机关：{issuer}\n主办单位：{lead}\n主送：{to}\n"
            f"公开属性：{disclosure}\n正文：现将有关事项通知如下，请认真贯彻执行。"
        )

    async def submit(self, flow: BenchFlow) -> None:
        self.submitting.add(flow.submitter)
        try:
            await self.say_until(flow.submitter, flow.text, _asks_to_confirm)
            flow.confirmed = True
            items = await self.say_until(
                flow.submitter, "确认", lambda i: _card_titled(i, flow.title) is not None
            )
        finally:
            self.submitting.discard(flow.submitter)
        card = _card_titled(items, flow.title)
        assert card is not None
        flow.card = str(card["outTrackId"])
        found = FLOW_NUMBER.search(item_text(card))
        flow.number = found.group(0) if found else ""

    # -- the chain --------------------------------------------------------------------

    async def run_flow(self, flow: BenchFlow) -> None:
        try:
            await self.submit(flow)
            await self.drive(flow)
        except TimeoutError as error:
            flow.stuck = str(error)

    async def drive(self, flow: BenchFlow) -> None:
        moved = time.monotonic()
        while True:
            card = await self.sandbox.card(flow.card)
            actors = [u for u in _can_act(card) if u in _holders(card)]
            if not actors and not _waiting(card):
                flow.finished = True
                return
            if actors and await self.press(flow, card, actors[0]):
                moved = time.monotonic()
                continue
            for user in [u for u in _can_act(card) if u not in _holders(card)]:
                await self.answer_card_check(user, flow)
            if self.stalled(moved):
                flow.stuck = _why_stuck(card)
                return
            await asyncio.sleep(POLL_S)

    async def press(self, flow: BenchFlow, card: dict[str, Any], user: str) -> bool:
        """Press the assignee's first button until the card shows the step was taken."""
        button = _buttons(card, user)[0]
        before = _signature(card, user)
        began = last = time.monotonic()
        await self._click(user, flow.card, button)
        while True:
            await asyncio.sleep(POLL_S)
            now_card = await self.sandbox.card(flow.card)
            if _signature(now_card, user) != before:
                return True
            now = time.monotonic()
            if self.stalled(began):
                return False
            if (
                now - last > RETRY_S
                and self.keeper.settled()
                and button in _buttons(now_card, user)
            ):
                await self._click(user, flow.card, button)
                self.tally.click_retries += 1
                last = now

    async def answer_card_check(self, user: str, flow: BenchFlow) -> None:
        """A person told that this flow's card may not have reached him, who cannot find
        it in his chat, asks for it again (补发卡片), once per such notice."""
        items = await self.sandbox.bot_items(user)
        notices = [t for i in items if CARD_CHECK in (t := item_text(i)) and flow.title in t]
        if len(notices) > self._card_checks_answered.get((user, flow.card), 0):
            self._card_checks_answered[(user, flow.card)] = len(notices)
            self.tally.card_requests += 1
            asked = CARD_REQUEST.search(notices[-1])
            await self.say(user, asked.group(1) if asked else "补发卡片")

    async def _click(self, user: str, out_track_id: str, button: str) -> None:
        self.acted.set()
        self.tally.clicks += 1
        await self.sandbox.click(user, out_track_id, button)

    # -- questions ----------------------------------------------------------------------

    def new_query(self) -> Query | None:
        idle = [u for u in self.cast.everyone if u not in self.submitting]
        if not idle:
            return None
        user = self.rng.choice(idle)
        roll = self.rng.random()
        numbered = [f for f in self.flows if f.number and f.submitter == user]
        if roll < 0.4 and numbered:
            flow = self.rng.choice(numbered)
            header = f"{KIND_LABELS[flow.kind]} {flow.number}"
            return Query(user, f"公文 {flow.number}", lambda i: i.get("title") == header)
        if roll < 0.7:
            return Query(user, "我是谁", lambda i: i.get("title") == "我的信息")
        word = f"核查{len(self.queries):05d}"
        return Query(user, f"公文 {word}", lambda i: word in item_text(i))

    async def ask(self, query: Query) -> None:
        """Ask; ask again (a new message) while no answer has come."""
        self.queries.append(query)
        before = len(await self.sandbox.bot_items(query.user))
        await self._ask_once(query)
        began = last = time.monotonic()
        while time.monotonic() - began < STALL_S:
            items = (await self.sandbox.bot_items(query.user))[before:]
            if any(query.answered(i) for i in items):
                return
            if time.monotonic() - last > RETRY_S and self.keeper.settled():
                await self._ask_once(query)
                self.tally.message_resends += 1
                last = time.monotonic()
            await asyncio.sleep(POLL_S)

    async def _ask_once(self, query: Query) -> None:
        query.sends += 1
        await self.say(query.user, query.text)


def _asks_to_confirm(items: list[dict[str, Any]]) -> bool:
    return any("确认" in item_text(i) for i in items)


def _card_titled(items: list[dict[str, Any]], title: str) -> dict[str, Any] | None:
    for item in items:
        if item.get("kind") == "card" and title in str((item.get("cardData") or {}).get("title")):
            return item
    return None


def _view(card: dict[str, Any], user: str) -> dict[str, str]:
    return {**card["publicData"], **card["privateData"].get(user, {})}


def _can_act(card: dict[str, Any]) -> list[str]:
    return [u for u, data in card["privateData"].items() if data.get("can_act") == "true"]


def _holders(card: dict[str, Any]) -> set[str]:
    held = {s["spaceId"] for s in card["spaces"] if s["spaceType"] == "IM_ROBOT"}
    return held | set(card["forwardedTo"])


def _buttons(card: dict[str, Any], user: str) -> list[str]:
    view = _view(card, user)
    if view.get("can_act") != "true":
        return []
    return [str(a["text"]) for a in json.loads(view.get("actions") or "[]")]


def _waiting(card: dict[str, Any]) -> bool:
    """The card says the flow is waiting for a step (flow_status_waiting: 待…)."""
    return str(card["publicData"].get("status", "")).startswith("待")


def _signature(card: dict[str, Any], user: str) -> tuple[str, str, bool]:
    public = card["publicData"]
    return str(public.get("trail")), str(public.get("status")), bool(_buttons(card, user))


def _why_stuck(card: dict[str, Any]) -> str:
    status = card["publicData"].get("status")
    acting = _can_act(card)
    missing = [u for u in acting if u not in _holders(card)]
    if missing:
        return f"card says {status}; assignee {', '.join(missing)} does not hold the card"
    if acting:
        return f"card says {status}; {', '.join(acting)} pressed, nothing changed"
    return f"card says {status}; nobody has a button"


# -- the run -------------------------------------------------------------------------------


@dataclass
class RunPlan:
    kills: int
    seed: int
    concurrency: int


async def workload(officials: Officials, plan: RunPlan, stop: asyncio.Event) -> None:
    """Keeps ``plan.concurrency`` flows going, each submitter one at a time."""
    rng = random.Random(plan.seed * 7 + 1)
    running: dict[str, asyncio.Task[None]] = {}
    while not stop.is_set():
        for user in [u for u, t in running.items() if t.done()]:
            running.pop(user)
        while len(running) < plan.concurrency:
            drafters = [u for u in officials.cast.drafters if u not in running]
            requesters = [u for u in officials.cast.requesters if u not in running]
            if drafters and rng.random() < 0.35:
                kind, user = "outgoing", rng.choice(drafters)
            elif requesters:
                kind, user = "request", rng.choice(requesters)
            else:
                break
            flow = officials.new_flow(kind, user)
            running[user] = asyncio.create_task(officials.run_flow(flow))
        await asyncio.sleep(0.5)
    officials.settle()
    await asyncio.gather(*running.values())


async def chatter(officials: Officials, stop: asyncio.Event, seed: int) -> None:
    rng = random.Random(seed * 7 + 2)
    asking: set[asyncio.Task[None]] = set()
    while not stop.is_set():
        await asyncio.sleep(rng.uniform(0.8, 2.0))
        query = officials.new_query() if len(asking) < 3 else None
        if query is not None:
            task = asyncio.create_task(officials.ask(query))
            asking.add(task)
            task.add_done_callback(asking.discard)
    await asyncio.gather(*asking)


async def chaos(keeper: BotKeeper, acted: asyncio.Event, plan: RunPlan) -> None:
    """SIGKILLs at random moments: some right after somebody acted, some in between,
    some while the bot is starting up again."""
    rng = random.Random(plan.seed * 7 + 3)
    while keeper.kills < plan.kills:
        if rng.random() < 0.4:
            acted.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(acted.wait(), 10)
            await asyncio.sleep(rng.uniform(0.0, 0.3))
        else:
            await asyncio.sleep(rng.uniform(1.5, 5.0))
        await keeper.kill()
        await asyncio.sleep(rng.uniform(0.0, 0.5))
        if keeper.kills < plan.kills and rng.random() < 0.15:
            await keeper.kill_while_starting(rng.uniform(0.2, 1.5))
        await keeper.start()


async def sandbox_quiet(box: SandboxThread, limit_s: float = 30.0) -> None:
    """Until the bot has made no DingTalk call for QUIET_S (at most ``limit_s``)."""
    calls = sandbox_state(box).calls
    last, since = (calls[-1]["id"] if calls else None), time.monotonic()
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and time.monotonic() - since < QUIET_S:
        await asyncio.sleep(0.25)
        now = calls[-1]["id"] if calls else None
        if now != last:
            last, since = now, time.monotonic()


async def drain_outbox(keeper: BotKeeper, box: SandboxThread, data_dir: Path) -> int:
    """Stops the bot cleanly once its outbox is empty; returns the rows still pending
    (those waiting for a later attempt are let go by moving the sandbox clock on)."""
    for _ in range(4):
        await sandbox_quiet(box)
        code = await asyncio.to_thread(keeper.process.terminate, 20)
        keeper.up.clear()
        if code != 0:
            print(f"warning: the bot exited with status {code} on SIGTERM")
        pending = await asyncio.to_thread(pending_rows, data_dir)
        if not pending:
            return 0
        await keeper.start()
        wait_ms = max(int(r.get("next_ms") or 0) for r in pending) - await keeper.sandbox.now_ms()
        if wait_ms > 0:
            await keeper.sandbox.advance_clock(wait_ms / 1000 + 2)
        await asyncio.sleep(UP_GRACE_S)
    await sandbox_quiet(box)
    await asyncio.to_thread(keeper.process.terminate, 20)
    return len(await asyncio.to_thread(pending_rows, data_dir))


@dataclass
class RunResult:
    officials: Officials
    kills: int
    kills_starting: int
    wall_s: float
    kill_phase_s: float
    pending: int
    cut_short: int = 0  # sandbox requests a kill broke off


async def run(box: SandboxThread, bot: BotProcess, cast: Cast, plan: RunPlan) -> RunResult:
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=box.url, timeout=30) as http:
        sandbox = Sandbox(http)
        keeper = BotKeeper(bot, sandbox)
        officials = Officials(sandbox, keeper, cast, plan.seed)
        await keeper.start()
        stop = asyncio.Event()
        users = asyncio.gather(workload(officials, plan, stop), chatter(officials, stop, plan.seed))
        try:
            await chaos(keeper, officials.acted, plan)
            kills_done = time.monotonic()
            stop.set()
            try:
                await asyncio.wait_for(users, SETTLE_TIMEOUT_S)
            except TimeoutError:
                print(f"warning: users still busy after {SETTLE_TIMEOUT_S:.0f} s of settling")
        except BaseException:
            users.cancel()
            with contextlib.suppress(BaseException):
                await users
            raise
        pending = await drain_outbox(keeper, box, bot.data_dir)
    return RunResult(
        officials=officials,
        kills=keeper.kills,
        kills_starting=keeper.kills_starting,
        wall_s=time.monotonic() - began,
        kill_phase_s=kills_done - began,
        pending=pending,
    )


# -- what the bot stored --------------------------------------------------------------------


@dataclass
class Stored:
    flows: dict[str, dict[str, Any]]
    outbox: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    counters: dict[str, int]


def _everything(session: Session, name: str) -> list[dict[str, Any]]:
    collection = session.collection(name)
    docs = collection.all_open()
    for year in collection.archived_years():
        docs += collection.find_archived(year, lambda d: True)
    return docs


def pending_rows(data_dir: Path) -> list[dict[str, Any]]:
    db = Database.open_sync(data_dir)
    try:
        return db.run_sync(
            lambda s: s.collection("outbox").find(lambda d: d.get("status") == "pending")
        )
    finally:
        db.close_sync()


def read_stored(data_dir: Path) -> Stored:
    counter_names = [
        f"request:{YEAR}",
        f"outgoing:{YEAR}",
        f"docno:gov_office:{YEAR}",
        f"docno:county_gov:{YEAR}",
    ]

    def read(session: Session) -> Stored:
        return Stored(
            flows={f["id"]: f for f in _everything(session, "flows")},
            outbox=_everything(session, "outbox"),
            documents=_everything(session, "documents"),
            counters={n: session.counter_peek(n) for n in counter_names},
        )

    db = Database.open_sync(data_dir)
    try:
        return db.run_sync(read)
    finally:
        db.close_sync()


# -- the audit ---------------------------------------------------------------------------------


@dataclass
class Finding:
    what: str
    keys: list[str] = field(default_factory=list)  # flow ids, outbox keys … to grep the logs


@dataclass
class Audit:
    stuck: list[Finding] = field(default_factory=list)
    duplicate_messages: list[Finding] = field(default_factory=list)
    duplicate_cards: list[Finding] = field(default_factory=list)
    open_todos: list[Finding] = field(default_factory=list)
    numbers: list[Finding] = field(default_factory=list)
    unattributed: list[Finding] = field(default_factory=list)
    number_ranges: list[str] = field(default_factory=list)
    unanswered: int = 0  # questions never answered (their replies parked or lost)
    checked: str = ""  # how much the checks looked at
    parked_reached: set[str] = field(default_factory=set)  # 待核实 rows DingTalk took

    def anomalies(self) -> int:
        return sum(
            len(x)
            for x in (
                self.stuck,
                self.duplicate_messages,
                self.duplicate_cards,
                self.open_todos,
                self.numbers,
            )
        )


def stuck_flows(flows: list[BenchFlow], stored: Stored, state: SandboxState) -> Iterable[Finding]:
    by_title = {f["title"]: f for f in stored.flows.values()}
    for flow in flows:
        doc = by_title.get(flow.title)
        if doc is None:
            if flow.confirmed:
                yield Finding(f"{flow.title}: 确认 sent, no flow stored ({flow.stuck})")
            continue
        card = state.cards.get(doc["card_id"])
        if doc["state"] == "active":
            open_now = [
                f"{a['step']}→{a['user']}" for a in doc["assignments"] if a["status"] == "open"
            ]
            why = flow.stuck or "the bench gave up"
            parked = _parked_rows(stored.outbox, doc["card_id"])
            yield Finding(
                f"{doc['id']}: still at {', '.join(open_now)}: {why}"
                + (f"; parked: {'; '.join(parked)}" if parked else ""),
                [doc["id"], doc["card_id"]],
            )
        elif card is None:
            yield Finding(f"{doc['id']}: closed, but DingTalk has no card", [doc["id"]])
        elif str(card.public.get("status", "")).startswith("待") or any(
            p.get("can_act") == "true" for p in card.private.values()
        ):
            status = card.public.get("status")
            yield Finding(f"{doc['id']}: closed, its card still says {status}", [doc["id"]])


def _parked_rows(outbox: list[dict[str, Any]], prefix: str) -> list[str]:
    """The outbox rows of one card (or flow) parked 待核实 or failed, with recipients."""
    return [
        f"{r['kind']} {r['id']} to {', '.join(_row_users(r)) or '-'} {r['status']} "
        f"({r.get('error')})"
        for r in outbox
        if str(r["id"]).startswith(prefix) and r.get("status") in ("uncertain", "failed")
    ]


def duplicate_cards(state: SandboxState, users: list[str]) -> Iterable[Finding]:
    for user in users:
        held = Counter(
            (i.out_track_id, i.conversation_id)
            for i in state.inboxes.of(user)
            if i.kind == "card" and i.direction == "in"
        )
        for (track, _), count in held.items():
            if count > 1:
                yield Finding(f"card {track} delivered {count}x to {user}", [track])


def _fingerprint(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)


def _message_items(state: SandboxState, users: list[str]) -> list[InboxItem]:
    return [
        i
        for u in users
        for i in state.inboxes.of(u)
        if i.direction == "in" and (i.process_query_key or i.task_id)
    ]


def _row_content(row: dict[str, Any]) -> str:
    payload = row.get("payload") or {}
    if row.get("kind") == "work_notice":
        return _fingerprint(payload.get("msg") or {})
    return _fingerprint({"k": payload.get("msg_key"), "p": payload.get("msg_param")})


def _item_content(item: InboxItem) -> str:
    if item.task_id:
        return _fingerprint(item.msg_param or {})
    return _fingerprint({"k": item.msg_key, "p": item.msg_param})


def _row_users(row: dict[str, Any]) -> list[str]:
    payload = row.get("payload") or {}
    return list(payload.get("all_user_ids") or payload.get("user_ids") or [])


@dataclass
class SendTrace:
    duplicates: dict[str, Finding] = field(default_factory=dict)  # by inbox item id
    unexplained: list[Finding] = field(default_factory=list)  # deliveries no row explains
    parked_reached: set[str] = field(default_factory=set)  # 待核实 rows DingTalk did take


def duplicate_sends(
    state: SandboxState, users: list[str], outbox: list[dict[str, Any]]
) -> SendTrace:
    """Robot messages and work notices, traced to the outbox row that sent them: two
    deliveries of one row to one person, or a delivery nobody recorded (the bot died
    before storing the answer) of a row that was then sent again."""
    by_pqk: dict[str, str] = {}
    by_task: dict[int, str] = {}
    for row in outbox:
        result = row.get("result") or {}
        for pqk in result.get("pqk") or []:
            by_pqk[str(pqk)] = row["id"]
        if result.get("task_id") and row.get("kind") == "work_notice":
            by_task[int(result["task_id"])] = row["id"]
    trace = SendTrace()
    found = trace.duplicates
    seen: set[tuple[str, str]] = set()
    unrecorded: list[InboxItem] = []
    for item in _message_items(state, users):
        key = by_pqk.get(item.process_query_key) or by_task.get(item.task_id)
        if key is None:
            unrecorded.append(item)
        elif (item.user_id, key) in seen:
            found[item.id] = Finding(f"outbox {key} delivered twice to {item.user_id}", [key])
        else:
            seen.add((item.user_id, key))
    # A delivery nobody recorded is the parked (待核实) row's, one each; left over, it
    # doubles a row that was sent (again) and recorded.
    candidates: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(outbox, key=lambda r: r.get("status") != "uncertain"):
        if row.get("status") in ("uncertain", "sent"):
            for user in _row_users(row):
                candidates[(user, _row_content(row))].append(row)
    for item in unrecorded:
        rows = candidates.get((item.user_id, _item_content(item))) or []
        if not rows:
            trace.unexplained.append(Finding(f"{item.user_id}: {item.title or item.text[:40]!r}"))
            continue
        row = rows.pop(0)
        if row.get("status") == "sent":
            found[item.id] = Finding(
                f"outbox {row['id']} sent again after an unrecorded delivery to {item.user_id}",
                [row["id"]],
            )
        else:
            trace.parked_reached.add(row["id"])
    trace.parked_reached |= _parked_cards_delivered(state, outbox)
    return trace


def _parked_cards_delivered(state: SandboxState, outbox: list[dict[str, Any]]) -> set[str]:
    """Card deliveries parked 待核实 whose every recipient holds the card after all."""
    reached: set[str] = set()
    for row in outbox:
        if row.get("status") != "uncertain" or row.get("kind") != "card_deliver":
            continue
        card = state.cards.get(str(row["payload"]["out_track_id"]))
        spaces = {s.space_id for s in card.spaces} if card else set()
        if set(_row_users(row)) <= spaces:
            reached.add(row["id"])
    return reached


def duplicate_notices(state: SandboxState, users: list[str]) -> dict[str, Finding]:
    """Per person and flow one 办结 notice; per person and document one 收文 notice."""
    found: dict[str, Finding] = {}
    for user in users:
        seen: set[str] = set()
        for item in state.inboxes.of(user):
            if item.direction != "in":
                continue
            text = f"{item.title}\n{item.text}"
            cause = ""
            if "办结" in item.title and (match := FLOW_NUMBER.search(text)):
                cause = f"办结 {match.group(0)}"
            elif item.task_id and (doc := DOC_NUMBER.search(text)):
                cause = f"收文 {doc.group(0)}"
            if not cause:
                continue
            if cause in seen:
                found[item.id] = Finding(f"{cause} notice twice to {user}", [cause.split()[1]])
            seen.add(cause)
    return found


def duplicate_replies(state: SandboxState, queries: list[Query]) -> dict[str, Finding]:
    """More answers to a question than times it was asked."""
    asked: Counter[tuple[str, str]] = Counter()
    predicate: dict[tuple[str, str], Callable[[dict[str, Any]], bool]] = {}
    for query in queries:
        asked[(query.user, query.text)] += query.sends
        predicate[(query.user, query.text)] = query.answered
    found: dict[str, Finding] = {}
    for (user, text), times in asked.items():
        replies = [
            i
            for i in state.inboxes.of(user)
            if i.direction == "in" and predicate[(user, text)](i.to_dict())
        ]
        for extra in replies[times:]:
            found[extra.id] = Finding(f"{user}: {len(replies)} answers to {times}x {text!r}")
    return found


def unanswered(state: SandboxState, queries: list[Query]) -> int:
    count = 0
    for query in queries:
        items = [i.to_dict() for i in state.inboxes.of(query.user) if i.direction == "in"]
        if not any(query.answered(i) for i in items):
            count += 1
    return count


def open_todos(state: SandboxState, stored: Stored) -> Iterable[Finding]:
    rows = {r["id"]: r for r in stored.outbox}
    for todo in state.todos.values():
        if todo.deleted or todo.data.get("done"):
            continue
        source = str(todo.data.get("sourceId") or "")
        flow_id, _, assignment = source.partition(":")
        flow = stored.flows.get(flow_id) or {}
        step = next((a for a in flow.get("assignments", []) if a["id"] == assignment), None)
        if step is not None and step["status"] == "open" and flow.get("state") == "active":
            continue  # the step is still open: a stuck flow, counted there
        done_row = rows.get(f"todo:{source}:done") or {}
        yield Finding(
            f"to-do {source} ({todo.data.get('subject', '')[:30]}) open; step "
            f"{step['status'] if step else '?'}; todo_done row: "
            f"{done_row.get('status', 'none')} {done_row.get('error', '')}".rstrip(),
            [source],
        )


def number_problems(stored: Stored, flows: list[BenchFlow]) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    ranges: list[str] = []
    series: dict[str, list[int]] = defaultdict(list)
    for flow_id in stored.flows:
        prefix, _, seq = flow_id.partition(f"{YEAR}-")
        if prefix in ("QS", "FW") and seq.isdigit():
            series[prefix].append(int(seq))
    for doc in stored.documents:
        series[DOC_NUMBER.sub(r"\1", doc["id"])].append(int(doc["seq"]))
    counters = {
        "QS": stored.counters[f"request:{YEAR}"],
        "FW": stored.counters[f"outgoing:{YEAR}"],
        "阳政办发": stored.counters[f"docno:gov_office:{YEAR}"],
        "阳政发": stored.counters[f"docno:county_gov:{YEAR}"],
    }
    for name, last in counters.items():
        seqs = series.get(name, [])
        top = max([last, *seqs], default=0)
        ranges.append(f"{name} 1–{top}" if top else f"{name} none")
        gaps = sorted(set(range(1, top + 1)) - set(seqs))
        repeats = sorted(s for s, n in Counter(seqs).items() if n > 1)
        if gaps:
            findings.append(Finding(f"{name}: numbers never used: {gaps}"))
        if repeats:
            findings.append(Finding(f"{name}: numbers used twice: {repeats}"))
    # Two of the bench's flows shown the same number (each title is unique).
    shown: dict[str, set[str]] = defaultdict(set)
    for flow in flows:
        if flow.number:
            shown[flow.number].add(flow.title)
    for number, titles in shown.items():
        if len(titles) > 1:
            findings.append(Finding(f"{number} shown on {len(titles)} flows", [number]))
    issued = Counter(
        f["data"].get("number") for f in stored.flows.values() if f["data"].get("number")
    )
    findings += [Finding(f"{n} issued to {c} flows", [n]) for n, c in issued.items() if c > 1]
    return findings, ranges


def audit(result: RunResult, stored: Stored, state: SandboxState, users: list[str]) -> Audit:
    flows = result.officials.flows
    report = Audit()
    report.stuck = list(stuck_flows(flows, stored, state))
    report.duplicate_cards = list(duplicate_cards(state, users))
    trace = duplicate_sends(state, users, stored.outbox)
    report.unattributed = trace.unexplained
    report.parked_reached = trace.parked_reached
    duplicates = {
        **duplicate_replies(state, result.officials.queries),
        **duplicate_notices(state, users),
        **trace.duplicates,
    }
    report.duplicate_messages = list(duplicates.values())
    report.open_todos = list(open_todos(state, stored))
    report.numbers, report.number_ranges = number_problems(stored, flows)
    report.unanswered = unanswered(state, result.officials.queries)
    report.checked = checked(state, users)
    return report


def checked(state: SandboxState, users: list[str]) -> str:
    items = [i for u in users for i in state.inboxes.of(u) if i.direction == "in"]
    messages = sum(1 for i in items if i.process_query_key or i.task_id)
    cards = sum(1 for i in items if i.kind == "card")
    done = sum(1 for t in state.todos.values() if t.data.get("done"))
    return (
        f"{messages} messages/work notices, {cards} cards in inboxes, "
        f"{len(state.todos)} to-dos ({done} done)"
    )


# -- printing ------------------------------------------------------------------------------------


def parked_summary(outbox: list[dict[str, Any]], status: str) -> str:
    rows = [r for r in outbox if r.get("status") == status]
    kinds = Counter(f"{r.get('kind')} {_key_class(str(r['id']))}" for r in rows)
    detail = ", ".join(f"{k} {n}" for k, n in kinds.most_common())
    return f"{status} {len(rows)}" + (f" ({detail})" if detail else "")


def _key_class(key: str) -> str:
    """What an outbox key is about, without its ids: reply, flow-finished, card-deliver …"""
    parts = key.split(":")
    if parts[0] == "reply":
        return "reply"
    if parts[0].startswith("click"):
        return "click-reply"
    if parts[0] == "flow":
        return f"flow-{parts[2] if len(parts) > 2 and not parts[2].isdigit() else parts[-2]}"
    if parts[0] == "dist":
        return f"dist-{parts[2] if len(parts) > 2 else ''}"
    if parts[0] == "todo":
        return f"todo-{parts[-1]}"
    if parts[0].startswith(("gb", "gd")) and len(parts) > 1:
        return f"card-{parts[1]}"
    return parts[0][:12]


def parked_lost(outbox: list[dict[str, Any]], reached: set[str]) -> list[Finding]:
    return [
        Finding(f"{r['kind']} {r['id']} to {', '.join(_row_users(r)) or '-'}", [r["id"]])
        for r in outbox
        if r.get("status") == "uncertain" and r["id"] not in reached
    ]


def log_lines(log: str, keys: list[str], limit: int = 6) -> list[str]:
    lines = [ln for ln in log.splitlines() if any(k in ln for k in keys)]
    return lines[:limit]


def print_findings(title: str, findings: list[Finding], log: str) -> None:
    if not findings:
        return
    print(f"\n{title}:")
    for finding in findings[:30]:
        print(f"  - {finding.what}")
        for line in log_lines(log, finding.keys):
            print(f"      | {line[:220]}")
    if len(findings) > 30:
        print(f"  … and {len(findings) - 30} more")


def print_report(result: RunResult, plan: RunPlan, stored: Stored, report: Audit, log: str) -> None:
    officials = result.officials
    flows = officials.flows
    kinds = Counter(f.kind for f in flows)
    closed = sum(1 for f in stored.flows.values() if f["state"] != "active")
    cycle = result.kill_phase_s / max(result.kills, 1)
    tally = officials.tally
    print(
        f"crash: {plan.kills} SIGKILLs planned, seed {plan.seed}, {plan.concurrency} flows at once"
    )
    print(
        f"kills: {result.kills} ({result.kills_starting} while starting up), "
        f"{cycle:.1f} s per kill cycle, {result.cut_short} DingTalk calls cut off by a kill"
    )
    print(
        f"flows: started {len(flows)} (请示 {kinds['request']}, 发文 {kinds['outgoing']}), "
        f"stored {len(stored.flows)}, finished {closed}; wall time {result.wall_s:.0f} s"
    )
    print(
        f"users: {tally.clicks} clicks ({tally.click_retries} again after no effect), "
        f"{tally.messages} messages ({tally.message_resends} sent again), "
        f"{len(officials.queries)} questions ({report.unanswered} unanswered), "
        f"{tally.card_requests} 补发卡片 after a card check notice"
    )
    print(f"checked: {report.checked}")
    print(f"stuck flows: {len(report.stuck)}")
    print(f"duplicate messages: {len(report.duplicate_messages)}")
    print(f"duplicate cards: {len(report.duplicate_cards)}")
    print(f"unclosable to-dos: {len(report.open_todos)}")
    print(f"numbers ({', '.join(report.number_ranges)}): gaps/repeats {len(report.numbers)}")
    print(
        "outbox parked (possible losses, by design, not anomalies): "
        f"{parked_summary(stored.outbox, 'uncertain')}; {parked_summary(stored.outbox, 'failed')}"
    )
    lost = parked_lost(stored.outbox, report.parked_reached)
    print(
        f"待核实 rows DingTalk took after all: {len(report.parked_reached)}; "
        f"never reached DingTalk (lost): {len(lost)}"
    )
    print(f"outbox rows still pending after settling: {result.pending}")
    print(f"deliveries no outbox row explains: {len(report.unattributed)}")
    print_findings("stuck flows", report.stuck, log)
    print_findings("duplicate messages", report.duplicate_messages, log)
    print_findings("duplicate cards", report.duplicate_cards, log)
    print_findings("unclosable to-dos", report.open_todos, log)
    print_findings("number gaps/repeats", report.numbers, log)
    print_findings("deliveries no outbox row explains", report.unattributed, log)
    print_findings("待核实 rows that never reached DingTalk (not anomalies)", lost, log)
    print(f"anomalies: {report.anomalies()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--flows", type=int, default=6, help="flows going at once")
    parser.add_argument("--quick", action="store_true", help="10 kills")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    args = parser.parse_args()
    plan = RunPlan(kills=10 if args.quick else args.kills, seed=args.seed, concurrency=args.flows)
    folder = Path(tempfile.mkdtemp(prefix="govbot-crash-"))
    (folder / "logs").mkdir()
    config_path = crash_config(folder)
    cut_short = CutShort().install()
    box = start_sandbox(config_path)
    bot = BotProcess(box.url, config_path, folder / "data", folder / "logs")
    anomalies = 1
    try:
        cast = cast_of(box.config)
        try:
            result = asyncio.run(run(box, bot, cast, plan))
        except BenchAbortError as error:
            print(f"aborted: {error}\n" + "\n".join(bot.log_text().splitlines()[-40:]))
            raise SystemExit(2) from error
        result.cut_short = cut_short.count
        stored = read_stored(bot.data_dir)
        state = sandbox_state(box)
        report = audit(result, stored, state, cast.everyone)
        anomalies = report.anomalies()
        print_report(result, plan, stored, report, bot.log_text())
    finally:
        bot.stop()
        box.stop()
        if args.keep or anomalies:
            print(f"data and bot logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    raise SystemExit(0 if anomalies == 0 else 1)


if __name__ == "__main__":
    main()
