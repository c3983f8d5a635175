"""Meetings (第四十九–五十三、五十八条): planning, attendance, cancelling, 议定, 纪要."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import CardAction, Command
from bot.scheduler import DailyJob
from handlers.common.office import is_office
from handlers.documents.outgoing import is_office_director
from handlers.meetings.attendance import MeetingAct, act_on_meeting, meeting_flows
from handlers.meetings.cancel import cancel_meeting
from handlers.meetings.card import MEETING_ACT
from handlers.meetings.decisions import DECISION_FORM, start_decision
from handlers.meetings.minutes import MINUTES_FORM, minutes_flow, start_minutes
from handlers.meetings.planning import (
    PLAN_FORM,
    executive_meeting_check,
    list_meetings,
    may_plan,
    start_planning,
)
from handlers.meetings.schedule import meeting_actions

MEETINGS = Feature(
    "meetings",
    commands=[
        Command("meetings", list_meetings),
        Command("meeting_plan", start_planning, audience=may_plan),
        Command("meeting_cancel", cancel_meeting, audience=is_office_director),
        Command("decision", start_decision, audience=is_office),
        Command("minutes", start_minutes, audience=is_office),
    ],
    card_actions=[CardAction(MEETING_ACT, MeetingAct, act_on_meeting)],
    forms=[PLAN_FORM, DECISION_FORM, MINUTES_FORM],
    flows=[meeting_flows, minutes_flow],
    jobs=[DailyJob("executive-meeting", time(9, 0), executive_meeting_check)],
    deadline_actions=meeting_actions,
)
