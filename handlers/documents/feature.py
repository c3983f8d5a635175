"""发文 (第七十五条) and 撤销公文."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from handlers.documents import outgoing, revise, revoke

DOCUMENTS = Feature(
    "documents",
    commands=[
        Command("outgoing", outgoing.start_outgoing, audience=outgoing.may_draft),
        Command("revoke", revoke.revoke_document, audience=outgoing.is_office_director),
        Command("revise_outgoing", revise.start_revision, audience=outgoing.may_draft),
    ],
    forms=[outgoing.OUTGOING_FORM, revise.REVISION_FORM],
    flows=[outgoing.outgoing_flow],
)
