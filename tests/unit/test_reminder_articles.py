"""Every reminder cites the article its step rests on (#16: "every reminder and refusal
must"): each step of each declared flow has one, its own or its flow kind's, and the
reminder text shows it."""

from __future__ import annotations

import re
from pathlib import Path

from bot.feature import flows_of
from handlers.approvals.notices import FlowNotices
from handlers.features import FEATURES
from handlers.wiring import wire_domain
from tests.unit.fakes import FakeDingTalk, make_services

ARTICLE = re.compile(r"^第[一二三四五六七八九十百零]+条$")


async def test_every_declared_step_has_an_article_for_its_reminders(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    wire_domain(services, FakeDingTalk())
    notices = FlowNotices(services)
    missing = []
    for flow in flows_of(FEATURES, services):
        for step in flow.steps:
            doc = {"id": "X", "kind": flow.kind, "title": "标题", "step": step.id, "trail": []}
            article = notices._step(doc, step.id)["article"]
            if not ARTICLE.match(article):
                missing.append(f"{flow.kind}.{step.id}: {article!r}")
    await services.db.close()
    assert missing == []


async def test_the_reminder_text_shows_the_steps_article(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    wire_domain(services, FakeDingTalk())
    doc = {
        "id": "QS2026-0001",
        "kind": "request",
        "title": "关于维修资金的请示",
        "step": "decide",
        "round": 1,
        "trail": [],
        "assignments": [],
    }
    [reminder] = FlowNotices(services).notify(doc, "reminder", ["u1"])
    await services.db.close()
    assert "县政府领导批示（第七十一条）" in str(reminder.payload)
