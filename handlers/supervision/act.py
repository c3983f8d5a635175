"""The supervision card's buttons and ``督办反馈``, the chat way to report with a file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField, close_dialog
from bot.errors import NotAuthorized, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CardContext, CardPayload, CardResult, CommandContext
from handlers.agenda import fields
from handlers.supervision.answers import answer
from handlers.supervision.card import private, public
from handlers.supervision.model import SUPERVISION

if TYPE_CHECKING:
    from storage.session import Session


@dataclass(frozen=True)
class SupervisionAct(CardPayload):
    # The approval card's button params: the item, the state the holder saw (an answer
    # the item's present state does not take is refused whatever the view said), the answer.
    flow: str
    assignment: str
    decision: str
    opinion: str | None = None


async def act_on_supervision(ctx: CardContext, payload: SupervisionAct) -> CardResult:
    services = ctx.services
    if ctx.card.get("supervision") != payload.flow:
        raise NotAuthorized(
            "card_not_yours", assignee_name=services.messages.word("assignee_unknown")
        )
    now = services.clock.now()

    def act(session: Session) -> CardResult:
        item, outgoing = answer(
            services,
            session,
            payload.flow,
            ctx.user_id,
            payload.decision,
            text=payload.opinion or "",
            now=now,
        )
        services.outbox.stage(session, outgoing)
        return CardResult(
            card_data=public(services, item), private_data=private(services, item, ctx.user_id)
        )

    return await services.db.run(act)


# -- 督办反馈 <编号>: a report in chat, with text or a file ---------------------------------

KINDS = ("progress", "apply_close", "co_report")


async def _number(answer_: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    number = str(answer_).strip().upper()[:20]
    item = await ctx.services.db.run(lambda s: s.collection(SUPERVISION).get(number))
    if item is None:
        raise UserFacingError("sv_unknown", number=number)
    return number


def _kind(answer_: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer_).strip()
    for kind in KINDS:
        if text == ctx.services.messages.label("supervision_buttons", kind):
            return kind
    names = "、".join(ctx.services.messages.label("supervision_buttons", k) for k in KINDS)
    raise UserFacingError("sv_bad_report_kind", names=names)


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    label = ctx.services.forms.label_of
    material = values["material"]
    shown = (
        ctx.services.messages.word("attachment", name=material["file"]["name"])
        if "file" in material
        else material["text"][:200]
    )
    return [
        (label("sv_report", "number"), values["number"]),
        (
            label("sv_report", "kind"),
            ctx.services.messages.label("supervision_buttons", values["kind"]),
        ),
        (label("sv_report", "material"), shown),
    ]


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    material = values["material"]
    file = None
    if "file" in material:
        fetched = await services.files.fetch(
            material["file"]["download_code"], material["file"]["name"]
        )
        file = fetched.to_doc()
    now = services.clock.now()
    key = f"reply:{ctx.message.msg_id}:sv_report"

    def report(session: Session) -> None:
        item, outgoing = answer(
            services,
            session,
            values["number"],
            ctx.sender.user_id,
            values["kind"],
            text=material.get("text", ""),
            file=file,
            now=now,
        )
        reply = ctx.text("sv_reported", number=item["id"], kind=values["kind"])
        services.outbox.stage(session, [*outgoing, Outgoing(key, reply.kind, reply.payload)])
        close_dialog(session, ctx.sender.user_id)

    await services.db.run(report)
    services.outbox.wake()
    return []


REPORT_FORM = Form(
    "sv_report",
    (
        FormField("number", _number),
        FormField("kind", _kind),
        FormField("material", fields.text_or_file, accepts_file=True),
    ),
    _submit,
    _summary,
)


async def start_report(ctx: CommandContext) -> list[Outgoing]:
    lines = ctx.args.strip().splitlines()
    if lines and ":" not in lines[0] and "：" not in lines[0]:
        # 督办反馈 DB2026-0001: the number on the command's own line.
        lines[0] = f"{ctx.services.forms.label_of('sv_report', 'number')}：{lines[0]}"
    return await ctx.services.forms.begin(replace(ctx, args="\n".join(lines)), "sv_report")
