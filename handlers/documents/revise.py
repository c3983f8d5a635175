"""修改发文 <编号>: after 退回修改 the drafter edits the title, the body or the file (the
form pre-filled with the current ones in full, "不变" keeps one) before 修改后重新提交.
The earlier version is kept whole in ``data.versions`` (shown by the 公文 query, see
versions.py) and the trail says in short what changed (第七十三、七十五条: the office
reviews the draft again)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.dialog import Form, FormField, close_dialog
from bot.errors import RuleViolation, UserFacingError
from bot.flow_audit import record_act
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import FLOWS, open_assignments
from handlers.common.material import fetched_file
from handlers.common.staging import conclude_form, stage_and_send
from handlers.documents.cards import refreshed_card
from handlers.documents.outgoing import has_file, may_draft, not_secret, parse_body, parse_file_text
from handlers.requests.flow import form_title

if TYPE_CHECKING:
    from storage.session import Session

FORM_ID = "outgoing_revision"
EXCERPT = 60


def returned_flow(session: Session, number: str, user_id: str) -> dict[str, Any]:
    """The 发文 ``number`` waiting for ``user_id`` to revise it after 退回修改."""
    flow = session.collection(FLOWS).get(number)
    if (
        flow is None
        or flow["kind"] != "outgoing"
        or flow["state"] != "active"
        or flow["step"] != "draft"
        or not open_assignments(flow, user_id)
    ):
        raise RuleViolation("outgoing_revise_not_returned", number=number[:40])
    return flow


def _initial(flow: Mapping[str, Any]) -> dict[str, Any]:
    data = flow["data"]
    initial: dict[str, Any] = {"title": flow["title"]}
    if data.get("attachment"):
        initial["body"] = {"stored": data["attachment"]}
    elif data.get("body"):
        initial["body"] = data["body"]
    if data.get("body"):
        initial["text"] = data["body"]
    return initial


async def start_revision(ctx: CommandContext) -> list[Outgoing]:
    if not may_draft(ctx.sender, ctx.services.directory):
        raise UserFacingError("outgoing_only_clerks")
    number = ctx.args.strip().upper()
    if not number:
        return [ctx.text("outgoing_revise_usage")]
    flow = await ctx.services.db.run(lambda s: returned_flow(s, number, ctx.sender.user_id))
    fixed = {"flow": number, "disclosure": flow["data"]["disclosure"]}
    return await ctx.services.forms.begin(ctx, FORM_ID, initial=_initial(flow), fixed=fixed)


def _file_name(value: Any) -> str:
    if isinstance(value, Mapping):
        found = value.get("stored") or value.get("file") or {}
        return str(found.get("name", ""))
    return ""


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _show(ctx: CommandContext, key: str, value: Any) -> str:
    """A current value in its prompt: the whole text, so that the drafter can copy and
    edit it (it came in one message, at most MAX_COMMAND_CHARS long), or the file."""
    if isinstance(value, Mapping):
        return ctx.services.messages.word("attachment", name=_file_name(value))
    return str(value)


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each field under its own form label (正文 the file or text, 正文文字 the text
    shown with a file); texts cut short."""
    label = ctx.services.forms.label_of
    rows = [(label(FORM_ID, "title"), str(values["title"]))]
    for key in ("body", "text"):
        if values.get(key):
            rows.append((label(FORM_ID, key), _excerpt(_show(ctx, key, values[key]))))
    return rows


async def _new_version(ctx: CommandContext, values: Mapping[str, Any]) -> dict[str, Any]:
    """Title, text and file as revised (a new file fetched now: its code expires)."""
    body = values.get("body")
    if not isinstance(body, Mapping):  # typed text, or 涉密 (no text kept)
        return {"title": values["title"], "body": str(body or ""), "attachment": None}
    attachment = body.get("stored") or await fetched_file(ctx.services, body)
    return {
        "title": values["title"],
        "body": str(values.get("text") or ""),
        "attachment": attachment,
    }


def _changes(ctx: CommandContext, flow: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """What the trail says changed, in short: the old title, the old text's start, the
    file added, replaced or removed (empty: nothing changed)."""
    data = flow["data"]
    old_body = str(data.get("body") or "")
    file_changed = new["attachment"] != data.get("attachment")
    return ctx.services.messages.text(
        "outgoing_revision_changes",
        old_title=flow["title"] if new["title"] != flow["title"] else "",
        old_body=_excerpt(old_body) if new["body"] != old_body else "",
        body_changed=new["body"] != old_body,
        file_changed=file_changed,
        old_file=(data.get("attachment") or {}).get("name", ""),
        new_file=(new["attachment"] or {}).get("name", ""),
    )


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    new = await _new_version(ctx, values)
    now = services.clock.now()
    user = ctx.sender.user_id

    def revise(session: Session) -> None:
        flow = returned_flow(session, str(values["flow"]), user)
        changed = _changes(ctx, flow, new)
        if not changed:
            conclude_form(ctx, session, [], "outgoing_revise_unchanged", number=flow["id"])
            return
        data = flow["data"]
        old = {
            "title": flow["title"],
            "body": data.get("body") or "",
            "attachment": data.get("attachment"),
            "replaced_ms": to_epoch_ms(now),
            "user": user,
        }
        data["versions"] = [*data.get("versions", []), old]
        data.update(body=new["body"], attachment=new["attachment"])
        data["attachment_name"] = (new["attachment"] or {}).get("name", "")
        flow["title"] = new["title"]
        record_act(session, services.directory, flow, now, user, None, "revise", changed)
        session.collection(FLOWS).update(flow["id"], flow)
        card = refreshed_card(services, flow, f"revised-{len(data['versions'])}")
        conclude_form(ctx, session, [card], "outgoing_revised", number=flow["id"], changes=changed)

    try:
        return await stage_and_send(services, revise)
    except UserFacingError:
        await services.db.run(lambda s: close_dialog(s, user))
        raise


REVISION_FORM = Form(
    FORM_ID,
    (
        FormField("title", form_title),
        FormField("body", parse_body, accepts_file=True, applies=not_secret),
        FormField("text", parse_file_text, applies=has_file),
    ),
    _submit,
    _summary,
    show=_show,
)
