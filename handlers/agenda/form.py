"""The 议题 form (第十八、十九、五十一、五十四–五十七条): its fields, the checks across
them, the summary and the submission that starts the item's chain (handlers/agenda/items.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.dialog import Form, FormField
from bot.errors import RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import FLOWS
from handlers.agenda import fields
from handlers.approvals.submit import Submission, start_submitted_flow
from handlers.common.answers import yes_no
from handlers.common.numbers import next_number
from handlers.common.staging import stage_and_send
from handlers.meetings.model import MEETINGS, next_meeting, stamp

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session

MATERIALS = ("material", "basis", "legality", "attendees", "decision")
MAJOR_STEPS = ("participation", "expert", "risk")


def _executive(values: Mapping[str, Any]) -> bool:
    chosen = values.get("meeting")
    return isinstance(chosen, dict) and chosen.get("kind") == "executive"


FORM_FIELDS = (
    FormField("meeting", fields.meeting),
    FormField("title", fields.title),
    FormField("task", fields.task, applies=_executive),
    FormField("summary", fields.summary),
    FormField("minutes", fields.minutes),
    FormField("normative", yes_no),
    FormField("major", yes_no),
    FormField("legality", fields.legality, accepts_file=True),
    FormField("participation", fields.text_or_file, accepts_file=True, applies=fields.is_major),
    FormField("expert", fields.text_or_file, accepts_file=True, applies=fields.is_major),
    FormField("risk", fields.text_or_file, accepts_file=True, applies=fields.is_major),
    FormField("material", fields.text_or_file, accepts_file=True),
    FormField("basis", fields.text_or_file, accepts_file=True),
    FormField("attendees", fields.text_or_file),
    FormField("decision", fields.text_or_file, accepts_file=True),
    FormField("departments", fields.departments, optional=True),
    FormField("party_committee", yes_no),
    FormField("urgent", fields.urgent, optional=True, applies=fields.is_late),
)


def _check(ctx: CommandContext, values: Mapping[str, Any]) -> None:
    chosen = values["meeting"]
    if (values.get("normative") or values.get("major")) and "review" not in (
        values.get("legality") or {}
    ):
        raise RuleViolation("agenda_needs_legality_review")
    if chosen["late"] and not values.get("urgent"):
        raise _too_late(chosen, chosen.get("next"))


def _too_late(meeting: Mapping[str, Any], offer: Mapping[str, Any] | None) -> RuleViolation:
    """Past the deadline the agenda is fixed (第五十四条): say when it closed, offer the next
    meeting, or the urgent route."""
    return RuleViolation(
        "agenda_late",
        number=meeting["id"],
        deadline=stamp(meeting["deadline_ms"]),
        next_number=offer["id"] if offer else "",
        next_start=stamp(offer["start_ms"]) if offer else "",
        next_deadline=stamp(offer["deadline_ms"]) if offer else "",
    )


def _material_text(ctx: CommandContext, value: Mapping[str, Any] | None, limit: int = 60) -> str:
    if not value:
        return ctx.services.messages.word("none")
    if "file" in value:
        return ctx.services.messages.word("attachment", name=value["file"]["name"])
    text = str(value.get("text", ""))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    services = ctx.services
    word = services.messages.word
    label = services.forms.label_of
    chosen = values["meeting"]
    directory = services.directory
    rows = [
        (
            label("agenda", "meeting"),
            f"{chosen['id']} {chosen['title']}（{stamp(chosen['start_ms'])}）",
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
    review = (values.get("legality") or {}).get("review")
    if review:  # the 司法局's review document goes out with the item's materials
        flow = await ctx.services.db.run(lambda s: s.collection(FLOWS).get(review))
        document = (flow or {}).get("data", {}).get("review_doc")
        if document:
            files.append(document)
    return materials, files


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    directory = services.directory
    sender = ctx.sender
    chosen = values["meeting"]
    materials, files = await _materials(ctx, values)
    head = directory.unit_head(sender.unit_id)
    leader = directory.responsible_leader(sender.unit_id)
    departments = list(values.get("departments") or [])
    now = services.clock.now()

    def submit(session: Session) -> None:
        meeting = session.collection(MEETINGS).get(chosen["id"])
        if meeting is None or meeting["state"] not in ("planned", "locked", "distributed"):
            raise UserFacingError("agenda_meeting_over", number=chosen["id"])
        if meeting["deadline_ms"] <= to_epoch_ms(now) and not values.get("urgent"):
            # The deadline passed while the form was open (第五十四条).
            raise _too_late(meeting, next_meeting(session, meeting["kind"], meeting["start_ms"]))
        decider = (
            meeting["chair"]
            if meeting["kind"] == "topical"
            else directory.sole("county_head").user_id
        )
        data = {
            "meeting": meeting["id"],
            "meeting_kind": meeting["kind"],
            "task": values.get("task"),
            "summary": _card_summary(ctx, values),
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
        flow_id = next_number(session, "agenda", "YT", now.year)
        submission = Submission(
            "agenda",
            values["title"],
            data,
            note="agenda_submitted",
            note_context={"meeting": meeting["title"]},
        )
        start_submitted_flow(ctx, session, flow_id, submission)

    return await stage_and_send(services, submit)


def _card_summary(ctx: CommandContext, values: Mapping[str, Any]) -> str:
    """What reviewers read on the card: the summary and the materials' texts (files are
    listed as attachments)."""
    label = ctx.services.forms.label_of
    keys = ["decision", "basis", "legality", *MAJOR_STEPS, "attendees", "material"]
    materials = [
        (label("agenda", k), _material_text(ctx, values.get(k), 200)) for k in keys if values.get(k)
    ]
    return ctx.services.messages.text(
        "agenda_card_summary", summary=values["summary"], materials=materials
    )


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
        (word("meeting_time"), stamp(meeting["start_ms"])),
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


AGENDA_FORM = Form("agenda", FORM_FIELDS, _submit, _summary, _check)
