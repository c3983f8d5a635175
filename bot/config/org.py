"""The organisation tables: [[units]], [[people]], [ab_roles] and [[groups]], each entry
checked on its own (references between them are checked in cross_check)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config.locate import ROOT, Where
from bot.config.values import Values, closest
from bot.config_schema import (
    ROLE_KEYS,
    ROLE_NAMES,
    ROLE_ORDER,
    UNIT_KIND_NAMES,
    UNIT_KIND_ORDER,
    UNIT_KINDS,
    UNIT_ROLE_KEYS,
    UNIT_ROLE_NAMES,
    UNIT_ROLE_ORDER,
    Group,
    Person,
    Unit,
)

_PURPOSE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_PERSON_KEYS = (
    "user_id",
    "union_id",
    "name",
    "title",
    "unit",
    "roles",
    "in_charge_of",
    "secretarial",
)
_UNIT_KEYS = ("id", "name", "kind", "head", "parent", "roles", "county_managed")
_GROUP_KEYS = ("conversation_id", "name", "members", "purpose")
_AB_KEYS = ("pairs",)


@dataclass(frozen=True)
class _Vocabulary:
    """The keys the file may write in one place (unit kinds, unit roles, person roles), in
    their listing order, with their display names."""

    order: tuple[str, ...]
    names: Mapping[str, str]

    def unknown(
        self, values: Values, where: Where, key: str, value: str, *, code: str, **params: object
    ) -> None:
        """``value`` is none of the keys: say so, with the closest key and the whole list."""
        values.report.add(
            where,
            key,
            code,
            near=value,
            suggestion=closest(value, self.order),
            choices=[(k, self.names[k]) for k in self.order],
            **params,
        )


_UNIT_KIND_LIST = _Vocabulary(UNIT_KIND_ORDER, UNIT_KIND_NAMES)
_UNIT_ROLE_LIST = _Vocabulary(UNIT_ROLE_ORDER, UNIT_ROLE_NAMES)
_PERSON_ROLE_LIST = _Vocabulary(ROLE_ORDER, ROLE_NAMES)


@dataclass
class OrgEntries:
    """The parsed entries, each with where it came from (for the cross-checks)."""

    units: list[tuple[Unit, Where]] = field(default_factory=list)
    people: list[tuple[Person, Where]] = field(default_factory=list)
    groups: list[tuple[Group, Where]] = field(default_factory=list)
    pairs: list[tuple[tuple[str, str], int]] = field(default_factory=list)  # (pair, index)


def _first_use(
    values: Values, seen: dict[str, Where], where: Where, key: str, value: str, *, code: str
) -> bool:
    """Whether ``value`` of ``key`` is new; a repeat is reported (``code``) with the
    location of its first use."""
    if value not in seen:
        seen[value] = where
        return True
    first = values.report.at(seen[value], key)
    values.report.add(where, key, code, near=value, value=value, first=first)
    return False


def _entries(
    values: Values,
    array: str,
    id_key: str,
    keys: tuple[str, ...],
    *,
    what: str,
    id_like: bool = True,
) -> Iterator[tuple[dict[str, Any], Where, str | None]]:
    """The tables of ``[[array]]``, each with its place named by its id (None when
    missing or malformed, reported) and its keys checked."""
    for table, where in values.get_array_of_tables(array):
        entry_id = values.get_str(table, where, id_key, what=what, id_like=id_like)
        named = where.named(entry_id)
        values.check_keys(table, named, keys)
        yield table, named, entry_id


def load_units(values: Values) -> list[tuple[Unit, Where]]:
    seen: dict[str, Where] = {}
    units: list[tuple[Unit, Where]] = []
    for table, where, unit_id in _entries(values, "units", "id", _UNIT_KEYS, what="unit_id"):
        name = values.get_str(table, where, "name", what="unit_name") or ""
        kind = values.get_str(table, where, "kind", what="unit_kind") or ""
        if kind and kind not in UNIT_KINDS:
            _UNIT_KIND_LIST.unknown(
                values, where, "kind", kind, code="unknown_unit_kind", kind=kind
            )
        head = values.get_str(table, where, "head", what="unit_head", required=False)
        parent = values.get_str(table, where, "parent", what="unit_parent", required=False)
        roles = values.get_str_list(table, where, "roles", what="unit_roles")
        _check_roles(values, where, roles, _UNIT_ROLE_LIST, ROLE_KEYS, code="unknown_unit_role")
        county_managed = values.get_bool(table, where, "county_managed", what="county_managed")
        if unit_id is None or not _first_use(
            values, seen, where, "id", unit_id, code="duplicate_unit_id"
        ):
            continue
        unit = Unit(
            unit_id=unit_id,
            name=name,
            kind=kind,
            head_id=head,
            parent_id=parent,
            roles=frozenset(r for r in roles if r in UNIT_ROLE_KEYS),
            county_managed=county_managed,
        )
        units.append((unit, where))
    if "units" not in values.data:
        values.report.add(ROOT, None, "units_missing")
    return units


def load_people(values: Values) -> list[tuple[Person, Where]]:
    seen_user: dict[str, Where] = {}
    seen_union: dict[str, Where] = {}
    people: list[tuple[Person, Where]] = []
    for table, where, user_id in _entries(
        values, "people", "user_id", _PERSON_KEYS, what="user_id"
    ):
        union_id = values.get_str(table, where, "union_id", what="union_id")
        if union_id is not None and any(c.isspace() for c in union_id):
            values.report.add(where, "union_id", "union_id_has_space")
        name = values.get_str(table, where, "name", what="person_name") or ""
        title = values.get_str(table, where, "title", what="person_title", required=False) or ""
        unit = values.get_str(table, where, "unit", what="person_unit") or ""
        roles = values.get_str_list(table, where, "roles", what="person_roles")
        _check_roles(
            values, where, roles, _PERSON_ROLE_LIST, UNIT_ROLE_KEYS, code="unknown_person_role"
        )
        in_charge = values.get_str_list(table, where, "in_charge_of", what="in_charge_of")
        secretarial = values.get_bool(table, where, "secretarial", what="secretarial")
        if user_id is None or not _first_use(
            values, seen_user, where, "user_id", user_id, code="duplicate_user_id"
        ):
            continue
        if union_id is not None:
            _first_use(values, seen_union, where, "union_id", union_id, code="duplicate_union_id")
        person = Person(
            user_id=user_id,
            union_id=union_id or "",
            name=name,
            unit_id=unit,
            title=title,
            roles=frozenset(r for r in roles if r in ROLE_KEYS),
            in_charge_of=tuple(in_charge),
            secretarial=secretarial,
        )
        people.append((person, where))
    if "people" not in values.data:
        values.report.add(ROOT, None, "people_missing")
    return people


def _check_roles(
    values: Values,
    where: Where,
    roles: list[str],
    known: _Vocabulary,
    other_list: frozenset[str],
    *,
    code: str,
) -> None:
    """Each role is one of ``known``; one of the other roles list (unit roles among a
    person's, or the reverse) is said to be written in the wrong place."""
    for role in roles:
        if role not in known.order:
            known.unknown(
                values, where, "roles", role, code=code, role=role, in_other=role in other_list
            )


def load_ab_pairs(values: Values) -> list[tuple[tuple[str, str], int]]:
    where = Where("ab_roles")
    table = values.get_table("ab_roles") or {}
    values.check_keys(table, where, _AB_KEYS)
    raw = table.get("pairs", [])
    if not isinstance(raw, list):
        values.report.add(where, "pairs", "ab_pairs_not_list")
        return []
    pairs: list[tuple[tuple[str, str], int]] = []
    for i, pair in enumerate(raw):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(x, str) and x for x in pair)
        ):
            values.report.add(where, "pairs", "ab_pair_malformed", number=i + 1, shown=repr(pair))
            continue
        pairs.append(((pair[0], pair[1]), i))
    return pairs


def load_groups(values: Values) -> list[tuple[Group, Where]]:
    seen: dict[str, Where] = {}
    purposes: dict[str, Where] = {}
    groups: list[tuple[Group, Where]] = []
    for table, where, cid in _entries(
        values, "groups", "conversation_id", _GROUP_KEYS, what="conversation_id", id_like=False
    ):
        name = values.get_str(table, where, "name", what="group_name") or ""
        members = values.get_str_list(table, where, "members", what="group_members")
        if "members" in table and not members and isinstance(table["members"], list):
            values.report.add(where, "members", "group_without_members")
        purpose = _group_purpose(values, table, where)
        if cid is None or not _first_use(
            values, seen, where, "conversation_id", cid, code="duplicate_group_id"
        ):
            continue
        if purpose is not None:
            _first_use(values, purposes, where, "purpose", purpose, code="duplicate_group_purpose")
        groups.append((Group(cid, name, tuple(members), purpose), where))
    return groups


def _group_purpose(values: Values, table: Mapping[str, Any], where: Where) -> str | None:
    purpose = values.get_str(table, where, "purpose", what="group_purpose", required=False)
    if purpose is not None and not _PURPOSE_RE.fullmatch(purpose):
        values.report.add(where, "purpose", "bad_group_purpose", near=purpose, purpose=purpose)
        return None
    return purpose
