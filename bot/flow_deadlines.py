"""A step's deadline (working days, from the office calendar) and the two reminders
derived from it: a reminder on the morning of the last day, and, for 会签 steps with
deemed consent, the expiry just after it. Both are stored with the flow, so a restart
loses nothing; both are cancelled once the step is answered or the flow ends."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import TZ
from bot.flow_model import Step
from bot.scheduler import cancel_reminders, schedule_reminder

if TYPE_CHECKING:
    from bot.calendar import Deadline
    from bot.services import Services
    from storage.session import Session


def step_deadline(services: Services, step: Step, now: datetime) -> Deadline:
    days = step.deadline_working_days or services.config.rules.step_working_days
    return services.calendar.deadline(now, days)


def _prefix(flow_id: str, step_id: str | None = None, round_no: int | None = None) -> str:
    if step_id is None:
        return f"flow:{flow_id}:"
    return f"flow:{flow_id}:{step_id}:{round_no}:"


def schedule_deadline(
    session: Session, flow_id: str, step: Step, round_no: int, deadline: datetime
) -> None:
    prefix = _prefix(flow_id, step.id, round_no)
    action = {"flow": flow_id, "step": step.id, "round": round_no}
    # A reminder on the morning of the last day, to whoever has not answered by then.
    morning = deadline.astimezone(TZ).replace(hour=9, minute=0, second=0, microsecond=0)
    if morning < deadline:
        schedule_reminder(
            session, prefix + "remind", morning, [], action={"type": "flow.remind", **action}
        )
    if step.deemed is not None:
        expiry = deadline + timedelta(seconds=1)
        schedule_reminder(
            session, prefix + "expire", expiry, [], action={"type": "flow.expire", **action}
        )


def cancel_step_deadline(session: Session, flow_id: str, step_id: str, round_no: int) -> None:
    cancel_reminders(session, _prefix(flow_id, step_id, round_no))


def cancel_flow_deadlines(session: Session, flow_id: str) -> None:
    cancel_reminders(session, _prefix(flow_id))
