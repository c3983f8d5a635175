"""docs/lifecycles.md, generated from the declared lifecycles (a test keeps it current):

python -m handlers.lifecycle_docs > docs/lifecycles.md
"""

from __future__ import annotations

import sys

from handlers.leave.model import ABSENCE_LIFECYCLE
from handlers.meetings.model import MEETING_LIFECYCLE
from messages.render import Messages

# (lifecycle, the flows.toml table naming its states)
DOCUMENTED = [(MEETING_LIFECYCLE, "meeting_states"), (ABSENCE_LIFECYCLE, "leave_status")]


def render(messages: Messages) -> str:
    diagrams = [
        {
            "title": messages.label("lifecycles", lifecycle.name),
            "mermaid": lifecycle.mermaid({s: messages.label(table, s) for s in lifecycle.states}),
        }
        for lifecycle, table in DOCUMENTED
    ]
    return messages.text("lifecycles_doc", diagrams=diagrams) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(Messages()))
