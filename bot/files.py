"""Files officials send in chat (公文 attachments): fetched once through DingTalk's
download API and kept under ``<data>/files/`` with a generated name.

The sender controls the file name: it is only kept, capped, as a display name, never
used as a path. Downloads are streamed with a byte cap and a timeout.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.dingtalk import DingTalkClient
from bot.errors import UserFacingError

MAX_BYTES = 20 * 1024 * 1024  # DingTalk's own limit for file messages
ALLOWED_SUFFIXES = (".docx", ".doc", ".pdf", ".ofd", ".wps")
FILES_DIR = "files"


@dataclass(frozen=True)
class StoredFile:
    name: str  # display name (capped, sanitised)
    path: str  # relative to the data folder, e.g. "files/3f2a….pdf"
    size: int

    def to_doc(self) -> dict[str, object]:
        return {"name": self.name, "path": self.path, "size": self.size}


def display_name(raw: str) -> str:
    cleaned = "".join(ch for ch in raw if ch.isprintable() and ch not in '/\\:*?"<>|')
    cleaned = cleaned.strip().strip(".") or "附件"
    return cleaned[-80:]


class FileStore:
    def __init__(self, data_dir: Path, client: DingTalkClient, http: httpx.AsyncClient) -> None:
        self._root = data_dir
        self._client = client
        self._http = http

    async def fetch(self, download_code: str, file_name: str) -> StoredFile:
        name = display_name(file_name)
        suffix = Path(name).suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            raise UserFacingError("request_bad_file", name=name)
        url = await self._client.message_file_download_url(download_code)
        relative = f"{FILES_DIR}/{uuid.uuid4().hex}{suffix}"
        target = self._root / relative
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        size = 0
        chunks: list[bytes] = []
        try:
            async with self._http.stream("GET", url, timeout=30.0) as answer:
                answer.raise_for_status()
                async for chunk in answer.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise UserFacingError("file_too_large", limit_mb=MAX_BYTES // 2**20)
                    chunks.append(chunk)
        except httpx.HTTPError as error:
            raise UserFacingError("file_download_failed") from error
        await asyncio.to_thread(_write, target, b"".join(chunks))
        return StoredFile(name=name, path=relative, size=size)

    def read(self, relative: str) -> bytes:
        """Blocking read (call via asyncio.to_thread); stays inside the data folder."""
        path = (self._root / relative).resolve()
        if not path.is_relative_to(self._root.resolve()):
            raise ValueError("attachment path outside the data folder")
        return path.read_bytes()


def _write(target: Path, content: bytes) -> None:
    temp = target.with_suffix(target.suffix + ".tmp")
    with temp.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    temp.replace(target)
