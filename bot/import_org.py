"""``govbot import-org``: a configuration skeleton from DingTalk's contacts.

Reads the department tree (``/topapi/v2/department/get`` + ``listsub``, recursively)
and the members of every department (``/topapi/v2/user/list``, paged), and renders a
TOML skeleton (``messages/templates/cli_import_skeleton.txt.j2``) that the county office
completes: units named after the departments, with the kind and the unit role guessed
where the name makes it obvious and the department's 主管 as head; people with their
userId, unionId, name, title and unit, roles left for the office (only ``unit_head``
is filled for the heads found). ``govbot check-config`` then lists what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config_schema import HEADED_KINDS
from bot.dingtalk_admin import Department, DingTalkAdminClient, Member
from messages.render import Messages
from messages.vocabulary import input_word, word_list, word_map

# Matching patterns on DingTalk department names (messages/input_words.toml [org]).
# Order matters: the first rule that matches decides.
_TOP_LEVEL_KINDS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = tuple(
    (str(kind), tuple(rule[0]), tuple(rule[1])) for kind, rule in word_map("org.kinds").items()
)
_CHILD_AFFILIATED = word_list("org.child_affiliated")
# Unit roles (职能) guessed from the department name, for top-level units.
_UNIT_ROLES_BY_NAME: tuple[tuple[str, str], ...] = tuple(
    (str(role), str(word)) for role, word in word_map("org.unit_roles").items()
)
_UNIT_ROLES_BY_KIND: Mapping[str, str] = {"office": "gov_office", "party_office": "party_office"}
_ORG_SUFFIX = input_word("org.org_suffix")
_COUNTY_SUFFIXES = word_list("org.county_suffixes")
_NO_HEAD_KINDS = frozenset({"leadership", "coordination"})


@dataclass(frozen=True, slots=True)
class OrgUnit:
    unit_id: str
    dept_id: int
    name: str
    kind: str  # "" when the name does not make it obvious
    parent_id: str | None
    head: str | None  # userId of the department's 主管
    other_leaders: tuple[str, ...]
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OrgPerson:
    user_id: str
    union_id: str
    name: str
    title: str
    unit_id: str
    unit_head: bool  # head of a unit whose head must hold the unit_head role


@dataclass(frozen=True, slots=True)
class Org:
    root_name: str
    root_dept: int
    units: tuple[OrgUnit, ...]
    people: tuple[OrgPerson, ...]


def unit_id_of(dept_id: int) -> str:
    return f"d{dept_id}"


def guess_kind(name: str, *, top_level: bool) -> str:
    """The unit kind when the department name makes it obvious, else ""."""
    if not top_level:
        return "affiliated" if any(w in name for w in _CHILD_AFFILIATED) else "internal"
    for kind, contains, ends in _TOP_LEVEL_KINDS:
        if any(w in name for w in contains) or name.endswith(ends or ("\0",)):
            return kind
    return ""


def guess_county(root_name: str) -> tuple[str, str]:
    """(county name, short name) from the organisation's name, or ("", "")."""
    name = root_name.removesuffix(_ORG_SUFFIX)
    if name == root_name or not name.endswith(_COUNTY_SUFFIXES) or len(name) < 2:
        return "", ""
    short = name[:-1] if len(name) > 2 else name
    return name, short


def _guess_unit_roles(units: list[OrgUnit]) -> list[OrgUnit]:
    taken: set[str] = set()
    result = []
    for unit in units:
        roles: list[str] = []
        if unit.parent_id is None:
            by_kind = _UNIT_ROLES_BY_KIND.get(unit.kind)
            if by_kind:
                roles.append(by_kind)
            if unit.kind == "department":
                roles += [role for role, word in _UNIT_ROLES_BY_NAME if word in unit.name]
        roles = [r for r in roles if r not in taken]
        taken.update(roles)
        result.append(
            OrgUnit(
                unit.unit_id,
                unit.dept_id,
                unit.name,
                unit.kind,
                unit.parent_id,
                unit.head,
                unit.other_leaders,
                tuple(roles),
            )
        )
    return result


def _ordered(tree: list[Department], root: int) -> list[Department]:
    """Parents first, each followed by its sub-departments (depth first)."""
    children: dict[int, list[Department]] = {}
    for dept in tree[1:]:
        children.setdefault(dept.parent_id or root, []).append(dept)
    out: list[Department] = []
    stack = list(reversed(children.get(root, [])))
    seen: set[int] = set()
    while stack:
        dept = stack.pop()
        if dept.dept_id in seen:
            continue
        seen.add(dept.dept_id)
        out.append(dept)
        stack += reversed(children.get(dept.dept_id, []))
    return out


async def fetch_org(client: DingTalkAdminClient, root: int = 1) -> Org:
    tree = await client.department_tree(root)
    in_tree = {d.dept_id for d in tree}
    members: dict[int, list[Member]] = {}
    for dept in tree:
        members[dept.dept_id] = await client.list_members(dept.dept_id)
    # Each person once, in the first of their departments (DingTalk lists the main one
    # first) that lies in the tree.
    home: dict[str, int] = {}
    person: dict[str, Member] = {}
    for dept in tree:
        for member in members[dept.dept_id]:
            if not member.user_id or member.user_id in person:
                continue
            person[member.user_id] = member
            home[member.user_id] = next((d for d in member.dept_ids if d in in_tree), dept.dept_id)
    depts = _ordered(tree, root)
    if any(h == root for h in home.values()):
        depts.insert(0, tree[0])
    units: list[OrgUnit] = []
    for dept in depts:
        top_level = dept.dept_id == root or (dept.parent_id or root) == root
        kind = guess_kind(dept.name, top_level=top_level)
        leaders = [m.user_id for m in members[dept.dept_id] if dept.dept_id in m.leader_in]
        head = leaders[0] if leaders and kind not in _NO_HEAD_KINDS else None
        units.append(
            OrgUnit(
                unit_id=unit_id_of(dept.dept_id),
                dept_id=dept.dept_id,
                name=dept.name,
                kind=kind,
                parent_id=None if top_level else unit_id_of(dept.parent_id or root),
                head=head,
                other_leaders=tuple(leaders[1:] if head else leaders),
                roles=(),
            )
        )
    units = _guess_unit_roles(units)
    headed = {u.head for u in units if u.head and u.kind in HEADED_KINDS}
    order = {u.dept_id: i for i, u in enumerate(units)}
    people = sorted(
        (
            OrgPerson(
                user_id=m.user_id,
                union_id=m.union_id,
                name=m.name,
                title=m.title,
                unit_id=unit_id_of(home[m.user_id]),
                unit_head=m.user_id in headed,
            )
            for m in person.values()
        ),
        key=lambda p: order.get(int(p.unit_id[1:]), len(order)),
    )
    return Org(tree[0].name, root, tuple(units), tuple(people))


def _q(value: str) -> str:
    """A TOML basic string (JSON string escapes are valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def render_skeleton(messages: Messages, org: Org, *, corp_id: str, source: str) -> str:
    county, short = guess_county(org.root_name)
    names = {p.user_id: p.name for p in org.people}
    unit_names = {u.unit_id: u.name for u in org.units}
    units = [
        {
            "id": _q(u.unit_id),
            "dept_id": u.dept_id,
            "name": _q(u.name),
            "kind": _q(u.kind),
            "kind_guessed": bool(u.kind),
            "parent": _q(u.parent_id) if u.parent_id else "",
            "head": _q(u.head) if u.head else "",
            "head_name": names.get(u.head or "", ""),
            "needs_head": u.kind in HEADED_KINDS | {"office", "party_office"} or not u.kind,
            "other_leaders": [names.get(x, x) for x in u.other_leaders],
            "roles": ", ".join(_q(r) for r in u.roles),
        }
        for u in org.units
    ]
    people = [
        {
            "user_id": _q(p.user_id),
            "union_id": _q(p.union_id),
            "name": _q(p.name),
            "title": _q(p.title),
            "unit": _q(p.unit_id),
            "unit_name": unit_names.get(p.unit_id, ""),
            "roles": _q("unit_head") if p.unit_head else "",
        }
        for p in org.people
    ]
    return messages.text(
        "cli_import_skeleton",
        org_name=org.root_name,
        root_dept=org.root_dept,
        source=source,
        county=_q(county),
        short=_q(short),
        short_first=short[:1],
        corp_id=_q(corp_id),
        units=units,
        people=people,
    )
