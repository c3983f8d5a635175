"""Contracts in the county government's name (第七十二条): the department drafts the
text, the 司法局 reviews it, and only then does it go to the county government.

The order is the flow's declaration: the unit head signs the draft off, the head of the
司法局 reviews it with a written opinion, and only a passed review opens the county
government's step (the leader in charge of the unit; the county head where no one is in
charge). A failed review ends the flow there; the department is told it may not go to
the county government (第七十二条) and drafts anew."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import END_REJECTED, Choice, FlowDef, FlowView, Step
from handlers.approvals.submit import REJECT, SIGNOFF, submission_data
from handlers.common.answers import material_answer, spaced_text
from handlers.common.commands import form_command
from handlers.common.material import material_shown
from handlers.common.notify import markdown_message
from handlers.common.summary import summary_rows
from handlers.contracts.submitting import submit_unit_flow, submitting_unit_only
from handlers.legality.review import legal_bureau_head

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from bot.services import Services
    from storage.session import Session

KIND = "contract"
REVIEW_FAILED = "contract_fail"


def county_government(flow: FlowView, directory: OrgDirectory) -> list[str]:
    """按程序报县政府审定: the county leader in charge of the unit decides for the
    county government; the county head where no one is in charge of it."""
    leader = directory.responsible_leader(flow.unit_id)
    return [leader.user_id]


def contract_flow(services: Services) -> FlowDef:
    """签发 → 县司法局审核 → 县政府审定 (第七十二条)."""

    def finished(
        session: Session, flow: dict[str, Any], outcome: str, now: datetime
    ) -> list[Outgoing]:
        return _review_failed_notice(services, flow, outcome)

    return FlowDef(
        KIND,
        (
            SIGNOFF,
            Step(
                "review",
                legal_bureau_head,
                (
                    Choice("pass", opinion_required=True, style="primary"),
                    Choice(REVIEW_FAILED, END_REJECTED, opinion_required=True, style="danger"),
                ),
            ),
            Step(
                "approve",
                county_government,
                (Choice("approve", style="primary"), REJECT),
            ),
        ),
        on_finish=finished,
    )


def _review_failed_notice(
    services: Services, flow: Mapping[str, Any], outcome: str
) -> list[Outgoing]:
    """The department learns its contract may not go to the county government."""
    last = flow["trail"][-1] if flow["trail"] else {}
    if outcome != END_REJECTED or last.get("action") != f"review:{REVIEW_FAILED}":
        return []
    people = list(dict.fromkeys([flow["submitter"], *flow["data"].get("watchers", [])]))
    rendered = services.messages.markdown(
        "contract_review_failed",
        number=flow["id"],
        title=flow["title"],
        opinion=last.get("opinion", ""),
    )
    return [markdown_message(f"contract:{flow['id']}:failed:{u}", u, rendered) for u in people]


# -- the form ------------------------------------------------------------------------


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    shown = {
        "title": values["title"],
        "counterparty": values["counterparty"],
        "amount": values["amount"],
        "material": material_shown(ctx.services.messages, values["material"]),
    }
    return summary_rows(ctx, KIND, shown)


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    extra = {k: values[k] for k in ("counterparty", "amount")}
    fields = summary_rows(ctx, KIND, extra)
    data = await submission_data(ctx, values["material"], fields, **extra)
    return await submit_unit_flow(ctx, KIND, "HT", values["title"], data)


CONTRACT_FORM = Form(
    KIND,
    (
        FormField("title", spaced_text(4, 80, "contract_bad_title")),
        FormField("counterparty", spaced_text(2, 80, "contract_bad_counterparty")),
        FormField("amount", spaced_text(1, 40, "contract_bad_amount")),
        FormField(
            "material",
            material_answer(10, 8000, "contract_material_empty"),
            accepts_file=True,
        ),
    ),
    _submit,
    _summary,
)


start_contract = form_command(KIND, submitting_unit_only("contract_not_for_unit"))
