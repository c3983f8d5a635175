"""A bot built on the real dingtalk-stream SDK, run as a child process by test_sdk.py.

Usage: python sdk_client.py <sandbox-url> <client-id> <client-secret>
The endpoint variable must be set before the SDK is imported (it is read at import).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

os.environ["DINGTALK_OPENAPI_ENDPOINT"] = sys.argv[1]

import dingtalk_stream
import dingtalk_stream.stream as sdk_stream
from dingtalk_stream import AckMessage
from dingtalk_stream.card_callback import CardCallbackMessage


class _FastReconnectAsyncio:
    """The SDK sleeps 3 s / 10 s before reconnecting; shorten that for tests."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: Any = None) -> Any:
        return await asyncio.sleep(0.2 if delay in (3, 10) else delay, result)


sdk_stream.asyncio = _FastReconnectAsyncio()  # type: ignore[assignment]
dingtalk_stream.DingTalkStreamClient.get_host_ip = lambda self: "127.0.0.1"  # type: ignore[method-assign]


class Bot(dingtalk_stream.ChatbotHandler):
    def __init__(self) -> None:
        super().__init__()
        self.failed_once: set[str] = set()

    async def process(self, callback: dingtalk_stream.CallbackMessage) -> tuple[int, str]:
        incoming = dingtalk_stream.ChatbotMessage.from_dict(callback.data)
        text = incoming.text.content.strip() if incoming.text else ""
        if text == "noack-once" and incoming.message_id not in self.failed_once:
            self.failed_once.add(incoming.message_id)
            raise RuntimeError("simulated handler crash: no ACK")
        # reply_text uses blocking requests; acceptable in this throwaway child process
        self.reply_text(f"收到：{text}", incoming)
        return AckMessage.STATUS_OK, "OK"


class Cards(dingtalk_stream.CallbackHandler):
    async def process(self, callback: dingtalk_stream.CallbackMessage) -> tuple[int, Any]:
        message = CardCallbackMessage.from_dict(callback.data)
        params = message.content["cardPrivateData"]["params"]
        return AckMessage.STATUS_OK, {
            "cardData": {"cardParamMap": {"status": str(params.get("decision", ""))}},
            "userPrivateData": {"cardParamMap": {"canApprove": "false"}},
            "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
        }


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    credential = dingtalk_stream.Credential(sys.argv[2], sys.argv[3])
    client = dingtalk_stream.DingTalkStreamClient(credential)
    client.register_callback_handler(dingtalk_stream.ChatbotMessage.TOPIC, Bot())
    client.register_callback_handler("/v1.0/card/instances/callback", Cards())
    asyncio.run(client.start())


if __name__ == "__main__":
    main()
