"""The Stream gateway: opening a connection for the Stream SDK (an endpoint and a
single-use ticket), with the app's own credentials rather than a token."""

from __future__ import annotations

from bot.dingtalk.answers import AUTH_CODE_PREFIXES, optional_str
from bot.dingtalk.transport import USER_AGENT, ApiCall, Transport
from bot.dingtalk_errors import DingTalkAuthError, DingTalkUnavailableError


class GatewayApi(Transport):
    async def open_stream_connection(
        self, subscriptions: list[dict[str, str]], *, local_ip: str = ""
    ) -> tuple[str, str]:
        """Open a Stream connection: ``(endpoint, ticket)``; the ticket is single use."""
        body = await self._request(
            ApiCall(
                "api",
                "POST",
                "/v1.0/gateway/connections/open",
                auth=None,
                idempotent=True,
                json_body={
                    "clientId": self._creds.app_key,
                    "clientSecret": self._creds.app_secret,
                    "subscriptions": subscriptions,
                    "ua": USER_AGENT,
                    "localIp": local_ip,
                },
            )
        )
        endpoint, ticket = body.get("endpoint"), body.get("ticket")
        if (
            not isinstance(endpoint, str)
            or not endpoint
            or not isinstance(ticket, str)
            or not ticket
        ):
            code = str(body.get("code") or "noEndpoint")
            message = str(body.get("message") or "gateway answered without endpoint/ticket")
            if code.startswith(AUTH_CODE_PREFIXES):
                raise DingTalkAuthError(200, code, message, optional_str(body.get("requestid")))
            raise DingTalkUnavailableError(200, code, message, optional_str(body.get("requestid")))
        if self._secret_sink is not None:
            self._secret_sink(ticket)
        return endpoint, ticket
