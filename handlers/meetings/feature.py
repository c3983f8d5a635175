"""Meetings (第四十九–五十三、五十八条): planning, attendance, cancelling, 议定, 纪要."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import CardAction, Command
from bot.scheduler import DailyJob
from handlers.common import office
from handlers.documents import outgoing
from handlers.meetings import attendance, cancel, card, decisions, minutes, planning, schedule

MEETINGS = Feature(
    "meetings",
    commands=[
        Command("meetings", planning.list_meetings),
        Command("meeting_plan", planning.start_planning, audience=planning.may_plan),
        Command("meeting_cancel", cancel.cancel_meeting, audience=outgoing.is_office_director),
        Command("decision", decisions.start_decision, audience=office.is_office),
        Command("minutes", minutes.start_minutes, audience=office.is_office),
    ],
    card_actions=[CardAction(card.MEETING_ACT, attendance.MeetingAct, attendance.act_on_meeting)],
    forms=[planning.PLAN_FORM, decisions.DECISION_FORM, minutes.MINUTES_FORM],
    flows=[attendance.meeting_flows, minutes.minutes_flow],
    jobs=[DailyJob("executive-meeting", time(9, 0), planning.executive_meeting_check)],
    deadline_actions=schedule.meeting_actions,
)
