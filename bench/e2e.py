"""End-to-end latency: 50 simulated officials message the bot at once through the
sandbox. Prints p50/p99 from sending to the reply appearing in the inbox, for govbot and
for a minimal echo bot on the same SDK and sandbox in the same run, with the ratios, and
counts of lost and duplicated replies. A script that prints figures, not a test.

    python bench/e2e.py [--users 50] [--rounds 6]
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

from sandbox.demo import DEMO_APP_KEY, DEMO_APP_SECRET, demo_config_path  # noqa: E402
from tests.harness import BotProcess, SandboxThread  # noqa: E402

BENCH_UNIT = "jyj"


def bench_config(users: int, folder: Path) -> Path:
    """The demo organisation plus ``users`` staff members for the load."""
    extra = "".join(
        f'\n[[people]]\nuser_id = "bench.u{i:03d}"\nunion_id = "uBench{i:05d}"\n'
        f'name = "测试{i:03d}"\ntitle = "科员"\nunit = "{BENCH_UNIT}"\n'
        for i in range(users)
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
    args = parser.parse_args()
    users = [f"bench.u{i:03d}" for i in range(args.users)]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = bench_config(args.users, folder)
        box = SandboxThread()
        box.config_path = config
        from bot.config import load_config
        from sandbox.launcher import seed_from_config

        box.config = load_config(config)
        box.seed = seed_from_config(box.config)
        url = box.start()
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
            wait_connected(url)
            baseline = asyncio.run(measure(url, users, args.rounds, "我是谁"))
            echo.terminate()
            echo.wait(timeout=10)
            time.sleep(1.0)

            (folder / "logs").mkdir()
            bot = BotProcess(url, config, folder / "data", folder / "logs")
            bot.start()
            wait_connected(url)
            ours = asyncio.run(measure(url, users, args.rounds, "我是谁"))
            bot.stop()
        finally:
            box.stop()

    print(f"e2e: {args.users} officials at once, {args.rounds} rounds")
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


if __name__ == "__main__":
    main()
