"""Invitations of county government leaders (第九十六条).

The article: 县政府领导原则上不参加剪彩、奠基、展览、纪念、颁奖等庆典和应酬性活动，不为基层
和部门的会议和活动发贺信贺电，不为商业性活动题字题词 — so an invitation of one of those
kinds gets the rule's answer at once and goes no further. Every other invitation goes
through the county government office: the unit sends the invitation and the activity plan,
its head signs it off, the office director reviews it, and the invited leader decides
(审定). A leader invited directly forwards the invitation with ``转办邀请``: he is told
invitations must go through the office (禁止直接邀请) and the office director gets it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField
from bot.errors import NotAuthorized, RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import Choice, FlowDef, FlowView, Step
from handlers.approvals.submit import REJECT, RETURN, SIGNOFF, submission_data
from handlers.common.answers import day_from_today, first_named, material_answer, spaced_text
from handlers.common.commands import form_command
from handlers.common.material import material_shown
from handlers.common.notify import markdown_message
from handlers.common.staging import stage_and_send
from handlers.common.summary import summary_rows
from handlers.contracts.submitting import submit_unit_flow, submitting_unit_only
from handlers.supervision.people import is_county_leader

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from storage.session import Session

KIND = "invitation"
# 第九十六条's kinds the leaders in principle decline, and the kind that may go on.
CEREMONY = "ceremony"  # 剪彩、奠基、展览、纪念、颁奖等庆典和应酬性活动
CONGRATULATION = "congratulation"  # 为基层和部门的会议和活动发贺信贺电
INSCRIPTION = "inscription"  # 为商业性活动题字题词
OTHER = "other"
RESTRICTED = (CONGRATULATION, INSCRIPTION, CEREMONY)
KINDS = (*RESTRICTED, OTHER)


def office_director(flow: FlowView, directory: OrgDirectory) -> list[str]:
    """经县政府办公室主任审核 (第九十六条)."""
    return [directory.sole("office_director").user_id]


def invited_leader(flow: FlowView, directory: OrgDirectory) -> list[str]:
    """报县政府领导审定: the leader the invitation names."""
    return [str(flow.data["leader"])]


def invitation_flow() -> FlowDef:
    """签发 → 县政府办公室主任审核 → 受邀县政府领导审定 (第九十六条)."""
    return FlowDef(
        KIND,
        (
            SIGNOFF,
            Step("review", office_director, (Choice("pass", style="primary"), RETURN)),
            Step("decide", invited_leader, (Choice("approve", style="primary"), REJECT)),
        ),
    )


# -- the form ------------------------------------------------------------------------


def invitation_kind(text: str) -> str:
    """The kind a typed answer names; a restricted kind wins over 其他."""
    kind = first_named(text, KINDS, "invitations")
    if kind is None:
        raise UserFacingError("invite_bad_kind")
    return kind


def _kind(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    kind = invitation_kind(str(answer).strip())
    if kind in RESTRICTED:
        # The rule's default answer: 原则上不参加 / 不发 / 不题 (第九十六条).
        raise RuleViolation(f"invite_{kind}_declined")
    return kind


def _leader(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    name = str(answer).strip()
    person = ctx.services.directory.person_named(name)
    if person is None or not is_county_leader(person):
        raise UserFacingError("invite_not_a_leader", name=name[:20])
    return person.user_id


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    leader = ctx.services.directory.person(values["leader"])
    shown = {
        "kind": ctx.services.messages.label("invitation_kinds", values["kind"]),
        "activity": values["activity"],
        "date": values["date"],
        "place": values["place"],
        "leader": leader.name if leader else values["leader"],
        "material": material_shown(ctx.services.messages, values["material"]),
    }
    return summary_rows(ctx, KIND, shown)


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    leader = ctx.services.directory.person(values["leader"])
    shown = {
        "date": values["date"],
        "place": values["place"],
        "leader": leader.name if leader else values["leader"],
    }
    extra = {k: values[k] for k in ("leader", "date", "place")}
    data = await submission_data(ctx, values["material"], summary_rows(ctx, KIND, shown), **extra)
    return await submit_unit_flow(ctx, KIND, "YQ", values["activity"], data)


INVITATION_FORM = Form(
    KIND,
    (
        FormField("kind", _kind),
        FormField("activity", spaced_text(4, 80, "invite_bad_activity")),
        FormField("date", day_from_today("invite_date_past", "invite_bad_date")),
        FormField("place", spaced_text(2, 60, "invite_bad_place")),
        FormField("leader", _leader),
        FormField(
            "material", material_answer(10, 8000, "invite_material_empty"), accepts_file=True
        ),
    ),
    _submit,
    _summary,
)

start_invitation = form_command(KIND, submitting_unit_only("invite_not_for_unit"))


# -- 转办邀请: a leader invited directly -------------------------------------------------


async def forward_invitation(ctx: CommandContext) -> list[Outgoing]:
    """禁止直接邀请县政府领导 (第九十六条): the leader is told so, the office director gets
    the invitation to handle by the rules."""
    services = ctx.services
    if not is_county_leader(ctx.sender):
        raise NotAuthorized("invite_forward_not_leader")
    text = ctx.args.strip()
    if len(text) < 4:
        raise UserFacingError("invite_forward_empty")
    director = services.directory.sole("office_director")
    rendered = services.messages.markdown(
        "invite_forwarded", leader=ctx.sender.name, text=text[:2000]
    )
    notice = markdown_message(
        f"invite_forward:{ctx.message.msg_id}:{director.user_id}", director.user_id, rendered
    )
    reply = ctx.text("invite_forward_done", director=director.name)
    key = f"reply:{ctx.message.msg_id}:invite_forward_done"

    def forward(session: Session) -> None:
        services.outbox.stage(session, [notice, Outgoing(key, reply.kind, reply.payload)])

    return await stage_and_send(services, forward)
