"""Renders the website's files into a fresh folder: ``index.html`` (documents grouped by
year, newest first, then by type), ``normative.html`` (the register of normative documents
with their status after clean-up, 第二十五条), one ``docs/<year>/<type>-<seq>.html`` per document,
attachments copied as ``files/<year>-<type>-<seq>.<ext>``, and ``feed.json`` (JSON Feed
1.1). The output depends only on the pages (no "now"): rendering twice gives
byte-identical files. Every file is written inside the folder, never beside it."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from handlers.distribution.site_pages import Page
from storage.files import fsync_dir

MARKER = ".govbot-site"  # marks a folder as a site we built (and may replace)
FEED_VERSION = "https://jsonfeed.org/version/1.1"


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


def _grouped(pages: list[Page]) -> list[dict[str, Any]]:
    years: list[dict[str, Any]] = []
    for page in pages:
        if not years or years[-1]["year"] != page.year:
            years.append({"year": page.year, "groups": []})
        groups: list[dict[str, Any]] = years[-1]["groups"]
        if not groups or groups[-1]["type"] != page.doc_type:
            groups.append({"type": page.doc_type, "docs": []})
        groups[-1]["docs"].append(page)
    return years


def _feed_item(page: Page) -> dict[str, Any]:
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
    return item


def _feed(env: Environment, pages: list[Page], county: str) -> str:
    newest_first = sorted(pages, key=lambda p: (p.issued_at, p.year, p.seq), reverse=True)
    feed = {
        "version": FEED_VERSION,
        "title": env.get_template("feed_title.txt.j2").render(county=county).strip(),
        "home_page_url": "index.html",
        "language": "zh-CN",
        "items": [_feed_item(page) for page in newest_first],
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


def _copy_attachment(root: Path, page: Page) -> bool:
    """Copy the page's checked attachment into ``files/``; whether there was one."""
    if page.source is None or page.file_name is None:
        return False
    files_dir = root / "files"
    target = _inside(root, files_dir / page.file_name)
    if target.parent != files_dir:
        raise RuntimeError(f"refusing to copy outside files/: {target}")
    files_dir.mkdir(exist_ok=True)
    shutil.copyfile(page.source, target)
    with open(target, "rb") as f:
        os.fsync(f.fileno())
    return True


def render_into(
    tmp: Path, pages: list[Page], county: str, normative: Sequence[Mapping[str, Any]] = ()
) -> int:
    """Write the whole site into the empty folder ``tmp``; returns attachments copied."""
    env = _environment()
    root = tmp.resolve()
    _write(root / MARKER, b"govbot site\n")
    index = env.get_template("index.html.j2").render(
        county=county, years=_grouped(pages), root="", normative=len(normative)
    )
    _write(_inside(root, root / "index.html"), index.encode("utf-8"))
    register = env.get_template("normative.html.j2").render(
        county=county, rows=sorted(normative, key=lambda r: str(r["id"])), root=""
    )
    _write(_inside(root, root / "normative.html"), register.encode("utf-8"))
    page_template = env.get_template("document.html.j2")
    copied = 0
    for page in pages:
        html = page_template.render(county=county, doc=page, root="../../")
        _write(_inside(root, root / page.href), html.encode("utf-8"))
        copied += _copy_attachment(root, page)
    _write(_inside(root, root / "feed.json"), _feed(env, pages, county).encode("utf-8"))
    for folder in sorted({p.parent for p in root.rglob("*")} | {root}):
        fsync_dir(folder)
    return copied
