"""The DingTalk client: every group of calls over one transport."""

from __future__ import annotations

import logging

from bot.dingtalk.cards import CardApi
from bot.dingtalk.gateway import GatewayApi
from bot.dingtalk.notices import WorkNoticeApi
from bot.dingtalk.robot import RobotApi
from bot.dingtalk.todos import TodoApi

log = logging.getLogger("bot.dingtalk")


class DingTalkClient(RobotApi, CardApi, WorkNoticeApi, TodoApi, GatewayApi):
    """Async client for the DingTalk OpenAPI (new API + oapi). Close with :meth:`aclose`."""

    async def get_user(self, user_id: str) -> dict[str, object]:
        """``/topapi/v2/user/get`` → the ``result`` object (unknown user: errcode 60121)."""
        body = await self._oapi(
            "/topapi/v2/user/get",
            idempotent=True,
            json_body={"userid": user_id, "language": "zh_CN"},
        )
        result = body.get("result")
        return dict(result) if isinstance(result, dict) else {}
