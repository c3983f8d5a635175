"""Supervision at a busy county's volume: 2,000 items in a year (第八十五、八十六条).

    python bench/supervision.py [--items 2000] [--samples 20]

Stores the items (lead units spread over the demo organisation; about 60 % closed,
some late, the rest running with deadlines around today), then times what the office
waits for: ``督办`` (read the running items, group them by traffic light, render the
list) and the annual per-unit table (read, count, write CSV). Prints p50 and max of each.

Target: both under 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bot.calendar import WorkCalendar  # noqa: E402
from bot.clock import TZ, to_epoch_ms  # noqa: E402
from bot.config import OrgDirectory, load_config  # noqa: E402
from handlers.supervision.export import annual_table, read_items, write_table  # noqa: E402
from handlers.supervision.listing import overview, running  # noqa: E402
from handlers.supervision.model import (  # noqa: E402
    CLOSED,
    GRADES,
    SUPERVISION,
    Due,
    new_item,
)
from messages.render import Messages  # noqa: E402
from sandbox.demo import demo_config_path  # noqa: E402
from storage import Database, Session  # noqa: E402

TODAY = date(2026, 12, 2)


def _items(count: int, units: list[str], calendar: WorkCalendar) -> list[dict[str, object]]:
    rng = random.Random(7)
    found = []
    for n in range(1, count + 1):
        opened = datetime(2026, 1, 5, 9, 0, tzinfo=TZ) + timedelta(days=rng.randrange(330))
        due = opened.date() + timedelta(days=rng.randrange(5, 60))
        item = new_item(
            number=f"DB2026-{n:04d}",
            state="open",
            source=rng.choice(("superior", "county_party", "meeting", "leader")),
            title=f"督办事项第{n}项",
            text="按期完成并反馈办理情况。" * 3,
            lead=rng.choice(units),
            co_units=[],
            leader="",
            due=Due(due, True, False),
            opened_by="feng.lijuan",
            now=opened,
        )
        if (due < TODAY and rng.random() < 0.9) or rng.random() < 0.2:
            closed = datetime.combine(due, datetime.min.time(), TZ) + timedelta(
                days=rng.choice((-3, -1, 0, 0, 2, 6))
            )
            item.update(state=CLOSED, closed_ms=to_epoch_ms(closed), grade=rng.choice(GRADES))
        else:
            item["state"] = rng.choice(("open", "signed", "signed", "closing"))
        found.append(item)
    return found


def _figures(label: str, samples: list[float]) -> None:
    p50 = statistics.median(samples)
    print(f"{label:<32} p50 {p50:7.1f} ms   max {max(samples):7.1f} ms   (target 200 ms)")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    config = load_config(demo_config_path())
    calendar = WorkCalendar(config.calendar_overrides)
    directory = OrgDirectory(config)
    messages = Messages()
    units = sorted(u for u, unit in config.units.items() if unit.kind in ("department", "town"))
    names = {u: unit.name for u, unit in config.units.items()}
    with tempfile.TemporaryDirectory() as root:
        db = await Database.open(Path(root))
        items = _items(args.items, units, calendar)

        def store(session: Session) -> None:
            for item in items:
                session.collection(SUPERVISION).insert(item)

        await db.run(store)
        listing, export = [], []
        for _ in range(args.samples):
            start = time.perf_counter()
            found = await db.run(running)
            rendered = messages.markdown("sv_list", **overview(calendar, directory, found, TODAY))
            listing.append((time.perf_counter() - start) * 1000)

            start = time.perf_counter()
            table = annual_table(
                await asyncio.to_thread(read_items, db),
                date(2026, 1, 1),
                date(2026, 12, 31),
                calendar,
                TODAY,
            )
            rows = write_table(table, "csv", io.StringIO(), messages=messages, unit_names=names)
            export.append((time.perf_counter() - start) * 1000)
        await db.close()
    print(f"{args.items} items, {len(found)} running, {rows} units in the annual table")
    print(f"list length: {len(rendered.text)} characters")
    _figures("督办 list (read + group + render)", listing)
    _figures("annual table (read + count + CSV)", export)


if __name__ == "__main__":
    asyncio.run(main())
