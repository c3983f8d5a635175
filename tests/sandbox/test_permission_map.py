"""Every DingTalk API the sandbox serves is metered and needs a declared permission,
so a new endpoint cannot silently escape the permission check."""

from __future__ import annotations

from sandbox.app import create_sandbox_app
from sandbox.permissions import ENDPOINT_SCOPES
from tests.sandbox.conftest import make_seed

# Reached without an app token (DingTalk checks no scope there).
UNSCOPED = {
    "/v1.0/oauth2/accessToken",
    "/gettoken",
    "/v1.0/gateway/connections/open",
}


def test_every_served_dingtalk_api_has_a_permission_scope() -> None:
    app = create_sandbox_app(make_seed())
    served = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = str(info.get("path") or info.get("formatter") or "")
        if route.method in ("HEAD", "OPTIONS") or not path.startswith(("/v1.0/", "/topapi/")):
            continue
        if path.startswith(("/media/", "/robot/sendBySession")):
            continue
        served.add((route.method, path))
    assert len(served) > 20  # the robot, card, to-do, work notice and contacts APIs
    missing = sorted(s for s in served if s not in ENDPOINT_SCOPES and s[1] not in UNSCOPED)
    assert not missing, missing
