"""发文 (第七十五条) and 撤销公文."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from handlers.documents.outgoing import (
    OUTGOING_FORM,
    is_office_director,
    may_draft,
    outgoing_flow,
    start_outgoing,
)
from handlers.documents.revise import REVISION_FORM, start_revision
from handlers.documents.revoke import revoke_document

DOCUMENTS = Feature(
    "documents",
    commands=[
        Command("outgoing", start_outgoing, audience=may_draft),
        Command("revoke", revoke_document, audience=is_office_director),
        Command("revise_outgoing", start_revision, audience=may_draft),
    ],
    forms=[OUTGOING_FORM, REVISION_FORM],
    flows=[outgoing_flow],
)
