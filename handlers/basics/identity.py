"""我是谁: the sender's name, unit and roles as the org directory knows them."""

from __future__ import annotations

from bot.outgoing import Outgoing
from bot.router import CommandContext


async def whoami(ctx: CommandContext) -> list[Outgoing]:
    directory = ctx.services.directory
    person = ctx.sender
    unit = directory.unit(person.unit_id)
    partner_id = directory.ab_partner(person.user_id)
    partner = directory.person(partner_id) if partner_id else None
    in_charge = [u.name for uid in person.in_charge_of if (u := directory.unit(uid)) is not None]
    return [
        ctx.markdown(
            "whoami",
            person=person,
            unit_name=unit.name if unit else person.unit_id,
            roles=directory.role_names(person),
            in_charge=in_charge,
            ab_partner=partner.name if partner else None,
        )
    ]
