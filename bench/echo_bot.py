"""A minimal echo bot on the same dingtalk-stream SDK, for the e2e benchmark baseline.

It uses the SDK's own ``start()`` loop and answers each message by calling the robot
batchSend API with httpx (the SDK's reply helpers block the loop). Started by e2e.py as:
    python bench/echo_bot.py <sandbox_url> <app_key> <app_secret>
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

URL, APP_KEY, APP_SECRET = sys.argv[1], sys.argv[2], sys.argv[3]
os.environ["DINGTALK_OPENAPI_ENDPOINT"] = URL  # read by the SDK at import

import dingtalk_stream  # noqa: E402
import httpx  # noqa: E402


class Echo(dingtalk_stream.ChatbotHandler):  # type: ignore[misc]
    def __init__(self, http: httpx.AsyncClient) -> None:
        super().__init__()
        self.http = http
        self.token = ""

    async def _token(self) -> str:
        if not self.token:
            answer = await self.http.post(
                f"{URL}/v1.0/oauth2/accessToken", json={"appKey": APP_KEY, "appSecret": APP_SECRET}
            )
            self.token = answer.json()["accessToken"]
        return self.token

    async def process(self, callback: Any) -> tuple[int, str]:
        data = callback.data
        text = (data.get("text") or {}).get("content", "")
        await self.http.post(
            f"{URL}/v1.0/robot/oToMessages/batchSend",
            headers={"x-acs-dingtalk-access-token": await self._token()},
            json={
                "robotCode": APP_KEY,
                "userIds": [data["senderStaffId"]],
                "msgKey": "sampleText",
                "msgParam": json.dumps({"content": text}, ensure_ascii=False),
            },
        )
        return 200, "OK"


async def main() -> None:
    client = dingtalk_stream.DingTalkStreamClient(dingtalk_stream.Credential(APP_KEY, APP_SECRET))
    client.get_host_ip = lambda: "127.0.0.1"  # the SDK would probe 8.8.8.8
    async with httpx.AsyncClient(timeout=10) as http:
        client.register_callback_handler(dingtalk_stream.ChatbotMessage.TOPIC, Echo(http))
        await client.start()


if __name__ == "__main__":
    asyncio.run(main())
