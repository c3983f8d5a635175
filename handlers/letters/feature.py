"""群众来信, 县长信箱 and 12345 (第四十四、八十八条): registering, the routing of letters
to the 县政府办公室 or the 信访局, a leader's 批示 and the result reported back to him,
首问负责 with forwarding for a reason, and the calendar-day limits with their reminders."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import CardAction, Command
from bot.scheduler import DailyJob
from handlers.letters import act, card, chase, people, registering

LETTERS_FEATURE = Feature(
    "letters",
    commands=[
        Command("letter", registering.start_letter, audience=people.may_register),
        Command("hotline", registering.start_hotline, audience=people.may_register),
        Command("mailbox", registering.start_mailbox, audience=people.may_register),
    ],
    card_actions=[CardAction(card.LETTER_ACT, act.LetterAct, act.act_on_letter)],
    forms=[registering.LETTER_FORM, registering.HOTLINE_FORM],
    jobs=[DailyJob("letters-chase.chase", time(8, 30), chase.chase)],
)
