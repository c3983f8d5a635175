"""Work notifications (工作通知) and their send results."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from bot.dingtalk.answers import optional_int, str_tuple
from bot.dingtalk.results import Json, WorkNoticeResult
from bot.dingtalk.transport import WORK_NOTICE_BATCH, Transport, chunks
from bot.dingtalk_errors import (
    DingTalkAmbiguousError,
    DingTalkError,
)

log = logging.getLogger("bot.dingtalk")


class WorkNoticeApi(Transport):
    """asyncsend_v2 and getsendresult."""

    async def send_work_notification(
        self, user_ids: Sequence[str], msg: Mapping[str, object]
    ) -> int:
        """Work notification to at most 5000 users; returns the task_id.

        Not retried once sent. For more recipients use
        :meth:`send_work_notification_chunked`.
        """
        if len(user_ids) > WORK_NOTICE_BATCH:
            raise ValueError(f"more than {WORK_NOTICE_BATCH} recipients; use the chunked call")
        return (await self.send_work_notification_chunked(user_ids, msg))[0]

    async def send_work_notification_chunked(
        self, user_ids: Sequence[str], msg: Mapping[str, object]
    ) -> list[int]:
        """Work notification in chunks of 5000; one task_id per chunk.

        If a later chunk fails, the error's ``sent_user_ids`` lists those already sent.
        """
        if not user_ids:
            raise ValueError("a work notification needs at least one recipient")
        task_ids: list[int] = []
        sent: list[str] = []
        for chunk in chunks(user_ids, WORK_NOTICE_BATCH):
            try:
                body = await self._oapi(
                    "/topapi/message/corpconversation/asyncsend_v2",
                    idempotent=False,
                    json_body={
                        "agent_id": self._creds.agent_id,
                        "userid_list": ",".join(chunk),
                        "msg": dict(msg),
                    },
                )
            except DingTalkError as exc:
                exc.sent_user_ids = tuple(sent)
                raise
            task_id = optional_int(body.get("task_id"))
            if task_id is None:
                raise DingTalkAmbiguousError(200, "noTaskId", "asyncsend_v2 without task_id")
            task_ids.append(task_id)
            sent.extend(chunk)
        return task_ids

    async def work_notification_result(self, task_id: int) -> WorkNoticeResult:
        body = await self._oapi(
            "/topapi/message/corpconversation/getsendresult",
            idempotent=True,
            json_body={"agent_id": self._creds.agent_id, "task_id": task_id},
        )
        result = body.get("send_result")
        res: Json = result if isinstance(result, dict) else {}
        return WorkNoticeResult(
            read=str_tuple(res.get("read_user_id_list")),
            unread=str_tuple(res.get("unread_user_id_list")),
            invalid=str_tuple(res.get("invalid_user_id_list")),
            forbidden=str_tuple(res.get("forbidden_user_id_list")),
            failed=str_tuple(res.get("failed_user_id_list")),
        )

    # ------------------------------------------------------------------ to-dos
