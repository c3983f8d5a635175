"""The demo county organisation and the fixed demo credentials of the sandbox."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# Fixed demo credentials: the sandbox listens on loopback only.
DEMO_APP_KEY = "dinggovbotsandbox"
DEMO_APP_SECRET = "sandbox-secret-not-for-production"  # noqa: S105 (loopback demo)
DEMO_AGENT_ID = 3000001


def demo_config_path() -> Path:
    return Path(str(resources.files("sandbox").joinpath("demo_org.toml")))


# Members of the DingTalk organisation whom the bot's config does not list (e.g. staff
# of a unit that has not been registered yet): they can message the bot and be answered.
CORP_ONLY_USERS: tuple[tuple[str, str, str], ...] = (
    ("zhou.laifang", "周来芳", "县林业局"),
    ("he.xiaoyu", "何晓雨", "县档案馆"),
)
