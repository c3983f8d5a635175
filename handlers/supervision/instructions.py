"""批示件 (第八十七条): the office registers an instruction of the city government or a
county leader; the county leaders concerned give their 阅批 at once (an opinion is
required), then it is dispatched to the towns and departments as supervision items on
the 13710 checkpoints (first feedback within 3 days, result within 7, complex matters
within a month; configurable); when every unit's result is graded the results are
compiled for the leader who instructed, and the instruction is 销号."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import from_epoch_ms, to_epoch_ms
from bot.dialog import Form, FormField
from bot.errors import UserFacingError
from bot.outgoing import Outgoing, file_to
from bot.router import CommandContext
from bot.workflow import FLOWS, Choice, FlowDef, FlowView, Step
from handlers.agenda import fields
from handlers.approvals.submit import Submission, submit_numbered_flow
from handlers.common.answers import yes_no
from handlers.common.commands import form_command
from handlers.common.material import fetched_file, material_shown
from handlers.common.notify import markdown_message
from handlers.supervision.card import create_card
from handlers.supervision.model import (
    CLOSED,
    OPEN,
    SUPERVISION,
    Due,
    effective_due,
    log_entry,
    new_item,
    next_number,
)
from handlers.supervision.people import director, ensure_office, is_county_leader, name_of
from handlers.supervision.units import split_names, units_named

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from bot.services import Services
    from storage.session import Session

KIND = "instruction"


def _leaders(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return list(flow.data["leaders"])


def instruction_flow(services: Services) -> FlowDef:
    """阅批: every leader concerned answers, each with his opinion (第八十七条)."""

    def dispatch(
        session: Session, doc: dict[str, Any], outcome: str, now: datetime
    ) -> list[Outgoing]:
        return _dispatch(services, session, doc, now)

    return FlowDef(
        KIND,
        (
            Step(
                "read",
                _leaders,
                (Choice("read_instruct", opinion_required=True, style="primary"),),
                mode="all",
                deadline_working_days=1,
            ),
        ),
        on_finish=dispatch,
    )


# -- the form ---------------------------------------------------------------------------


def _instructor(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> dict[str, str]:
    text = " ".join(str(answer).split())[:40]
    if len(text) < 2:
        raise UserFacingError("sv_instructor_empty")
    person = ctx.services.directory.person_named(text)
    return {"name": person.name if person else text, "user": person.user_id if person else ""}


def _leader_list(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> list[str]:
    found = []
    for name in split_names(str(answer)):
        person = ctx.services.directory.person_named(name)
        if person is None or not is_county_leader(person):
            raise UserFacingError("sv_not_a_leader", name=name[:20])
        found.append(person.user_id)
    if not found:
        raise UserFacingError("sv_no_leaders")
    return list(dict.fromkeys(found))


def _units(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> list[str]:
    units = units_named(ctx.services.directory, str(answer))
    if not units:
        raise UserFacingError("sv_no_units")
    return units


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    services = ctx.services
    label = services.forms.label_of
    shown = material_shown(services.messages, values["content"], 200)
    units = [services.directory.unit(u) for u in values["units"]]
    return [
        (label(KIND, "title"), values["title"]),
        (label(KIND, "instructor"), values["instructor"]["name"]),
        (label(KIND, "content"), shown),
        (label(KIND, "leaders"), "、".join(name_of(services, u) for u in values["leaders"])),
        (label(KIND, "units"), "、".join(u.name for u in units if u)),
        (label(KIND, "complex"), services.messages.word("yes" if values.get("complex") else "no")),
    ]


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    content = values["content"]
    attachment = await fetched_file(services, content)
    data = {
        "body": content.get("text", ""),
        "attachment": attachment,
        "attachment_name": attachment["name"] if attachment else "",
        "instructor": values["instructor"],
        "leaders": values["leaders"],
        "units": values["units"],
        "complex": bool(values.get("complex")),
        "card_fields": [
            (services.forms.label_of(KIND, "instructor"), values["instructor"]["name"])
        ],
    }
    submission = Submission(KIND, values["title"], data)
    return await submit_numbered_flow(ctx, submission, counter=KIND, prefix="PS")


INSTRUCTION_FORM = Form(
    KIND,
    (
        FormField("title", fields.title),
        FormField("instructor", _instructor),
        FormField("content", fields.text_or_file, accepts_file=True),
        FormField("leaders", _leader_list),
        FormField("units", _units),
        FormField("complex", yes_no, optional=True),
    ),
    _submit,
    _summary,
)


start_instruction = form_command(KIND, ensure_office)


# -- dispatch and compilation -----------------------------------------------------------


def _dispatch(
    services: Services, session: Session, doc: dict[str, Any], now: datetime
) -> list[Outgoing]:
    """All leaders have read it: one supervision item per unit, opened at once."""
    rules = services.config.rules
    data = doc["data"]
    today = now.date()
    days = rules.instruction_complex_days if data["complex"] else rules.instruction_result_days
    due_day = today + timedelta(days=days)
    first = today + timedelta(days=rules.instruction_feedback_days)
    opinions = [
        (a["user"], a["opinion"])
        for a in doc["assignments"]
        if a["step"] == "read" and a["status"] in ("done", "deemed")
    ]
    text = data["body"] or services.messages.word("attachment", name=data["attachment_name"])
    outgoing: list[Outgoing] = []
    numbers = []
    for unit in data["units"]:
        leader = services.directory.responsible_leader(unit)
        item = new_item(
            number=next_number(session, now.year),
            state=OPEN,
            source="instruction",
            title=doc["title"],
            text=text,
            lead=unit,
            co_units=[],
            leader=leader.user_id,
            due=Due(due_day, True, services.calendar.is_provisional(due_day)),
            opened_by=doc["submitter"],
            now=now,
            extra={
                "instruction": doc["id"],
                "instructed_by": data["instructor"]["user"],
                "first_feedback_due": first.isoformat(),
                "attachment": data["attachment"],
            },
        )
        for user, opinion in opinions:
            log_entry(item, "leader_opinion", user, now, opinion)
        session.collection(SUPERVISION).insert(item)
        outgoing += create_card(services, session, item)
        numbers.append(item["id"])
        if data["attachment"]:
            outgoing += _attachment_to(services, item, data["attachment"])
    data["items"] = numbers
    return outgoing


def _attachment_to(
    services: Services, item: Mapping[str, Any], attachment: Mapping[str, Any]
) -> list[Outgoing]:
    head = services.directory.unit_head(item["lead_unit"])
    if head is None:
        return []
    return [
        file_to(
            f"supervision:{item['id']}:attachment",
            user_ids=[head.user_id],
            path=attachment["path"],
            name=attachment["name"],
        )
    ]


def on_item_closed(
    services: Services, session: Session, item: Mapping[str, Any], now: datetime
) -> list[Outgoing]:
    """When the last unit's result of a 批示件 is graded: the compilation (销号)."""
    number = item.get("instruction")
    if not number:
        return []
    flows = session.collection(FLOWS)
    doc = flows.get(number)
    if doc is None or doc["data"].get("compiled_ms"):
        return []
    # The closing item itself is not stored yet: its own record is the one in hand.
    items = [
        item if n == item["id"] else session.collection(SUPERVISION).get(n)
        for n in doc["data"].get("items", [])
    ]
    if any(i is None or i["state"] != CLOSED for i in items):
        return []
    doc["data"]["compiled_ms"] = to_epoch_ms(now)
    flows.update(number, doc)
    rows = [_result_row(services, i) for i in items if i is not None]
    rendered = services.messages.markdown(
        "sv_compiled",
        number=number,
        title=doc["title"],
        instructor=doc["data"]["instructor"]["name"],
        rows=rows,
    )
    people = [doc["data"]["instructor"]["user"], *doc["data"]["leaders"], director(services)]
    return [
        markdown_message(f"instruction:{number}:compiled:{user}", user, rendered)
        for user in dict.fromkeys(p for p in people if p)
    ]


def _result_row(services: Services, item: Mapping[str, Any]) -> dict[str, Any]:
    unit = services.directory.unit(item["lead_unit"])
    reports = [e for e in item.get("log", []) if e["kind"] == "apply_close"]
    last = reports[-1] if reports else {}
    closed_on = from_epoch_ms(item["closed_ms"]).date()
    return {
        "number": item["id"],
        "unit": unit.name if unit else item["lead_unit"],
        "result": last.get("text", ""),
        "file": (last.get("file") or {}).get("name", ""),
        "grade": services.messages.label("supervision_grades", item["grade"]),
        "late": closed_on > effective_due(services.calendar, item),
    }
