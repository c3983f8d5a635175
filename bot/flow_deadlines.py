"""A step's deadline (working days, from the office calendar) and the reminders derived
from it: a reminder on the morning of the last day; for 会签 steps with deemed consent,
the expiry just after it; for steps that escalate instead (第七十条 签批), another
reminder to the silent assignees and word to the escalation people the next working
morning. All are stored with the flow, so a restart loses nothing; all are cancelled
once the step is answered or the flow ends."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
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


def _morning(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=TZ)


def schedule_deadline(
    services: Services,
    session: Session,
    flow_id: str,
    step: Step,
    round_no: int,
    deadline: datetime,
) -> None:
    prefix = _prefix(flow_id, step.id, round_no)
    action = {"flow": flow_id, "step": step.id, "round": round_no}
    timers: list[tuple[str, datetime]] = []
    # A reminder on the morning of the last day, to whoever has not answered by then.
    morning = _morning(deadline.astimezone(TZ).date())
    if morning < deadline:
        timers.append(("remind", morning))
    if step.deemed is not None:
        timers.append(("expire", deadline + timedelta(seconds=1)))
    if step.escalate is not None:
        timers += _escalation(services, deadline)
    for name, at in timers:
        schedule_reminder(session, prefix + name, at, [], action={"type": f"flow.{name}", **action})


def _escalation(services: Services, deadline: datetime) -> list[tuple[str, datetime]]:
    """Never deemed: the next working morning (office hours, not the evening of the last
    day) the silent assignee is reminded again and his superior told."""
    next_morning = _morning(services.calendar.next_workday(deadline.astimezone(TZ).date()))
    return [("overdue", next_morning), ("escalate", next_morning)]


def schedule_late_escalation(
    services: Services, session: Session, flow_id: str, step: Step, round_no: int
) -> None:
    """A step that escalates but whose timers were set when it was deemed instead (a flow
    open across the upgrade that made 签批 escalate): its old expiry has just fired, so
    its escalation is set from now."""
    now = services.clock.now()
    prefix = _prefix(flow_id, step.id, round_no)
    action = {"flow": flow_id, "step": step.id, "round": round_no}
    for name, at in _escalation(services, now):
        schedule_reminder(session, prefix + name, at, [], action={"type": f"flow.{name}", **action})


def cancel_step_deadline(session: Session, flow_id: str, step_id: str, round_no: int) -> None:
    cancel_reminders(session, _prefix(flow_id, step_id, round_no))


def cancel_flow_deadlines(session: Session, flow_id: str) -> None:
    cancel_reminders(session, _prefix(flow_id))
