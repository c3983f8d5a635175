"""One message, many people, one call.

DingTalk's 1:1 batchSend takes up to 20 userIds for the same message, and every call
counts against the organisation's monthly quota. Handlers stage one message per person
(each with its own idempotency key); when one storage call stages the same message
(same template and parameters) for several people, it is stored as one item per 20
people instead.

Only a person who gets nothing else 1:1 in the same batch is merged, so the order of
one person's messages within a batch never changes. Each merged member key is still
remembered (as a "merged" row pointing at the batch item), so staging the same key
again later is recognised as a repeat.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence

from bot.outgoing import Outgoing

BATCH_USERS = 20  # batchSend's limit
PERSONAL_KINDS = ("oto", "file")


def _single_user(item: Outgoing) -> str | None:
    users = item.payload.get("user_ids") or []
    return str(users[0]) if item.kind == "oto" and len(users) == 1 else None


def _content(item: Outgoing) -> str:
    param = json.dumps(item.payload.get("msg_param"), sort_keys=True, ensure_ascii=False)
    return f"{item.payload.get('msg_key')}|{param}"


def merged_key(member_keys: Sequence[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(member_keys)).encode()).hexdigest()
    return f"batch:{digest[:32]}"


def coalesce(items: Sequence[Outgoing]) -> tuple[list[Outgoing], dict[str, str]]:
    """(items to store, member key -> the key of the batch item that carries it)."""
    personal = Counter(
        u for i in items if i.kind in PERSONAL_KINDS for u in i.payload.get("user_ids") or []
    )
    groups: dict[str, list[Outgoing]] = {}
    for item in items:
        user = _single_user(item)
        if user is not None and personal[user] == 1:
            groups.setdefault(_content(item), []).append(item)
    mergeable = {m.key: content for content, g in groups.items() if len(g) > 1 for m in g}
    out: list[Outgoing] = []
    members: dict[str, str] = {}
    for item in items:
        content = mergeable.get(item.key)
        if content is None:
            out.append(item)
            continue
        if item.key != groups[content][0].key:
            continue  # carried by the batch placed where its first member was
        group = groups[content]
        for start in range(0, len(group), BATCH_USERS):
            chunk = group[start : start + BATCH_USERS]
            if len(chunk) == 1:
                out.append(chunk[0])
                continue
            key = merged_key([m.key for m in chunk])
            users = [str(m.payload["user_ids"][0]) for m in chunk]
            out.append(Outgoing(key, "oto", {**chunk[0].payload, "user_ids": users}))
            members.update({m.key: key for m in chunk})
    return out, members
