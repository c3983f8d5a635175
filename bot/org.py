"""The organisation directory: who is who, read from a validated :class:`Config`."""

from __future__ import annotations

from collections.abc import Collection

from bot.config_schema import (
    IN_CHARGE_ROLES,
    ROLE_NAMES,
    ROLE_ORDER,
    Config,
    Group,
    Person,
    Unit,
)
from messages.vocabulary import input_word

_ROLE_RANK = {role: i for i, role in enumerate(ROLE_ORDER)}
_NO_RANK = len(ROLE_ORDER)


def _rank(person: Person) -> int:
    return min((_ROLE_RANK[r] for r in person.roles if r in _ROLE_RANK), default=_NO_RANK)


class OrgDirectory:
    """Read-only queries over people, units, AB pairs and groups.

    Built once from a validated config, so the invariants that validation checks (one
    county head, one office director, one unit per unit role, known references) hold.
    """

    def __init__(self, config: Config) -> None:
        self._config = config
        self._people = dict(config.people)
        self._units = dict(config.units)
        self._groups = dict(config.groups)
        self._file_pos = {uid: i for i, uid in enumerate(self._people)}

        self._members: dict[str, list[Person]] = {}
        for person in self._people.values():
            self._members.setdefault(person.unit_id, []).append(person)
        for people in self._members.values():
            people.sort(key=self._member_key)

        self._ab: dict[str, str] = {}
        for a, b in config.ab_pairs:
            self._ab[a] = b
            self._ab[b] = a

        self._unit_by_role: dict[str, Unit] = {}
        for unit in self._units.values():
            for role in unit.roles:
                self._unit_by_role.setdefault(role, unit)

        self._in_charge: dict[str, Person] = {}
        self._assisting: dict[str, Person] = {}
        for person in self._people.values():
            if person.roles & IN_CHARGE_ROLES:
                for unit_id in person.in_charge_of:
                    self._in_charge.setdefault(unit_id, person)
            elif "office_deputy" in person.roles:
                for unit_id in person.in_charge_of:
                    self._assisting.setdefault(unit_id, person)

        self._group_by_purpose: dict[str, Group] = {}
        for group in self._groups.values():
            if group.purpose:
                self._group_by_purpose.setdefault(group.purpose, group)

    def _member_key(self, person: Person) -> tuple[int, int, int]:
        unit = self._units.get(person.unit_id)
        is_head = 0 if unit is not None and unit.head_id == person.user_id else 1
        return (is_head, _rank(person), self._file_pos[person.user_id])

    @property
    def config(self) -> Config:
        return self._config

    # -- people and units ---------------------------------------------------------

    def person(self, user_id: str) -> Person | None:
        return self._people.get(user_id)

    def person_named(self, text: str) -> Person | None:
        """The one person whose name (or user id) is ``text``; None if nobody or several."""
        wanted = text.strip()
        found = [p for p in self._people.values() if wanted in (p.name, p.user_id)]
        return found[0] if len(found) == 1 else None

    def unit(self, unit_id: str) -> Unit | None:
        return self._units.get(unit_id)

    def unit_of(self, user_id: str) -> Unit | None:
        person = self._people.get(user_id)
        return None if person is None else self._units.get(person.unit_id)

    def members(self, unit_id: str) -> list[Person]:
        """People of the unit, its head first, then by role and file order."""
        return list(self._members.get(unit_id, []))

    def holders(self, role: str) -> list[Person]:
        """People holding a role key, in file order."""
        return [p for p in self._people.values() if role in p.roles]

    def sole(self, role: str) -> Person:
        """The one holder of a role that validation guarantees is unique."""
        found = self.holders(role)
        if len(found) != 1:
            raise LookupError(f"role {role!r} has {len(found)} holders, expected exactly one")
        return found[0]

    def secretarial_deputy(self) -> Person:
        """The office deputy in charge of 文秘 (document chain step 2)."""
        for person in self.holders("office_deputy"):
            if person.secretarial:
                return person
        raise LookupError("no office deputy is marked secretarial")

    def unit_with_role(self, unit_role: str) -> Unit | None:
        return self._unit_by_role.get(unit_role)

    def unit_named(self, name: str, kinds: Collection[str]) -> Unit | None:
        """The unit of one of ``kinds`` called ``name`` (the "县" prefix optional)."""
        prefix = input_word("names.county_prefix")
        wanted = name.strip().removeprefix(prefix)
        for unit in self._units.values():
            if unit.kind in kinds and unit.name.removeprefix(prefix) == wanted:
                return unit
        return None

    def unit_head(self, unit_id: str) -> Person | None:
        unit = self._units.get(unit_id)
        if unit is None or unit.head_id is None:
            return None
        return self._people.get(unit.head_id)

    def _walk_up(self, unit_id: str) -> list[str]:
        chain: list[str] = []
        current: str | None = unit_id
        while current is not None and current not in chain:
            chain.append(current)
            unit = self._units.get(current)
            current = None if unit is None else unit.parent_id
        return chain

    def leader_in_charge(self, unit_id: str) -> Person | None:
        """The deputy head / party member (or executive deputy) whose 分管 covers the unit.

        Internal units and affiliated institutions fall under their parent's leader.
        """
        for uid in self._walk_up(unit_id):
            if uid in self._in_charge:
                return self._in_charge[uid]
        return None

    def responsible_leader(self, unit_id: str) -> Person:
        """The county leader who answers for the unit by 分工 (第七条、第七十条): its leader in
        charge, else the county head, since a unit no deputy is in charge of is under the
        county head himself (第五条 县长负责制; the demo's 县审计局).

        The one lookup for routing to, and reminding, "the leader in charge"; a flow whose
        rule names someone else when no deputy is in charge says so where it differs.
        """
        return self.leader_in_charge(unit_id) or self.sole("county_head")

    def office_deputy_for(self, unit_id: str) -> Person | None:
        """The office deputy who assists on the unit's affairs, if configured."""
        for uid in self._walk_up(unit_id):
            if uid in self._assisting:
                return self._assisting[uid]
        return None

    def units_in_charge(self, user_id: str) -> list[Unit]:
        person = self._people.get(user_id)
        if person is None:
            return []
        return [self._units[u] for u in person.in_charge_of if u in self._units]

    def ab_partner(self, user_id: str) -> str | None:
        return self._ab.get(user_id)

    # -- groups ---------------------------------------------------------------------

    def groups_of(self, user_id: str) -> list[Group]:
        return [g for g in self._groups.values() if user_id in g.member_ids]

    def group(self, conversation_id: str) -> Group | None:
        return self._groups.get(conversation_id)

    def group_for(self, purpose: str) -> Group | None:
        return self._group_by_purpose.get(purpose)

    # -- listing --------------------------------------------------------------------

    def role_names(self, person: Person) -> list[str]:
        return [ROLE_NAMES[r] for r in ROLE_ORDER if r in person.roles]

    def all_people(self) -> list[Person]:
        """Everyone: leadership units first, then the government office, then the other
        units in file order (internal units of the office come with the office)."""
        office_ids = {u.unit_id for u in self._units.values() if u.kind == "office"}

        def unit_group(unit: Unit) -> int:
            if unit.kind == "leadership":
                return 0
            if unit.kind == "office" or unit.parent_id in office_ids:
                return 1
            return 2

        order = {uid: i for i, uid in enumerate(self._units)}
        units = sorted(self._units.values(), key=lambda u: (unit_group(u), order[u.unit_id]))
        result: list[Person] = []
        for unit in units:
            result.extend(self._members.get(unit.unit_id, []))
        return result
