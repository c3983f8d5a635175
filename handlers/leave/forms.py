"""Leave of leaders (请销假, 第五、六十三、一百零一、一百零二条): the form
《领导干部外出请假报备单》, urgent departures and extensions. The approval chain and the
filing are in ``handlers/leave/flow.py``; 销假, the 外出 list and the reminders in
``handlers/leave/ops.py``; periods, absence records and stand-ins in
``handlers/leave/model.py``; how leave reads in messages in ``handlers/leave/texts.py``.

```mermaid
flowchart LR
    form([请假: 报备单]) --> head{申请人}
    head -- 县长本人 --> filed([报备: 常务副县长主持工作])
    head -- 县管煤矿主要负责人 --> deputy[分管副县长审批]
    head -- 其他 --> county[县长审批]
    county & deputy -- AB角同期外出: 须写明理由 --> approved
    county & deputy -- 同意 --> approved([备案: 县委办、县政府办; 告知本人和代理人])
    county & deputy -- 不同意(写明理由) --> rejected([不同意])
    approved --> away[外出期间: 事项转代理人办理] --> back([销假 / 返回日期已过])
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import TZ, to_epoch_ms
from bot.dialog import Form, FormField, close_dialog
from bot.errors import UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.scheduler import schedule_reminder
from handlers.approvals.card import SUBMITTER_NOTE
from handlers.leave.flow import REMIND_AT, filing_messages, schedule_absence
from handlers.leave.model import (
    ABSENCE_LIFECYCLE,
    ABSENCES,
    AM,
    AWAY,
    PENDING,
    PM,
    URGENT,
    conflicts,
    default_stand_in,
    overlaps,
    slot,
    slot_at,
    slot_day,
)
from handlers.leave.texts import conflict_text, kind_text, name_of, period_text, when_text

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person
    from bot.services import Services
    from storage.session import Session

KINDS = ("meeting", "trip", "study", "visit", "vacation", "family", "medical")
LEADER_ROLES = frozenset({"county_head", "executive_deputy", "deputy_head", "party_member"})
# Units whose responsible person files his own leave with the county government.
FILING_UNIT_KINDS = frozenset(
    {"office", "department", "town", "dev_zone", "enterprise", "coal_mine"}
)
_WHEN = re.compile(
    r"^(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?\s*(上午|下午)?$"
)
_RELATIVE = {"今天": 0, "明天": 1, "后天": 2}
_HALVES = {"上午": AM, "下午": PM}


# -- who files, who approves ------------------------------------------------------------


def must_file(person: Person, directory: OrgDirectory) -> bool:
    """Members of the county government and the responsible persons of towns, the
    development zone, departments and county enterprises (and county coal mines)."""
    if person.roles & LEADER_ROLES:
        return True
    unit = directory.unit(person.unit_id)
    return unit is not None and unit.kind in FILING_UNIT_KINDS and unit.head_id == person.user_id


def approver_for(directory: OrgDirectory, person: Person) -> str | None:
    """The county head; for the head of a county-managed coal mine the deputy head in
    charge of it. None for the county head himself: his absence is filed (报备)."""
    if "county_head" in person.roles:
        return None
    unit = directory.unit(person.unit_id)
    if unit is not None and unit.kind == "coal_mine" and unit.county_managed:
        leader = directory.leader_in_charge(unit.unit_id)
        if leader is not None and leader.user_id != person.user_id:
            return leader.user_id
    return directory.sole("county_head").user_id


def ensure_must_file(ctx: CommandContext) -> None:
    directory = ctx.services.directory
    if not must_file(ctx.sender, directory):
        unit = directory.unit(ctx.sender.unit_id)
        raise UserFacingError("leave_not_required", unit=unit.name if unit else "")


# -- the form -------------------------------------------------------------------------------


def parse_when(text: str, today: date, default_half: int) -> int:
    """``2026-11-25 上午``, ``11月25日下午``, ``明天上午`` … as a half-day slot."""
    text = "".join(text.split())
    half = default_half
    for word, value in _HALVES.items():
        if text.endswith(word) and text[: -len(word)] in _RELATIVE:
            return slot(today + timedelta(days=_RELATIVE[text[: -len(word)]]), value)
    if text in _RELATIVE:
        return slot(today + timedelta(days=_RELATIVE[text]), half)
    found = _WHEN.match(text)
    if found is None:
        raise UserFacingError("leave_bad_date", text=text[:30])
    year_text, month, day_text, half_text = found.groups()
    if half_text:
        half = _HALVES[half_text]
    try:
        year = int(year_text) if year_text else today.year
        day = date(year, int(month), int(day_text))
        if not year_text and day < today - timedelta(days=60):
            day = date(year + 1, int(month), int(day_text))
    except ValueError:
        raise UserFacingError("leave_bad_date", text=text[:30]) from None
    return slot(day, half)


def _today(ctx: CommandContext) -> date:
    return ctx.services.clock.now().astimezone(TZ).date()


def _kind(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer).strip()
    for kind in KINDS:
        if kind_text(ctx.services, kind) == text:
            return kind
    names = "、".join(kind_text(ctx.services, k) for k in KINDS)
    raise UserFacingError("leave_bad_kind", kinds=names)


def _start(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> int:
    return parse_when(str(answer), _today(ctx), AM)


def _end(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> int:
    end = parse_when(str(answer), _today(ctx), PM)
    start = values.get("start")
    if start is None and "number" not in values:
        start = slot_at(ctx.services.clock.now())  # 紧急外出: from now
    if start is not None and end < int(start):
        raise UserFacingError("leave_bad_period")
    return end


def _short_text(limit: int) -> Any:
    def parse(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
        text = " ".join(str(answer).split())
        if not text or len(text) > limit:
            raise UserFacingError("leave_bad_text", limit=limit)
        return text

    return parse


def _stand_in(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer).strip()
    person = ctx.services.directory.person_named(text)
    if person is None:
        raise UserFacingError("leave_unknown_person", name=text[:20])
    if person.user_id == ctx.sender.user_id:
        raise UserFacingError("leave_stand_in_self")
    return person.user_id


def _number(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    return str(answer).strip().upper()[:20]


def _stand_in_of(ctx: CommandContext, values: Mapping[str, Any]) -> str | None:
    chosen = values.get("stand_in")
    return str(chosen) if chosen else default_stand_in(ctx.services.directory, ctx.sender.user_id)


def _rows(ctx: CommandContext, values: Mapping[str, Any], form: Form) -> list[tuple[str, str]]:
    services = ctx.services
    forms = services.forms
    rows: list[tuple[str, str]] = []
    if "number" in values:
        rows.append((forms.label(form, "number"), str(values["number"])))
    if "kind" in values:
        rows.append((forms.label(form, "kind"), kind_text(services, values["kind"])))
    start = values.get("start")
    if start is None and "number" not in values:
        start = slot_at(services.clock.now())
    if start is not None:
        rows.append((services.messages.label("leave_labels", "start"), when_text(services, start)))
    rows.append((forms.label(form, "end"), when_text(services, values["end"])))
    for key in ("destination", "reason"):
        if key in values:
            rows.append((forms.label(form, key), str(values[key])))
    if "contact" in values:
        stand_in = _stand_in_of(ctx, values)
        rows.append(
            (
                forms.label(form, "stand_in"),
                services.messages.text(
                    "leave_stand_in_value",
                    name=name_of(services, stand_in),
                    default=not values.get("stand_in"),
                ),
            )
        )
        rows.append((forms.label(form, "contact"), str(values["contact"])))
    return rows


def _check(ctx: CommandContext, values: Mapping[str, Any]) -> None:
    if "start" in values and values["end"] < values["start"]:
        raise UserFacingError("leave_bad_period")


async def _ab_notes(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The AB rule (第一百零二条): warn before sending when the partner is away too."""
    services = ctx.services
    partner = services.directory.ab_partner(ctx.sender.user_id)
    if partner is None or "end" not in values:
        return []
    start = values.get("start")
    if start is None:
        start = slot_at(services.clock.now())
    period = (int(start), int(values["end"]))
    found = await services.db.run(lambda s: conflicts(s, partner, period))
    if not found:
        return []
    return [(services.messages.label("leave_labels", "ab"), conflict_text(services, found))]


# -- submitting --------------------------------------------------------------------------------


def start_leave(
    services: Services,
    session: Session,
    sender: Person,
    params: Mapping[str, Any],
    now: datetime,
) -> tuple[dict[str, Any], list[Outgoing]]:
    """Stores the absence (pending) and starts its flow, in the caller's storage call."""
    directory = services.directory
    user = sender.user_id
    period = (int(params["start"]), int(params["end"]))
    approver = approver_for(directory, sender)
    partner = directory.ab_partner(user)
    clash = conflicts(session, partner, period) if partner else []
    number = session.counter_next(f"leave:{now.year}")
    flow_id = f"QJ{now.year}-{number:04d}"
    absences = session.collection(ABSENCES)
    urgent = [
        a
        for a in absences.find(
            lambda d: d["user"] == user and d["status"] == URGENT and not d.get("regularised")
        )
        if overlaps((a["start_slot"], a["end_slot"]), period)
    ]
    for found in urgent:
        absences.update(found["id"], {"regularised": flow_id})
    stand_in = params.get("stand_in") or default_stand_in(directory, user)
    absence = {
        "id": flow_id,
        "flow": flow_id,
        "user": user,
        "unit_id": sender.unit_id,
        "kind": params["kind"],
        "start_slot": period[0],
        "end_slot": period[1],
        "destination": params["destination"],
        "reason": params["reason"],
        "stand_in": stand_in,
        "contact": params["contact"],
        "approver": approver,
        **ABSENCE_LIFECYCLE.begin(PENDING),
        "created_ms": to_epoch_ms(now),
        "returned_ms": None,
        "extension_of": params.get("extension_of"),
        "regularises": urgent[0]["id"] if urgent else None,
    }
    absences.insert(absence)
    labels = services.messages
    fields = [
        (labels.label("leave_labels", "kind"), kind_text(services, params["kind"])),
        (labels.label("leave_labels", "period"), period_text(services, *period)),
        (labels.label("leave_labels", "destination"), params["destination"]),
        (labels.label("leave_labels", "stand_in"), name_of(services, stand_in)),
        (labels.label("leave_labels", "contact"), params["contact"]),
    ]
    if params.get("extension_of"):
        fields.append((labels.label("leave_labels", "extension_of"), params["extension_of"]))
    if urgent:
        fields.append((labels.label("leave_labels", "regularises"), urgent[0]["id"]))
    summary = params["reason"]
    if clash:
        warning = conflict_text(services, clash)
        fields.insert(0, (labels.label("leave_labels", "ab"), warning))
        summary = labels.text("leave_ab_card", warning=warning, reason=params["reason"])
    data = {
        "approver": approver,
        "filing_only": approver is None,
        "conflict": [a["id"] for a in clash],
        "body": params["reason"],
        "summary": summary,
        "card_fields": fields,
        "watchers": [],
        # His confirmation rides on his view of the card (no chat message of its own).
        SUBMITTER_NOTE: labels.text(
            "leave_submitted",
            number=flow_id,
            filing_only=approver is None,
            approver=name_of(services, approver) if approver else "",
            conflict=bool(clash),
        ),
    }
    title = labels.text(
        "leave_title",
        name=sender.name,
        kind=kind_text(services, params["kind"]),
        extension=bool(params.get("extension_of")),
    )
    doc, changes = services.workflow.start(
        session,
        flow_id=flow_id,
        kind="leave",
        submitter=user,
        unit_id=sender.unit_id,
        title=title,
        data=data,
    )
    return doc, changes.outgoing


async def _submit_leave(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    now = services.clock.now()

    def submit(session: Session) -> None:
        _, items = start_leave(services, session, ctx.sender, values, now)
        close_dialog(session, ctx.sender.user_id)
        services.outbox.stage(session, items)

    await services.db.run(submit)
    services.outbox.wake()
    return []


async def _submit_extension(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    """延期: a new approval for the extra period, right after the approved one."""
    services = ctx.services
    now = services.clock.now()
    number = str(values["number"])

    def submit(session: Session) -> None:
        original = session.collection(ABSENCES).get(number)
        if (
            original is None
            or original["user"] != ctx.sender.user_id
            or original["status"] not in AWAY
            or original.get("returned_ms") is not None
        ):
            raise UserFacingError("leave_extend_not_found", number=number)
        if int(values["end"]) <= original["end_slot"]:
            raise UserFacingError(
                "leave_extend_not_later",
                end=when_text(services, original["end_slot"]),
            )
        params = {
            "kind": original["kind"],
            "start": original["end_slot"] + 1,
            "end": int(values["end"]),
            "destination": original["destination"],
            "reason": values["reason"],
            "stand_in": original.get("stand_in"),
            "contact": original["contact"],
            "extension_of": number,
        }
        _, items = start_leave(services, session, ctx.sender, params, now)
        close_dialog(session, ctx.sender.user_id)
        services.outbox.stage(session, items)

    await services.db.run(submit)
    services.outbox.wake()
    return []


async def _submit_urgent(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    """紧急外出: reported at once to the approver and both offices; the regular form
    must follow within 1 working day after return (reminders in leave_ops)."""
    services = ctx.services
    directory = services.directory
    now = services.clock.now()
    key = f"reply:{ctx.message.msg_id}:submitted"
    sender = ctx.sender

    def submit(session: Session) -> None:
        number = session.counter_next(f"urgent:{now.year}")
        absence_id = f"JJ{now.year}-{number:04d}"
        start = slot_at(now)
        end = max(int(values["end"]), start)
        absence = {
            "id": absence_id,
            "flow": None,
            "user": sender.user_id,
            "unit_id": sender.unit_id,
            "kind": values["kind"],
            "start_slot": start,
            "end_slot": end,
            "destination": values["destination"],
            "reason": values["reason"],
            "stand_in": values.get("stand_in") or default_stand_in(directory, sender.user_id),
            "contact": values["contact"],
            "approver": approver_for(directory, sender),
            **ABSENCE_LIFECYCLE.begin(URGENT),
            "created_ms": to_epoch_ms(now),
            "returned_ms": None,
            "regularised": None,
        }
        session.collection(ABSENCES).insert(absence)
        items = filing_messages(services, absence, None, urgent=True)
        items += schedule_absence(services, session, absence, now)
        end_day, _ = slot_day(end)
        due = services.calendar.deadline(datetime.combine(end_day, time(12, 0), tzinfo=TZ), 1)
        first = services.calendar.next_workday(end_day)
        for stage, day in ((1, first), (2, services.calendar.next_workday(due.day))):
            schedule_reminder(
                session,
                f"leave:{absence_id}:regularise:{stage}",
                datetime.combine(day, REMIND_AT, tzinfo=TZ),
                [],
                action={"type": "leave.regularise", "absence": absence_id, "stage": stage},
            )
        close_dialog(session, sender.user_id)
        reply = ctx.text(
            "leave_urgent_done",
            number=absence_id,
            deadline=f"{due.at:%Y-%m-%d %H:%M}",
            provisional=due.provisional,
        )
        services.outbox.stage(session, [*items, Outgoing(key, reply.kind, reply.payload)])

    await services.db.run(submit)
    services.outbox.wake()
    return []


def _leave_summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    return _rows(ctx, values, LEAVE_FORM)


def _urgent_summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    return _rows(ctx, values, URGENT_FORM)


def _extend_summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    return _rows(ctx, values, EXTEND_FORM)


LEAVE_FORM = Form(
    "leave",
    (
        FormField("kind", _kind),
        FormField("start", _start),
        FormField("end", _end),
        FormField("destination", _short_text(60)),
        FormField("reason", _short_text(300)),
        FormField("stand_in", _stand_in, optional=True),
        FormField("contact", _short_text(60)),
    ),
    _submit_leave,
    _leave_summary,
    _check,
    notes=_ab_notes,
)

URGENT_FORM = Form(
    "leave_urgent",
    (
        FormField("kind", _kind),
        FormField("end", _end),
        FormField("destination", _short_text(60)),
        FormField("reason", _short_text(300)),
        FormField("stand_in", _stand_in, optional=True),
        FormField("contact", _short_text(60)),
    ),
    _submit_urgent,
    _urgent_summary,
    _check,
    notes=_ab_notes,
)

EXTEND_FORM = Form(
    "leave_extend",
    (
        FormField("number", _number),
        FormField("end", _end),
        FormField("reason", _short_text(300)),
    ),
    _submit_extension,
    _extend_summary,
    _check,
)


async def start_leave_form(ctx: CommandContext) -> list[Outgoing]:
    ensure_must_file(ctx)
    return await ctx.services.forms.begin(ctx, "leave")


async def start_urgent_form(ctx: CommandContext) -> list[Outgoing]:
    ensure_must_file(ctx)
    return await ctx.services.forms.begin(ctx, "leave_urgent")


async def start_extend_form(ctx: CommandContext) -> list[Outgoing]:
    ensure_must_file(ctx)
    return await ctx.services.forms.begin(ctx, "leave_extend")
