"""纪要: the office drafts the minutes of a held meeting whose items all have decisions;
the office director reviews them and the county head signs (专题会议: its chair); they are
then numbered and issued at once through the 第七十八条 distribution (第五十八条)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField
from bot.errors import RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import END_APPROVED, Choice, FlowDef, FlowView, Step
from handlers.agenda import fields
from handlers.approvals.submit import RETURN, Submission, office_director, start_submitted_flow
from handlers.common.answers import trimmed_text
from handlers.common.commands import form_command
from handlers.common.material import material_shown
from handlers.common.staging import stage_and_send
from handlers.distribution.start import start_distribution
from handlers.documents.outgoing import DOCUMENTS
from handlers.meetings.card import refresh_meeting_card
from handlers.meetings.decisions import ensure_office
from handlers.meetings.model import (
    MEETING_LIFECYCLE,
    MEETINGS,
    attendees,
    on_agenda,
    stored_meeting,
)

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from bot.services import Services
    from storage.session import Session


async def _meeting(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> dict[str, str]:
    number = str(answer).strip().upper()
    meeting = await ctx.services.db.run(lambda s: stored_meeting(s, number))
    if meeting["state"] != "held":
        raise RuleViolation(
            "minutes_not_held",
            number=number,
            state=ctx.services.messages.label("meeting_states", meeting["state"]),
        )
    if meeting.get("minutes_flow"):
        raise UserFacingError("minutes_exists", number=meeting["minutes_flow"])
    undecided = [e["item"] for e in on_agenda(meeting) if not e.get("decision")]
    if undecided:
        raise RuleViolation("minutes_undecided", items="、".join(undecided))
    return {"id": meeting["id"], "title": meeting["title"]}


def _body(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> dict[str, Any]:
    return fields.text_or_file(answer, ctx, values)


_abstract = trimmed_text(2, 2000, "decision_text_empty")


def _has_file(values: Mapping[str, Any]) -> bool:
    return "file" in (values.get("body") or {})


def _minutes_summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    label = ctx.services.forms.label_of
    shown = material_shown(ctx.services.messages, values["body"])
    return [
        (label("minutes", "meeting"), f"{values['meeting']['id']} {values['meeting']['title']}"),
        (label("minutes", "body"), shown),
    ]


async def _submit_minutes(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    body = values["body"]
    attachment = None
    text = str(body.get("text", ""))
    if "file" in body:
        attachment = (
            await services.files.fetch(body["file"]["download_code"], body["file"]["name"])
        ).to_doc()
        text = str(values.get("text") or "")

    def submit(session: Session) -> None:
        meetings = session.collection(MEETINGS)
        meeting = meetings.get(values["meeting"]["id"])
        if meeting is None or meeting["state"] != "held" or meeting.get("minutes_flow"):
            raise UserFacingError(
                "minutes_exists", number=(meeting or {}).get("minutes_flow") or ""
            )
        flow_id = f"{meeting['id']}-JY"
        signer = (
            meeting["chair"]
            if meeting["kind"] == "topical"
            else services.directory.sole("county_head").user_id
        )
        decisions = [
            services.messages.word(
                "decided_line",
                title=e["title"],
                result=services.messages.label("meeting_decisions", e["decision"]["result"]),
            )
            for e in on_agenda(meeting)
        ]
        meeting["minutes_flow"] = flow_id
        meetings.update(meeting["id"], meeting)
        data = {
            "meeting": meeting["id"],
            "meeting_kind": meeting["kind"],
            "signer": signer,
            "body": text,
            "attachment": attachment,
            "attachment_name": attachment["name"] if attachment else "",
            "card_fields": [
                (services.messages.word("meeting_number"), meeting["id"]),
                (
                    services.messages.word("meeting_decided"),
                    services.messages.word("list_separator").join(decisions),
                ),
            ],
        }
        start_submitted_flow(ctx, session, flow_id, Submission("minutes", meeting["title"], data))

    return await stage_and_send(services, submit)


MINUTES_FORM = Form(
    "minutes",
    (
        FormField("meeting", _meeting),
        FormField("body", _body, accepts_file=True),
        FormField("text", _abstract, applies=_has_file),
    ),
    _submit_minutes,
    _minutes_summary,
)


start_minutes = form_command("minutes", ensure_office)


def _signer(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [str(flow.data["signer"])]


def _reviewed(flow: FlowView) -> bool:
    return flow.data.get("meeting_kind") != "topical"


def minutes_flow(services: Services) -> FlowDef:
    def issue(
        session: Session, flow: dict[str, Any], outcome: str, now: datetime
    ) -> list[Outgoing]:
        meetings = session.collection(MEETINGS)
        meeting = meetings.get(flow["data"]["meeting"])
        if meeting is None:
            return []
        if outcome != END_APPROVED:  # returned: the office drafts again
            meeting["minutes_flow"] = None
            meetings.update(meeting["id"], meeting)
            return []
        return _issue(services, session, meeting, flow, now)

    return FlowDef(
        "minutes",
        (
            Step(
                "review",
                office_director,
                (Choice("pass", style="primary"), RETURN),
                applies=_reviewed,
            ),
            Step("sign", _signer, (Choice("sign", END_APPROVED, style="primary"), RETURN)),
        ),
        on_finish=issue,
    )


def _issue(
    services: Services,
    session: Session,
    meeting: dict[str, Any],
    flow: dict[str, Any],
    now: datetime,
) -> list[Outgoing]:
    """Signed: numbered and distributed at once (第五十八、七十八条)."""
    messages = services.messages
    seq = session.counter_next(f"minutes:{meeting['kind']}:{now.year}")
    number = messages.word(
        "minutes_number_format",
        county=services.config.county.name,
        kind=messages.label("meeting_kinds", meeting["kind"]),
        year=now.year,
        seq=seq,
    )
    units = list(dict.fromkeys(e["unit"] for e in on_agenda(meeting)))
    document = {
        "id": number,
        "flow": flow["id"],
        "type": "minutes",
        "year": now.year,
        "seq": seq,
        "title": messages.word("minutes_title", title=meeting["title"]),
        "issued_at": now.isoformat(),
        "issuer": messages.word("issuer_county_gov", county=services.config.county.name),
        "body": flow["data"]["body"],
        "attachment": flow["data"].get("attachment"),
        "disclosure": messages.word("minutes_disclosure"),
        "withdrawn": False,
        "withdrawn_at": None,
        "recipient_units": units,
        "recipient_people": attendees(meeting),
    }
    session.collection(DOCUMENTS).insert(document)
    MEETING_LIFECYCLE.move(meeting, "minuted")
    meeting["minutes"] = number
    flow["data"]["number"] = number
    flow["data"]["card_fields"] = [
        *flow["data"].get("card_fields", []),
        (messages.word("doc_number"), number),
    ]
    outgoing = start_distribution(services, session, document, flow, now)
    return outgoing + refresh_meeting_card(services, session, meeting)
