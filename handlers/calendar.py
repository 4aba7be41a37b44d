"""/calendar: the member's plan for the next 30 days as an .ics file for the phone's calendar."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from models import Member
from models.enums import Channel
from services import calendar_export
from services.clock import Clock
from services.digest import local_today

router = Router(name=__name__)


def calendar_texts(tr: Translator) -> calendar_export.CalendarTexts:
    """The event words in the member's language."""
    return calendar_export.CalendarTexts(
        summary=lambda client, goal: tr("calendar.event_summary", client=client, goal=goal),
        goal=tr("calendar.field_goal"),
        contact=tr("calendar.field_contact"),
        phone=tr("calendar.field_phone"),
        channel=tr("calendar.field_channel"),
        channels={channel.value: tr(f"planner.channel_{channel.value}") for channel in Channel},
    )


@router.message(Command("calendar"))
async def cmd_calendar(
    message: Message, session: AsyncSession, member: Member, tr: Translator, clock: Clock
) -> None:
    """Send the .ics file, or say that there is nothing planned."""
    now = clock.now()
    content, count = await calendar_export.build_calendar(session, member, now, calendar_texts(tr))
    if count == 0:
        await message.answer(tr("calendar.empty"))
        return
    name = calendar_export.calendar_filename(local_today(member, now))
    await message.answer_document(
        BufferedInputFile(content, filename=name), caption=tr("calendar.caption", count=count)
    )
