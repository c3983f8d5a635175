"""发文: documents issued in the name of the county government or its office, through
the 发文卡 (第七十三、七十五条), numbered on 签发 and distributed (第七十八条).

The flow's diagram is generated from its declaration into docs/lifecycles.md.
Leaders never see a draft the office has not reviewed: the chain starts in the office.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField
from bot.errors import RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import END_APPROVED, Choice, FlowDef, FlowView, Step
from handlers.approvals.card import STATUS
from handlers.approvals.submit import Submission, county_head, office_director, submit_numbered_flow
from handlers.common.answers import attached_file
from handlers.common.units import unit_ids_listed
from handlers.distribution.start import start_distribution
from handlers.requests.flow import SUBMITTING_KINDS, body_length, form_title
from messages.vocabulary import input_word, word_list, word_map

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from bot.services import Services
    from storage.session import Session

DOCUMENTS = "documents"
DOC_TYPES = {str(k): str(v) for k, v in word_map("documents.issuers").items()}
DISCLOSURES = word_list("documents.disclosures")  # stored as typed
SECRET = input_word("documents.secret")
ALL_UNITS = word_list("documents.all_units")


# -- the chain ------------------------------------------------------------------------


def _drafter(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [flow.submitter]


def _secretarial(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [directory.secretarial_deputy().user_id]


def _deputy_in_charge(flow: FlowView, directory: OrgDirectory) -> list[str]:
    """县政府分管副县长 (第七十五条), by 分工 (第七十条): for a unit no deputy is in charge of,
    the county head himself, as in every other flow (not the executive deputy: 第五条 makes
    him assist the county head, not take over the units nobody is assigned)."""
    return [directory.responsible_leader(str(flow.data["lead_unit"])).user_id]


def _office_doc(flow: FlowView) -> bool:
    return flow.data.get("doc_type") == "gov_office"


def _county_doc(flow: FlowView) -> bool:
    return flow.data.get("doc_type") == "county_gov"


def _never(flow: FlowView) -> bool:
    return False  # only reached by 退回修改


RETURN = Choice("return", "draft", opinion_required=True, style="danger")
# The two answers of the chain: an opinion passed on, or the signature that ends it; each
# step may instead send the draft back.
APPROVE_OR_RETURN = (Choice("approve", opinion_required=True, style="primary"), RETURN)
SIGN_OR_RETURN = (Choice("sign", END_APPROVED, style="primary"), RETURN)


def outgoing_flow(services: Services) -> FlowDef:
    def issue(
        session: Session, flow: dict[str, Any], outcome: str, now: datetime
    ) -> list[Outgoing]:
        if outcome != END_APPROVED:
            return []
        return issue_document(services, session, flow, now)

    return FlowDef(
        "outgoing",
        (
            Step("draft", _drafter, (Choice("resubmit", style="primary"),), applies=_never),
            Step("secretarial", _secretarial, APPROVE_OR_RETURN),
            Step("deputy", _deputy_in_charge, APPROVE_OR_RETURN),
            Step("director_sign", office_director, SIGN_OR_RETURN, applies=_office_doc),
            Step("director_comment", office_director, APPROVE_OR_RETURN, applies=_county_doc),
            Step("head_sign", county_head, SIGN_OR_RETURN, applies=_county_doc),
        ),
        on_finish=issue,
    )


# -- numbering and issuing --------------------------------------------------------------


def issued_status(number: str, *, withdrawn: bool) -> dict[str, Any]:
    """How the card and 公文 query show an issued document: 已签发印发 with its 文号, or
    已撤销 once the office director has withdrawn it."""
    return {
        "template": "outgoing_status",
        "params": {"number": number, "withdrawn": withdrawn},
        "color": "gray" if withdrawn else "green",
    }


def issue_document(
    services: Services, session: Session, flow: dict[str, Any], now: datetime
) -> list[Outgoing]:
    """签发: the next number of that type and year (never skipped or repeated: the
    counter is part of this storage call), the stored document, its distribution."""
    data = flow["data"]
    doc_type = data["doc_type"]
    seq = session.counter_next(f"docno:{doc_type}:{now.year}")
    word = services.messages.word
    prefix = services.config.county.doc_prefixes[doc_type]
    number = word("doc_number_format", prefix=prefix, year=now.year, seq=seq)
    county = services.config.county.name
    secret = data["disclosure"] == SECRET
    document = {
        "id": number,
        "flow": flow["id"],
        "type": doc_type,
        "year": now.year,
        "seq": seq,
        "title": flow["title"],
        "issued_at": now.isoformat(),
        "issuer": word(f"issuer_{doc_type}", county=county),
        # 涉密: the bot keeps no body text (第七十八条: secret documents never leave).
        "body": None if secret else data["body"],
        "attachment": None if secret else data.get("attachment"),
        "disclosure": data["disclosure"],
        "withdrawn": False,
        "withdrawn_at": None,
        "recipient_units": list(data["recipients"]),
    }
    session.collection(DOCUMENTS).insert(document)
    services.site_changed()
    if secret:
        flow["data"]["body"] = ""
    flow["data"]["number"] = number
    flow["data"][STATUS] = issued_status(number, withdrawn=False)
    flow["data"]["card_fields"] = [*data.get("card_fields", []), (word("doc_number"), number)]
    return start_distribution(services, session, document, flow, now)


# -- the form ---------------------------------------------------------------------------


def _doc_type(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    suffix = input_word("documents.issuer_suffix")
    text = (
        str(answer).strip().removesuffix(suffix).removeprefix(ctx.services.config.county.short_name)
    )
    if text in DOC_TYPES:
        return DOC_TYPES[text]
    raise UserFacingError("outgoing_bad_type")


def parse_body(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str | dict[str, Any]:
    if values.get("disclosure") == SECRET:
        raise RuleViolation("outgoing_secret_body")
    if isinstance(answer, dict):  # the document as a file; its text comes next
        return attached_file(answer)
    text = str(answer).strip()
    if body_length(text) < 10:
        raise UserFacingError("outgoing_body_short")
    return text


def parse_file_text(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer).strip()
    if body_length(text) < 10:
        raise UserFacingError("outgoing_body_short")
    return text


def has_file(values: Mapping[str, Any]) -> bool:
    return isinstance(values.get("body"), dict)


def not_secret(values: Mapping[str, Any]) -> bool:
    return values.get("disclosure") != SECRET


def _unit_by_name(ctx: CommandContext, name: str) -> str | None:
    unit = ctx.services.directory.unit_named(name, SUBMITTING_KINDS)
    return unit.unit_id if unit else None


def _lead_unit(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    unit = _unit_by_name(ctx, str(answer).strip())
    if unit is None:
        raise UserFacingError("request_unknown_units", names=str(answer).strip()[:30])
    return unit


def _recipients(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> list[str]:
    text = str(answer).strip()
    if text in ALL_UNITS:
        return [
            u.unit_id
            for u in ctx.services.config.units.values()
            if u.kind in SUBMITTING_KINDS and u.head_id
        ]
    return unit_ids_listed(ctx.services.directory, text, SUBMITTING_KINDS)


def _disclosure(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer).strip()
    if text in DISCLOSURES:
        return text
    raise UserFacingError("outgoing_bad_disclosure")


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    directory = ctx.services.directory
    lead = directory.unit(values["lead_unit"])
    word = ctx.services.messages.word
    names = [u.name for d in values["recipients"] if (u := directory.unit(d))]
    shown = "、".join(names[:8])
    if len(names) > 8:
        shown = word("more_units", shown=shown, count=len(names))
    body = values.get("body") or ""
    if isinstance(body, dict):
        body = word("attachment", name=body["file"]["name"]) + "；" + str(values.get("text") or "")
    return [
        (word("title"), values["title"]),
        (word("issuer"), word(values["doc_type"])),
        (word("lead_unit"), lead.name if lead else ""),
        (word("recipient"), shown),
        (word("disclosure"), values["disclosure"]),
        (word("body"), body if len(body) <= 120 else body[:119] + "…"),
    ]


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    directory = services.directory
    word = services.messages.word
    doc_type = values["doc_type"]
    lead = directory.unit(values["lead_unit"])
    attachment = None
    body = values.get("body") or ""
    if isinstance(body, dict):  # fetch the file now: DingTalk's download codes expire
        stored = await services.files.fetch(body["file"]["download_code"], body["file"]["name"])
        attachment = stored.to_doc()
        body = str(values.get("text") or "")
    data = {
        "doc_type": doc_type,
        "body": body,
        "attachment": attachment,
        "attachment_name": attachment["name"] if attachment else "",
        "lead_unit": values["lead_unit"],
        "recipients": values["recipients"],
        "disclosure": values["disclosure"],
        "card_fields": [
            (word("issuer"), word(doc_type)),
            (word("lead_unit"), lead.name if lead else ""),
            (word("recipient_count"), str(len(values["recipients"]))),
            (word("disclosure"), values["disclosure"]),
        ],
    }
    submission = Submission("outgoing", values["title"], data)
    return await submit_numbered_flow(ctx, submission, counter="outgoing", prefix="FW")


def _check(ctx: CommandContext, values: Mapping[str, Any]) -> None:
    if not values.get("recipients"):
        raise UserFacingError("outgoing_no_recipients")


OUTGOING_FORM = Form(
    "outgoing",
    (
        FormField("title", form_title),
        FormField("doc_type", _doc_type),
        FormField("lead_unit", _lead_unit),
        FormField("recipients", _recipients),
        FormField("disclosure", _disclosure),
        FormField("body", parse_body, accepts_file=True, applies=not_secret),
        FormField("text", parse_file_text, applies=has_file),
    ),
    _submit,
    _summary,
    _check,
)


def may_draft(person: Any, directory: OrgDirectory) -> bool:
    return "office_clerk" in person.roles


def is_office_director(person: Any, directory: OrgDirectory) -> bool:
    return "office_director" in person.roles


async def start_outgoing(ctx: CommandContext) -> list[Outgoing]:
    if not may_draft(ctx.sender, ctx.services.directory):
        raise UserFacingError("outgoing_only_clerks")
    return await ctx.services.forms.begin(ctx, "outgoing")
