"""Storage benchmark at the projected volume of three years of a county office.

    python bench/storage.py [--dir DIR] [--samples 500]

Generates (unless DIR already holds a database) 6,000 documents, 1,500 agenda items,
3,000 leave forms, 2,000 supervision items and 1,500 distributions, most of them closed
and archived by year, plus 150,000 audit entries and 300,000 distribution receipts in
append-only logs. Then prints p50/p99 of a single write through ``Database.run``, the
time to record a 200-recipient distribution in one run, the worst event-loop stall seen
meanwhile, and the start-up time of ``Database.open`` on the full directory.

Targets: p99 write <= 20 ms, 200-recipient distribution <= 200 ms, start-up <= 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its name would shadow
# the ``storage`` package; put the project root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from storage import Database, Session  # noqa: E402
from storage.validate import validate_root  # noqa: E402

YEARS = (2023, 2024, 2025)
CURRENT = YEARS[-1]
# collection: (total over three years, still open now)
VOLUMES = {
    "documents": (6_000, 300),
    "agenda_items": (1_500, 60),
    "leave_forms": (3_000, 40),
    "supervision_items": (2_000, 150),
    "distributions": (1_500, 50),
}
AUDIT_ENTRIES = 150_000
RECEIPTS = 300_000
BATCH = 5_000

rng = random.Random(20250101)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
UNITS = [
    "县政府办公室",
    "发展和改革局",
    "财政局",
    "教育局",
    "卫生健康局",
    "自然资源局",
    "住房和城乡建设局",
    "农业农村局",
    "水利局",
    "应急管理局",
    "市场监督管理局",
]
TOPICS = ["关于做好", "关于印发", "关于开展", "关于进一步加强", "关于调整"]
MATTERS = [
    "安全生产大检查工作",
    "防汛抗旱工作",
    "乡村振兴重点任务",
    "营商环境优化",
    "财政预算执行情况",
    "义务教育均衡发展",
    "城乡环境综合整治",
    "森林防火工作",
]


def person() -> str:
    return f"{rng.choice(SURNAMES)}{rng.choice(SURNAMES)}{rng.choice('明华强军平芳娟敏')}"


def doc_for(kind: str, year: int, i: int, closed: bool) -> dict[str, Any]:
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    created = (
        f"{year}-{month:02d}-{day:02d}T{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:00+08:00"
    )
    steps = [
        {
            "step": n,
            "approver": f"user{rng.randint(1, 400):04d}",
            "name": person(),
            "decision": "同意" if closed or n < 2 else None,
            "comment": "请按程序办理。" if n % 2 else "",
            "at": created,
        }
        for n in range(rng.randint(2, 4))
    ]
    return {
        "kind": kind,
        "year": year,
        "number": f"{rng.choice(UNITS)}〔{year}〕{i + 1}号",
        "title": f"{rng.choice(TOPICS)}{rng.choice(MATTERS)}的通知",
        "unit": rng.choice(UNITS),
        "drafter": {"user_id": f"user{rng.randint(1, 400):04d}", "name": person()},
        "state": "closed" if closed else rng.choice(["drafting", "reviewing", "signing"]),
        "created_at": created,
        "deadline": f"{year}-{month:02d}-{min(day + 5, 28):02d}",
        "summary": "为贯彻落实上级部署，结合我县实际，现就有关事项通知如下。" * 2,
        "flow": steps,
        "attachments": [{"name": "附件1.pdf", "media_id": f"@lA{rng.getrandbits(64):016x}"}],
        "tags": rng.sample(["重要", "紧急", "公开", "内部", "会签"], 2),
    }


def generate(db: Database) -> None:
    for name, (total, still_open) in VOLUMES.items():
        per_year = total // len(YEARS)
        for y, year in enumerate(YEARS):
            count = per_year if y < len(YEARS) - 1 else total - per_year * (len(YEARS) - 1)
            open_from = count - still_open if year == CURRENT else count
            docs = [doc_for(name, year, i, i < open_from) for i in range(count)]

            def load(
                s: Session,
                docs: list[dict[str, Any]] = docs,
                year: int = year,
                open_from: int = open_from,
                name: str = name,
            ) -> None:
                c = s.collection(name)
                ids = c.insert_many(docs)
                for doc_id in ids[:open_from]:
                    c.archive(doc_id, year)

            db.run_sync(load)
    for log_name, total, make in (
        ("audit", AUDIT_ENTRIES, audit_entry),
        ("receipts", RECEIPTS, receipt),
    ):
        per_year = total // len(YEARS)
        for year in YEARS:
            for start in range(0, per_year, BATCH):
                batch = [make(year, start + k) for k in range(min(BATCH, per_year - start))]
                db.run_sync(lambda s, b=batch, y=year, n=log_name: s.log(n).append(b, y))


def audit_entry(year: int, i: int) -> dict[str, Any]:
    return {
        "at": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00+08:00",
        "actor": f"user{rng.randint(1, 400):04d}",
        "action": rng.choice(["submit", "approve", "reject", "remind", "delegate"]),
        "target": f"{rng.getrandbits(128):032x}",
        "note": "审批通过" if i % 3 else "",
    }


def receipt(year: int, i: int) -> dict[str, Any]:
    return {
        "distribution": f"{rng.getrandbits(128):032x}",
        "user_id": f"user{rng.randint(1, 400):04d}",
        "sent_at": f"{year}-06-01T09:00:00+08:00",
        "read_at": None if i % 4 == 0 else f"{year}-06-01T10:00:00+08:00",
    }


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class LoopLag:
    """Worst delay of a 1 ms timer on the event loop while the measured work runs."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            self.worst = max(self.worst, time.perf_counter() - start - 0.001)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def measure(root: Path, samples: int) -> None:
    t0 = time.perf_counter()
    db = await Database.open(root)
    first_open = time.perf_counter() - t0
    open_ids: list[str] = await db.run(
        lambda s: [d["id"] for d in s.collection("documents").all_open()]
    )

    latencies: list[float] = []
    with LoopLag() as lag:
        for n in range(samples):
            if n % 2:
                doc_id = rng.choice(open_ids)

                def op(s: Session, doc_id: str = doc_id, n: int = n) -> None:
                    s.collection("documents").update(doc_id, {"state": "reviewing", "rev": n})
            else:
                doc = doc_for("documents", CURRENT, 10_000 + n, closed=False)

                def op(s: Session, doc: dict[str, Any] = doc) -> None:
                    s.collection("documents").insert(doc)

            start = time.perf_counter()
            await db.run(op)
            latencies.append(time.perf_counter() - start)
        write_lag = lag.worst

    fanout: list[float] = []
    with LoopLag() as lag:
        for k in range(20):
            recipients = [f"user{u:04d}" for u in rng.sample(range(1, 401), 200)]

            def distribute(s: Session, recipients: list[str] = recipients, k: int = k) -> None:
                number = s.counter_next(f"distribution-{CURRENT}")
                dist_id = s.collection("distributions").insert(
                    {
                        "number": number,
                        "document": open_ids[k],
                        "recipients": recipients,
                        "state": "sent",
                        "sent_at": f"{CURRENT}-06-01T09:00:00+08:00",
                    }
                )
                s.log("receipts").append(
                    [
                        {
                            "distribution": dist_id,
                            "user_id": u,
                            "sent_at": "2025-06-01T09:00",
                            "read_at": None,
                        }
                        for u in recipients
                    ],
                    CURRENT,
                )
                s.log("audit").append([{"action": "distribute", "target": dist_id}], CURRENT)

            start = time.perf_counter()
            await db.run(distribute)
            fanout.append(time.perf_counter() - start)
        fanout_lag = lag.worst
    await db.close()

    opens = []
    for _ in range(3):
        start = time.perf_counter()
        db = await Database.open(root)
        opens.append(time.perf_counter() - start)
        await db.close()

    start = time.perf_counter()
    report = validate_root(root, full_logs=True)
    full_check = time.perf_counter() - start
    start = time.perf_counter()
    validate_root(root, full_logs=False)
    tail_check = time.perf_counter() - start

    ms = 1000.0
    print(f"\ndata dir: {root}")
    print_sizes(root)
    print(f"\nsingle write (insert/update of one open document), n={len(latencies)}:")
    print(
        f"  p50 {statistics.median(latencies) * ms:6.2f} ms   p99 {pct(latencies, 99) * ms:6.2f} ms"
        f"   max {max(latencies) * ms:6.2f} ms   (target p99 <= 20 ms)"
    )
    print(f"  worst event-loop stall meanwhile: {write_lag * ms:.2f} ms")
    print("200-recipient distribution (1 doc + counter + 200 receipts + audit, one run), n=20:")
    print(
        f"  p50 {statistics.median(fanout) * ms:6.2f} ms   max {max(fanout) * ms:6.2f} ms"
        f"   (target <= 200 ms)"
    )
    print(f"  worst event-loop stall meanwhile: {fanout_lag * ms:.2f} ms")
    print(
        f"start-up (Database.open, validates every file): first {first_open:.3f} s, "
        f"then {', '.join(f'{t:.3f}' for t in opens)} s   (target <= 2 s)"
    )
    print(
        f"  of which log check: full parse of {report.log_records:,} lines {full_check:.3f} s,"
        f" tail-only {tail_check:.3f} s"
    )


def print_sizes(root: Path) -> None:
    def mb(paths: list[Path]) -> str:
        return f"{sum(p.stat().st_size for p in paths) / 1e6:6.2f} MB in {len(paths)} files"

    json_files = [p for p in root.rglob("*.json") if p.name != "schema.json"]
    print("  open partitions:   ", mb([p for p in json_files if p.name == "open.json"]))
    print("  year archives:     ", mb([p for p in json_files if p.stem.isdigit()]))
    print("  archive indexes:   ", mb([p for p in json_files if p.name == "index.json"]))
    print("  logs (.jsonl):     ", mb(list(root.rglob("*.jsonl"))))
    biggest = max(json_files, key=lambda p: p.stat().st_size)
    print(
        f"  largest JSON file:  {biggest.relative_to(root)} {biggest.stat().st_size / 1e6:.2f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="data dir (kept; reused if it has data)")
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    root: Path = args.dir or Path(tempfile.mkdtemp(prefix="govbot-bench-"))
    try:
        if (root / "schema.json").exists():
            print(f"reusing the data in {root}")
        else:
            start = time.perf_counter()
            db = Database.open_sync(root)
            generate(db)
            db.close_sync()
            print(f"generated three years of data in {time.perf_counter() - start:.1f} s")
        asyncio.run(measure(root, args.samples))
    finally:
        if args.dir is None:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
