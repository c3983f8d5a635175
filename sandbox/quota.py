"""Call metering as DingTalk does it: a per-organisation monthly call quota and a QPS
limit per API, answered in DingTalk's documented shapes.

- Every DingTalk API call (not the token and Stream-gateway endpoints, not the session
  webhook, not the control API) counts towards the month of the sandbox clock
  (Asia/Shanghai). Over the quota nothing is served: the new API answers HTTP 403
  ``Forbidden.AccessDenied.ApiCountLimitForOrg``, oapi HTTP 200 errcode 90020. Refused
  calls are not counted.
- Each API (route) serves at most ``qps_per_api`` calls per second of the sandbox clock;
  over it the new API answers HTTP 403 ``Forbidden.AccessDenied.QpsLimitForAppkeyAndApi``
  and oapi errcode 90018 (never 429). ``qps_limit_next`` (a fault) makes the next N calls
  answer ``Forbidden.AccessDenied.QpsLimitForApi`` / 90018.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, OapiError

DEFAULT_MONTHLY_LIMIT = 10_000
DEFAULT_QPS_PER_API = 20

QUOTA_CODE = "Forbidden.AccessDenied.ApiCountLimitForOrg"
QUOTA_ERRCODE = 90020
QPS_CODE = "Forbidden.AccessDenied.QpsLimitForApi"
QPS_APP_CODE = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
QPS_ERRCODE = 90018
QUOTA_MESSAGE = "企业的接口调用次数已超过本月上限，请升级版本或下月再试"
QPS_MESSAGE = "接口调用过于频繁，已触发限流，请稍后重试"


def month_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


@dataclass
class ApiLimits:
    monthly_limit: int = DEFAULT_MONTHLY_LIMIT
    qps_per_api: int = DEFAULT_QPS_PER_API
    qps_limit_next: int = 0
    used: dict[str, int] = field(default_factory=dict)  # "YYYY-MM" -> calls served
    _window: dict[str, tuple[int, int]] = field(default_factory=dict)  # api -> (second, n)

    def admit(self, api: str, oapi: bool, now: datetime) -> web.Response | None:
        """Count one call of ``api`` now, or answer the refusal DingTalk would send."""
        if self.qps_limit_next > 0:
            self.qps_limit_next -= 1
            return _qps(oapi, QPS_CODE)
        second = int(now.timestamp())
        start, count = self._window.get(api, (second, 0))
        if start != second:
            count = 0
        if count >= self.qps_per_api:
            return _qps(oapi, QPS_APP_CODE)
        self._window[api] = (second, count + 1)
        month = month_of(now)
        if self.used.get(month, 0) >= self.monthly_limit:
            if oapi:
                return OapiError(QUOTA_ERRCODE, QUOTA_MESSAGE).response()
            return ApiError(403, QUOTA_CODE, QUOTA_MESSAGE).response()
        self.used[month] = self.used.get(month, 0) + 1
        return None

    def view(self, now: datetime) -> dict[str, Any]:
        month = month_of(now)
        used = self.used.get(month, 0)
        return {
            "month": month,
            "monthly_limit": self.monthly_limit,
            "used": used,
            "remaining": max(0, self.monthly_limit - used),
            "months": {m: {"used": n, "limit": self.monthly_limit} for m, n in self.used.items()},
            "qps_per_api": self.qps_per_api,
            "qps_limit_next": self.qps_limit_next,
        }


def _qps(oapi: bool, code: str) -> web.Response:
    if oapi:
        return OapiError(QPS_ERRCODE, QPS_MESSAGE).response()
    return ApiError(403, code, QPS_MESSAGE).response()


LIMITS: web.AppKey[ApiLimits] = web.AppKey("sandbox_api_limits", ApiLimits)
