"""Exception types raised by :mod:`bot.dingtalk`.

Every failure of a DingTalk call surfaces as a :class:`DingTalkError` subclass, so callers
never see raw ``httpx`` exceptions or DingTalk's two different error shapes.
"""

from __future__ import annotations


class DingTalkError(Exception):
    """A DingTalk call failed.

    ``status`` is the HTTP status (``None`` when no answer arrived), ``code`` DingTalk's
    error code (new API: e.g. ``"param.cardAlreadyExist"``; oapi: the errcode as a string,
    or the ``sub_code`` of a gateway errcode 88), ``request_id`` DingTalk's request id.

    ``sent_user_ids`` is set by chunked sends (robot messages, work notifications): the
    recipients of the chunks that were accepted before this failure, so a retry can skip
    them.
    """

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        request_id: str | None = None,
    ) -> None:
        super().__init__(status, code, message, request_id)
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.sent_user_ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        status = "-" if self.status is None else str(self.status)
        rid = f" request_id={self.request_id}" if self.request_id else ""
        return f"DingTalk error {status} {self.code}: {self.message}{rid}"


class DingTalkAuthError(DingTalkError):
    """Bad credentials, a token DingTalk keeps refusing, or a missing permission scope."""


class DingTalkRateLimitedError(DingTalkError):
    """Still rate limited (HTTP 429 or an oapi flow-control errcode) after the retries."""


class DingTalkUnavailableError(DingTalkError):
    """5xx answers or network failures that outlasted the retries."""


class DingTalkRejectedError(DingTalkError):
    """A 4xx business error (bad parameter, unknown user, duplicate, ...); see ``code``."""


class DingTalkAmbiguousError(DingTalkError):
    """A non-idempotent send may or may not have been delivered (e.g. a read timeout).

    It is not retried automatically; the caller decides (e.g. check read status, or
    accept a possible duplicate).
    """


class QuotaExhausted(DingTalkError):
    """The organisation's monthly API call quota is used up.

    New API: HTTP 403 ``Forbidden.AccessDenied.ApiCountLimitForOrg``; oapi: errcode 90020.
    Not retried: every further call this month gets the same answer until the quota is
    raised or the month turns.
    """


class PermissionDenied(DingTalkAuthError):
    """The app lacks the permission scope this call needs (``scope``, e.g.
    ``qyapi_robot_sendmsg``). New API: HTTP 403
    ``Forbidden.AccessDenied.AccessTokenPermissionDenied`` (the scope in
    ``accessdenieddetail.requiredScopes``); oapi: errcode 60011 (the scope named in
    ``errmsg``). Never retried in a loop: an administrator has to grant it.
    """

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        request_id: str | None = None,
        *,
        scope: str = "",
    ) -> None:
        super().__init__(status, code, message, request_id)
        self.scope = scope
