"""/settings: the member's time zone, working hours and days, digest time and language."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import SettingsCallback, SettingsField, SettingsValueCallback
from bot.commands import set_member_menu
from bot.i18n import Translator, translator
from bot.keyboards import settings as keyboards
from handlers.common import esc_params, quote, show
from models import Member
from scheduler.jobs import replan_reminders
from services import geo, team, validation
from services.clock import Clock

router = Router(name=__name__)


class SettingsForm(StatesGroup):
    """A settings field waiting for typed input."""

    timezone = State()
    hours = State()
    days = State()
    digest = State()


def card_text(tr: Translator, member: Member, now: datetime) -> str:
    """The settings card in the member's language."""
    zone = ZoneInfo(member.timezone)
    return tr(
        "settings.card",
        timezone=geo.zone_label(member.timezone, now, tr.language),
        local_time=tr.fmt_time(now.astimezone(zone)),
        hours=f"{tr.fmt_time(member.work_start)}–{tr.fmt_time(member.work_end)}",
        days=validation.format_weekdays(member.weekdays, tr.language),
        digest=tr.fmt_time(member.digest_time) + _digest_remark(tr, member),
        language=tr(f"settings.language_{member.language}"),
    )


def _digest_remark(tr: Translator, member: Member) -> str:
    """A digest outside the working day is allowed (some read it on the way) but said."""
    if member.digest_time < member.work_start:
        return tr("settings.digest_before_work")
    if member.digest_time >= member.work_end:
        return tr("settings.digest_after_work")
    return ""


@router.message(Command("settings"))
async def cmd_settings(
    message: Message, member: Member, tr: Translator, clock: Clock, state: FSMContext
) -> None:
    """Show the settings card."""
    await state.clear()
    await message.answer(card_text(tr, member, clock.now()), reply_markup=keyboards.card(tr))


_QUESTIONS = {
    SettingsField.TIMEZONE: ("settings.ask_timezone", SettingsForm.timezone),
    SettingsField.HOURS: ("settings.ask_hours", SettingsForm.hours),
    SettingsField.DAYS: ("settings.ask_days", SettingsForm.days),
    SettingsField.DIGEST: ("settings.ask_digest", SettingsForm.digest),
}


@router.callback_query(SettingsCallback.filter())
async def cb_settings(
    query: CallbackQuery,
    callback_data: SettingsCallback,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Open the editor of one field, or go back to the card."""
    field = callback_data.field
    if field is SettingsField.CANCEL:
        await state.clear()
        await show(query, card_text(tr, member, clock.now()), keyboards.card(tr))
        return
    if field is SettingsField.LANGUAGE:
        await show(query, tr("settings.ask_language"), keyboards.languages(tr))
        return
    question, step = _QUESTIONS[field]
    await state.set_state(step)
    markup = {
        SettingsField.TIMEZONE: keyboards.cities(tr),
        SettingsField.DAYS: keyboards.days(tr),
    }.get(field) or keyboards.cancel_only(tr)
    await show(query, tr(question), markup)


async def _saved(
    target: Message, member: Member, tr: Translator, clock: Clock, state: FSMContext
) -> None:
    await state.clear()
    await target.answer(card_text(tr, member, clock.now()), reply_markup=keyboards.card(tr))


async def _update(session: AsyncSession, member: Member, clock: Clock, **changes: Any) -> None:
    """Save the member's settings; reminders already queued follow a new zone, hours, days or
    language (the digest time changes nothing queued)."""
    await team.update_settings(session, member, **changes)
    if set(changes) - {"digest_time"}:
        await replan_reminders(session, member, clock.now())


@router.callback_query(SettingsValueCallback.filter())
async def cb_settings_value(
    query: CallbackQuery,
    callback_data: SettingsValueCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    bot: Bot,
) -> None:
    """A value picked from buttons: a city, a set of days, a language."""
    value = callback_data.value
    if callback_data.field is SettingsField.TIMEZONE and geo.has_city(value):
        await _update(session, member, clock, timezone=geo.city_by_key(value).tz)
    elif callback_data.field is SettingsField.DAYS and value in keyboards.DAY_PRESETS:
        days = frozenset(int(day) for day in keyboards.DAY_PRESETS[value])
        await _update(session, member, clock, days=days)
    elif callback_data.field is SettingsField.LANGUAGE and value in {"ru", "en"}:
        await _update(session, member, clock, language=value)
        tr = translator(value)
        await set_member_menu(bot, member)
    else:
        await query.answer(tr("common.stale_button"), show_alert=True)
        return
    await state.clear()
    await show(query, card_text(tr, member, clock.now()), keyboards.card(tr))


@router.message(SettingsForm.timezone, F.text)
async def on_timezone(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A typed city, offset or IANA zone."""
    zone = geo.resolve_timezone(message.text or "")
    if zone is None:
        await message.answer(
            tr("settings.timezone_unknown", text=quote(message.text)),
            reply_markup=keyboards.cities(tr),
        )
        return
    await _update(session, member, clock, timezone=zone.key)
    await _saved(message, member, tr, clock, state)


@router.message(SettingsForm.hours, F.text)
async def on_hours(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Typed working hours such as «9:00–18:00»."""
    try:
        hours = validation.parse_time_window(message.text or "")
    except validation.ValidationError as error:
        await message.answer(tr(f"errors.{error.code}", **esc_params(error.params)))
        return
    # A digest that came at the start of the day keeps coming at the start of the day.
    if member.digest_time == member.work_start:
        await _update(session, member, clock, hours=hours, digest_time=hours[0])
    else:
        await _update(session, member, clock, hours=hours)
    await _saved(message, member, tr, clock, state)


@router.message(SettingsForm.days, F.text)
async def on_days(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Typed working days such as «пн-пт»."""
    try:
        days = validation.parse_weekdays(message.text or "")
    except validation.ValidationError as error:
        await message.answer(tr(f"errors.{error.code}", **esc_params(error.params)))
        return
    await _update(session, member, clock, days=days)
    await _saved(message, member, tr, clock, state)


@router.message(SettingsForm.digest, F.text)
async def on_digest(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A typed digest time such as «8:30»."""
    try:
        digest = validation.parse_time(message.text or "")
    except validation.ValidationError as error:
        await message.answer(tr(f"errors.{error.code}", **esc_params(error.params)))
        return
    await _update(session, member, clock, digest_time=digest)
    await _saved(message, member, tr, clock, state)
