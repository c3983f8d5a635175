"""The fixed world a sandbox starts with: the app's credentials, users, groups, templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class SeedUser:
    user_id: str
    union_id: str
    name: str
    unit: str
    roles: list[str]
    title: str = ""
    dept_id: int = 1


@dataclass
class SeedGroup:
    conversation_id: str
    title: str
    member_ids: list[str]


@dataclass
class SandboxSeed:
    app_key: str
    app_secret: str
    robot_code: str
    agent_id: int
    corp_id: str
    users: list[SeedUser]
    groups: list[SeedGroup]
    # template id -> definition (may be an empty dict); unknown ids are rejected.
    card_templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    ack_timeout_s: float = 60.0
    max_redeliveries: int = 3
    ping_interval_s: float = 30.0
    token_ttl_s: int = 7200
    start_time: datetime | None = None

    def __post_init__(self) -> None:
        if self.start_time is not None and self.start_time.tzinfo is None:
            raise ValueError("start_time must be timezone-aware")
        ids = [u.user_id for u in self.users]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate user_id in seed")
        known = set(ids)
        for group in self.groups:
            unknown = [m for m in group.member_ids if m not in known]
            if unknown:
                raise ValueError(f"group {group.conversation_id} has unknown members {unknown}")

    def user(self, user_id: str) -> SeedUser | None:
        return next((u for u in self.users if u.user_id == user_id), None)

    def user_by_union(self, union_id: str) -> SeedUser | None:
        return next((u for u in self.users if u.union_id == union_id), None)

    def group(self, conversation_id: str) -> SeedGroup | None:
        return next((g for g in self.groups if g.conversation_id == conversation_id), None)


def demo_seed() -> SandboxSeed:
    """A small seed for tests and quick manual runs."""
    users = [
        SeedUser("zhangsan", "union-zhangsan", "张三", "县政府办公室", ["staff"], "科员", 2),
        SeedUser("lisi", "union-lisi", "李四", "县政府办公室", ["director"], "主任", 2),
        SeedUser("wangwu", "union-wangwu", "王五", "县财政局", ["county_head"], "副县长", 3),
    ]
    groups = [SeedGroup("cidGroupOffice001==", "县政府办公室工作群", ["zhangsan", "lisi"])]
    return SandboxSeed(
        app_key="dingsandboxkey",
        app_secret="sandbox-secret",  # noqa: S106 - a fake for the sandbox
        robot_code="dingsandboxkey",
        agent_id=300001,
        corp_id="dingcorpsandbox",
        users=users,
        groups=groups,
        card_templates={"approval.schema": {}},
    )
