"""docs/lifecycles.md, generated from the declarations (a test keeps it current): every
approval flow as a flowchart, and the lifecycles of meetings, agenda entries, absences
and supervision items as state diagrams.

python -m handlers.lifecycle_docs [--config config.toml] > docs/lifecycles.md

The flows are built as the bot builds them (some take their limits from the
organisation file's [rules]; the committed file is generated with the demo's).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot.calendar import WorkCalendar
from bot.clock import SystemClock
from bot.config import OrgDirectory, load_config
from bot.feature import card_actions_of, commands_of, flows_of
from bot.flow_diagram import DiagramWords, flow_mermaid
from bot.flow_model import FlowDef
from bot.router import Router
from bot.services import Services
from handlers.approvals.card import outcome_label
from handlers.emergencies.model import EMERGENCY_LIFECYCLE
from handlers.features import FEATURES
from handlers.information.model import INFORMATION_LIFECYCLE
from handlers.leave.model import ABSENCE_LIFECYCLE
from handlers.letters.model import LETTER_LIFECYCLE
from handlers.meetings.model import AGENDA_ENTRY_LIFECYCLE, MEETING_LIFECYCLE
from handlers.normative.model import NORMATIVE_LIFECYCLE
from handlers.supervision.model import SUPERVISION_LIFECYCLE
from messages.render import Messages
from storage.database import Database

# (lifecycle, the flows.toml table naming its states)
DOCUMENTED = [
    (MEETING_LIFECYCLE, "meeting_states"),
    (AGENDA_ENTRY_LIFECYCLE, "agenda_entry_status"),
    (ABSENCE_LIFECYCLE, "leave_status"),
    (SUPERVISION_LIFECYCLE, "supervision_states"),
    (EMERGENCY_LIFECYCLE, "emergency_states"),
    (LETTER_LIFECYCLE, "letter_states"),
    (INFORMATION_LIFECYCLE, "information_states"),
    (NORMATIVE_LIFECYCLE, "normative_states"),
]


def _words(messages: Messages, kind: str) -> DiagramWords:
    def word(key: str) -> str:
        return messages.label("diagram", key)

    def step(step_id: str) -> str:
        return messages.label(f"steps.{kind}", step_id)

    def decision(key: str) -> str:
        return messages.label("decisions", key)

    return DiagramWords(
        start=word("start"),
        sometimes=word("sometimes"),
        escalates=word("escalates"),
        modes={"any": word("any"), "all": word("all")},
        days=lambda n: word("days").format(n=n),
        step=step,
        decision=decision,
        outcome=lambda outcome: outcome_label(messages, kind, outcome),
        # As the trail says it (e.g. "逾期未复，视为无不同意见（第六十九条）").
        deemed=lambda key: messages.label("deemed", key),
    )


def render(messages: Messages, flows: Sequence[FlowDef], default_days: int) -> str:
    diagrams = [
        {
            "title": messages.label("diagram", "title").format(
                kind=messages.label("kinds", flow.kind)
            ),
            "mermaid": flow_mermaid(flow, _words(messages, flow.kind), default_days),
        }
        for flow in flows
    ]
    diagrams += [
        {
            "title": messages.label("lifecycles", lifecycle.name),
            "mermaid": lifecycle.mermaid({s: messages.label(table, s) for s in lifecycle.states}),
        }
        for lifecycle, table in DOCUMENTED
    ]
    return messages.text("lifecycles_doc", diagrams=diagrams) + "\n"


def _flows_of_config(config_path: Path, data: Path) -> tuple[list[FlowDef], int]:
    """The flows as the bot declares them for this organisation file."""
    config = load_config(config_path)
    db = Database.open_sync(data)
    messages = Messages()
    try:
        router = Router(
            commands_of(FEATURES),
            card_actions_of(FEATURES),
            has_description=messages.has_command_text,
        )
        services = Services(
            config=config,
            directory=OrgDirectory(config),
            calendar=WorkCalendar(config.calendar_overrides),
            clock=SystemClock(),
            messages=messages,
            db=db,
            router=router,
        )
        return flows_of(FEATURES, services), config.rules.step_working_days
    finally:
        db.close_sync()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handlers.lifecycle_docs")
    parser.add_argument("--config", default="sandbox/demo_org.toml")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        flows, days = _flows_of_config(Path(args.config), Path(scratch))
    sys.stdout.write(render(Messages(), flows, days))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
