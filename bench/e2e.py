"""End-to-end latency: 50 simulated officials message the bot at once through the
sandbox. Prints p50/p99 from sending to the reply appearing in the inbox, for govbot and
for a minimal echo bot on the same SDK and sandbox in the same run, with the ratios, and
counts of lost and duplicated replies.

Then a distribution to every unit of the county (主送：全县各单位, about 200 units): a
county-office 发文 is driven through its chain and 签发; prints the time from the 签发
click until every recipient's inbox holds the distribution card, p50/p99 of the
per-recipient arrival (the inbox items' sandbox timestamps), and counts of missing and
duplicated cards. A script that prints figures, not a test.

    python bench/e2e.py [--users 50] [--rounds 6] [--units 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Config, OrgDirectory, load_config  # noqa: E402
from handlers.requests.flow import SUBMITTING_KINDS  # noqa: E402
from sandbox.demo import DEMO_APP_KEY, DEMO_APP_SECRET, demo_config_path  # noqa: E402
from tests.harness import BotProcess, Control, SandboxThread, item_text  # noqa: E402
from tests.scenario.flows import actions, press, wait_card  # noqa: E402

BENCH_UNIT = "jyj"
DOC_TITLE = "关于做好全县冬季安全生产工作的通知"


def bench_config(users: int, folder: Path, units: int = 0) -> Path:
    """The demo organisation plus ``users`` staff members for the load and ``units``
    departments, each headed by one bench person (role unit_head), as recipients."""
    extra = "".join(
        f'\n[[people]]\nuser_id = "bench.u{i:03d}"\nunion_id = "uBench{i:05d}"\n'
        f'name = "测试{i:03d}"\ntitle = "科员"\nunit = "{BENCH_UNIT}"\n'
        for i in range(users)
    )
    extra += "".join(
        f'\n[[units]]\nid = "bench.d{i:03d}"\nname = "测试单位{i:03d}"\n'
        f'kind = "department"\nhead = "bench.h{i:03d}"\n'
        f'\n[[people]]\nuser_id = "bench.h{i:03d}"\nunion_id = "uBenchHead{i:05d}"\n'
        f'name = "单位负责人{i:03d}"\ntitle = "局长"\nunit = "bench.d{i:03d}"\n'
        f'roles = ["unit_head"]\n'
        for i in range(units)
    )
    path = folder / "bench_org.toml"
    path.write_text(demo_config_path().read_text("utf-8") + extra, "utf-8")
    return path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def one_round(http: httpx.AsyncClient, users: list[str], text: str) -> dict[str, Any]:
    clock = (await http.get("/sandbox/clock")).json()
    offset_ms = clock["epoch_ms"] - time.time() * 1000  # sandbox time minus local time
    before = {u: len(await _replies(http, u)) for u in users}
    sent_at: dict[str, float] = {}

    async def send(user: str) -> None:
        sent_at[user] = time.time() * 1000 + offset_ms
        answer = await http.post(f"/sandbox/users/{user}/messages", json={"text": text})
        answer.raise_for_status()

    await asyncio.gather(*(send(u) for u in users))
    deadline = time.monotonic() + 60
    latencies: list[float] = []
    pending = set(users)
    while pending and time.monotonic() < deadline:
        for user in list(pending):
            replies = await _replies(http, user)
            if len(replies) > before[user]:
                latencies.append(replies[before[user]]["ts"] - sent_at[user])
                pending.discard(user)
        await asyncio.sleep(0.02)
    await asyncio.sleep(2.0)  # any duplicate would have arrived by now
    duplicates = 0
    for user in users:
        duplicates += max(0, len(await _replies(http, user)) - before[user] - 1)
    return {"latencies": latencies, "lost": len(pending), "duplicates": duplicates}


async def _replies(http: httpx.AsyncClient, user: str) -> list[dict[str, Any]]:
    items = (await http.get(f"/sandbox/users/{user}/inbox")).json()
    return [i for i in items if i.get("direction") == "in"]


async def measure(url: str, users: list[str], rounds: int, text: str) -> dict[str, Any]:
    latencies: list[float] = []
    lost = duplicates = 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        await one_round(http, users[:2], text)  # warm-up (tokens, connections)
        for _ in range(rounds):
            result = await one_round(http, users, text)
            latencies += result["latencies"]
            lost += result["lost"]
            duplicates += result["duplicates"]
    return {
        "n": len(latencies),
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": percentile(latencies, 0.99) if latencies else float("nan"),
        "lost": lost,
        "duplicates": duplicates,
    }


def distribution_recipients(config: Config) -> list[str]:
    """Whom 主送：全县各单位 reaches: the head of every unit that may receive documents."""
    heads = [u.head_id for u in config.units.values() if u.kind in SUBMITTING_KINDS and u.head_id]
    return list(dict.fromkeys(heads))


def drive_document(control: Control, config: Config) -> tuple[str, dict[str, Any]]:
    """A county-office 发文 to every unit, approved up to the director's 签发; returns the
    director and his card, ready to be signed."""
    directory = OrgDirectory(config)
    clerk = directory.holders("office_clerk")[0].user_id
    control.send(
        clerk,
        f"发文\n标题：{DOC_TITLE}\n发文机关：县政府办公室\n主办单位：县应急管理局\n"
        "主送：全县各单位\n公开属性：依申请公开\n"
        "正文：为做好全县冬季安全生产工作，现将有关事项通知如下。",
    )
    control.wait_for(clerk, lambda i: any("请核对发文卡" in item_text(x) for x in i), 30)
    control.send(clerk, "确认")
    control.wait_for(clerk, lambda i: any("已提交" in item_text(x) for x in i), 30)
    deputy = directory.secretarial_deputy().user_id
    card = wait_card(control, deputy, lambda c: bool(actions(c)), DOC_TITLE, timeout=30)
    press(control, deputy, card, "同意", opinion="文字已核。")
    leader = directory.leader_in_charge("yjj")
    assert leader is not None
    card = wait_card(control, leader.user_id, lambda c: bool(actions(c)), DOC_TITLE, timeout=30)
    press(control, leader.user_id, card, "同意", opinion="同意印发。")
    director = directory.sole("office_director").user_id
    card = wait_card(control, director, lambda c: bool(actions(c)), DOC_TITLE, timeout=30)
    return director, card


async def _notice_cards(http: httpx.AsyncClient, user: str, template: str) -> list[dict[str, Any]]:
    items = (await http.get(f"/sandbox/users/{user}/inbox")).json()
    return [
        i
        for i in items
        if i.get("direction") == "in"
        and i.get("kind") == "card"
        and i.get("templateId") == template
        and i.get("conversationType") == "1"
        and DOC_TITLE in str((i.get("cardData") or {}).get("title", ""))
    ]


async def collect_arrivals(
    url: str, recipients: list[str], template: str, timeout_s: float = 120
) -> dict[str, list[int]]:
    """Poll every recipient's inbox until each holds the card (or the timeout); returns
    the sandbox timestamps of the distribution cards each one holds."""
    found: dict[str, list[int]] = {u: [] for u in recipients}
    limit = asyncio.Semaphore(32)
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:

        async def look(user: str) -> None:
            async with limit:
                found[user] = [int(i["ts"]) for i in await _notice_cards(http, user, template)]

        deadline = time.monotonic() + timeout_s
        pending = list(recipients)
        while pending and time.monotonic() < deadline:
            await asyncio.gather(*(look(u) for u in pending))
            pending = [u for u in pending if not found[u]]
            await asyncio.sleep(0.05)
        await asyncio.sleep(2.0)  # any duplicate would have arrived by now
        await asyncio.gather(*(look(u) for u in recipients))
    return found


def measure_distribution(url: str, config: Config) -> dict[str, Any]:
    recipients = distribution_recipients(config)
    control = Control(url)
    try:
        director, card = drive_document(control, config)
        assert any(a["text"] == "签发" for a in actions(card))
        control.post(
            f"/sandbox/cards/{card['outTrackId']}/click", {"userId": director, "text": "签发"}
        )
        # The sandbox's own timestamp of the 签发 click, on the clock the inboxes use.
        clicked_ms = int(control.get(f"/sandbox/cards/{card['outTrackId']}")["callbacks"][-1]["ts"])
    finally:
        control.close()
    found = asyncio.run(collect_arrivals(url, recipients, config.cards["notice"]))
    arrivals = [float(min(ts) - clicked_ms) for ts in found.values() if ts]
    return {
        "recipients": len(recipients),
        "arrived": len(arrivals),
        "all_ms": max(arrivals) if len(arrivals) == len(recipients) else float("nan"),
        "p50": statistics.median(arrivals) if arrivals else float("nan"),
        "p99": percentile(arrivals, 0.99) if arrivals else float("nan"),
        "missing": sum(1 for ts in found.values() if not ts),
        "duplicated": sum(1 for ts in found.values() if len(ts) > 1),
    }


def wait_connected(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if httpx.get(f"{url}/sandbox/stream/status").json().get("connections", 0) >= 1:
            return
        time.sleep(0.1)
    raise SystemExit("bot did not connect")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--units", type=int, default=200, help="bench units to distribute to")
    args = parser.parse_args()
    users = [f"bench.u{i:03d}" for i in range(args.users)]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = bench_config(args.users, folder, args.units)
        box = SandboxThread()
        box.config_path = config
        from sandbox.launcher import seed_from_config

        box.config = load_config(config)
        box.seed = seed_from_config(box.config)
        url = box.start()
        # The latency rounds measure the bots, not DingTalk's per-API QPS limit: 50
        # replies at once would exceed it (the echo bot loses the refused ones, govbot
        # retries them with backoff), so the sandbox's limit is lifted for them.
        httpx.post(f"{url}/sandbox/quota", json={"qps_per_api": 100_000}).raise_for_status()
        try:
            echo = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "bench" / "echo_bot.py"),
                    url,
                    DEMO_APP_KEY,
                    DEMO_APP_SECRET,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                wait_connected(url)
                baseline = asyncio.run(measure(url, users, args.rounds, "我是谁"))
            finally:  # never leave the echo bot running, whatever happened
                echo.terminate()
                echo.wait(timeout=10)
            time.sleep(1.0)

            (folder / "logs").mkdir()
            bot = BotProcess(url, config, folder / "data", folder / "logs")
            bot.start()
            try:
                wait_connected(url)
                ours = asyncio.run(measure(url, users, args.rounds, "我是谁"))
                spread = measure_distribution(url, box.config)
            finally:
                bot.stop()
        finally:
            box.stop()

    print(f"e2e: {args.users} officials at once, {args.rounds} rounds (sandbox QPS limit lifted)")
    print(f"{'':10}{'replies':>9}{'p50 ms':>10}{'p99 ms':>10}{'lost':>6}{'dup':>6}")
    for name, r in (("echo bot", baseline), ("govbot", ours)):
        print(
            f"{name:10}{r['n']:>9}{r['p50']:>10.1f}{r['p99']:>10.1f}{r['lost']:>6}"
            f"{r['duplicates']:>6}"
        )
    print(
        f"ratio p50 {ours['p50'] / baseline['p50']:.2f}x (target <= 1.5x), "
        f"p99 {ours['p99'] / baseline['p99']:.2f}x (target <= 3x)"
    )
    print()
    print(f"distribution: 主送 全县各单位, {spread['recipients']} recipients, one 签发")
    print(
        f"签发 click -> every recipient holds the card: {spread['all_ms']:.1f} ms "
        f"({spread['arrived']}/{spread['recipients']} arrived)"
    )
    print(
        f"per-recipient arrival p50 {spread['p50']:.1f} ms, p99 {spread['p99']:.1f} ms; "
        f"missing {spread['missing']}, duplicated {spread['duplicated']}"
    )


if __name__ == "__main__":
    main()
