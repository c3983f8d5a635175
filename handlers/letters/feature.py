"""群众来信, 县长信箱 and 12345 (第四十四、八十八条): registering, the routing of letters
to the 县政府办公室 or the 信访局, a leader's 批示 and the result reported back to him,
首问负责 with forwarding for a reason, and the calendar-day limits with their reminders."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import CardAction, Command
from bot.scheduler import DailyJob
from handlers.letters.act import LetterAct, act_on_letter
from handlers.letters.card import LETTER_ACT
from handlers.letters.chase import chase
from handlers.letters.people import may_register
from handlers.letters.registering import (
    HOTLINE_FORM,
    LETTER_FORM,
    start_hotline,
    start_letter,
    start_mailbox,
)

LETTERS_FEATURE = Feature(
    "letters",
    commands=[
        Command("letter", start_letter, audience=may_register),
        Command("hotline", start_hotline, audience=may_register),
        Command("mailbox", start_mailbox, audience=may_register),
    ],
    card_actions=[CardAction(LETTER_ACT, LetterAct, act_on_letter)],
    forms=[LETTER_FORM, HOTLINE_FORM],
    jobs=[DailyJob("letters-chase", time(8, 30), chase)],
)
