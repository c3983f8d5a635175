"""Keeps the government website folder in step with the issued documents and the register
of normative documents: rebuilt at start-up and after every issue, withdrawal,
registration or clean-up (coalesced), off the event loop; and the
one-off rebuild from storage of ``govbot site build``."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from handlers.distribution.site_build import SiteReport, build_site
from storage.database import Database
from storage.session import Session

log = logging.getLogger(__name__)

COLLECTION = "documents"
NORMATIVE = "normative"  # handlers.normative.model.NORMATIVE (the register, 第二十五条)


def read_documents(session: Session) -> list[dict[str, Any]]:
    """Every stored document, open and archived (run on the storage writer thread)."""
    collection = session.collection(COLLECTION)
    docs = collection.all_open()
    for year in collection.archived_years():
        docs.extend(collection.find_archived(year, lambda _doc: True))
    return docs


def read_normative(session: Session) -> list[dict[str, Any]]:
    """Every registered normative document, whatever its status."""
    return session.collection(NORMATIVE).find(lambda _doc: True)


def _read_all(session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return read_documents(session), read_normative(session)


def rebuild_site_from_storage(db: Database, out_dir: Path, *, county: str) -> SiteReport:
    """Blocking: for the CLI and worker threads, never the event loop."""
    documents, normative = db.run_sync(_read_all)
    return build_site(documents, out_dir, data_dir=db.root, county=county, normative=normative)


async def rebuild_site(db: Database, out_dir: Path, *, county: str) -> SiteReport:
    """Read the documents through storage, then render in a worker thread."""
    documents, normative = await db.run(_read_all)
    return await asyncio.to_thread(
        build_site, documents, out_dir, data_dir=db.root, county=county, normative=normative
    )


class SitePublisher:
    def __init__(self, db: Database, out_dir: Path, county: str) -> None:
        self._db = db
        self._out_dir = out_dir
        self._county = county
        self._wanted = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.builds = 0

    def request(self) -> None:
        """Ask for a rebuild; safe from any thread (documents are issued on the storage
        writer thread). The rebuild reads storage after the current write commits."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wanted.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wanted.set()  # a crash may have left the site behind: rebuild once at start
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            try:
                report = await rebuild_site(self._db, self._out_dir, county=self._county)
            except Exception:
                log.exception("website rebuild failed; will retry on the next change")
                continue
            self.builds += 1
            log.info("website rebuilt: %d documents published", len(report.published))
