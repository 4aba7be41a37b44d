"""Notices: what the bot tells a member on its own about a change somebody else made.

A client or a base handed over, access given back, an event cancelled, a newcomer, an export:
the person who acted gets the direct reply; everyone else gets an outbox row written in the
transaction of the change. A rollback then sends nothing, a commit always delivers — through
Telegram's faults and restarts, once whatever the number of instances (`scheduler.delivery`).
The text is rendered by the caller in the recipient's language.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import Member
from scheduler import outbox

NOTICE = "notice"
MAX_KEY = 160
# A notice goes a second ahead of what the same change queued for that chat: a handover's
# reminders (due from now on) follow the message that explains them.
AHEAD = timedelta(seconds=1)

Buttons = list[list[dict[str, Any]]]


async def queue(
    session: AsyncSession,
    recipient: Member,
    *,
    key: str,
    text: str,
    now: datetime,
    buttons: Buttons | None = None,
) -> bool:
    """Queue an HTML `text` for `recipient` in the caller's transaction.

    `key` names the change and the recipient (`handover:<history id>:<member id>`), so queuing
    the same notice twice adds nothing. False when nothing is queued: the recipient is switched
    off, or the notice is there already.
    """
    if not recipient.is_active:
        return False
    payload: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
    if buttons:
        payload["buttons"] = buttons
    return await outbox.enqueue(
        session,
        outbox.outbox_row(
            member=recipient,
            kind=NOTICE,
            dedupe_key=key[:MAX_KEY],
            payload=payload,
            not_before=now - AHEAD,
            now=now,
        ),
    )
