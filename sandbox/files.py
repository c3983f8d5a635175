"""Stored binary files: uploads (media ids) and files users sent to the bot."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StoredFile:
    key: str  # media_id or downloadCode
    name: str
    content: bytes
    content_type: str
    media_type: str  # image/voice/video/file
    created_at: int
    owner: str = ""  # user who sent it, for files from users

    @property
    def size(self) -> int:
        return len(self.content)
