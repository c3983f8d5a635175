"""Publish issued documents on the government website (第七十八条).

A static site is rendered from the ``documents`` collection:

* ``index.html`` — published documents grouped by year (newest first), then by type;
* ``docs/<year>/<type>-<seq>.html`` — one page per document;
* ``files/<year>-<type>-<seq>.<ext>`` — attachments, copied under generated names;
* ``feed.json`` — a JSON Feed 1.1 of the same documents.

Only documents that are 主动公开 and not withdrawn are published. 依申请公开, 不予公开
and 涉密 documents never reach any output file: they are filtered out before anything
is rendered or copied, and a document that does not look like a valid issued document
is left out too (fail closed).

The site is built in a temp folder next to ``out_dir`` and swapped in by renames, so a
reader never sees a half-built site. The output depends only on the documents (no
"now"), so building twice gives byte-identical files.

The site must not live inside the data directory: the storage layer checks every
``.json`` file there at start-up as a TinyDB file, and ``feed.json`` is not one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.clock import TZ
from storage.database import Database
from storage.files import fsync_dir
from storage.session import Session

log = logging.getLogger(__name__)

COLLECTION = "documents"
PUBLISHED = "主动公开"
DOC_TYPES: tuple[str, ...] = ("county_gov", "gov_office")  # order on the index page
MARKER = ".govbot-site"  # marks a folder as a site we built (and may replace)
FEED_VERSION = "https://jsonfeed.org/version/1.1"

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


class SiteError(Exception):
    """The site cannot be built where asked. ``reason`` selects the operator message.

    Reasons: ``inside_data`` (out_dir is, contains or lies inside the data directory),
    ``not_a_site`` (out_dir exists, is not empty and is not a site we built).
    """

    def __init__(self, reason: str, path: Path) -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{reason}: {path}")


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
class SiteReport:
    out_dir: Path
    published: tuple[str, ...]  # document numbers, in index order
    withheld: int  # not public (依申请公开/不予公开/涉密) or withdrawn
    attachments: int  # files copied
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class _Attachment:
    name: str  # the original name, shown to readers (escaped by the template)
    href: str  # relative to the site root: files/<generated name>
    size: int
    mime_type: str


@dataclass(frozen=True, slots=True)
class _Page:
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
    attachment: _Attachment | None
    source: Path | None  # attachment file in the data dir, already checked

    @property
    def href(self) -> str:
        return f"docs/{self.year}/{self.doc_type}-{self.seq}.html"

    @property
    def file_name(self) -> str | None:
        return None if self.attachment is None else self.attachment.href.rsplit("/", 1)[1]


# -- selection and validation ------------------------------------------------------------


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
    raw_issued = doc.get("issued_at")
    if (
        number is None
        or doc_type not in DOC_TYPES
        or year is None
        or seq is None
        or title is None
        or issuer is None
        or not isinstance(raw_issued, str)
    ):
        return None
    try:
        issued_at = datetime.fromisoformat(raw_issued)
    except ValueError:
        return None
    if issued_at.tzinfo is None:
        return None
    body = doc.get("body")
    if body is not None and not isinstance(body, str):
        return None
    return number, str(doc_type), year, seq, title, issued_at, issuer


def _paragraphs(body: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in body.splitlines() if line.strip())


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


def _select(
    documents: Iterable[Mapping[str, Any]], data_root: Path
) -> tuple[list[_Page], int, list[Problem]]:
    pages: dict[tuple[int, str, int], _Page] = {}
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
        attachment: _Attachment | None = None
        source: Path | None = None
        raw_attachment = doc.get("attachment")
        if raw_attachment is not None:
            name = raw_attachment.get("name") if isinstance(raw_attachment, Mapping) else None
            path = raw_attachment.get("path") if isinstance(raw_attachment, Mapping) else None
            found = _attachment_source(data_root, path)
            if isinstance(found, str):
                problems.append(Problem(doc_id, found))
            else:
                source = found
                ext = _extension(name, path)
                shown = name if isinstance(name, str) and name.strip() else f"{number}{ext}"
                mime = _MIME_TYPES.get(ext, "application/octet-stream")
                attachment = _Attachment(
                    name=shown,
                    href=f"files/{year}-{doc_type}-{seq}{ext}",
                    size=source.stat().st_size,
                    mime_type=mime,
                )
        pages[key] = _Page(
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
    return ordered, withheld, problems


# -- rendering ------------------------------------------------------------------------


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("messages", "site"),
        undefined=StrictUndefined,
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _grouped(pages: list[_Page]) -> list[dict[str, Any]]:
    years: list[dict[str, Any]] = []
    for page in pages:
        if not years or years[-1]["year"] != page.year:
            years.append({"year": page.year, "groups": []})
        groups: list[dict[str, Any]] = years[-1]["groups"]
        if not groups or groups[-1]["type"] != page.doc_type:
            groups.append({"type": page.doc_type, "docs": []})
        groups[-1]["docs"].append(page)
    return years


def _feed(env: Environment, pages: list[_Page], county: str) -> str:
    newest_first = sorted(pages, key=lambda p: (p.issued_at, p.year, p.seq), reverse=True)
    items: list[dict[str, Any]] = []
    for page in newest_first:
        item: dict[str, Any] = {
            "id": page.number,
            "url": page.href,
            "title": page.title,
            "content_text": page.body,
            "date_published": page.issued_at.isoformat(),
            "authors": [{"name": page.issuer}],
        }
        if page.attachment is not None:
            item["attachments"] = [
                {
                    "url": page.attachment.href,
                    "mime_type": page.attachment.mime_type,
                    "title": page.attachment.name,
                    "size_in_bytes": page.attachment.size,
                }
            ]
        items.append(item)
    feed = {
        "version": FEED_VERSION,
        "title": env.get_template("feed_title.txt.j2").render(county=county).strip(),
        "home_page_url": "index.html",
        "language": "zh-CN",
        "items": items,
    }
    return json.dumps(feed, ensure_ascii=False, indent=2) + "\n"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _inside(root: Path, target: Path) -> Path:
    resolved = target.resolve()
    if not resolved.is_relative_to(root) or resolved == root:
        raise RuntimeError(f"refusing to write outside the site: {target}")
    return resolved


def _render_into(tmp: Path, pages: list[_Page], county: str) -> int:
    env = _environment()
    root = tmp.resolve()
    _write(root / MARKER, b"govbot site\n")
    index = env.get_template("index.html.j2").render(county=county, years=_grouped(pages), root="")
    _write(_inside(root, root / "index.html"), index.encode("utf-8"))
    page_template = env.get_template("document.html.j2")
    copied = 0
    files_dir = root / "files"
    for page in pages:
        html = page_template.render(county=county, doc=page, root="../../")
        _write(_inside(root, root / page.href), html.encode("utf-8"))
        if page.source is not None and page.file_name is not None:
            target = _inside(root, files_dir / page.file_name)
            if target.parent != files_dir:
                raise RuntimeError(f"refusing to copy outside files/: {target}")
            files_dir.mkdir(exist_ok=True)
            shutil.copyfile(page.source, target)
            with open(target, "rb") as f:
                os.fsync(f.fileno())
            copied += 1
    _write(_inside(root, root / "feed.json"), _feed(env, pages, county).encode("utf-8"))
    for folder in sorted({p.parent for p in root.rglob("*")} | {root}):
        fsync_dir(folder)
    return copied


# -- placing the site --------------------------------------------------------------------


def _check_place(out: Path, data_root: Path) -> None:
    if out == data_root or out.is_relative_to(data_root) or data_root.is_relative_to(out):
        raise SiteError("inside_data", out)
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise SiteError("not_a_site", out)
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise SiteError("not_a_site", out)


@contextlib.contextmanager
def _build_lock(parent: Path, name: str) -> Iterator[None]:
    """One build per output folder at a time (threads and processes alike)."""
    fd = os.open(parent / f".{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def build_site(
    documents: Iterable[Mapping[str, Any]], out_dir: Path, *, data_dir: Path, county: str
) -> SiteReport:
    """Render the public site into ``out_dir``, replacing the previous build atomically.

    Blocking file work: from async code use :func:`rebuild_site`.
    """
    data_root = Path(data_dir).resolve()
    out = Path(out_dir).absolute()
    out = out.parent.resolve() / out.name
    _check_place(out, data_root)
    pages, withheld, problems = _select(documents, data_root)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.building"
    old = out.parent / f".{out.name}.old"
    with _build_lock(out.parent, out.name):
        _check_place(out, data_root)  # again, now that no other build is running
        _remove(tmp)  # left by a build that crashed
        _remove(old)
        tmp.mkdir()
        try:
            copied = _render_into(tmp, pages, county)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if out.exists():
            out.rename(old)
            tmp.rename(out)
            fsync_dir(out.parent)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
            fsync_dir(out.parent)
    report = SiteReport(
        out_dir=out,
        published=tuple(p.number for p in pages),
        withheld=withheld,
        attachments=copied,
        problems=tuple(problems),
    )
    log.info(
        "site built in %s: %d published, %d withheld, %d problems",
        out,
        len(report.published),
        withheld,
        len(problems),
    )
    return report


# -- from storage ------------------------------------------------------------------------


def read_documents(session: Session) -> list[dict[str, Any]]:
    """Every stored document, open and archived (run on the storage writer thread)."""
    collection = session.collection(COLLECTION)
    docs = collection.all_open()
    for year in collection.archived_years():
        docs.extend(collection.find_archived(year, lambda _doc: True))
    return docs


def rebuild_site_from_storage(db: Database, out_dir: Path, *, county: str) -> SiteReport:
    """Blocking: for the CLI and worker threads, never the event loop."""
    documents = db.run_sync(read_documents)
    return build_site(documents, out_dir, data_dir=db.root, county=county)


async def rebuild_site(db: Database, out_dir: Path, *, county: str) -> SiteReport:
    """Read the documents through storage, then render in a worker thread."""
    documents = await db.run(read_documents)
    return await asyncio.to_thread(build_site, documents, out_dir, data_dir=db.root, county=county)


def default_site_dir(data: Path) -> Path:
    """``<data>-site`` next to the data directory.

    Not inside it: the storage layer checks every ``.json`` file in the data directory
    at start-up as a TinyDB file, and the site's ``feed.json`` is not one.
    """
    data = Path(data).absolute()
    return data.with_name(f"{data.name}-site")
