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


async def test_every_step_and_choice_has_its_words(tmp_path: Path) -> None:
    """What a card and a trail show for each step and answer (a missing word would fail
    only when someone presses the button)."""
    services = await make_services(tmp_path)
    messages = services.messages
    missing = []
    for flow in flows_of(FEATURES, services):
        for step in flow.steps:
            if not messages.has_label(f"steps.{flow.kind}", step.id):
                missing.append(f"steps.{flow.kind}.{step.id}")
            for choice in step.choices:
                if not messages.has_label("decisions", choice.decision):
                    missing.append(f"decisions.{choice.decision}")
                if not (
                    messages.has_label(f"done_by_kind.{flow.kind}", choice.decision)
                    or messages.has_label("done", choice.decision)
                ):
                    missing.append(f"done.{choice.decision}")
            if step.when_skipped and not messages.has_label("done", step.when_skipped):
                missing.append(f"done.{step.when_skipped}")
    assert missing == []
    await services.db.close()
