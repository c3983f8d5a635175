"""请示 and 报告 from departments to the county government (第六十八–七十一条).

The flow's diagram is generated from its declaration into docs/lifecycles.md.
Steps that do not apply are skipped: the unit head signing his own request, 会签 without
touched departments, 财政/审计 签批 without fiscal money.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField
from bot.errors import RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import (
    END_ACKNOWLEDGED,
    END_RETURNED,
    Choice,
    FlowDef,
    FlowView,
    Step,
)
from handlers.approvals.steps import cosign_step
from handlers.approvals.submit import (
    REJECT,
    RETURN,
    SIGNOFF,
    Submission,
    office_director,
    submit_numbered_flow,
)
from handlers.common.answers import attached_file, spaced_text, yes_no
from handlers.common.commands import form_command
from handlers.common.units import unit_ids_listed
from messages.vocabulary import ADDRESSEE_SEPARATORS, word_list

if TYPE_CHECKING:
    from bot.config import OrgDirectory

SUBMITTING_KINDS = {"department", "town", "dev_zone", "enterprise", "coal_mine"}
VIA_PARENT_KINDS = {"internal", "affiliated"}
# The county government (or its office acting for it) is the one proper main recipient.
PROPER_RECIPIENTS = frozenset(word_list("requests.proper_recipients"))
_HIGHER = word_list("requests.higher_levels")
_PERSONAL = word_list("requests.personal_addressees")


# -- assignment ----------------------------------------------------------------------


def _cosigners(flow: FlowView, directory: OrgDirectory) -> list[str]:
    heads = [directory.unit_head(u) for u in flow.data.get("departments", [])]
    return [h.user_id for h in heads if h is not None]


def _office_clerks(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [p.user_id for p in directory.holders("office_clerk")]


def _finance_and_audit(flow: FlowView, directory: OrgDirectory) -> list[str]:
    people = []
    for role in ("finance_bureau", "audit_bureau"):
        unit = directory.unit_with_role(role)
        head = directory.unit_head(unit.unit_id) if unit else None
        if head is not None:
            people.append(head.user_id)
    return people


def _leader_in_charge(flow: FlowView, directory: OrgDirectory) -> list[str]:
    leader = directory.responsible_leader(flow.unit_id)
    return [leader.user_id]


def _has_departments(flow: FlowView) -> bool:
    return bool(flow.data.get("departments"))


def _fiscal(flow: FlowView) -> bool:
    return bool(flow.data.get("fiscal"))


def _fiscal_signoff(days: int) -> Step:
    """第七十条: 财政局 and 审计局 sign fiscal requests off (签批). Unlike a 会签 (第六十九条)
    silence is never consent: after ``days`` working days the silent are reminded and
    the office director is told the next working morning."""
    return Step(
        "finance",
        _finance_and_audit,
        (
            Choice("fiscal_agree", style="primary"),
            Choice("fiscal_object", opinion_required=True, style="danger"),
        ),
        mode="all",
        deadline_working_days=days,
        applies=_fiscal,
        escalate=office_director,
    )


def _chain(decide: Step, cosign_days: int, signoff_days: int) -> tuple[Step, ...]:
    return (
        SIGNOFF,
        cosign_step("cosign", _cosigners, days=cosign_days, applies=_has_departments),
        Step(
            "review",
            _office_clerks,
            (
                Choice("pass", style="primary"),
                RETURN,
            ),
            mode="any",
        ),
        _fiscal_signoff(signoff_days),
        decide,
    )


def request_flows(cosign_days: int, signoff_days: int) -> list[FlowDef]:
    """The declared chains (第六十九–七十一条); 会签 and 签批 days come from the config."""
    decide_request = Step(
        "decide",
        _leader_in_charge,
        (
            Choice("approve", opinion_required=True, style="primary"),
            REJECT,
            Choice("return", END_RETURNED, opinion_required=True),
        ),
    )
    decide_report = Step(
        "decide", _leader_in_charge, (Choice("ack", END_ACKNOWLEDGED, style="primary"),)
    )
    return [
        FlowDef("request", _chain(decide_request, cosign_days, signoff_days)),
        FlowDef("report", _chain(decide_report, cosign_days, signoff_days)),
    ]


# -- the form ------------------------------------------------------------------------


form_title = spaced_text(4, 80, "request_bad_title")


def _kind(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer).strip()
    if text.startswith(word_list("requests.comprehensive")):
        return "comprehensive"
    if text.startswith(word_list("requests.single")):
        return "single"
    raise UserFacingError("request_bad_kind")


def _body(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(answer, dict):  # an attached file
        return attached_file(answer)
    return {"text": str(answer).strip()}


def _summary_field(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    return str(answer).strip()


def _departments(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> list[str]:
    """Other departments that co-sign; the submitting unit itself is left out."""
    directory = ctx.services.directory
    return unit_ids_listed(directory, str(answer), SUBMITTING_KINDS, leaving_out=ctx.sender.unit_id)


def _recipient(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer).strip()
    if len([p for p in ADDRESSEE_SEPARATORS.split(text) if p.strip()]) > 1:
        raise RuleViolation("request_many_recipients")
    if any(word in text for word in _HIGHER):
        raise RuleViolation("request_skips_level")
    if text not in PROPER_RECIPIENTS:
        if any(word in text for word in _PERSONAL):
            raise RuleViolation("request_to_person")
        raise RuleViolation("request_bad_recipient", recipient=text[:30])
    return text


def _has_file(values: Mapping[str, Any]) -> bool:
    body = values.get("body")
    return isinstance(body, dict) and "file" in body


def body_length(text: str) -> int:
    """字数 as an office counts it: characters of the text, white space not counted."""
    return sum(1 for ch in text if not ch.isspace())


def _check(ctx: CommandContext, values: Mapping[str, Any]) -> None:
    rules = ctx.services.config.rules
    limit = (
        rules.comprehensive_max_chars
        if values.get("kind") == "comprehensive"
        else rules.single_topic_max_chars
    )
    body = values.get("body") or {}
    text = body.get("text") if isinstance(body, dict) else None
    counted = text if text is not None else str(values.get("summary") or "")
    length = body_length(counted)
    if length > limit:
        raise RuleViolation(
            "request_too_long",
            kind=ctx.services.messages.word(str(values.get("kind") or "single")),
            limit=limit,
            length=length,
        )


def _summary_rows(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    directory = ctx.services.directory
    word = ctx.services.messages.word
    body = values.get("body") or {}
    content = body.get("text") or ""
    if "file" in body:
        content = word("attachment", name=body["file"]["name"])
    departments = [u.name for d in values.get("departments") or [] if (u := directory.unit(d))]
    rows = [
        (word("title"), values["title"]),
        (word("kind"), word(values["kind"])),
        (word("body"), content if len(content) <= 120 else content[:119] + "…"),
    ]
    if values.get("summary"):
        rows.append((word("summary"), values["summary"]))
    rows += [
        (word("chars"), str(body_length(body.get("text") or values.get("summary") or ""))),
        (word("departments"), "、".join(departments) or word("none")),
        (word("recipient"), values.get("recipient") or word("county_gov")),
    ]
    if "fiscal" in values:
        rows.append((word("fiscal"), word("yes" if values["fiscal"] else "no")))
    return rows


def _fields(form_id: str) -> tuple[FormField, ...]:
    fields = [
        FormField("title", form_title),
        FormField("kind", _kind),
        FormField("body", _body, accepts_file=True),
        FormField("summary", _summary_field, applies=_has_file),
        FormField("departments", _departments, optional=True),
    ]
    if form_id == "request":
        fields.append(FormField("fiscal", yes_no))
    fields.append(FormField("recipient", _recipient, optional=True))
    return tuple(fields)


async def _submit(ctx: CommandContext, values: dict[str, Any], kind: str) -> list[Outgoing]:
    services = ctx.services
    directory = services.directory
    sender = ctx.sender
    head = directory.unit_head(sender.unit_id)
    body = values.get("body") or {}
    departments = list(values.get("departments") or [])
    word = services.messages.word
    data = {
        "kind": values["kind"],
        "body": body.get("text", ""),
        "summary": values.get("summary") or "",
        "attachment_name": body.get("file", {}).get("name", ""),
        "attachment_code": body.get("file", {}).get("download_code", ""),
        "departments": departments,
        "fiscal": bool(values.get("fiscal")),
        "recipient": values.get("recipient") or word("county_gov"),
        "unit_head": head.user_id if head else None,
        "watchers": [head.user_id] if head and head.user_id != sender.user_id else [],
        "card_fields": [
            (word("kind"), word(values["kind"])),
            (
                word("departments"),
                "、".join(u.name for d in departments if (u := directory.unit(d))) or word("none"),
            ),
        ]
        + (
            [(word("fiscal"), word("yes" if values.get("fiscal") else "no"))]
            if kind == "request"
            else []
        ),
    }
    prefix = "QS" if kind == "request" else "BG"
    submission = Submission(kind, values["title"], data)
    return await submit_numbered_flow(ctx, submission, counter=kind, prefix=prefix)


async def _submit_request(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    return await _submit(ctx, values, "request")


async def _submit_report(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    return await _submit(ctx, values, "report")


REQUEST_FORM = Form("request", _fields("request"), _submit_request, _summary_rows, _check)
REPORT_FORM = Form("report", _fields("report"), _submit_report, _summary_rows, _check)


def _ensure_may_submit(ctx: CommandContext) -> None:
    directory = ctx.services.directory
    unit = directory.unit(ctx.sender.unit_id)
    if unit is None or unit.kind in SUBMITTING_KINDS:
        return
    if unit.kind in VIA_PARENT_KINDS:
        parent = directory.unit(unit.parent_id) if unit.parent_id else None
        raise RuleViolation(
            "request_via_parent",
            unit=unit.name,
            parent=parent.name if parent else ctx.services.messages.word("parent_default"),
        )
    if unit.kind == "coordination":
        raise RuleViolation("request_coordination_body", unit=unit.name)
    raise UserFacingError("request_not_for_unit", unit=unit.name)


def ensure_submitting_unit(ctx: CommandContext) -> None:
    """Only units that submit to the county government (not their subordinate bodies)
    submit 议题 and documents for legality review."""
    unit = ctx.services.directory.unit(ctx.sender.unit_id)
    if unit is None or unit.kind not in SUBMITTING_KINDS:
        raise UserFacingError("agenda_not_for_unit", unit=unit.name if unit else "")


start_request = form_command("request", _ensure_may_submit)
start_report = form_command("report", _ensure_may_submit)
