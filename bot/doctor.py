"""``govbot doctor``: check a configuration against the live DingTalk tenant.

Every check is one harmless call (see :mod:`bot.dingtalk_admin`): the credentials (both
tokens), each permission scope (a call that needs that scope and names made-up ids, so
an allowed call is answered "not found"), the robot code, every configured person
(userId exists, unionId matches), every configured group (the robot can act in it) and
every card template (published: an instance is created and delivered to nobody).

The result is a list of :class:`Check` objects; ``messages/templates/cli_doctor_report``
renders it as a Chinese checklist with, for each failure, what to fix and where.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.api_scopes import (
    CARD_WRITE,
    DEPARTMENT_READ,
    MEDIA,
    MEMBER_READ,
    ROBOT_SEND,
    TODO_READ,
    TODO_WRITE,
    WORK_NOTICE,
    scope_in_text,
)
from bot.config import Config, Secrets
from bot.dingtalk_admin import DingTalkAdminClient
from bot.dingtalk_errors import DingTalkError, DingTalkUnavailableError
from bot.permission_scopes import ADMIN_ONLY, SCOPE_KEYS, scope_purpose, scope_title
from messages.render import Messages

Section = Literal["credentials", "permissions", "robot", "people", "groups", "cards"]
SECTIONS: tuple[Section, ...] = (
    "credentials",
    "permissions",
    "robot",
    "people",
    "groups",
    "cards",
)
PERMISSION_CODE = "Forbidden.AccessDenied.AccessTokenPermissionDenied"
PERMISSION_ERRCODE = "60011"
QUOTA_CODES = frozenset({"Forbidden.AccessDenied.ApiCountLimitForOrg", "90020"})
CONCURRENCY = 4  # parallel look-ups (people, groups, cards)
PROBE_TEMPLATE = "govbot-doctor-probe"  # no such template: allowed → "template not found"


@dataclass(frozen=True)
class Check:
    """One line of the checklist. ``ok`` is None when it could not be checked (the
    reason is in ``problem``); ``warning`` failures do not fail the doctor."""

    section: Section
    subject: str
    ok: bool | None
    problem: str = ""
    facts: Mapping[str, str] = field(default_factory=dict)
    warning: bool = False


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.ok is True or c.warning for c in self.checks)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.ok is not True]


# ------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class _Outcome:
    """What one call answered: nothing wrong (``error`` None), or the error and, when
    DingTalk refused it for a missing permission, the scope (maybe "")."""

    error: DingTalkError | None = None
    denied_scope: str | None = None

    @property
    def denied(self) -> bool:
        return self.denied_scope is not None

    @property
    def quota(self) -> bool:
        return self.error is not None and self.error.code in QUOTA_CODES

    @property
    def unreachable(self) -> bool:
        return isinstance(self.error, DingTalkUnavailableError)

    def facts(self) -> dict[str, str]:
        if self.error is None:
            return {}
        return {"code": self.error.code, "message": self.error.message}


def _denied_scope(error: DingTalkError) -> str | None:
    if error.code != PERMISSION_CODE and error.code != PERMISSION_ERRCODE:
        return None
    scope = getattr(error, "scope", "")
    return scope if isinstance(scope, str) and scope else scope_in_text(error.message)


async def _call(action: Callable[[], Awaitable[object]]) -> _Outcome:
    try:
        await action()
    except DingTalkError as error:
        return _Outcome(error, _denied_scope(error))
    return _Outcome()


def _code_mentions(outcome: _Outcome, *words: str) -> bool:
    if outcome.error is None:
        return False
    code = outcome.error.code.lower()
    return any(w.lower() in code for w in words)


def _failed_call(section: Section, subject: str, outcome: _Outcome, **facts: str) -> Check:
    """A check whose call failed for a reason without its own advice."""
    if outcome.denied:
        return Check(
            section, subject, None, "needs_scope", {**facts, "scope": outcome.denied_scope or ""}
        )
    if outcome.quota:
        return Check(section, subject, False, "quota", {**facts, **outcome.facts()})
    if outcome.unreachable:
        return Check(section, subject, False, "unreachable", {**facts, **outcome.facts()})
    return Check(section, subject, False, "rejected", {**facts, **outcome.facts()})


@dataclass(frozen=True)
class _Probe:
    """One harmless call that checks one configured thing."""

    subject: str
    facts: dict[str, str]
    action: Callable[[], Awaitable[object]]


def _needs_scope_for_all(section: Section, scope: str, count: int) -> list[Check]:
    """One line for a whole section that cannot be checked without ``scope``."""
    return [Check(section, "all", None, "needs_scope", {"scope": scope, "count": str(count)})]


# ------------------------------------------------------------------------- the doctor


class Doctor:
    def __init__(
        self,
        config: Config,
        secrets: Secrets,
        client: DingTalkAdminClient,
        messages: Messages,
    ) -> None:
        self._config = config
        self._secrets = secrets
        self._client = client
        self._messages = messages
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._robot_probe = _Outcome()

    async def run(self) -> DoctorReport:
        checks = await self._credentials()
        if any(c.ok is not True for c in checks):
            return DoctorReport(tuple(checks))
        scopes = await self._permissions()
        checks += list(scopes.values())
        robot = await self._robot()
        checks.append(robot)
        checks += await self._people(scopes)
        checks += await self._groups(scopes, robot)
        checks += await self._cards(scopes)
        return DoctorReport(tuple(checks))

    # -- credentials -------------------------------------------------------------

    async def _credentials(self) -> list[Check]:
        checks = []
        for subject, fetch in (
            ("api", self._client.access_token),
            ("oapi", self._client.oapi_token),
        ):
            outcome = await _call(fetch)
            facts = {
                "app_key": self._secrets.app_key,
                "url": self._config.dingtalk.api_base
                if subject == "api"
                else self._config.dingtalk.oapi_base,
            }
            if outcome.error is None:
                checks.append(Check("credentials", subject, True, facts=facts))
            elif outcome.unreachable:
                checks.append(
                    Check(
                        "credentials", subject, False, "unreachable", {**facts, **outcome.facts()}
                    )
                )
            else:
                checks.append(
                    Check(
                        "credentials",
                        subject,
                        False,
                        "bad_credentials",
                        {**facts, **outcome.facts()},
                    )
                )
        return checks

    # -- permissions -------------------------------------------------------------

    def _probe_union_id(self) -> str:
        return next((p.union_id for p in self._config.people.values() if p.union_id), "")

    async def _permissions(self) -> dict[str, Check]:
        union_id = self._probe_union_id()
        probes: dict[str, Callable[[], Awaitable[object]]] = {
            ROBOT_SEND: self._client.probe_robot,
            CARD_WRITE: lambda: self._client.create_card_instance(PROBE_TEMPLATE),
            TODO_WRITE: lambda: self._client.probe_todo_write(union_id),
            TODO_READ: lambda: self._client.probe_todo_read(union_id),
            WORK_NOTICE: self._client.probe_work_notice,
            MEMBER_READ: self._client.probe_member,
            DEPARTMENT_READ: self._client.probe_departments,
            MEDIA: self._client.probe_media,
        }
        checks: dict[str, Check] = {}
        for scope in SCOPE_KEYS:
            probe = probes.get(scope)
            facts = {
                "scope": scope,
                "title": scope_title(self._messages, scope),
                "purpose": scope_purpose(self._messages, scope),
            }
            warning = scope in ADMIN_ONLY
            if probe is None or (scope in (TODO_READ, TODO_WRITE) and not union_id):
                checks[scope] = Check("permissions", scope, None, "no_probe", facts, warning)
                continue
            outcome = await _call(probe)
            if scope == ROBOT_SEND:
                self._robot_probe = outcome
            if outcome.denied:
                # The client may fill in the scope from the path; only the answer's own
                # text tells a missing scope from another app's AgentId (both 60011).
                named = scope_in_text(outcome.error.message) if outcome.error else ""
                if scope == WORK_NOTICE and named != scope:
                    # 60011 without the scope's name: the AgentId may be another app's.
                    problem = "agent_or_scope"
                    facts["agent_id"] = str(self._secrets.agent_id)
                else:
                    problem = "denied"
                checks[scope] = Check("permissions", scope, False, problem, facts, warning)
            elif outcome.quota or outcome.unreachable:
                checks[scope] = _failed_call("permissions", scope, outcome, **facts)
            else:
                checks[scope] = Check("permissions", scope, True, facts=facts, warning=warning)
        return checks

    # -- robot -------------------------------------------------------------------

    async def _robot(self) -> Check:
        facts = {"robot_code": self._secrets.robot_code, "app_key": self._secrets.app_key}
        outcome = self._robot_probe
        if outcome.denied:
            return Check("robot", "robot", None, "needs_scope", {**facts, "scope": ROBOT_SEND})
        if _code_mentions(outcome, "robot"):
            return Check("robot", "robot", False, "bad_robot_code", {**facts, **outcome.facts()})
        if outcome.quota or outcome.unreachable:
            return _failed_call("robot", "robot", outcome, **facts)
        return Check("robot", "robot", True, facts=facts)

    # -- people ------------------------------------------------------------------

    async def _people(self, scopes: Mapping[str, Check]) -> list[Check]:
        people = list(self._config.people.values())
        if scopes[MEMBER_READ].problem == "denied":
            return _needs_scope_for_all("people", MEMBER_READ, len(people))

        async def one(user_id: str, union_id: str, name: str) -> Check:
            facts = {"user_id": user_id, "name": name, "union_id": union_id}
            async with self._slots:
                try:
                    found = await self._client.get_user(user_id)
                except DingTalkError as error:
                    outcome = _Outcome(error, _denied_scope(error))
                    if error.code == "60121":
                        return Check("people", user_id, False, "unknown_user", facts)
                    return _failed_call("people", user_id, outcome, **facts)
            actual = str(found.get("unionid") or "")
            if actual != union_id:
                return Check(
                    "people", user_id, False, "union_mismatch", {**facts, "actual": actual}
                )
            return Check(
                "people", user_id, True, facts={**facts, "dt_name": str(found.get("name"))}
            )

        return list(await asyncio.gather(*(one(p.user_id, p.union_id, p.name) for p in people)))

    # -- groups ------------------------------------------------------------------

    async def _groups(self, scopes: Mapping[str, Check], robot: Check) -> list[Check]:
        groups = list(self._config.groups.values())
        if not groups:
            return []
        if scopes[ROBOT_SEND].problem == "denied":
            return _needs_scope_for_all("groups", ROBOT_SEND, len(groups))
        if robot.ok is not True:
            return [Check("groups", "all", None, "needs_robot", {"count": str(len(groups))})]

        probes = [
            _Probe(
                g.conversation_id,
                {"conversation_id": g.conversation_id, "name": g.name},
                functools.partial(self._client.probe_group, g.conversation_id),
            )
            for g in groups
        ]
        mentions = ("openConversationId", "conversation", "chat", "group")
        return await self._probe_all("groups", probes, "unknown_group", mentions)

    # -- cards -------------------------------------------------------------------

    async def _cards(self, scopes: Mapping[str, Check]) -> list[Check]:
        cards = dict(self._config.cards)
        if scopes[CARD_WRITE].problem == "denied":
            return _needs_scope_for_all("cards", CARD_WRITE, len(cards))

        probes = [
            _Probe(
                key,
                {"key": key, "template_id": template_id},
                functools.partial(self._client.create_card_instance, template_id),
            )
            for key, template_id in cards.items()
        ]
        return await self._probe_all("cards", probes, "template_missing", ("template",))

    async def _probe_all(
        self, section: Section, probes: list[_Probe], problem: str, mentions: tuple[str, ...]
    ) -> list[Check]:
        """One check per probe (a few at a time): passed, ``problem`` when DingTalk's
        error code mentions one of ``mentions``, else why the call failed."""

        async def one(probe: _Probe) -> Check:
            async with self._slots:
                outcome = await _call(probe.action)
            subject, facts = probe.subject, probe.facts
            if outcome.error is None:
                return Check(section, subject, True, facts=facts)
            if _code_mentions(outcome, *mentions):
                return Check(section, subject, False, problem, {**facts, **outcome.facts()})
            return _failed_call(section, subject, outcome, **facts)

        return list(await asyncio.gather(*(one(p) for p in probes)))


def render_report(
    messages: Messages, report: DoctorReport, *, config_path: str, config: Config, secrets: Secrets
) -> str:
    by_section = {s: [c for c in report.checks if c.section == s] for s in SECTIONS}
    return messages.text(
        "cli_doctor_report",
        config_path=config_path,
        api_base=config.dingtalk.api_base,
        oapi_base=config.dingtalk.oapi_base,
        app_key=secrets.app_key,
        robot_code=secrets.robot_code,
        agent_id=secrets.agent_id,
        sections=by_section,
        people_total=len(config.people),
        passed=report.passed,
        failures=len([c for c in report.failures() if c.ok is False and not c.warning]),
        unchecked=len([c for c in report.failures() if c.ok is None and not c.warning]),
        warnings=len([c for c in report.failures() if c.warning]),
    )
