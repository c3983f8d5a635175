"""信息: a unit submits government information (第七十九、八十条) — title, the category of
第八十条, the text or a Word/PDF/OFD file — optionally answering a 约稿 by its number.
The item goes on one card to the office's information staff, who decide on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField
from bot.errors import NotAuthorized, RuleViolation, UserFacingError
from bot.outgoing import Outgoing, file_to
from bot.router import CommandContext
from handlers.common.answers import material_answer, spaced_text
from handlers.common.material import fetched_file, material_shown
from handlers.common.numbers import next_number
from handlers.common.staging import conclude_form, stage_and_send
from handlers.information.card import create_card
from handlers.information.model import (
    CATEGORIES,
    INFO_REQUESTS,
    INFORMATION,
    answer_request,
    get_request,
    new_item,
)
from handlers.information.people import may_submit, staff
from messages.vocabulary import input_word

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session

KIND = "information"
# (一)…(七) of 第八十条, or 1…7, besides the category's label.
_ORDINALS = input_word("dates.ordinals")


def _category(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer).strip().strip("（）()")
    label = ctx.services.messages.label
    for index, category in enumerate(CATEGORIES):
        if text in (label("information_categories", category), str(index + 1), _ORDINALS[index]):
            return category
    raise UserFacingError("info_bad_category")


_body = material_answer(10, 5000, "info_body_short")


async def _request(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    number = str(answer).strip().upper()[:20]
    request = await ctx.services.db.run(lambda s: get_request(s, number))
    if request is None:
        raise UserFacingError("info_request_unknown", number=number)
    if ctx.sender.unit_id not in request["units"]:
        raise RuleViolation("info_request_not_yours", number=number)
    return number


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    label = ctx.services.forms.label_of
    messages = ctx.services.messages
    rows = [
        (label(KIND, "title"), values["title"]),
        (label(KIND, "category"), messages.label("information_categories", values["category"])),
        (label(KIND, "body"), material_shown(messages, values["body"], 200)),
    ]
    if values.get("request"):
        rows.append((label(KIND, "request"), values["request"]))
    return rows


def _file_to_staff(
    services: Services, item: Mapping[str, Any], file: Mapping[str, Any]
) -> list[Outgoing]:
    return [
        file_to(
            f"information:{item['id']}:file",
            user_ids=staff(services),
            path=file["path"],
            name=file["name"],
        )
    ]


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    file = await fetched_file(services, values["body"])
    now = services.clock.now()

    def store(session: Session) -> None:
        item = new_item(
            number=next_number(session, KIND, "XX", now.year),
            title=values["title"],
            category=values["category"],
            material=values["body"],
            file=file,
            unit=ctx.sender.unit_id,
            by=ctx.sender.user_id,
            request=values.get("request"),
            now=now,
        )
        session.collection(INFORMATION).insert(item)
        on_time = True
        if item["request"]:
            request = get_request(session, item["request"])
            if request is not None:
                on_time = answer_request(request, item["unit"], item["id"], now)
                session.collection(INFO_REQUESTS).update(request["id"], request)
        outgoing = create_card(services, session, item)
        if file:
            outgoing += _file_to_staff(services, item, file)
        conclude_form(
            ctx,
            session,
            outgoing,
            "info_submitted",
            number=item["id"],
            request=item["request"] or "",
            late=not on_time,
        )

    return await stage_and_send(services, store)


INFORMATION_FORM = Form(
    KIND,
    (
        FormField("title", spaced_text(4, 60, "info_title_bad")),
        FormField("category", _category),
        FormField("body", _body, accepts_file=True),
        FormField("request", _request, optional=True),
    ),
    _submit,
    _summary,
)


def ensure_submitter(ctx: CommandContext) -> None:
    """Towns, departments, development zones, enterprises and mines submit (第七十九条)."""
    if not may_submit(ctx.sender, ctx.services.directory):
        raise NotAuthorized("info_not_submitting_unit")
