"""议题: a department submits an item for a government meeting (第十八、十九、五十一、
五十四–五十七条); ``议题 <编号>`` shows an item's state and trail.

```mermaid
flowchart LR
    submit([部门提交议题<br/>材料齐全、合法性审查、截止前]) --> signoff[主要负责人签发]
    signoff --> cosign[涉及部门会签<br/>每个部门主要负责人签署]
    cosign -- 有不同意见 --> note[主办部门附协调说明] --> coord[分管副县长协调<br/>否则主导意见]
    coord --> confirm[参与协调部门签字]
    cosign -- 一致 --> propose
    confirm --> propose[分管副县长上会建议]
    propose -- 退回: 属部门/分管领导职责范围 --> returned([退回])
    propose --> collect[行政股汇总审核] --> review[办公室主任审核] --> decide{县长}
    decide -- 上会 --> agenda([列入会议议程])
    decide -- 暂缓 --> deferred([暂缓])
    decide -- 不上会 --> rejected([不上会])
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.clock import TZ
from bot.dialog import Form, FormField, close_dialog
from bot.errors import RuleViolation, UserFacingError
from bot.outgoing import Outgoing, file_to, markdown_to
from bot.router import CommandContext
from bot.workflow import (
    END_APPROVED,
    END_DEFERRED,
    END_REJECTED,
    END_RETURNED,
    FLOWS,
    Choice,
    FlowDef,
    FlowView,
    Step,
)
from handlers import agenda_fields as fields
from handlers.document_query import may_see, query_document
from handlers.meeting_model import MEETINGS, attendees, starts_at
from handlers.meeting_moves import attach, entry_for, move_on
from handlers.requests import SUBMITTING_KINDS

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from bot.services import Services
    from storage.session import Session

ITEM_NUMBER = re.compile(r"^YT\d{4}-\d{4}$", re.IGNORECASE)
MATERIALS = ("material", "basis", "legality", "attendees", "decision")
MAJOR_STEPS = ("participation", "expert", "risk")


# -- the chain ----------------------------------------------------------------------


def _unit_head(flow: FlowView, directory: OrgDirectory) -> list[str]:
    head = directory.unit_head(flow.unit_id)
    return [head.user_id] if head else [flow.submitter]


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


def _director(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [directory.sole("office_director").user_id]


def _decider(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [str(flow.data["decider"])]


def _needs_signoff(flow: FlowView) -> bool:
    head = flow.data.get("unit_head")
    return bool(head) and head != flow.submitter


def _has_departments(flow: FlowView) -> bool:
    return bool(flow.data.get("departments"))


def _disagreed(flow: FlowView) -> bool:
    return bool(objectors(flow))


def _proposer_differs(flow: FlowView) -> bool:
    return flow.data.get("proposer") != flow.data.get("decider")


RETURN = Choice("return", END_RETURNED, opinion_required=True, style="danger")


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
            Step(
                "signoff",
                _unit_head,
                (Choice("sign", style="primary"), RETURN),
                applies=_needs_signoff,
            ),
            Step(
                "cosign",
                _cosigners,
                (
                    Choice("agree", style="primary"),
                    Choice("object", opinion_required=True, style="danger"),
                ),
                mode="all",
                deadline_working_days=days,
                applies=_has_departments,
            ),
            Step(
                "coord_note",
                _unit_head,
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
            Step("review", _director, (Choice("pass", style="primary"), RETURN)),
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
    if meeting is None or meeting["state"] in ("held", "minuted"):
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
    outgoing = [
        markdown_to(
            f"agenda:{entry['item']}:added:{u}", user_id=u, title=rendered.title, text=rendered.text
        )
        for u in people
    ]
    outgoing += [
        file_to(f"agenda:{entry['item']}:file:{i}", user_ids=people, path=f["path"], name=f["name"])
        for i, f in enumerate(entry["files"])
    ]
    return outgoing


# -- the form ---------------------------------------------------------------------------


def _executive(values: Mapping[str, Any]) -> bool:
    chosen = values.get("meeting")
    return isinstance(chosen, dict) and chosen.get("kind") == "executive"


FORM_FIELDS = (
    FormField("meeting", fields.meeting),
    FormField("title", fields.title),
    FormField("task", fields.task, applies=_executive),
    FormField("summary", fields.summary),
    FormField("minutes", fields.minutes),
    FormField("normative", fields.yes_no),
    FormField("major", fields.yes_no),
    FormField("legality", fields.legality, accepts_file=True),
    FormField("participation", fields.text_or_file, accepts_file=True, applies=fields.is_major),
    FormField("expert", fields.text_or_file, accepts_file=True, applies=fields.is_major),
    FormField("risk", fields.text_or_file, accepts_file=True, applies=fields.is_major),
    FormField("material", fields.text_or_file, accepts_file=True),
    FormField("basis", fields.text_or_file, accepts_file=True),
    FormField("attendees", fields.text_or_file),
    FormField("decision", fields.text_or_file, accepts_file=True),
    FormField("departments", fields.departments, optional=True),
    FormField("party_committee", fields.yes_no),
    FormField("urgent", fields.urgent, optional=True, applies=fields.is_late),
)


def _stamp(ms: int) -> str:
    return f"{datetime.fromtimestamp(ms / 1000, TZ):%Y-%m-%d %H:%M}"


def _check(ctx: CommandContext, values: Mapping[str, Any]) -> None:
    chosen = values["meeting"]
    if (values.get("normative") or values.get("major")) and "review" not in (
        values.get("legality") or {}
    ):
        raise RuleViolation("agenda_needs_legality_review")
    if chosen["late"] and not values.get("urgent"):
        offer = chosen.get("next")
        raise RuleViolation(
            "agenda_late",
            number=chosen["id"],
            deadline=_stamp(chosen["deadline_ms"]),
            next_number=offer["id"] if offer else "",
            next_start=_stamp(offer["start_ms"]) if offer else "",
            next_deadline=_stamp(offer["deadline_ms"]) if offer else "",
        )


def _material_text(ctx: CommandContext, value: Mapping[str, Any] | None) -> str:
    if not value:
        return ctx.services.messages.word("none")
    if "file" in value:
        return ctx.services.messages.word("attachment", name=value["file"]["name"])
    text = str(value.get("text", ""))
    return text if len(text) <= 60 else text[:59] + "…"


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    services = ctx.services
    word = services.messages.word
    label = services.forms.label_of
    chosen = values["meeting"]
    directory = services.directory
    rows = [
        (
            label("agenda", "meeting"),
            f"{chosen['id']} {chosen['title']}（{_stamp(chosen['start_ms'])}）",
        ),
        (label("agenda", "title"), values["title"]),
    ]
    if values.get("task"):
        rows.append(
            (label("agenda", "task"), services.messages.label("meeting_tasks", str(values["task"])))
        )
    rows += [
        (
            label("agenda", "summary"),
            values["summary"] if len(values["summary"]) <= 120 else values["summary"][:119] + "…",
        ),
        (label("agenda", "minutes"), word("minutes_value", minutes=values["minutes"])),
        (label("agenda", "normative"), word("yes" if values["normative"] else "no")),
        (label("agenda", "major"), word("yes" if values["major"] else "no")),
    ]
    keys = [
        "legality",
        *(MAJOR_STEPS if values.get("major") else ()),
        *MATERIALS[:1],
        "basis",
        "attendees",
        "decision",
    ]
    rows += [(label("agenda", k), _material_text(ctx, values.get(k))) for k in dict.fromkeys(keys)]
    departments = [u.name for d in values.get("departments") or [] if (u := directory.unit(d))]
    rows += [
        (label("agenda", "departments"), "、".join(departments) or word("none")),
        (label("agenda", "party_committee"), word("yes" if values["party_committee"] else "no")),
    ]
    if values.get("urgent"):
        rows.append((label("agenda", "urgent"), values["urgent"]))
    return rows


async def _materials(
    ctx: CommandContext, values: Mapping[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Files are fetched now (DingTalk's download codes expire); texts are kept as is."""
    materials: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    for key in (*MATERIALS, *MAJOR_STEPS):
        value = values.get(key)
        if not value:
            continue
        if "file" in value:
            stored = (
                await ctx.services.files.fetch(
                    value["file"]["download_code"], value["file"]["name"]
                )
            ).to_doc()
            materials[key] = {"file": stored}
            files.append(stored)
        else:
            materials[key] = {k: v for k, v in value.items() if k in ("text", "review")}
    return materials, files


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    directory = services.directory
    sender = ctx.sender
    chosen = values["meeting"]
    materials, files = await _materials(ctx, values)
    head = directory.unit_head(sender.unit_id)
    leader = directory.leader_in_charge(sender.unit_id) or directory.sole("county_head")
    departments = list(values.get("departments") or [])
    now = services.clock.now()
    key = f"reply:{ctx.message.msg_id}:submitted"

    def submit(session: Session) -> None:
        meeting = session.collection(MEETINGS).get(chosen["id"])
        if meeting is None or meeting["state"] not in ("planned", "locked", "distributed"):
            raise UserFacingError("agenda_meeting_over", number=chosen["id"])
        if meeting["deadline_ms"] <= int(now.timestamp() * 1000) and not values.get("urgent"):
            raise RuleViolation(
                "agenda_late",
                number=meeting["id"],
                deadline=_stamp(meeting["deadline_ms"]),
                next_number="",
                next_start="",
                next_deadline="",
            )
        decider = (
            meeting["chair"]
            if meeting["kind"] == "topical"
            else directory.sole("county_head").user_id
        )
        data = {
            "meeting": meeting["id"],
            "meeting_kind": meeting["kind"],
            "task": values.get("task"),
            "summary": values["summary"],
            "minutes": values["minutes"],
            "normative": values["normative"],
            "major": values["major"],
            "legality_review": (values.get("legality") or {}).get("review"),
            "materials": materials,
            "files": files,
            "departments": departments,
            "party_committee": values["party_committee"],
            "urgent": values.get("urgent") or "",
            "proposer": leader.user_id,
            "decider": decider,
            "unit_head": head.user_id if head else None,
            "watchers": [head.user_id] if head and head.user_id != sender.user_id else [],
            "attachment_name": "、".join(f["name"] for f in files),
            "card_fields": _card_fields(services, values, meeting, departments),
        }
        number = session.counter_next(f"agenda:{now.year}")
        flow_id = f"YT{now.year}-{number:04d}"
        doc, changes = services.workflow.start(
            session,
            flow_id=flow_id,
            kind="agenda",
            submitter=sender.user_id,
            unit_id=sender.unit_id,
            title=values["title"],
            data=data,
        )
        close_dialog(session, sender.user_id)
        step = services.messages.label("steps.agenda", doc["step"]) if doc["step"] else ""
        reply = ctx.text(
            "agenda_submitted",
            number=flow_id,
            title=values["title"],
            meeting=meeting["title"],
            step=step,
        )
        services.outbox.stage(
            session, [*changes.outgoing, Outgoing(key, reply.kind, reply.payload)]
        )

    await services.db.run(submit)
    services.outbox.wake()
    return []


def _card_fields(
    services: Services,
    values: Mapping[str, Any],
    meeting: Mapping[str, Any],
    departments: list[str],
) -> list[tuple[str, str]]:
    word = services.messages.word
    label = services.forms.label_of
    directory = services.directory
    rows = [
        (word("meeting_number"), f"{meeting['id']} {meeting['title']}"),
        (word("meeting_time"), f"{starts_at(meeting):%Y-%m-%d %H:%M}"),
        (label("agenda", "minutes"), word("minutes_value", minutes=values["minutes"])),
    ]
    flags = [
        label("agenda", key) for key in ("normative", "major", "party_committee") if values.get(key)
    ]
    if flags:
        rows.append((word("agenda_flags"), "、".join(flags)))
    review = (values.get("legality") or {}).get("review")
    if review:
        rows.append((label("agenda", "legality"), review))
    if departments:
        rows.append(
            (
                label("agenda", "departments"),
                "、".join(u.name for d in departments if (u := directory.unit(d))),
            )
        )
    if values.get("urgent"):
        rows.append((label("agenda", "urgent"), str(values["urgent"])))
    return rows


def _ensure_may_submit(ctx: CommandContext) -> None:
    unit = ctx.services.directory.unit(ctx.sender.unit_id)
    if unit is None or unit.kind not in SUBMITTING_KINDS:
        raise UserFacingError("agenda_not_for_unit", unit=unit.name if unit else "")


AGENDA_FORM = Form("agenda", FORM_FIELDS, _submit, _summary, _check)


async def agenda_command(ctx: CommandContext) -> list[Outgoing]:
    """议题 starts the form; 议题 <编号> shows an item."""
    if ITEM_NUMBER.match(ctx.args.strip()):
        return await show_item(ctx)
    _ensure_may_submit(ctx)
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
            when=f"{starts_at(meeting):%Y-%m-%d %H:%M}" if meeting else "",
            status=label("agenda_entry_status", entry["status"]) if entry else "",
            waiting=bool(flow["data"].get("carry")),
            decision=label("meeting_decisions", decision["result"]) if decision else "",
            decision_text=decision.get("text", ""),
        )
    )
    return replies
