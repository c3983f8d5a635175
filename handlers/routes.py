"""The routing table: every chat command and card action the bot answers, in one place.

Order matters only for display in 帮助. A word or action registered twice, or a command
without a description in messages/commands.toml, stops the bot at start-up.
"""

from __future__ import annotations

from datetime import time

from bot.dialog import Form
from bot.router import CardAction, Command
from bot.scheduler import DailyJob
from bot.services import Services
from bot.workflow import FlowDef
from handlers.agenda import agenda_command, agenda_flow
from handlers.agenda_form import AGENDA_FORM
from handlers.calendar_notice import calendar_coverage_notice
from handlers.delivery_check import close_item, delivery_digest, list_for_review, resend_item
from handlers.distribution import PROGRESS, SIGN, ShowProgress, SignFor, show_progress, sign_for
from handlers.document_query import query_document, withdraw_flow
from handlers.documents import (
    OUTGOING_FORM,
    is_office_director,
    may_draft,
    outgoing_flow,
    revoke_document,
    start_outgoing,
)
from handlers.flow_actions import FlowAct, act_on_flow, list_todos
from handlers.flow_card import FLOW_ACT
from handlers.help import show_help
from handlers.identity import whoami
from handlers.leave import (
    EXTEND_FORM,
    LEAVE_FORM,
    URGENT_FORM,
    leave_flow,
    start_extend_form,
    start_leave_form,
    start_urgent_form,
)
from handlers.leave_ops import daily_absences, end_leave, list_absences, may_see_absences
from handlers.legality import (
    LEGALITY_DOC_FORM,
    LEGALITY_FORM,
    is_legal_bureau,
    legality_flow,
    start_legality,
    start_legality_doc,
)
from handlers.meeting_attendance import MeetingAct, act_on_meeting, meeting_flows
from handlers.meeting_cancel import cancel_meeting
from handlers.meeting_card import MEETING_ACT
from handlers.meeting_decisions import DECISION_FORM, is_office, start_decision
from handlers.meeting_minutes import MINUTES_FORM, minutes_flow, start_minutes
from handlers.meetings import (
    PLAN_FORM,
    executive_meeting_check,
    list_meetings,
    may_plan,
    start_planning,
)
from handlers.requests import REPORT_FORM, REQUEST_FORM, request_flows, start_report, start_request

COMMANDS: list[Command] = [
    Command("help", ("帮助", "help", "?", "？", "菜单"), show_help),
    Command("whoami", ("我是谁", "whoami", "我的信息"), whoami),
    Command("todo", ("待办", "我的待办", "todo"), list_todos),
    Command("request", ("请示",), start_request),
    Command("report", ("报告",), start_report),
    Command("outgoing", ("发文", "发文卡"), start_outgoing, audience=may_draft),
    Command("query", ("公文", "查询"), query_document),
    Command("withdraw", ("撤回",), withdraw_flow),
    Command("revoke", ("撤销公文",), revoke_document, audience=is_office_director),
    Command("leave", ("请假", "请假报备", "外出请假"), start_leave_form),
    Command("leave_urgent", ("紧急外出",), start_urgent_form),
    Command("leave_extend", ("延期", "续假"), start_extend_form),
    Command("leave_end", ("销假",), end_leave),
    Command("absences", ("外出", "外出情况", "谁外出"), list_absences, audience=may_see_absences),
    Command("meetings", ("会议", "会议安排", "近期会议"), list_meetings),
    Command("meeting_plan", ("安排会议",), start_planning, audience=may_plan),
    Command("meeting_cancel", ("取消会议",), cancel_meeting, audience=is_office_director),
    Command("agenda", ("议题", "上会议题"), agenda_command),
    Command("legality", ("合法性审查",), start_legality),
    Command("legality_doc", ("审查意见书",), start_legality_doc, audience=is_legal_bureau),
    Command("decision", ("议定", "议定事项"), start_decision, audience=is_office),
    Command("minutes", ("纪要", "会议纪要"), start_minutes, audience=is_office),
    Command("delivery_review", ("待核实", "发送异常"), list_for_review, audience=is_office),
    Command("delivery_resend", ("重发",), resend_item, audience=is_office),
    Command("delivery_checked", ("已核实",), close_item, audience=is_office),
]

CARD_ACTIONS: list[CardAction] = [
    CardAction(FLOW_ACT, FlowAct, act_on_flow),
    CardAction(SIGN, SignFor, sign_for),
    CardAction(PROGRESS, ShowProgress, show_progress),
    CardAction(MEETING_ACT, MeetingAct, act_on_meeting),
]

FORMS: list[Form] = [
    REQUEST_FORM,
    REPORT_FORM,
    OUTGOING_FORM,
    LEAVE_FORM,
    URGENT_FORM,
    EXTEND_FORM,
    PLAN_FORM,
    AGENDA_FORM,
    LEGALITY_FORM,
    LEGALITY_DOC_FORM,
    DECISION_FORM,
    MINUTES_FORM,
]


def flow_definitions(services: Services) -> list[FlowDef]:
    """Every declared approval chain (validated when built)."""
    return [
        *request_flows(services.config.rules.cosign_working_days),
        outgoing_flow(services),
        leave_flow(services),
        legality_flow(),
        agenda_flow(services),
        *meeting_flows(services),
        minutes_flow(services),
    ]


JOBS: list[DailyJob] = [
    DailyJob("calendar-coverage", time(9, 0), calendar_coverage_notice),
    DailyJob("absences", time(8, 30), daily_absences),
    DailyJob("executive-meeting", time(9, 0), executive_meeting_check),
    DailyJob("delivery-check", time(8, 40), delivery_digest),
]
