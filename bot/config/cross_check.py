"""Rules between entries: references to people and units that exist, and the
organisational rules (who heads what, who is in charge of what, roles held once)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.config.locate import Where
from bot.config.org import OrgEntries
from bot.config.problems import Report
from bot.config.values import closest
from bot.config_schema import (
    CHILD_KINDS,
    HEADED_KINDS,
    IN_CHARGE_ROLES,
    LEADER_ROLES,
    OFFICE_ROLES,
    REQUIRED_UNIT_ROLES,
    ROLE_NAMES,
    ROLE_ORDER,
    SOLE_ROLES,
    UNIT_KIND_NAMES,
    UNIT_KINDS,
    UNIT_ROLE_NAMES,
    UNIT_ROLE_ORDER,
    Person,
    Unit,
)

# The unit kind each unit role requires.
_ROLE_UNIT_KIND = {
    "gov_office": "office",
    "party_office": "party_office",
    "legal_bureau": "department",
    "finance_bureau": "department",
    "audit_bureau": "department",
    "emergency_bureau": "department",
    "petition_bureau": "department",
}


@dataclass
class _Org:
    """The entries of one file, indexed for the checks."""

    report: Report
    entries: OrgEntries
    has_units: bool  # the file has a units list (else "missing" was said already)
    has_people: bool
    people: dict[str, tuple[Person, Where]] = field(init=False)
    units: dict[str, tuple[Unit, Where]] = field(init=False)

    def __post_init__(self) -> None:
        self.people = {p.user_id: (p, w) for p, w in self.entries.people}
        self.units = {u.unit_id: (u, w) for u, w in self.entries.units}

    def unknown_person(
        self, where: Where, key: str, user_id: str, role: str, pair: int | None = None
    ) -> None:
        """``role`` names the reference (``pair``: the AB pair's number)."""
        self._unknown(
            where,
            key,
            user_id,
            self.people,
            code="unknown_person",
            user_id=user_id,
            role=role,
            pair=pair,
        )

    def unknown_unit(self, where: Where, key: str, unit_id: str, role: str) -> None:
        self._unknown(
            where, key, unit_id, self.units, code="unknown_unit", unit_id=unit_id, role=role
        )

    def unit_lacks(self, unit: Unit, where: Where, *, code: str) -> None:
        """A unit of a kind that must have something (a head, a parent) has none."""
        self.report.add(where, None, code, unit=unit.name, kind_name=UNIT_KIND_NAMES[unit.kind])

    def _unknown(
        self,
        where: Where,
        key: str,
        ref: str,
        known: Iterable[str],
        *,
        code: str,
        **params: object,
    ) -> None:
        """A reference to no entry: said with the closest id there is."""
        self.report.add(where, key, code, near=ref, suggestion=closest(ref, known), **params)


def _unit_heads(org: _Org) -> None:
    """Headed units name a known head who holds the unit_head role."""
    for unit, where in org.entries.units:
        if unit.head_id is not None:
            head = org.people.get(unit.head_id)
            if head is None:
                org.unknown_person(where, "head", unit.head_id, "head")
            elif unit.kind in HEADED_KINDS and "unit_head" not in head[0].roles:
                org.report.add(
                    head[1],
                    "roles",
                    "head_without_role",
                    name=head[0].name,
                    unit=unit.name,
                    head_at=org.report.at(where, "head"),
                )
        elif unit.kind in HEADED_KINDS | {"office", "party_office"}:
            org.unit_lacks(unit, where, code="unit_without_head")


def _unit_parents(org: _Org) -> None:
    """Parents exist and form no cycle; internal and affiliated units have one."""
    for unit, where in org.entries.units:
        if unit.parent_id is not None:
            if unit.parent_id == unit.unit_id:
                org.report.add(where, "parent", "unit_own_parent")
            elif unit.parent_id not in org.units:
                org.unknown_unit(where, "parent", unit.parent_id, "parent")
            elif _has_cycle(unit.unit_id, org.units):
                org.report.add(where, "parent", "unit_parent_cycle")
        elif unit.kind in CHILD_KINDS:
            org.unit_lacks(unit, where, code="unit_without_parent")


def _has_cycle(start: str, units: dict[str, tuple[Unit, Where]]) -> bool:
    seen = {start}
    current = units[start][0].parent_id
    while current is not None and current in units:
        if current in seen:
            return True
        seen.add(current)
        current = units[current][0].parent_id
    return False


def _unit_kind_fits(org: _Org) -> None:
    """county_managed only on coal mines; each unit role on its kind of unit."""
    for unit, where in org.entries.units:
        if unit.county_managed and unit.kind != "coal_mine":
            org.report.add(where, "county_managed", "county_managed_not_coal_mine")
        for role in unit.roles:
            want = _ROLE_UNIT_KIND[role]
            if unit.kind and unit.kind != want:
                org.report.add(
                    where,
                    "kind",
                    "unit_role_wrong_kind",
                    role=role,
                    role_name=UNIT_ROLE_NAMES[role],
                    want=want,
                    kind=unit.kind,
                )


def _unit_role_holders(org: _Org) -> None:
    """Each unit role is carried by at most one unit; the required ones by exactly one."""
    for role in UNIT_ROLE_ORDER:
        holders = [(u, w) for u, w in org.entries.units if role in u.roles]
        if len(holders) > 1:
            _later_holders(
                org, holders, role, code="unit_role_taken", role_name=UNIT_ROLE_NAMES[role]
            )
        elif not holders and role in REQUIRED_UNIT_ROLES and org.has_units:
            org.report.add(
                Where("units"), None, "unit_role_unheld", role=role, role_name=UNIT_ROLE_NAMES[role]
            )


def _later_holders(
    org: _Org, holders: Sequence[tuple[object, Where]], role: str, *, code: str, **params: object
) -> None:
    """A role only one may hold: every holder after the first is shown where the first is."""
    first = org.report.at(holders[0][1], "roles")
    for _, where in holders[1:]:
        org.report.add(where, "roles", code, near=role, role=role, first=first, **params)


def _person_units(org: _Org) -> None:
    """People belong to known units; leaders to the leadership, office staff to the office."""
    office_ids = {u.unit_id for u, _ in org.entries.units if u.kind == "office"}
    for person, where in org.entries.people:
        entry = org.units.get(person.unit_id) if person.unit_id else None
        if person.unit_id and entry is None:
            org.unknown_unit(where, "unit", person.unit_id, "home")
        if entry is None:
            continue
        unit = entry[0]
        leaders = person.roles & LEADER_ROLES
        if leaders and unit.kind != "leadership":
            _held_outside(org, person, where, leaders, unit, code="leader_outside_leadership")
        office_staff = person.roles & OFFICE_ROLES
        in_office = unit.kind == "office" or unit.parent_id in office_ids
        if office_staff and not in_office:
            _held_outside(
                org, person, where, office_staff, unit, code="office_staff_outside_office"
            )


def _held_outside(
    org: _Org, person: Person, where: Where, held: frozenset[str], unit: Unit, *, code: str
) -> None:
    """``held`` roles of ``person`` belong to another kind of unit than his ``unit``."""
    org.report.add(
        where, "unit", code, near=person.unit_id, roles=_role_names(held), unit=unit.name
    )


def _role_names(roles: frozenset[str]) -> list[str]:
    return [ROLE_NAMES[r] for r in ROLE_ORDER if r in roles]


def _leaders_in_charge(org: _Org) -> dict[str, tuple[Person, Where]]:
    """Unit id -> the first leader who lists it in in_charge_of (units they may be in
    charge of only)."""
    found: dict[str, tuple[Person, Where]] = {}
    for person, where in org.entries.people:
        if not person.roles & IN_CHARGE_ROLES:
            continue
        for unit_id in person.in_charge_of:
            target = org.units.get(unit_id)
            if target is not None and target[0].kind not in ("leadership", "office"):
                found.setdefault(unit_id, (person, where))
    return found


def _in_charge_lists(org: _Org) -> None:
    """Only leaders (and their office deputies) have 分管 units; known units, not the
    leadership or the office, each with one leader in charge."""
    leaders = _leaders_in_charge(org)
    for person, where in org.entries.people:
        if person.in_charge_of and not person.roles & (IN_CHARGE_ROLES | {"office_deputy"}):
            org.report.add(where, "in_charge_of", "in_charge_not_allowed")
        for unit_id in person.in_charge_of:
            target = org.units.get(unit_id)
            if target is None:
                org.unknown_unit(where, "in_charge_of", unit_id, "in_charge")
                continue
            unit = target[0]
            if unit.kind in ("leadership", "office"):
                _in_charge_problem(org, where, unit, code="in_charge_of_leadership")
            elif person.roles & IN_CHARGE_ROLES:
                other, other_where = leaders[unit_id]
                if other is not person:
                    first = org.report.at(other_where, "in_charge_of")
                    _in_charge_problem(
                        org, where, unit, code="unit_in_charge_taken", other=other.name, first=first
                    )


def _in_charge_problem(org: _Org, where: Where, unit: Unit, *, code: str, **params: object) -> None:
    """A problem with ``unit`` listed in the in_charge_of of the person at ``where``."""
    org.report.add(where, "in_charge_of", code, near=unit.unit_id, unit=unit.name, **params)


def _secretarial_and_heads(org: _Org) -> None:
    """secretarial only on office deputies; unit_head only on someone who heads a unit."""
    for person, where in org.entries.people:
        if person.secretarial and "office_deputy" not in person.roles:
            org.report.add(where, "secretarial", "secretarial_not_deputy")
        if "unit_head" in person.roles and not any(
            u.head_id == person.user_id and (u.kind in HEADED_KINDS or u.kind not in UNIT_KINDS)
            for u, _ in org.entries.units
        ):
            org.report.add(
                where, "roles", "unit_head_heads_nothing", near="unit_head", user_id=person.user_id
            )


def _role_counts(org: _Org) -> None:
    """Sole roles held by exactly one person; a 文秘 deputy, 行政股 and office staff exist."""
    if not org.has_people:
        return
    anchor = Where("people")
    people = org.entries.people
    for role in SOLE_ROLES:
        holders = [(p, w) for p, w in people if role in p.roles]
        if not holders:
            org.report.add(anchor, None, "sole_role_unheld", role=role, role_name=ROLE_NAMES[role])
            continue
        holder = holders[0][0].name
        role_name = ROLE_NAMES[role]
        _later_holders(
            org, holders, role, code="sole_role_taken", role_name=role_name, holder=holder
        )
    if not any("office_deputy" in p.roles and p.secretarial for p, _ in people):
        org.report.add(anchor, None, "no_secretarial_deputy")
    for role in ("admin_section", "office_clerk"):
        if not any(role in p.roles for p, _ in people):
            org.report.add(anchor, None, "role_unheld", role=role, role_name=ROLE_NAMES[role])


def _coal_mines_in_charge(org: _Org) -> None:
    """County-managed coal mines need a leader in charge (their leave goes to him)."""
    leaders = _leaders_in_charge(org)
    for unit, where in org.entries.units:
        if unit.county_managed and unit.kind == "coal_mine" and unit.unit_id not in leaders:
            org.report.add(
                where,
                "county_managed",
                "coal_mine_without_leader",
                unit=unit.name,
                unit_id=unit.unit_id,
            )


def _ab_pairs(org: _Org) -> None:
    """AB pairs of two different known people, each person in one pair at most."""
    paired: dict[str, int] = {}
    where = Where("ab_roles")
    for (a, b), i in org.entries.pairs:
        for uid in (a, b):
            if uid not in org.people:
                org.unknown_person(where, "pairs", uid, "ab_pair", pair=i + 1)
        if a == b:
            org.report.add(where, "pairs", "ab_pair_self", near=a, user_id=a, pair=i + 1)
            continue
        for uid in (a, b):
            if uid in paired:
                org.report.add(
                    where,
                    "pairs",
                    "ab_pair_repeated",
                    near=uid,
                    user_id=uid,
                    first=paired[uid] + 1,
                    pair=i + 1,
                )
            else:
                paired[uid] = i


def _group_members(org: _Org) -> None:
    for group, where in org.entries.groups:
        for uid in group.member_ids:
            if uid not in org.people:
                org.unknown_person(where, "members", uid, "member")


# In this order: problems on the same line are listed in the order they are found.
_CHECKS: tuple[Callable[[_Org], None], ...] = (
    _unit_heads,
    _unit_parents,
    _unit_kind_fits,
    _unit_role_holders,
    _person_units,
    _in_charge_lists,
    _secretarial_and_heads,
    _role_counts,
    _coal_mines_in_charge,
    _ab_pairs,
    _group_members,
)


def cross_check(report: Report, entries: OrgEntries, *, has_units: bool, has_people: bool) -> None:
    """Report every broken reference and organisational rule between the entries."""
    org = _Org(report, entries, has_units=has_units, has_people=has_people)
    for check in _CHECKS:
        check(org)
