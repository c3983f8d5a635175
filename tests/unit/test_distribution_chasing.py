"""When the unsigned recipients of a distributed document are chased (第七十八条): on a
working morning, never in the evening or over a weekend or holiday."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pytest

from bot.calendar import WorkCalendar
from bot.clock import TZ
from handlers.distribution.distribute import distribution_actions
from handlers.distribution.start import chasing_moment, chasing_moments
from tests.unit.fakes import make_services


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.mark.parametrize(
    ("issued", "reminded", "reported"),
    [
        # Friday afternoon: Monday morning, then Tuesday morning (not Friday 18:00).
        ("2026-11-27 15:00", "2026-11-30 08:30", "2026-12-01 08:30"),
        # Tuesday: Wednesday and Thursday morning.
        ("2026-11-24 10:00", "2026-11-25 08:30", "2026-11-26 08:30"),
        # Before 国庆 2026 (Oct 1-7 off): Thursday 8th and Friday 9th.
        ("2026-09-30 16:00", "2026-10-08 08:30", "2026-10-09 08:30"),
        # Friday 9th: the adjusted working Saturday 10th, then Monday 12th.
        ("2026-10-09 11:00", "2026-10-10 08:30", "2026-10-12 08:30"),
    ],
)
async def test_chased_on_working_mornings(
    tmp_path: Path, issued: str, reminded: str, reported: str
) -> None:
    services = await make_services(tmp_path)
    try:
        assert chasing_moments(services, _at(issued)) == (_at(reminded), _at(reported))
    finally:
        await services.db.close()


def test_chasing_moment_uses_the_given_morning_and_day_count() -> None:
    moment = chasing_moment(WorkCalendar(), _at("2026-11-27 09:00"), 2, time(9, 0))
    assert moment == _at("2026-12-01 09:00")


async def test_reminder_and_report_cite_the_article_and_day_count(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    try:

        def store(session: object) -> None:
            session.collection("distributions").insert(  # type: ignore[attr-defined]
                {
                    "id": "阳政办发〔2026〕9号",
                    "title": "关于做好冬季供水保障工作的通知",
                    "recipients": {"u1": {"unit": "jyj", "signed_ms": None, "read_ms": None}},
                    "office": ["clerk"],
                }
            )

        await services.db.run(store)
        actions = distribution_actions(services)
        action = {"doc": "阳政办发〔2026〕9号"}
        reminder = await services.db.run(lambda s: actions["dist.remind"](s, action))
        report = await services.db.run(lambda s: actions["dist.escalate"](s, action))
        remind_text = reminder[0].payload["msg_param"]["text"]
        report_text = report[0].payload["msg_param"]["text"]
        assert "第七十八条" in remind_text and "已分发 1 个工作日" in remind_text
        assert "第七十八条" in report_text and "分发已 2 个工作日" in report_text
    finally:
        await services.db.close()
