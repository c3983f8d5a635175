"""Leave of leaders (请销假, 第五、六十三、一百零一、一百零二条): the form
《领导干部外出请假报备单》, urgent departures and extensions. The approval chain and the
filing are in ``handlers/leave/flow.py``; 销假, the 外出 list and the reminders in
``handlers/leave/ops.py``; periods, absence records and stand-ins in
``handlers/leave/model.py``; how leave reads in messages in ``handlers/leave/texts.py``.
Who files is in ``filers.py``; the answers in ``answers.py`` (dates: ``when.py``, the AB
warning: ``ab_rule.py``); what sending does in ``request.py``, ``urgent.py`` and
``extension.py``.

The flow's diagram is generated from its declaration into docs/lifecycles.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.dialog import Form, FormField
from bot.router import CommandContext
from handlers.common.commands import form_command
from handlers.leave.ab_rule import ab_notes
from handlers.leave.answers import (
    check_period,
    end,
    kind,
    number,
    short_text,
    stand_in,
    start,
    summary_rows,
)
from handlers.leave.extension import submit_extension
from handlers.leave.filers import ensure_must_file
from handlers.leave.request import submit_leave
from handlers.leave.urgent import submit_urgent

# Where he goes, why, who stands in and how to reach him: asked by 请假 and 紧急外出.
_DETAILS = (
    FormField("destination", short_text(60)),
    FormField("reason", short_text(300)),
    FormField("stand_in", stand_in, optional=True),
    FormField("contact", short_text(60)),
)


def _leave_summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    return summary_rows(ctx, values, LEAVE_FORM)


def _urgent_summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    return summary_rows(ctx, values, URGENT_FORM)


def _extend_summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    return summary_rows(ctx, values, EXTEND_FORM)


LEAVE_FORM = Form(
    "leave",
    (FormField("kind", kind), FormField("start", start), FormField("end", end), *_DETAILS),
    submit_leave,
    _leave_summary,
    check_period,
    notes=ab_notes,
)

URGENT_FORM = Form(
    "leave_urgent",
    (FormField("kind", kind), FormField("end", end), *_DETAILS),
    submit_urgent,
    _urgent_summary,
    check_period,
    notes=ab_notes,
)

EXTEND_FORM = Form(
    "leave_extend",
    (
        FormField("number", number),
        FormField("end", end),
        FormField("reason", short_text(300)),
    ),
    submit_extension,
    _extend_summary,
    check_period,
)

start_leave_form = form_command("leave", ensure_must_file)
start_urgent_form = form_command("leave_urgent", ensure_must_file)
start_extend_form = form_command("leave_extend", ensure_must_file)
