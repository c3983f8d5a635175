"""Which DingTalk permission scope (权限点) each OpenAPI call of the bot needs.

The bot's own table, written from DingTalk's documentation (not from the sandbox): used to
name the missing permission when DingTalk's answer does not, and to park the outgoing
items that need a denied scope.
"""

from __future__ import annotations

import re

ROBOT_SEND = "qyapi_robot_sendmsg"
CARD_WRITE = "Card.Instance.Write"
TODO_WRITE = "Todo.Todo.Write"
TODO_READ = "Todo.Todo.Read"
WORK_NOTICE = "Message.WorkNotice"
MEMBER_READ = "qyapi_get_member"
DEPARTMENT_READ = "qyapi_get_department_list"
MEDIA = "qyapi_base"

# Every scope the bot uses, in the order an administrator would read them.
SCOPES: tuple[str, ...] = (
    ROBOT_SEND,
    CARD_WRITE,
    TODO_WRITE,
    TODO_READ,
    WORK_NOTICE,
    MEMBER_READ,
    DEPARTMENT_READ,
    MEDIA,
)

# (path fragment, scope) — the first fragment found in the path wins.
_PATH_SCOPES: tuple[tuple[str, str], ...] = (
    ("/v1.0/robot/", ROBOT_SEND),
    ("/v1.0/card/", CARD_WRITE),
    ("/topapi/message/corpconversation/", WORK_NOTICE),
    ("/topapi/v2/department/", DEPARTMENT_READ),
    ("/topapi/v2/user/", MEMBER_READ),
    ("/topapi/user/", MEMBER_READ),
    ("/media/upload", MEDIA),
)
_TODO_PATH = "/v1.0/todo/"
# A scope named in an oapi errmsg: qyapi_xxx or Dotted.Scope.Names.
_SCOPE_IN_TEXT = re.compile(r"\b(qyapi_[a-z_]+|[A-Z][A-Za-z]+(?:\.[A-Z][A-Za-z]+)+)\b")


def scope_for(method: str, path: str) -> str:
    """The scope a call needs ("" when it needs none the bot knows of)."""
    if _TODO_PATH in path:
        reading = method.upper() == "GET" or path.endswith("/tasks/query")
        return TODO_READ if reading else TODO_WRITE
    for fragment, scope in _PATH_SCOPES:
        if fragment in path:
            return scope
    return ""


def scope_in_text(text: str) -> str:
    """The first permission scope named in an error message ("" if none)."""
    match = _SCOPE_IN_TEXT.search(text)
    return match.group(1) if match else ""
