"""Agenda entries joining, leaving and moving between meetings (第五十四、六十三条).

An item the county head put on the agenda (上会) joins its meeting; one that comes too
late, or whose proposing deputy head will be absent ("原则上不研究"), moves to the next
meeting of the same kind, or waits for it to be planned. Everything here runs inside
the caller's storage call and returns what to send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.outgoing import Outgoing
from bot.workflow import END_APPROVED, FLOWS
from handlers.common.notify import markdown_message
from handlers.meetings.card import refresh_meeting_card
from handlers.meetings.model import AGENDA_ENTRY_LIFECYCLE, MEETINGS, next_meeting, stamp

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session


def entry_for(services: Services, flow: Mapping[str, Any]) -> dict[str, Any]:
    data = flow["data"]
    head = services.directory.unit_head(flow["unit_id"])
    return {
        "item": flow["id"],
        "title": flow["title"],
        "unit": flow["unit_id"],
        "submitter": flow["submitter"],
        "speaker": head.user_id if head else flow["submitter"],
        "deputy": data.get("proposer"),
        "minutes": int(data.get("minutes") or 0),
        "urgent": bool(data.get("urgent")),
        "files": list(data.get("files") or []),
        **AGENDA_ENTRY_LIFECYCLE.begin("on"),
        "flags": [],
        "moved_from": None,
        "decision": None,
    }


def attach(
    services: Services,
    session: Session,
    meeting: dict[str, Any],
    entry: dict[str, Any],
    flow: dict[str, Any],
) -> list[Outgoing]:
    """``flow`` is the item's flow doc; the caller stores it (the engine does, on finish)."""
    meeting["agenda"] = [e for e in meeting["agenda"] if e["item"] != entry["item"]] + [entry]
    flow["data"]["meeting"] = meeting["id"]
    flow["data"]["carry"] = False
    return refresh_meeting_card(services, session, meeting)


def move_on(
    services: Services,
    session: Session,
    meeting: dict[str, Any] | None,
    kind: str,
    entry: dict[str, Any],
    flow: dict[str, Any],
    reason: str,
) -> list[Outgoing]:
    """Moves the item to the next meeting of ``kind`` (or leaves it waiting for one) and
    tells the submitting unit why."""
    after = meeting["start_ms"] if meeting else 0
    target = next_meeting(session, kind, after, exclude=meeting["id"] if meeting else None)
    outgoing: list[Outgoing] = []
    moved = {
        **entry,
        **AGENDA_ENTRY_LIFECYCLE.begin("on"),
        "moved_from": meeting["id"] if meeting else None,
    }
    if target is not None:
        outgoing += attach(services, session, target, moved, flow)
    else:
        flow["data"].update(meeting=None, carry=True, carry_kind=kind, carry_entry=moved)
    messages = services.messages
    rendered = messages.markdown(
        "agenda_moved",
        number=flow["id"],
        title=flow["title"],
        reason=messages.label("agenda_move_reasons", reason),
        target=target["id"] if target else "",
        when=stamp(target["start_ms"]) if target else "",
    )
    for user in dict.fromkeys([flow["submitter"], entry["speaker"]]):
        outgoing.append(
            markdown_message(
                f"agenda:{flow['id']}:moved:{meeting['id'] if meeting else '-'}:{user}",
                user,
                rendered,
            )
        )
    return outgoing


def adopt_carried_items(
    services: Services, session: Session, meeting: dict[str, Any]
) -> list[Outgoing]:
    """A newly planned meeting takes the items waiting for a meeting of its kind."""
    flows = session.collection(FLOWS)
    waiting = flows.find(
        lambda d: (
            d["kind"] == "agenda"
            and d.get("outcome") == END_APPROVED
            and d["data"].get("carry")
            and d["data"].get("carry_kind") == meeting["kind"]
        )
    )
    outgoing: list[Outgoing] = []
    for flow in sorted(waiting, key=lambda d: d["created_ms"]):
        entry = dict(flow["data"].get("carry_entry") or entry_for(services, flow))
        outgoing += attach(services, session, meeting, entry, flow)
        flows.update(flow["id"], flow)
    session.collection(MEETINGS).update(meeting["id"], meeting)
    return outgoing


def flag_absent_proposer(
    services: Services, session: Session, meeting: dict[str, Any], user_id: str
) -> list[Outgoing]:
    """The deputy head who proposed items will be absent: they are normally not studied
    (第五十四条) and move to the next meeting; the county head may keep them. Changes
    ``meeting`` in place; the caller refreshes its card, which stores it."""
    head = services.directory.sole("county_head")
    if user_id == head.user_id:
        return []
    flows = session.collection(FLOWS)
    outgoing: list[Outgoing] = []
    for entry in meeting["agenda"]:
        if entry["status"] != "on" or entry.get("deputy") != user_id:
            continue
        flow = flows.get(entry["item"])
        if flow is None:
            continue
        AGENDA_ENTRY_LIFECYCLE.move(entry, "moved")
        entry["flags"] = [*entry.get("flags", []), "proposer_absent"]
        outgoing += move_on(
            services, session, meeting, meeting["kind"], entry, flow, "proposer_absent"
        )
        flows.update(flow["id"], flow)
        _, changes = services.workflow.start(
            session,
            flow_id=f"{entry['item']}-K{meeting['id'][-4:]}",
            kind="agenda_keep",
            submitter=meeting["planner"],
            unit_id=flow["unit_id"],
            title=flow["title"],
            data={
                "meeting": meeting["id"],
                "item": entry["item"],
                "absent": user_id,
                "card_fields": [
                    (services.messages.word("meeting_number"), meeting["id"]),
                    (services.messages.word("agenda_item"), entry["item"]),
                    (services.messages.word("absent_proposer"), _name(services, user_id)),
                ],
                "summary": services.messages.text(
                    "agenda_keep_summary", name=_name(services, user_id), meeting=meeting["title"]
                ),
            },
        )
        outgoing += changes.outgoing
    return outgoing  # the caller refreshes (and so stores) the meeting's card


def keep_item(
    services: Services, session: Session, keep_flow: dict[str, Any], outcome: str
) -> list[Outgoing]:
    """on_finish of agenda_keep: the county head decided to study the item after all."""
    if outcome != END_APPROVED or not keep_flow["trail"]:
        return []
    if keep_flow["trail"][-1]["action"] != "decide:keep":
        return []
    meetings = session.collection(MEETINGS)
    meeting = meetings.get(keep_flow["data"]["meeting"])
    flows = session.collection(FLOWS)
    flow = flows.get(keep_flow["data"]["item"])
    if (
        meeting is None
        or flow is None
        or meeting["state"] not in ("planned", "locked", "distributed")
    ):
        return []
    outgoing: list[Outgoing] = []
    target_id = flow["data"].get("meeting")
    if target_id and target_id != meeting["id"]:
        target = meetings.get(target_id)
        if target is not None:
            target["agenda"] = [e for e in target["agenda"] if e["item"] != flow["id"]]
            outgoing += refresh_meeting_card(services, session, target)
    for entry in meeting["agenda"]:
        if entry["item"] == flow["id"] and AGENDA_ENTRY_LIFECYCLE.may_move(entry, "kept"):
            AGENDA_ENTRY_LIFECYCLE.move(entry, "kept")
    flow["data"].update(meeting=meeting["id"], carry=False)
    flows.update(flow["id"], flow)
    outgoing += refresh_meeting_card(services, session, meeting)
    return outgoing


def _name(services: Services, user_id: str) -> str:
    person = services.directory.person(user_id)
    return person.name if person else user_id
