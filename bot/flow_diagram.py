"""A declared approval flow as a Mermaid flowchart (docs/lifecycles.md is generated from
the declarations, so the picture cannot drift from the code): its steps in order, who
answers how (one person, the first of several, everyone), the working days it is given,
steps that apply only to some flows, every choice and where it leads, and what silence
counts as at the deadline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.flow_model import END_APPROVED, ENDS, NEXT, FlowDef, Step

_ALWAYS = Step.__dataclass_fields__["applies"].default


@dataclass(frozen=True)
class DiagramWords:
    """The words of a diagram, from messages (no prose in the kernel)."""

    start: str
    sometimes: str  # marks a step that applies only to some flows
    escalates: str  # marks a step whose silence is reported upwards, never deemed
    modes: dict[str, str]  # "any" / "all": how several assignees answer
    days: Callable[[int], str]
    step: Callable[[str], str]  # step id -> its name
    decision: Callable[[str], str]
    outcome: Callable[[str], str]
    deemed: Callable[[str], str]  # silence at the deadline counts as this decision


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def _end_node(outcome: str) -> str:
    return "end_" + outcome.removeprefix("@")


def flow_mermaid(flow: FlowDef, words: DiagramWords, default_days: int) -> str:
    steps = list(flow.steps)
    lines = ["flowchart TD", f"    start([{_quoted(words.start)}])"]
    ends: set[str] = set()

    def target(goto: str, index: int) -> str:
        if goto == NEXT:
            goto = steps[index + 1].id if index + 1 < len(steps) else END_APPROVED
        if goto in ENDS:
            ends.add(goto)
            return _end_node(goto)
        return goto

    for step in steps:
        details = [words.modes[step.mode]] if step.mode in words.modes else []
        details.append(words.days(step.deadline_working_days or default_days))
        if step.escalate is not None:
            details.append(words.escalates)
        if step.applies is not _ALWAYS:
            details.append(words.sometimes)
        label = words.step(step.id) + "<br/>" + "，".join(details)
        lines.append(f"    {step.id}[{_quoted(label)}]")
    lines.append(f"    start --> {steps[0].id}")
    for index, step in enumerate(steps):
        if step.applies is not _ALWAYS:  # a step that does not apply is passed over
            before = "start" if index == 0 else steps[index - 1].id
            lines.append(f"    {before} -.-> {target(NEXT, index)}")
        for choice in step.choices:
            edge = _quoted(words.decision(choice.decision))
            lines.append(f"    {step.id} -- {edge} --> {target(choice.goto, index)}")
        if step.deemed is not None:
            goto = next(c.goto for c in step.choices if c.decision == step.deemed)
            edge = _quoted(words.deemed(step.deemed))
            lines.append(f"    {step.id} -. {edge} .-> {target(goto, index)}")
    for outcome in sorted(ends):
        lines.append(f"    {_end_node(outcome)}([{_quoted(words.outcome(outcome))}])")
    return "\n".join(lines)
