"""The supervision card's buttons and ``督办反馈``, the chat way to report with a file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField
from bot.errors import UserFacingError
from bot.outgoing import Outgoing
from bot.router import CardContext, CardResult, CommandContext
from handlers.agenda import fields
from handlers.approvals.actions import FlowAct
from handlers.common.answers import labelled_choice
from handlers.common.material import fetched_file, material_shown
from handlers.common.staging import conclude_form, stage_and_send
from handlers.common.summary import summary_rows
from handlers.supervision.answers import answer
from handlers.supervision.card import SUPERVISION_CARD
from handlers.supervision.model import SUPERVISION

if TYPE_CHECKING:
    from storage.session import Session


# The supervision card is an approval card: its buttons send the approval card's params
# (``flow`` is the item's number; ``assignment`` the state the holder saw, unused: an
# answer the item's present state does not take is refused whatever the view said).
SupervisionAct = FlowAct


async def act_on_supervision(ctx: CardContext, payload: FlowAct) -> CardResult:
    return await SUPERVISION_CARD.answer(ctx, payload, answer)


# -- 督办反馈 <编号>: a report in chat, with text or a file ---------------------------------

KINDS = ("progress", "apply_close", "co_report")


async def _number(answer_: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    number = str(answer_).strip().upper()[:20]
    item = await ctx.services.db.run(lambda s: s.collection(SUPERVISION).get(number))
    if item is None:
        raise UserFacingError("sv_unknown", number=number)
    return number


_kind = labelled_choice(KINDS, "supervision_buttons", "sv_bad_report_kind")


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    messages = ctx.services.messages
    shown = {
        "number": values["number"],
        "kind": messages.label("supervision_buttons", values["kind"]),
        "material": material_shown(messages, values["material"], 200),
    }
    return summary_rows(ctx, "sv_report", shown)


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    material = values["material"]
    file = await fetched_file(services, material)
    now = services.clock.now()

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
        conclude_form(ctx, session, outgoing, "sv_reported", number=item["id"], kind=values["kind"])

    return await stage_and_send(services, report)


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
