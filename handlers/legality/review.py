"""合法性审查: before a normative document (规范性文件) or a major administrative decision
(重大行政决策) goes to a government meeting, the 司法局 reviews its legality (第十八条).
The department asks here; the 司法局's responsible person passes or fails it on the card
with his opinion. The review number (HF…) is then quoted in the 议题 form. The bureau may
add its review document (审查意见书) as a file; it travels with every item quoting the
review."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField, close_dialog
from bot.errors import NotAuthorized, UserFacingError
from bot.outgoing import Outgoing, file_to
from bot.router import CommandContext
from bot.workflow import END_REJECTED, FLOWS, Choice, FlowDef, FlowView, Step
from handlers.agenda import fields
from handlers.approvals.submit import SIGNOFF, Submission, submission_data, submit_numbered_flow
from handlers.common.answers import labelled_choice
from handlers.common.commands import form_command
from handlers.common.material import material_shown
from handlers.common.notify import markdown_message
from handlers.common.staging import stage_and_send
from handlers.common.summary import summary_rows
from handlers.requests.flow import ensure_submitting_unit

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person
    from storage.session import Session

SUBJECTS = ("normative", "major")


def legal_bureau_head(flow: FlowView, directory: OrgDirectory) -> list[str]:
    """The head of the unit with the legal_bureau role (县司法局)."""
    unit = directory.unit_with_role("legal_bureau")
    head = directory.unit_head(unit.unit_id) if unit else None
    if head is None:
        raise UserFacingError("legality_no_bureau")
    return [head.user_id]


def legality_flow() -> FlowDef:
    return FlowDef(
        "legality",
        (
            SIGNOFF,
            Step(
                "review",
                legal_bureau_head,
                (
                    Choice("legal_pass", opinion_required=True, style="primary"),
                    Choice("legal_fail", END_REJECTED, opinion_required=True, style="danger"),
                ),
            ),
        ),
    )


_subject = labelled_choice(SUBJECTS, "legality_subjects", "legality_bad_subject")


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    messages = ctx.services.messages
    shown = {
        "title": values["title"],
        "subject": messages.label("legality_subjects", values["subject"]),
        "material": material_shown(messages, values["material"]),
    }
    return summary_rows(ctx, "legality", shown)


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    subject = services.messages.label("legality_subjects", values["subject"])
    fields = [(services.forms.label_of("legality", "subject"), subject)]
    data = await submission_data(ctx, values["material"], fields, subject=values["subject"])

    submission = Submission("legality", values["title"], data)
    return await submit_numbered_flow(ctx, submission, counter="legality", prefix="HF")


LEGALITY_FORM = Form(
    "legality",
    (
        FormField("title", fields.title),
        FormField("subject", _subject),
        FormField("material", fields.text_or_file, accepts_file=True),
    ),
    _submit,
    _summary,
)


# -- 审查意见书: the optional review document ------------------------------------------------


async def _review_number(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    found = fields.REVIEW_NUMBER.search(str(answer))
    number = found.group(0).upper() if found else str(answer).strip()[:20]
    flow = await ctx.services.db.run(lambda s: s.collection(FLOWS).get(number))
    if flow is None or flow["kind"] != "legality":
        raise UserFacingError("agenda_unknown_review", number=number)
    return number


def _document(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise UserFacingError("legality_doc_file_please")
    return fields.text_or_file(answer, ctx, values)


def _doc_summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    label = ctx.services.forms.label_of
    return [
        (label("legality_doc", "number"), values["number"]),
        (label("legality_doc", "document"), values["document"]["file"]["name"]),
    ]


async def _attach_document(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    fetched = await services.files.fetch(
        values["document"]["file"]["download_code"], values["document"]["file"]["name"]
    )
    stored = fetched.to_doc()
    number = values["number"]
    key = f"reply:{ctx.message.msg_id}:attached"

    def attach(session: Session) -> None:
        flows = session.collection(FLOWS)
        flow = flows.get(number)
        if flow is None:
            raise UserFacingError("agenda_unknown_review", number=number)
        flow["data"]["review_doc"] = stored
        flows.update(number, flow)
        people = list(dict.fromkeys([flow["submitter"], *flow["data"].get("watchers", [])]))
        notice = services.messages.markdown(
            "legality_doc_sent", number=number, title=flow["title"], name=fetched.name
        )
        outgoing = [
            markdown_message(f"legality:{number}:doc:{fetched.path}:{u}", u, notice) for u in people
        ]
        outgoing.append(
            file_to(
                f"legality:{number}:file:{fetched.path}",
                user_ids=people,
                path=fetched.path,
                name=fetched.name,
            )
        )
        close_dialog(session, ctx.sender.user_id)
        reply = ctx.text("legality_doc_attached", number=number, name=fetched.name)
        services.outbox.stage(session, [*outgoing, Outgoing(key, reply.kind, reply.payload)])

    return await stage_and_send(services, attach)


LEGALITY_DOC_FORM = Form(
    "legality_doc",
    (
        FormField("number", _review_number),
        FormField("document", _document, accepts_file=True),
    ),
    _attach_document,
    _doc_summary,
)


def is_legal_bureau(person: Person, directory: OrgDirectory) -> bool:
    unit = directory.unit_with_role("legal_bureau")
    return unit is not None and person.unit_id == unit.unit_id


async def start_legality_doc(ctx: CommandContext) -> list[Outgoing]:
    if not is_legal_bureau(ctx.sender, ctx.services.directory):
        raise NotAuthorized("legality_doc_not_allowed")
    return await ctx.services.forms.begin(ctx, "legality_doc")


start_legality = form_command("legality", ensure_submitting_unit)
