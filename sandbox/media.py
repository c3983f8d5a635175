"""Media upload (oapi ``/media/upload``) and serving stored files back."""

from __future__ import annotations

import base64
import secrets
from pathlib import PurePath
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from sandbox.errors import ControlError, OapiError, oapi_ok
from sandbox.files import StoredFile
from sandbox.state import UPLOAD_INFO, state_of

MB = 1024 * 1024
# DingTalk's media/upload: per ``type``, the size cap and the extensions it takes. A
# ``file`` of any other extension (ofd, wps, exe ...) is refused, never stored.
# Error codes as in DingTalk's global error-code table (oapi, HTTP 200): 40004
# 不合法的媒体文件类型 (the ``type``), 40005 不合法的文件类型 (the extension), 40006 不合法的
# 文件大小 (too big or empty), 40035 缺少参数. The table is inherited from WeChat's and
# has kept these numbers; third-party mirrors of it agree on all four.
LIMITS: dict[str, tuple[int, set[str]]] = {
    "image": (20 * MB, {"jpg", "jpeg", "gif", "png", "bmp"}),
    "voice": (2 * MB, {"amr", "mp3", "wav"}),
    "video": (20 * MB, {"mp4"}),
    "file": (20 * MB, {"doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "pdf", "rar"}),
}


async def upload(request: web.Request) -> web.Response:
    """POST /media/upload?access_token=&type= (multipart, file part ``media``)"""
    state = state_of(request)
    if not request.content_type.startswith("multipart/"):
        raise OapiError(40035, "缺少参数 media：请用 multipart/form-data 上传")
    media_type = request.query.get("type", "")
    name, content, ctype = "", b"", "application/octet-stream"
    found = False
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "type" and not media_type:
            media_type = (await part.text()).strip()
        elif part.name == "media":
            name = part.filename or ""
            ctype = part.headers.get("Content-Type", ctype)
            content = await part.read(decode=False)
            found = True
            if len(content) > 20 * MB:
                break
    if media_type not in LIMITS:
        raise OapiError(40004, "不合法的媒体文件类型：type 只能是 image、voice、video、file")
    if not found:
        raise OapiError(40035, "缺少参数 media")
    limit, exts = LIMITS[media_type]
    ext = PurePath(name).suffix.lower().lstrip(".")
    if ext not in exts:
        raise OapiError(40005, f"不合法的文件类型：{media_type} 只支持 {', '.join(sorted(exts))}")
    if len(content) > limit or not content:
        raise OapiError(
            40006, f"不合法的文件大小：{media_type} 不能超过 {limit // MB}MB 且不能为空"
        )
    media_id = "@lA" + base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")
    now = state.clock.now_ms()
    state.media[media_id] = StoredFile(media_id, name, content, ctype, media_type, now)
    request[UPLOAD_INFO] = {"fileName": name, "size": len(content), "type": media_type}
    return oapi_ok(type=media_type, media_id=media_id, created_at=now)


def _serve(stored: StoredFile) -> web.Response:
    return web.Response(
        body=stored.content,
        content_type=stored.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.name)}"},
    )


async def get_media(request: web.Request) -> web.Response:
    """GET /sandbox/media/{mediaId}"""
    stored = state_of(request).media.get(request.match_info["media_id"])
    if stored is None:
        raise ControlError(404, "文件不存在")
    return _serve(stored)


async def get_file(request: web.Request) -> web.Response:
    """GET /sandbox/files/{token} (a messageFiles/download URL)"""
    stored = state_of(request).download_links.get(request.match_info["token"])
    if stored is None:
        raise ControlError(404, "下载链接无效")
    return _serve(stored)


def register(app: web.Application) -> None:
    app.router.add_post("/media/upload", upload)
    app.router.add_get("/sandbox/media/{media_id}", get_media)
    app.router.add_get("/sandbox/files/{token}", get_file)
