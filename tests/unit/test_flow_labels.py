"""Every declared flow kind has its words in messages/flows.toml: its name and the article
a refusal's written opinion cites (the engine holds no rule text of its own)."""

from __future__ import annotations

from pathlib import Path

from bot.feature import flows_of
from handlers.features import FEATURES
from tests.unit.fakes import make_services


async def test_every_flow_kind_names_its_article(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    kinds = {flow.kind for flow in flows_of(FEATURES, services)}
    messages = services.messages
    assert kinds, "no flows declared"
    missing = [k for k in sorted(kinds) if not messages.has_label("opinion_articles", k)]
    assert missing == []
    assert all(messages.label("opinion_articles", k).startswith("第") for k in kinds)
    assert all(messages.has_label("kinds", k) for k in kinds)
    await services.db.close()
