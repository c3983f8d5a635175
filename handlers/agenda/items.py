"""议题: a department submits an item for a government meeting (第十八、十九、五十一、
五十四–五十七条); ``议题 <编号>`` shows an item's state and trail.

The flow's diagram is generated from its declaration into docs/lifecycles.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.outgoing import Outgoing, file_to
from bot.router import CommandContext
from bot.workflow import (
    END_APPROVED,
    END_DEFERRED,
    END_REJECTED,
    FLOWS,
    Choice,
    FlowDef,
    FlowView,
    Step,
)
from handlers.approvals.query import may_see, query_document
from handlers.approvals.steps import cosign_step
from handlers.approvals.submit import RETURN, SIGNOFF, office_director, unit_head
from handlers.common.notify import markdown_message
from handlers.meetings.model import ITEM_NUMBER, MEETINGS, attendees, stamp
from handlers.meetings.moves import attach, entry_for, move_on
from handlers.requests.flow import ensure_submitting_unit

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from bot.services import Services
    from storage.session import Session

# -- the chain ----------------------------------------------------------------------


def _cosigners(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [h.user_id for u in flow.data.get("departments", []) if (h := directory.unit_head(u))]


def objectors(flow: FlowView) -> list[str]:
    """Department heads who answered the latest 会签 round with a different opinion."""
    rounds = [a["round"] for a in flow.doc["assignments"] if a["step"] == "cosign"]
    if not rounds:
        return []
    latest = max(rounds)
    return [
        a["user"]
        for a in flow.doc["assignments"]
        if a["step"] == "cosign" and a["round"] == latest and a["decision"] == "object"
    ]


def _objectors(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return objectors(flow)


def _proposer(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [str(flow.data["proposer"])]


def _admin_section(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [p.user_id for p in directory.holders("admin_section")]


def _decider(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [str(flow.data["decider"])]


def _has_departments(flow: FlowView) -> bool:
    return bool(flow.data.get("departments"))


def _disagreed(flow: FlowView) -> bool:
    return bool(objectors(flow))


def _proposer_differs(flow: FlowView) -> bool:
    return flow.data.get("proposer") != flow.data.get("decider")


def agenda_flow(services: Services) -> FlowDef:
    days = services.config.rules.cosign_working_days

    def finish(
        session: Session, flow: dict[str, Any], outcome: str, now: datetime
    ) -> list[Outgoing]:
        if outcome != END_APPROVED:
            return []
        return _on_agenda(services, session, flow)

    return FlowDef(
        "agenda",
        (
            SIGNOFF,
            cosign_step("cosign", _cosigners, days=days, applies=_has_departments, deemed=None),
            Step(
                "coord_note",
                unit_head,
                (Choice("note", opinion_required=True, style="primary"),),
                applies=_disagreed,
            ),
            Step(
                "coordinate",
                _proposer,
                (
                    Choice("agreed", opinion_required=True, style="primary"),
                    Choice("lead_opinion", opinion_required=True),
                ),
                applies=_disagreed,
            ),
            Step(
                "confirm",
                _objectors,
                (Choice("signed", style="primary"),),
                mode="all",
                applies=_disagreed,
            ),
            Step(
                "propose",
                _proposer,
                (Choice("propose", style="primary"), RETURN),
                applies=_proposer_differs,
            ),
            Step("collect", _admin_section, (Choice("pass", style="primary"), RETURN), mode="any"),
            Step("review", office_director, (Choice("pass", style="primary"), RETURN)),
            Step(
                "decide",
                _decider,
                (
                    Choice("on_agenda", END_APPROVED, style="primary"),
                    Choice("defer", END_DEFERRED, opinion_required=True),
                    Choice("not_on_agenda", END_REJECTED, opinion_required=True, style="danger"),
                ),
            ),
        ),
        on_finish=finish,
    )


def _on_agenda(services: Services, session: Session, flow: dict[str, Any]) -> list[Outgoing]:
    """上会: the item joins its meeting — unless the agenda has gone out already and the
    item is not urgent, or the meeting is over: then the next meeting (第五十四条)."""
    data = flow["data"]
    meeting = session.collection(MEETINGS).get(data["meeting"]) if data.get("meeting") else None
    entry = entry_for(services, flow)
    kind = meeting["kind"] if meeting else str(data.get("meeting_kind") or "executive")
    if meeting is None or meeting["state"] in ("held", "minuted", "cancelled"):
        return move_on(services, session, meeting, kind, entry, flow, "meeting_over")
    if meeting["state"] == "distributed" and not data.get("urgent"):
        return move_on(services, session, meeting, kind, entry, flow, "after_distribution")
    outgoing = attach(services, session, meeting, entry, flow)
    if meeting["state"] == "distributed":  # an urgent addition the county head agreed to
        outgoing += _send_addition(services, meeting, entry)
    return outgoing


def _send_addition(
    services: Services, meeting: dict[str, Any], entry: dict[str, Any]
) -> list[Outgoing]:
    rendered = services.messages.markdown(
        "agenda_added", meeting=meeting["title"], number=entry["item"], title=entry["title"]
    )
    people = attendees(meeting)
    outgoing = [markdown_message(f"agenda:{entry['item']}:added:{u}", u, rendered) for u in people]
    outgoing += [
        file_to(f"agenda:{entry['item']}:file:{i}", user_ids=people, path=f["path"], name=f["name"])
        for i, f in enumerate(entry["files"])
    ]
    return outgoing


async def agenda_command(ctx: CommandContext) -> list[Outgoing]:
    """议题 starts the form; 议题 <编号> shows an item."""
    if ITEM_NUMBER.fullmatch(ctx.args.strip()):
        return await show_item(ctx)
    ensure_submitting_unit(ctx)
    return await ctx.services.forms.begin(ctx, "agenda")


async def show_item(ctx: CommandContext) -> list[Outgoing]:
    """The item's state and trail (as 公文 shows it), and where it stands on the agenda."""
    services = ctx.services
    number = ctx.args.strip().upper()

    def where(session: Session) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        flow = session.collection(FLOWS).get(number)
        if flow is None or flow["kind"] != "agenda":
            return None, None
        meeting_id = flow["data"].get("meeting")
        return flow, session.collection(MEETINGS).get(meeting_id) if meeting_id else None

    flow, meeting = await services.db.run(where)
    if flow is None or not may_see(ctx.sender, flow):
        return [ctx.text("query_not_found", wanted=number)]
    replies = await query_document(ctx)
    entry = next((e for e in meeting["agenda"] if e["item"] == number), None) if meeting else None
    label = services.messages.label
    decision = (entry or {}).get("decision") or {}
    replies.append(
        ctx.markdown(
            "agenda_item_meeting",
            meeting=meeting["title"] if meeting else "",
            number=meeting["id"] if meeting else "",
            when=stamp(meeting["start_ms"]) if meeting else "",
            status=label("agenda_entry_status", entry["status"]) if entry else "",
            waiting=bool(flow["data"].get("carry")),
            decision=label("meeting_decisions", decision["result"]) if decision else "",
            decision_text=decision.get("text", ""),
        )
    )
    return replies
