"""DingTalk API calls per business action, and a monthly projection.

Each action runs the real bot process against the sandbox (a fresh pair per action)
and counts the metered calls the sandbox served (``GET /sandbox/quota``: every DingTalk
API call except the token and Stream-gateway endpoints), from the moment the bot is
connected until the action has settled:

- the business actions of bench/budget_flows.py, done as officials do them (the
  scenario tests also probe refusals and forged clicks, which no office pays for): a
  leave request approved by the county head (with its filing and stand-in notice); a
  fiscal 请示 through its seven steps; one meeting with one agenda item, counted in two
  parts, the item's (its chain to 上会, its decision) and the meeting's (planning, lock,
  distribution, reminders, minutes);
- a county-office 发文 with distribution to every unit (``--units`` bench units plus the
  demo county's, as in bench/e2e.py), up to every recipient holding the card; then every
  recipient signs, ten every 15 minutes (the office's live progress card);
- a read-tracking day of one 发文 to as many recipients that nobody reads or signs: the
  sandbox clock is moved through the three checkpoints and past the 24-hour window; only
  the read-status calls are counted (getsendresult of the work notification, readStatus
  of robot messages);
- an idle working day (daily jobs only).

Then a monthly projection at the three-year county volume of bench/storage.py, divided
by 36 months. Target: <= 5,000 calls/month, read tracking included. A script that prints
figures, not a test.

The scenarios act on every step at once, so with the configured ``todo_delay_minutes``
(default 120) no step lives long enough to get a DingTalk to-do: that is the cost when
officials act within the delay. ``--todo-delay-minutes 0`` gives the cost when every step
waits longer than the delay (every step's to-do created and completed).

    python bench/api_budget.py [--units 200] [--todo-delay-minutes 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import OrgDirectory, load_config  # noqa: E402
from sandbox.launcher import seed_from_config  # noqa: E402
from tests.harness import BotProcess, Control, SandboxThread  # noqa: E402

READ_STATUS = (
    "/v1.0/robot/oToMessages/readStatus",
    "/topapi/message/corpconversation/getsendresult",
)
MONTHS = 36
# Three years of a county office (bench/storage.py VOLUMES).
VOLUMES = {
    "documents": 6_000,
    "agenda_items": 1_500,
    "leave_forms": 3_000,
    "supervision_items": 2_000,
    "distributions": 1_500,
}
WORKING_DAYS_PER_MONTH = 21.75
# A county's executive, county-head and topical meetings take about five items each.
ITEMS_PER_MEETING = 5
TARGET = 5_000


# ``--todo-delay-minutes``: run with this ``[dingtalk] todo_delay_minutes`` instead of the
# configured one (0: every step's to-do is created and completed, as when every step
# waits longer than the delay).
TODO_DELAY_MINUTES: int | None = None


def with_todo_delay(config: Path, folder: Path, minutes: int) -> Path:
    text = config.read_text("utf-8")
    assert "\n[dingtalk]\n" in text
    out = folder / "govbot-todo-delay.toml"
    out.write_text(
        text.replace("\n[dingtalk]\n", f"\n[dingtalk]\ntodo_delay_minutes = {minutes}\n", 1),
        "utf-8",
    )
    return out


class Run:
    """A sandbox and the bot on one configuration; counts metered calls."""

    def __init__(self, folder: Path, config: Path | None, start: str) -> None:
        self.box = SandboxThread(
            ack_timeout_s=3.0, ping_interval_s=2.0, start_time=datetime.fromisoformat(start)
        )
        folder.mkdir(parents=True, exist_ok=True)
        if TODO_DELAY_MINUTES is not None:
            config = with_todo_delay(config or self.box.config_path, folder, TODO_DELAY_MINUTES)
        if config is not None:
            self.box.config_path = config
            self.box.config = load_config(config)
            self.box.seed = seed_from_config(
                self.box.config,
                ack_timeout_s=3.0,
                ping_interval_s=2.0,
                start_time=datetime.fromisoformat(start),
            )
        self.folder = folder
        self.bot: BotProcess | None = None
        self.control: Control | None = None

    def __enter__(self) -> Run:
        url = self.box.start()
        (self.folder / "logs").mkdir(parents=True, exist_ok=True)
        self.bot = BotProcess(url, self.box.config_path, self.folder / "data", self.folder / "logs")
        self.bot.start()
        self.control = Control(url)
        self.control.wait_connected(timeout=60)
        time.sleep(2.0)  # start-up calls settle
        return self

    def __exit__(self, *exc: object) -> None:
        if self.control is not None:
            self.control.close()
        if self.bot is not None:
            self.bot.stop()
        self.box.stop()

    def used(self) -> int:
        """Metered calls so far, over every month (scenarios move the clock across one)."""
        assert self.control is not None
        months = self.control.get("/sandbox/quota")["months"]
        return sum(int(month["used"]) for month in months.values())

    def paths(self) -> dict[str, int]:
        assert self.control is not None
        counts: dict[str, int] = {}
        for call in self.control.calls():
            path = str(call.get("path", ""))
            if path.startswith(("/v1.0/oauth2", "/gettoken", "/v1.0/gateway")):
                continue
            key = "/v1.0/todo/..." if path.startswith("/v1.0/todo/") else path
            counts[key] = counts.get(key, 0) + 1
        return counts

    def settle(self, seconds: float = 4.0) -> None:
        """Wait until no new call arrives for ``seconds``."""
        last, quiet_since = self.used(), time.monotonic()
        while time.monotonic() - quiet_since < seconds:
            time.sleep(0.5)
            now = self.used()
            if now != last:
                last, quiet_since = now, time.monotonic()


def scenario(
    folder: Path, start: str, body: Callable[[SandboxThread, Control, BotProcess], None]
) -> tuple[int, dict[str, int]]:
    with Run(folder, None, start) as run:
        assert run.control is not None and run.bot is not None
        before, paths_before = run.used(), run.paths()
        body(run.box, run.control, run.bot)
        run.settle()
        after = run.paths()
        return run.used() - before, {k: v - paths_before.get(k, 0) for k, v in after.items()}


def distribution(folder: Path, units: int) -> tuple[int, int, int, dict[str, int]]:
    from bench.e2e import DOC_TITLE, bench_config, distribution_recipients, drive_document
    from tests.scenario.flows import actions, wait_card

    folder.mkdir(parents=True, exist_ok=True)
    config = bench_config(0, folder, units)
    with Run(folder, config, "2026-11-24T09:00:00+08:00") as run:
        assert run.control is not None
        control = run.control
        before, paths_before = run.used(), run.paths()
        director, card = drive_document(control, run.box.config)
        assert any(a["text"] == "签发" for a in actions(card))
        control.post(
            f"/sandbox/cards/{card['outTrackId']}/click", {"userId": director, "text": "签发"}
        )
        run.settle(6.0)
        after = run.paths()
        recipients = distribution_recipients(run.box.config)
        sent = run.used() - before
        # Everybody signs, ten at a time every 15 minutes (about five hours).
        signed_from = run.used()
        notice = wait_card(control, recipients[0], lambda c: bool(actions(c)), DOC_TITLE)
        for start in range(0, len(recipients), 10):
            for user in recipients[start : start + 10]:
                control.post(
                    f"/sandbox/cards/{notice['outTrackId']}/click",
                    {"userId": user, "text": "签收"},
                )
            control.post("/sandbox/clock", {"advance_seconds": 15 * 60})
            time.sleep(0.5)
        control.post("/sandbox/clock", {"advance_seconds": 31 * 60})
        run.settle(5.0)
        return (
            sent,
            len(recipients),
            run.used() - signed_from,
            {k: v - paths_before.get(k, 0) for k, v in after.items()},
        )


def read_tracking_day(folder: Path, extra_units: int) -> tuple[int, int]:
    """Read-status calls over the day of a distribution nobody reads or signs."""
    from bench.e2e import bench_config, distribution_recipients, drive_document

    folder.mkdir(parents=True, exist_ok=True)
    config = bench_config(0, folder, extra_units)
    with Run(folder, config, "2026-11-24T09:00:00+08:00") as run:
        assert run.control is not None
        control = run.control
        director, card = drive_document(control, run.box.config)
        control.post(
            f"/sandbox/cards/{card['outTrackId']}/click", {"userId": director, "text": "签发"}
        )
        run.settle()

        def read_calls() -> int:
            return sum(1 for c in control.calls() if c.get("path") in READ_STATUS)

        before = read_calls()
        elapsed = 0
        for minute in (61, 301, 1381, 1500):
            control.post("/sandbox/clock", {"advance_seconds": (minute - elapsed) * 60})
            elapsed = minute
            run.settle(5.0)
        return read_calls() - before, len(distribution_recipients(run.box.config))


def agenda_parts(folder: Path) -> dict[str, int]:
    """Calls of one meeting with one item, split into the item's and the meeting's."""
    parts = {"item": 0, "meeting": 0}
    with Run(folder, None, "2026-11-30T08:00:00+08:00") as run:
        assert run.control is not None
        last = run.used()

        def mark(part: str) -> None:
            nonlocal last
            run.settle(3.0)
            now = run.used()
            parts[part] += now - last
            last = now

        from bench.budget_flows import agenda

        agenda(run.control, mark)
    return parts


def idle_day(folder: Path) -> int:
    with Run(folder, None, "2026-11-24T07:30:00+08:00") as run:
        assert run.control is not None
        before = run.used()
        for _ in range(11):  # through the working day, hour by hour
            run.control.post("/sandbox/clock", {"advance_seconds": 3600})
            run.settle(2.0)
        return run.used() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=200, help="bench units for the 发文")
    parser.add_argument(
        "--todo-delay-minutes",
        type=int,
        default=None,
        help="override [dingtalk] todo_delay_minutes (0: every step gets its to-do)",
    )
    args = parser.parse_args()
    global TODO_DELAY_MINUTES
    TODO_DELAY_MINUTES = args.todo_delay_minutes

    from bench import budget_flows

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results["leave"] = scenario(
            root / "leave",
            "2026-11-23T08:00:00+08:00",
            lambda box, control, _: budget_flows.leave(control, OrgDirectory(box.config)),
        )
        results["request"] = scenario(
            root / "request",
            "2026-11-24T07:00:00+08:00",
            lambda box, control, _: budget_flows.request(control, OrgDirectory(box.config)),
        )
        print("leave", results["leave"][0], "request", results["request"][0], flush=True)
        parts = agenda_parts(root / "agenda")
        print("agenda", parts, flush=True)
        dist_calls, dist_recipients, sign_calls, dist_paths = distribution(
            root / "dist", args.units
        )
        print("distribution", dist_calls, dist_recipients, sign_calls, flush=True)
        read_calls, read_recipients = read_tracking_day(root / "read", args.units)
        idle = idle_day(root / "idle")

    delay = "as configured" if TODO_DELAY_MINUTES is None else f"{TODO_DELAY_MINUTES} min"
    print(f"todo_delay_minutes: {delay}")
    print("DingTalk API calls per business action (metered calls served by the sandbox;")
    print("the per-path lines count requests, including any the sandbox throttled)")
    for name, label in (
        ("leave", "leave request through approval"),
        ("request", "请示 through its whole chain"),
    ):
        calls, paths = results[name]
        print(f"  {label:62}{calls:>6}")
        print("      " + ", ".join(f"{p} {n}" for p, n in sorted(paths.items()) if n))
    print(f"  {'agenda item: its chain to 上会 and its decision':62}{parts['item']:>6}")
    meeting_label = "a meeting: planning, agenda, reminders, minutes distributed"
    print(f"  {meeting_label:62}{parts['meeting']:>6}")
    print(f"  {'发文 + distribution to ' + str(dist_recipients) + ' recipients':62}{dist_calls:>6}")
    print("      " + ", ".join(f"{p} {n}" for p, n in sorted(dist_paths.items()) if n))
    print(
        f"  {'  then every recipient signs (10 per 15 min), office card kept live':62}"
        f"{sign_calls:>6}"
    )
    print(
        f"  {'read-tracking day, ' + str(read_recipients) + ' recipients, nobody reads':62}"
        f"{read_calls:>6}"
    )
    print(f"  {'idle working day (daily jobs)':62}{idle:>6}")

    per_month = {k: v / MONTHS for k, v in VOLUMES.items()}
    requests_per_month = per_month["documents"] - per_month["distributions"]
    lines = [
        ("leave forms", per_month["leave_forms"], results["leave"][0]),
        ("请示/报告 flows (documents minus 发文)", requests_per_month, results["request"][0]),
        (
            "supervision items (as a 请示 chain)",
            per_month["supervision_items"],
            results["request"][0],
        ),
        ("agenda items", per_month["agenda_items"], parts["item"]),
        (
            f"meetings (~{ITEMS_PER_MEETING} items each)",
            per_month["agenda_items"] / ITEMS_PER_MEETING,
            parts["meeting"],
        ),
        (
            f"发文 distributions ({dist_recipients} recipients)",
            per_month["distributions"],
            dist_calls,
        ),
        ("  their 签收 (office progress card)", per_month["distributions"], sign_calls),
        ("read tracking, nobody reads (worst case)", per_month["distributions"], read_calls),
        ("idle working days", WORKING_DAYS_PER_MONTH, idle),
    ]
    print()
    print("Monthly projection (three-year county volume / 36)")
    print(f"  {'':48}{'per month':>10}{'calls each':>12}{'calls':>9}")
    total = 0.0
    for label, count, each in lines:
        total += count * each
        print(f"  {label:48}{count:>10.1f}{each:>12.1f}{count * each:>9.0f}")
    verdict = "within" if total <= TARGET else "OVER"
    print(f"  {'total':48}{'':>22}{total:>9.0f}  ({verdict} the {TARGET:,} target)")


if __name__ == "__main__":
    main()
