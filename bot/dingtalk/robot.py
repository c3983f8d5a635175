"""Robot messages: 1:1 batches, group messages, read status, recall, files."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence

from bot.dingtalk.answers import optional_int, str_tuple
from bot.dingtalk.results import BatchSendResult, Json, MediaKind, ReadInfo, RecallResult
from bot.dingtalk.transport import (
    GROUP_READ_PAGE,
    MAX_PAGES,
    ROBOT_BATCH,
    Transport,
    chunks,
)
from bot.dingtalk_errors import (
    DingTalkError,
    DingTalkUnavailableError,
)

log = logging.getLogger("bot.dingtalk")


DING_BATCH = 20  # recipients per DING (conservative: DingTalk documents no figure)


class RobotApi(Transport):
    """Robot 1:1 and group messages, their read status and recall; DING; media upload."""

    async def send_ding(self, user_ids: Sequence[str], content: str, remind_type: int) -> str:
        """``POST /v1.0/robot/ding/send`` (at most 20 recipients a call); returns the
        openDingIds, comma-separated. Not retried once sent (a DING must not ring twice).
        Recipients DingTalk could not reach (``failedList``) are logged."""
        ding_ids = []
        for chunk in chunks(user_ids, DING_BATCH):
            body = await self._robot_post(
                "/v1.0/robot/ding/send",
                {"receiverUserIdList": chunk, "content": content, "remindType": remind_type},
                idempotent=False,
            )
            if body.get("failedList"):
                log.warning("DING not delivered to some recipients: %s", body["failedList"])
            ding_ids.append(str(body.get("openDingId") or ""))
        return ",".join(ding_ids)

    async def send_to_users(
        self, user_ids: Sequence[str], msg_key: str, msg_param: Mapping[str, str]
    ) -> list[BatchSendResult]:
        """1:1 robot message, in chunks of 20. Not retried once sent (may duplicate).

        If a later chunk fails, the raised error's ``sent_user_ids`` lists the recipients
        of the chunks already accepted.
        """
        param = json.dumps(dict(msg_param), ensure_ascii=False)
        results: list[BatchSendResult] = []
        for chunk in chunks(user_ids, ROBOT_BATCH):
            try:
                body = await self._robot_post(
                    "/v1.0/robot/oToMessages/batchSend",
                    {"userIds": chunk, "msgKey": msg_key, "msgParam": param},
                    idempotent=False,
                )
            except DingTalkError as exc:
                exc.sent_user_ids = tuple(u for r in results for u in r.user_ids)
                raise
            results.append(
                BatchSendResult(
                    process_query_key=str(body.get("processQueryKey") or ""),
                    user_ids=tuple(chunk),
                    invalid=str_tuple(body.get("invalidStaffIdList")),
                    flow_controlled=str_tuple(body.get("flowControlledStaffIdList")),
                    filtered=str_tuple(body.get("filteredStaffIdList")),
                )
            )
        return results

    async def send_text(self, user_ids: Sequence[str], content: str) -> list[BatchSendResult]:
        return await self.send_to_users(user_ids, "sampleText", {"content": content})

    async def send_markdown(
        self, user_ids: Sequence[str], title: str, text: str
    ) -> list[BatchSendResult]:
        return await self.send_to_users(user_ids, "sampleMarkdown", {"title": title, "text": text})

    async def send_action_card(
        self,
        user_ids: Sequence[str],
        title: str,
        text: str,
        buttons: Sequence[tuple[str, str]],
    ) -> list[BatchSendResult]:
        """Action card with 1–5 vertical buttons ``(title, url)``."""
        msg_key, param = action_card_param(title, text, buttons)
        return await self.send_to_users(user_ids, msg_key, param)

    async def send_file(
        self, user_ids: Sequence[str], media_id: str, file_name: str, file_type: str
    ) -> list[BatchSendResult]:
        param = {"mediaId": media_id, "fileName": file_name, "fileType": file_type}
        return await self.send_to_users(user_ids, "sampleFile", param)

    async def send_to_group(
        self, open_conversation_id: str, msg_key: str, msg_param: Mapping[str, str]
    ) -> str:
        """Robot message to a group; returns the processQueryKey."""
        body = await self._robot_post(
            "/v1.0/robot/groupMessages/send",
            {
                "openConversationId": open_conversation_id,
                "msgKey": msg_key,
                "msgParam": json.dumps(dict(msg_param), ensure_ascii=False),
            },
            idempotent=False,
        )
        return str(body.get("processQueryKey") or "")

    async def read_status(self, process_query_key: str) -> list[ReadInfo]:
        body = await self._api(
            "GET",
            "/v1.0/robot/oToMessages/readStatus",
            idempotent=True,
            params={"robotCode": self._creds.robot_code, "processQueryKey": process_query_key},
        )
        infos = body.get("messageReadInfoList") or []
        return [
            ReadInfo(
                user_id=str(item.get("userId") or ""),
                name=str(item.get("name") or ""),
                read=str(item.get("readStatus") or "").upper() == "READ",
                read_at_ms=optional_int(item.get("readTimestamp")),
            )
            for item in infos
            if isinstance(item, dict)
        ]

    async def group_read_users(
        self, open_conversation_id: str, process_query_key: str
    ) -> list[str]:
        """userIds who read a group message, all pages."""
        users: list[str] = []
        next_token: str | None = None
        for _ in range(MAX_PAGES):
            request: Json = {
                "processQueryKey": process_query_key,
                "openConversationId": open_conversation_id,
                "maxResults": GROUP_READ_PAGE,
            }
            if next_token:
                request["nextToken"] = next_token
            body = await self._robot_post(
                "/v1.0/robot/groupMessages/query", request, idempotent=True
            )
            users.extend(str_tuple(body.get("readUserIds")))
            token = body.get("nextToken")
            if not body.get("hasMore") or not token or token == next_token:
                break
            next_token = str(token)
        return users

    async def recall_users(self, process_query_keys: Sequence[str]) -> RecallResult:
        body = await self._robot_post(
            "/v1.0/robot/otoMessages/batchRecall",
            {"processQueryKeys": list(process_query_keys)},
            idempotent=True,
        )
        return _recall_result(body)

    async def recall_group(
        self, open_conversation_id: str, process_query_keys: Sequence[str]
    ) -> RecallResult:
        body = await self._robot_post(
            "/v1.0/robot/groupMessages/recall",
            {
                "openConversationId": open_conversation_id,
                "processQueryKeys": list(process_query_keys),
            },
            idempotent=True,
        )
        return _recall_result(body)

    # ------------------------------------------------------------------ interactive cards

    async def upload_media(self, kind: MediaKind, file_name: str, content: bytes) -> str:
        """Upload to oapi ``/media/upload``; returns the ``media_id`` (``@...``)."""
        body = await self._oapi(
            "/media/upload",
            idempotent=True,  # a duplicate upload only yields an unused media_id
            params={"type": kind},
            data={"type": kind},
            files={"media": (file_name, content)},
        )
        media_id = body.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise DingTalkUnavailableError(200, "noMediaId", "upload answered without media_id")
        return media_id

    async def message_file_download_url(self, download_code: str) -> str:
        """Short-lived download URL for a received file (a credential: don't log it)."""
        body = await self._robot_post(
            "/v1.0/robot/messageFiles/download", {"downloadCode": download_code}, idempotent=True
        )
        url = body.get("downloadUrl")
        if not isinstance(url, str) or not url:
            raise DingTalkUnavailableError(200, "noDownloadUrl", "answer without downloadUrl")
        if self._secret_sink is not None:
            self._secret_sink(url)
        return url

    async def _robot_post(self, path: str, request: Json, *, idempotent: bool) -> Json:
        """A robot API call: each one names the robot it speaks as."""
        return await self._api(
            "POST",
            path,
            idempotent=idempotent,
            json_body={**request, "robotCode": self._creds.robot_code},
        )


# ---------------------------------------------------------------------------- builders


def action_card_param(
    title: str, text: str, buttons: Sequence[tuple[str, str]]
) -> tuple[str, dict[str, str]]:
    """msgKey and msgParam of an action card with 1–5 ``(title, url)`` buttons."""
    if not 1 <= len(buttons) <= 5:
        raise ValueError("an action card needs 1 to 5 buttons")
    param = {"title": title, "text": text}
    if len(buttons) == 1:
        param["singleTitle"], param["singleURL"] = buttons[0]
        return "sampleActionCard", param
    for n, (label, url) in enumerate(buttons, start=1):
        param[f"actionTitle{n}"] = label
        param[f"actionURL{n}"] = url
    return f"sampleActionCard{len(buttons)}", param


def _recall_result(body: Json) -> RecallResult:
    failed = body.get("failedResult")
    return RecallResult(
        succeeded=str_tuple(body.get("successResult")),
        failed={str(k): str(v) for k, v in failed.items()} if isinstance(failed, dict) else {},
    )
