"""Builds the government website folder (第七十八条) and swaps it in atomically.

The site is rendered into a temp folder next to ``out_dir`` and swapped in by renames,
so a reader never sees a half-built site; one build per folder runs at a time.

The site must not live inside the data directory: the storage layer checks every
``.json`` file there at start-up as a TinyDB file, and ``feed.json`` is not one.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers.distribution.site_pages import Problem, select_pages
from handlers.distribution.site_render import MARKER, render_into
from storage.files import fsync_dir

log = logging.getLogger(__name__)


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
class SiteReport:
    out_dir: Path
    published: tuple[str, ...]  # document numbers, in index order
    withheld: int  # not public (依申请公开/不予公开/涉密) or withdrawn
    attachments: int  # files copied
    problems: tuple[Problem, ...]
    normative: int = 0  # normative documents on the register page (第二十五条)


def default_site_dir(data: Path) -> Path:
    """``<data>-site`` next to the data directory.

    Not inside it: the storage layer checks every ``.json`` file in the data directory
    at start-up as a TinyDB file, and the site's ``feed.json`` is not one.
    """
    data = Path(data).absolute()
    return data.with_name(f"{data.name}-site")


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


def _swap_in(tmp: Path, out: Path, old: Path) -> None:
    """Replace ``out`` by the finished ``tmp`` (the previous site is moved aside first)."""
    if out.exists():
        out.rename(old)
        tmp.rename(out)
        fsync_dir(out.parent)
        shutil.rmtree(old)
    else:
        tmp.rename(out)
        fsync_dir(out.parent)


def build_site(
    documents: Iterable[Mapping[str, Any]],
    out_dir: Path,
    *,
    data_dir: Path,
    county: str,
    normative: Sequence[Mapping[str, Any]] = (),
) -> SiteReport:
    """Render the public site into ``out_dir``, replacing the previous build atomically;
    ``normative`` are the register's records (规范性文件, 第二十五条: 统一公布).

    Blocking file work: from async code use
    :func:`handlers.distribution.site_publisher.rebuild_site`.
    """
    data_root = Path(data_dir).resolve()
    out = Path(out_dir).absolute()
    out = out.parent.resolve() / out.name
    _check_place(out, data_root)
    selection = select_pages(documents, data_root)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.building"
    old = out.parent / f".{out.name}.old"
    with _build_lock(out.parent, out.name):
        _check_place(out, data_root)  # again, now that no other build is running
        _remove(tmp)  # left by a build that crashed
        _remove(old)
        tmp.mkdir()
        try:
            copied = render_into(tmp, selection.pages, county, normative)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _swap_in(tmp, out, old)
    report = SiteReport(
        out_dir=out,
        published=tuple(p.number for p in selection.pages),
        withheld=selection.withheld,
        attachments=copied,
        problems=tuple(selection.problems),
        normative=len(normative),
    )
    log.info(
        "site built in %s: %d published, %d withheld, %d problems",
        out,
        len(report.published),
        report.withheld,
        len(report.problems),
    )
    return report
