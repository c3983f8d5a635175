"""Meeting plans a unit asks the county government for (第六十、六十六条).

- 以县政府名义召开的专业性会议: the department sends its plan to the county government
  office, which accepts it (受理); the deputy county leader in charge of the unit decides
  (the office director where no leader is in charge of it) — 第六十条.
- 承办全国、省、市会议 in the county: the department reports to the county government
  before answering the organiser; the leader in charge of the unit decides for it (the
  county head where no one is in charge); only after consent may it answer and arrange
  (第六十六条). Its card and confirmation say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField
from bot.errors import UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import Choice, FlowDef, FlowView, Step
from handlers.approvals.submit import REJECT, RETURN, SIGNOFF
from handlers.common.answers import day_from_today, first_named, spaced_text, trimmed_text
from handlers.common.commands import form_command
from handlers.common.summary import plain_summary, summary_rows
from handlers.contracts.contract import county_government
from handlers.contracts.submitting import submit_unit_flow, submitting_unit_only

if TYPE_CHECKING:
    from bot.config import OrgDirectory

FORM = "meeting_request"
PROFESSIONAL = "pro_meeting"
HOSTING = "host_meeting"
KINDS = (PROFESSIONAL, HOSTING)


def office_clerks(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [p.user_id for p in directory.holders("office_clerk")]


def leader_or_director(flow: FlowView, directory: OrgDirectory) -> list[str]:
    """第六十条: 由分管副县长、县政府党组成员、县政府办公室主任确定 — the leader in charge of
    the unit, else the office director. Not ``responsible_leader``: the rule names the
    office director, not the county head, for a unit no deputy is in charge of (the county
    head decides 综合性会议 only)."""
    leader = directory.leader_in_charge(flow.unit_id) or directory.sole("office_director")
    return [leader.user_id]


def meeting_request_flows() -> list[FlowDef]:
    decide = (Choice("approve", style="primary"), REJECT)
    return [
        FlowDef(
            PROFESSIONAL,
            (
                SIGNOFF,
                Step(
                    "accept", office_clerks, (Choice("pass", style="primary"), RETURN), mode="any"
                ),
                Step("decide", leader_or_director, decide),
            ),
        ),
        FlowDef(HOSTING, (SIGNOFF, Step("decide", county_government, decide))),
    ]


# -- the form ------------------------------------------------------------------------


def _kind(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    kind = first_named(str(answer).strip(), KINDS, "meeting_requests")
    if kind is None:
        raise UserFacingError("meeting_req_bad_kind")
    return kind


_date = day_from_today("meeting_req_date_past", "meeting_req_bad_date")


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    fields = ("kind", "title", "date", "place", "scale", "reason")
    return plain_summary(ctx, FORM, values, fields, {"kind": "kinds"})


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    sender = ctx.sender
    kind = values["kind"]
    head = services.directory.unit_head(sender.unit_id)
    fields = summary_rows(ctx, FORM, {k: values[k] for k in ("date", "place", "scale", "reason")})
    if kind == HOSTING:
        fields.append((services.messages.label("labels", "host_reply"), _host_rule(ctx)))
    data = {
        "meeting_kind": kind,
        "date": values["date"],
        "place": values["place"],
        "scale": values["scale"],
        "body": values["reason"],
        "unit_head": head.user_id if head else None,
        "watchers": [head.user_id] if head and head.user_id != sender.user_id else [],
        "card_fields": fields,
    }
    return await submit_unit_flow(ctx, FORM, "HS", values["title"], data, kind=kind)


def _host_rule(ctx: CommandContext) -> str:
    return ctx.services.messages.text("host_meeting_rule").strip()


MEETING_REQUEST_FORM = Form(
    FORM,
    (
        FormField("kind", _kind),
        FormField("title", spaced_text(4, 80, "meeting_req_bad_title")),
        FormField("date", _date),
        FormField("place", spaced_text(2, 60, "meeting_req_bad_place")),
        FormField("scale", spaced_text(1, 60, "meeting_req_bad_scale")),
        FormField("reason", trimmed_text(4, 1000, "meeting_req_bad_reason")),
    ),
    _submit,
    _summary,
)

start_meeting_request = form_command(FORM, submitting_unit_only("meeting_req_not_for_unit"))
