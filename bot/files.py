"""Files officials send in chat (公文 attachments): fetched once through DingTalk's
download API and kept under ``<data>/files/`` with a generated name.

The sender controls the file name: it is only kept, capped, as a display name, never
used as a path. Downloads are streamed with a byte cap and a timeout.

Which files can travel. DingTalk's ``POST /media/upload`` (type ``file``) takes only
doc, docx, xls, xlsx, ppt, pptx, zip, pdf and rar, at most 20 MB; everything else is
refused (errcode 40005). Officials also use OFD (the national layout format), WPS Office
files, plain text and scanned images: those are accepted in chat and kept as they are
(the website publishes the original), and packed into a zip of the same base name when
they are sent to recipients (:func:`packed_name`, :func:`pack`). Other files (programs,
videos, ...) are refused when they are attached, with the list of what is accepted.
"""

from __future__ import annotations

import asyncio
import io
import os
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath

import httpx

from bot.dingtalk import DingTalkClient
from bot.errors import UserFacingError
from messages.vocabulary import input_word

# DingTalk's cap for media/upload type "file"; a packed file must fit in it too.
MAX_BYTES = 20 * 1024 * 1024
# What DingTalk's media/upload (type "file") takes as it is.
DINGTALK_FILE_TYPES = frozenset({"doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "pdf", "rar"})
# Formats officials really use that DingTalk refuses: they travel inside a zip.
PACKED_TYPES = frozenset(
    {
        "ofd",  # 版式文件 (GB/T 33190)
        "wps",  # WPS 文字
        "et",  # WPS 表格
        "dps",  # WPS 演示
        "txt",
        "rtf",
        "csv",
        "odt",
        "ods",
        "odp",
        "jpg",
        "jpeg",
        "png",
        "tif",
        "tiff",
    }
)
ACCEPTED_TYPES = DINGTALK_FILE_TYPES | PACKED_TYPES
FILES_DIR = "files"


def file_type(name: str) -> str:
    """The lower-case extension without the dot ("" when there is none)."""
    return PurePath(name).suffix.lower().lstrip(".")


def check_attachment_name(name: str) -> None:
    """Refuse, when it is attached, a file that could never reach its recipients."""
    shown = display_name(name)  # the name the file is kept and sent under
    if file_type(shown) not in ACCEPTED_TYPES:
        raise UserFacingError(
            "attachment_bad_type",
            name=shown[:60],
            ext=file_type(shown)[:10],
            limit_mb=MAX_BYTES // 2**20,
        )


def needs_packing(name: str) -> bool:
    """True when DingTalk would refuse the file as it is (it then travels zipped)."""
    return file_type(name) not in DINGTALK_FILE_TYPES


def packed_name(name: str) -> str:
    """The name a file is sent under: itself, or the same base name with ``.zip``."""
    if not needs_packing(name):
        return name
    return f"{PurePath(name).stem or input_word('names.file_default')}.zip"


def pack(name: str, content: bytes, moment: datetime | None = None) -> bytes:
    """A zip holding the one file ``name`` (blocking: call via asyncio.to_thread).

    The entry is stored under the display name only (no folders); ``moment`` (Beijing
    time, from the injected clock) is its modification time. The size of the zip does
    not depend on ``moment``.
    """
    stamp = moment.timetuple()[:6] if moment is not None else (1980, 1, 1, 0, 0, 0)
    entry = zipfile.ZipInfo(display_name(PurePath(name).name), date_time=stamp)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, content)
    return buffer.getvalue()


@dataclass(frozen=True)
class StoredFile:
    name: str  # display name (capped, sanitised)
    path: str  # relative to the data folder, e.g. "files/3f2a….pdf"
    size: int

    def to_doc(self) -> dict[str, object]:
        return {"name": self.name, "path": self.path, "size": self.size}


def display_name(raw: str) -> str:
    cleaned = "".join(ch for ch in raw if ch.isprintable() and ch not in '/\\:*?"<>|')
    cleaned = cleaned.strip().strip(".") or input_word("names.file_default")
    return cleaned[-80:]


class FileStore:
    def __init__(self, data_dir: Path, client: DingTalkClient, http: httpx.AsyncClient) -> None:
        self._root = data_dir
        self._client = client
        self._http = http

    async def fetch(self, download_code: str, file_name: str) -> StoredFile:
        name = display_name(file_name)
        check_attachment_name(name)
        suffix = Path(name).suffix.lower()
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
        content = b"".join(chunks)
        if needs_packing(name):
            # It will travel zipped: refuse it now if even the zip exceeds DingTalk's cap.
            packed = await asyncio.to_thread(pack, name, content)
            if len(packed) > MAX_BYTES:
                raise UserFacingError("file_too_large", limit_mb=MAX_BYTES // 2**20)
        await asyncio.to_thread(_write, target, content)
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
