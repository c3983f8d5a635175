"""Which issued documents the government website publishes (第七十八条), as pages.

Only documents that are 主动公开 and not withdrawn are published. 依申请公开, 不予公开
and 涉密 documents never reach any output file: they are filtered out here, before
anything is rendered or copied, and a document that does not look like a valid issued
document is left out too (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from bot.clock import TZ
from handlers.export import parse_aware
from messages.vocabulary import input_word

# The stored disclosure value (a data code, not prose) of documents the site publishes.
PUBLISHED = input_word("documents.published")
DOC_TYPES: tuple[str, ...] = ("county_gov", "gov_office")  # order on the index page

_EXT_RE = re.compile(r"\.([A-Za-z0-9]{1,10})$")
# A fixed table (not the host's mime.types), so every machine builds the same feed.
_MIME_TYPES: Mapping[str, str] = {
    ".pdf": "application/pdf",
    ".ofd": "application/ofd",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".wps": "application/vnd.ms-works",
    ".zip": "application/zip",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".txt": "text/plain",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """A document left out of the site, or published without its attachment.

    Reasons: ``invalid`` (the stored document is malformed: not published),
    ``duplicate`` (same year/type/number as another: not published),
    ``attachment_outside`` (its path points outside the data directory: not copied),
    ``attachment_missing`` (the file does not exist: not copied).
    """

    doc_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str  # the original name, shown to readers (escaped by the template)
    href: str  # relative to the site root: files/<generated name>
    size: int
    mime_type: str


@dataclass(frozen=True, slots=True)
class Page:
    number: str
    doc_type: str
    year: int
    seq: int
    title: str
    issued_at: datetime
    issued_on: date
    issuer: str
    body: str
    paragraphs: tuple[str, ...]
    attachment: Attachment | None
    source: Path | None  # attachment file in the data dir, already checked

    @property
    def href(self) -> str:
        return f"docs/{self.year}/{self.doc_type}-{self.seq}.html"

    @property
    def file_name(self) -> str | None:
        return None if self.attachment is None else self.attachment.href.rsplit("/", 1)[1]


@dataclass(frozen=True, slots=True)
class Selection:
    pages: list[Page]  # in index order: newest year first, then by type, newest first
    withheld: int  # not public (依申请公开/不予公开/涉密) or withdrawn
    problems: list[Problem]


# -- validation ---------------------------------------------------------------------------


def is_public(doc: Mapping[str, Any]) -> bool:
    """主动公开 and not withdrawn (a withdrawal date alone counts as withdrawn)."""
    return (
        doc.get("disclosure") == PUBLISHED
        and doc.get("withdrawn") is False
        and doc.get("withdrawn_at") is None
    )


def _int(value: object, low: int, high: int) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _parse(doc: Mapping[str, Any]) -> tuple[str, str, int, int, str, datetime, str] | None:
    number = _text(doc.get("id"))
    doc_type = doc.get("type")
    year = _int(doc.get("year"), 1900, 9999)
    seq = _int(doc.get("seq"), 1, 10**9)
    title = _text(doc.get("title"))
    issuer = _text(doc.get("issuer"))
    issued_at = parse_aware(doc.get("issued_at"))
    if (
        number is None
        or doc_type not in DOC_TYPES
        or year is None
        or seq is None
        or title is None
        or issuer is None
        or issued_at is None
    ):
        return None
    body = doc.get("body")
    if body is not None and not isinstance(body, str):
        return None
    return number, str(doc_type), year, seq, title, issued_at, issuer


def _paragraphs(body: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in body.splitlines() if line.strip())


# -- attachments --------------------------------------------------------------------------


def _attachment_source(data_root: Path, raw: object) -> Path | str:
    """The checked source path of an attachment, or a problem reason."""
    if not isinstance(raw, str) or not raw or "\x00" in raw:
        return "attachment_outside"
    rel = PurePosixPath(raw)
    if rel.is_absolute() or ".." in rel.parts:
        return "attachment_outside"
    source = (data_root / rel).resolve()
    if not source.is_relative_to(data_root) or source == data_root:
        return "attachment_outside"
    if not source.is_file():
        return "attachment_missing"
    return source


def _extension(*names: object) -> str:
    for name in names:
        if isinstance(name, str):
            match = _EXT_RE.search(name)
            if match:
                return "." + match.group(1).lower()
    return ""


def _attachment(
    raw: object, data_root: Path, number: str, generated: str
) -> tuple[Attachment, Path] | str:
    """The published attachment and its checked source file, or a problem reason.

    ``generated`` is the file's name on the site, without its extension."""
    name = raw.get("name") if isinstance(raw, Mapping) else None
    path = raw.get("path") if isinstance(raw, Mapping) else None
    found = _attachment_source(data_root, path)
    if isinstance(found, str):
        return found
    ext = _extension(name, path)
    shown = name if isinstance(name, str) and name.strip() else f"{number}{ext}"
    attachment = Attachment(
        name=shown,
        href=f"files/{generated}{ext}",
        size=found.stat().st_size,
        mime_type=_MIME_TYPES.get(ext, "application/octet-stream"),
    )
    return attachment, found


# -- selection ----------------------------------------------------------------------------


def select_pages(documents: Iterable[Mapping[str, Any]], data_root: Path) -> Selection:
    """The pages to publish; ``data_root`` must be resolved (attachments stay inside)."""
    pages: dict[tuple[int, str, int], Page] = {}
    problems: list[Problem] = []
    withheld = 0
    for doc in documents:
        if not is_public(doc):
            withheld += 1
            continue
        parsed = _parse(doc)
        doc_id = str(doc.get("id", ""))
        if parsed is None:
            problems.append(Problem(doc_id, "invalid"))
            continue
        number, doc_type, year, seq, title, issued_at, issuer = parsed
        key = (year, doc_type, seq)
        if key in pages:
            problems.append(Problem(doc_id, "duplicate"))
            continue
        body = doc.get("body") or ""
        attachment: Attachment | None = None
        source: Path | None = None
        raw_attachment = doc.get("attachment")
        if raw_attachment is not None:
            found = _attachment(raw_attachment, data_root, number, f"{year}-{doc_type}-{seq}")
            if isinstance(found, str):
                problems.append(Problem(doc_id, found))
            else:
                attachment, source = found
        pages[key] = Page(
            number=number,
            doc_type=doc_type,
            year=year,
            seq=seq,
            title=title,
            issued_at=issued_at,
            issued_on=issued_at.astimezone(TZ).date(),
            issuer=issuer,
            body=body,
            paragraphs=_paragraphs(body),
            attachment=attachment,
            source=source,
        )
    ordered = sorted(pages.values(), key=lambda p: (-p.year, DOC_TYPES.index(p.doc_type), -p.seq))
    return Selection(ordered, withheld, problems)
