"""The client base journey: /new (a short guided flow), a shared Telegram contact, /find and
plain-text lookups, the three-section client card with «Данные актуальны» and markers.

The card's other buttons (edit, contacts, dates, deals, history) are answered by the editing
journey; this module only puts them on the card.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import (
    CardCallback,
    ClientCallback,
    ContactTargetCallback,
    FirstTouchCallback,
    FirstTouchDay,
    MarkerAction,
    MarkerCallback,
    NewClientCallback,
    NewClientStep,
)
from bot.i18n import Translator
from bot.keyboards import clients as keyboards
from bot.keyboards import logging as log_keyboards
from bot.keyboards.planner import without_confirm_row
from handlers import logging
from handlers.common import esc, esc_params, plain, quote, reminder_when, send_new, show
from models import Contact, Member, Touch
from models.enums import Category, ClientKind
from scheduler.jobs import cancel_reminders, first_reminder_slot
from services import clients, first_touches, geo, handover, planner, validation
from services.access import AccessDeniedError, client_for
from services.client_card import (
    TELEGRAM_LIMIT,
    clip,
    paginate_lines,
    same_offset,
    window_in_zone,
)
from services.clock import Clock
from services.digest import TouchUnavailableError
from services.parsing import classify_message
from services.person_names import gender_of

router = Router(name=__name__)

# Room for the title line and the page counter above the body of every page.
CARD_BODY_LIMIT = 3600
# « · стр. 10/12», blank lines and the «(продолжение)» line break.
PAGE_CHROME = 40
SHORT_TEXT = 200
# Telegram's limit on a button's pop-up answer.
ALERT_LIMIT = 200
QUERY_MAX = 200
KEY_DATE_ICONS = {"birthday": "🎂", "anniversary": "💍", "professional": "🏅"}


class NewClientForm(StatesGroup):
    """/new, one question at a time."""

    kind = State()
    name = State()
    category = State()
    city = State()
    zone = State()  # a city the list does not hold: which time zone
    contact = State()
    phone = State()
    duplicate = State()


class SharedContactForm(StatesGroup):
    """A shared Telegram contact: choose what it becomes, then (maybe) which client it joins."""

    choice = State()
    search = State()


class FirstTouchForm(StatesGroup):
    """«📅 Другой день» under the card answering /new: waiting for the typed day."""

    day = State()


class FindForm(StatesGroup):
    """/find without a query: waiting for it."""

    query = State()


class MarkerForm(StatesGroup):
    """Waiting for the text of a custom marker."""

    text = State()


Target = Message | CallbackQuery
NOT_A_COMMAND = ~F.text.startswith("/")
SHORTEST_QUERY = 3


async def _reply(target: Target, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    if isinstance(target, CallbackQuery):
        await show(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)


def _error_text(tr: Translator, error: validation.ValidationError) -> str:
    return tr(f"errors.{error.code}", **esc_params(error.params))


# ---------------------------------------------------------------------------------------------
# The card


def _clock_range(tr: Translator, start: time, end: time) -> str:
    return f"{tr.fmt_time(start)}–{tr.fmt_time(end)}"


def _amount(amount: Decimal) -> str:
    text = f"{amount:,.2f}".replace(",", "\u00a0")
    return text.removesuffix(".00")


def _channel_text(tr: Translator, contact: Contact) -> str | None:
    parts = []
    if contact.preferred_channel is not None:
        parts.append(tr(f"clients.channel.{contact.preferred_channel.value}"))
    for entry in contact.channel_schedule or []:
        channel = str(entry.get("channel", ""))
        label = tr(f"clients.channel.{channel}") if tr.has(f"clients.channel.{channel}") else ""
        if label and entry.get("from"):
            parts.append(tr("clients.channel_from", time=esc(str(entry["from"])), channel=label))
    return ", ".join(parts) or None


def _reference(
    card: clients.ClientCard, member: Member, tr: Translator, now: datetime
) -> list[str]:
    client = card.client
    zone, member_zone = ZoneInfo(client.timezone), ZoneInfo(member.timezone)
    local = now.astimezone(zone)
    lines = [tr("clients.section_reference")]
    identity = [tr(f"clients.kind_line_{client.kind.value}")]
    if client.inn:
        identity.append(tr("clients.inn", inn=esc(client.inn)))
    lines.append(" · ".join(identity))
    if client.industry:
        lines.append(tr("clients.industry", industry=esc(client.industry)))
    if client.city:
        offset = geo.describe_offset(zone, now, tr.language)
        lines.append(
            tr("clients.city", city=esc(client.city), time=tr.fmt_time(local), offset=offset)
        )
    else:
        lines.append(
            tr(
                "clients.city_unknown_line",
                # «пояс МСК+4», as the city's line shows it: not the IANA «Asia/Novosibirsk».
                zone=geo.describe_offset(zone, now, tr.language),
                time=tr.fmt_time(local),
            )
        )
    lines.append(
        tr(
            "clients.category_stage",
            category=tr(f"clients.category_{client.category.value}"),
            stage=tr(f"clients.stage_{client.stage.value}"),
        )
    )
    lines.append(tr("clients.owner", name=esc(card.owner_name)))
    days = validation.format_weekdays(client.window_days, tr.language)
    lines.append(
        tr(
            "clients.window",
            window=_clock_range(tr, client.window_start, client.window_end),
            days=days,
        )
    )
    differs = not same_offset(zone, member_zone, now)
    if differs:
        start, end = window_in_zone(
            client.window_start, client.window_end, zone, member_zone, local.date()
        )
        lines.append(tr("clients.window_member", window=_clock_range(tr, start, end)))
    lines.append(tr("clients.contacts_title") if card.contacts else tr("clients.no_contacts"))
    for contact in card.contacts:
        lines.extend(_contact_lines(card, contact, member_zone, tr, now, differs=differs))
    if client.notes:
        lines.extend([tr("clients.notes_title"), esc(client.notes)])
    return lines


def _contact_lines(
    card: clients.ClientCard,
    contact: Contact,
    member_zone: ZoneInfo,
    tr: Translator,
    now: datetime,
    *,
    differs: bool,
) -> list[str]:
    client = card.client
    primary = contact.is_primary and len(card.contacts) > 1
    head = tr(
        "clients.contact_name",
        name=esc(contact.full_name),
        primary=tr("clients.contact_primary") if primary else "",
    )
    if contact.position:
        head += tr("clients.contact_position", position=esc(contact.position))
    lines = [head]
    phones = [phone for phone in [contact.phone, *(contact.extra_phones or [])] if phone]
    if phones:
        shown = ", ".join(esc(validation.format_phone(phone)) for phone in phones)
        lines.append(tr("clients.contact_phone", phone=shown))
    if contact.email:
        lines.append(tr("clients.contact_email", email=esc(contact.email)))
    if contact.telegram:
        handle = contact.telegram if contact.telegram.startswith("@") else f"@{contact.telegram}"
        lines.append(tr("clients.contact_telegram", telegram=esc(handle)))
    if contact.whatsapp:
        whatsapp = esc(validation.format_phone(contact.whatsapp))
        lines.append(tr("clients.contact_whatsapp", whatsapp=whatsapp))
    if contact.work_schedule:
        lines.append(tr("clients.contact_schedule", schedule=esc(contact.work_schedule)))
    if contact.window_start is not None and contact.window_end is not None:
        window = _clock_range(tr, contact.window_start, contact.window_end)
        days = validation.format_weekdays(contact.window_days or client.window_days, tr.language)
        if differs:
            zone = ZoneInfo(client.timezone)
            start, end = window_in_zone(
                contact.window_start, contact.window_end, zone, member_zone, now.date()
            )
            member_window = _clock_range(tr, start, end)
            lines.append(
                tr("clients.contact_window", window=window, days=days, member_window=member_window)
            )
        else:
            lines.append(tr("clients.contact_window_same", window=window, days=days))
    channel = _channel_text(tr, contact)
    if channel:
        lines.append(tr("clients.contact_channel", channel=channel))
    if contact.notes:
        lines.append("   📝 " + esc(contact.notes))
    return lines


def touch_day(tr: Translator, day: date, today: date) -> str:
    """«сегодня, ср, 18 ноября», «завтра, чт, 19 ноября» or «пт, 20 ноября» (today is the
    client's: a touch's due date is in the client's calendar)."""
    shown = tr.fmt_weekday(day, today)
    if day == today:
        return tr("clients.first_touch_today", date=shown)
    if day == today + timedelta(days=1):
        return tr("clients.first_touch_tomorrow", date=shown)
    return shown


def next_touch_day(
    tr: Translator, touch: Touch, now: datetime, client_today: date, member_zone: ZoneInfo
) -> str:
    """«сегодня, чт, 3 декабря», «завтра, пт, 4 декабря в 15:00» — a time agreed with the
    client on the member's clock, as the digest shows it."""
    if touch.due_at is None:
        return touch_day(tr, touch.due_on, client_today)
    local = touch.due_at.astimezone(member_zone)
    day = touch_day(tr, local.date(), now.astimezone(member_zone).date())
    return tr("clients.next_touch_at", day=day, time=tr.fmt_time(local))


def first_touch_line(tr: Translator, touch: Touch, today: date) -> str:
    """«⏭ Первый контакт: сегодня, ср, 18 ноября», with the goal when it is not the usual."""
    day = touch_day(tr, touch.due_on, today)
    if planner.is_first_contact_goal(touch.goal):
        return tr("clients.first_touch", date=day)
    return tr("clients.first_touch_goal", date=day, goal=esc(clip(touch.goal, SHORT_TEXT)[0]))


def _interaction(
    card: clients.ClientCard, member: Member, tr: Translator, now: datetime
) -> list[str]:
    client = card.client
    member_zone = ZoneInfo(member.timezone)
    lines = [tr("clients.section_interaction")]
    if card.deals:
        lines.append(tr("clients.deals_title"))
        for deal in card.deals:
            stage_key = f"clients.deal_stage.{deal.stage}"
            line = tr(
                "clients.deal_line",
                title=esc(clip(deal.title, SHORT_TEXT)[0]),
                stage=tr(stage_key) if tr.has(stage_key) else esc(deal.stage),
            )
            if deal.amount is not None:
                line += tr("clients.deal_amount", amount=_amount(deal.amount))
            if deal.goods_location:
                location = esc(clip(deal.goods_location, SHORT_TEXT)[0])
                line += tr("clients.deal_location", location=location)
            line += tr("clients.deal_paid" if deal.is_paid else "clients.deal_unpaid")
            lines.append(line)
    else:
        lines.append(tr("clients.no_deals"))
    frequency = tr(
        f"clients.frequency_{card.frequency.value}",
        touches=tr("clients.touches", count=card.interaction_count),
    )
    lines.append(tr("clients.frequency", frequency=frequency))
    if card.recent:
        lines.append(tr("clients.recent_title"))
        for interaction in card.recent:
            happened = interaction.happened_at.astimezone(member_zone).date()
            lines.append(
                tr(
                    "clients.recent_line",
                    date=tr.fmt_date(happened, "d MMM"),
                    channel=tr(f"clients.channel.{interaction.channel.value}"),
                    goal=esc(clip(interaction.goal, SHORT_TEXT)[0]),
                    result=esc(clip(interaction.result, SHORT_TEXT)[0]),
                )
            )
    client_today = planner.local_today(now, client.timezone)
    if card.next_touch is not None and card.next_touch.due_on < client_today:
        # Read before a call: a date gone by must not pass for the next one.
        lines.append(
            tr(
                "clients.next_touch_overdue",
                date=tr.fmt_weekday(card.next_touch.due_on, client_today),
                goal=esc(clip(card.next_touch.goal, SHORT_TEXT)[0]),
            )
        )
    elif card.next_touch is not None and planner.is_first_touch(card.next_touch):
        lines.append(first_touch_line(tr, card.next_touch, client_today))
    elif card.next_touch is not None:
        lines.append(
            tr(
                "clients.next_touch",
                date=next_touch_day(tr, card.next_touch, now, client_today, member_zone),
                goal=esc(clip(card.next_touch.goal, SHORT_TEXT)[0]),
            )
        )
    else:
        lines.append(tr("clients.no_next_touch"))
    if client.preferences:
        lines.extend([tr("clients.preferences_title"), esc(client.preferences)])
    return lines


def _key_date_line(upcoming: clients.UpcomingDate, tr: Translator) -> str:
    key_date = upcoming.key_date
    kind_key = f"clients.key_date_kind_{key_date.kind}"
    title = key_date.title or (tr(kind_key) if tr.has(kind_key) else key_date.kind)
    who_parts = [title]
    family = " ".join(part for part in (key_date.relation, key_date.person_name) if part)
    if family:
        who_parts.append(family)
    if upcoming.contact_name:
        who_parts.append(upcoming.contact_name)
    if upcoming.days_left == 0:
        left = tr("clients.key_date_today")
    elif upcoming.days_left == 1:
        left = tr("clients.key_date_tomorrow")
    else:
        left = tr("clients.days_left", count=upcoming.days_left)
    years = (
        tr("clients.key_date_years", years=tr("clients.age", count=upcoming.years))
        if upcoming.years
        else ""
    )
    return tr(
        "clients.key_date_line",
        icon=KEY_DATE_ICONS.get(key_date.kind, "📌"),
        who=esc(clip(" · ".join(who_parts), SHORT_TEXT)[0]),
        date=tr.fmt_date(upcoming.on),
        left=left,
        years=years,
    )


def _relationship(card: clients.ClientCard, tr: Translator) -> list[str]:
    client = card.client
    lines = [tr("clients.section_relationship")]
    if card.key_dates:
        lines.append(tr("clients.key_dates_title"))
        lines.extend(_key_date_line(upcoming, tr) for upcoming in card.key_dates)
    else:
        lines.append(tr("clients.no_key_dates"))
    for contact in card.contacts:
        if contact.hobbies:
            lines.append(
                tr("clients.hobbies", name=esc(contact.full_name), hobbies=esc(contact.hobbies))
            )
        if contact.favourite_team:
            lines.append(
                tr(
                    "clients.favourite_team",
                    name=esc(contact.full_name),
                    team=esc(contact.favourite_team),
                )
            )
    if client.tags:
        shown = ", ".join(esc(keyboards.marker_label(tr, marker)) for marker in client.tags)
        lines.append(tr("clients.markers", markers=shown))
    else:
        lines.append(tr("clients.no_markers"))
    ago = tr("clients.days_ago", count=card.confirmed_days_ago)
    if card.stale:
        lines.append(
            tr(
                "clients.confirmed_stale",
                ago=ago,
                category=tr(f"clients.category_{client.category.value}"),
                period=tr("clients.days_period", count=card.reverify_days),
            )
        )
    elif card.confirmed_days_ago == 0:
        lines.append(tr("clients.confirmed_today"))
    else:
        lines.append(tr("clients.confirmed", ago=ago))
    return lines


def card_pages(
    card: clients.ClientCard, member: Member, tr: Translator, now: datetime
) -> list[str]:
    """The card as one or more messages, each within Telegram's limit.

    A page that starts inside a block repeats the block's title, marked as continued.
    """
    client = card.client
    title = tr(f"clients.card_title_{client.kind.value}", name=esc(client.name))
    headers = [
        tr("clients.section_reference"),
        tr("clients.section_interaction"),
        tr("clients.section_relationship"),
    ]
    body = [
        *_reference(card, member, tr, now),
        "",
        *_interaction(card, member, tr, now),
        "",
        *_relationship(card, tr),
    ]
    continued = tr("clients.continued")
    # A 200-character name of «&» is 1000 characters escaped: the body gets what is left.
    reserve = len(title) + len(max(headers, key=len)) + len(continued) + PAGE_CHROME
    pages = paginate_lines(body, min(CARD_BODY_LIMIT, TELEGRAM_LIMIT - reserve))
    if len(pages) == 1:
        return [f"{title}\n\n{pages[0]}"]
    shown: list[str] = []
    current = headers[0]
    for number, body_page in enumerate(pages, start=1):
        page = body_page
        if not any(page.startswith(header) for header in headers):
            page = f"{current} {continued}\n{page}"
        current = max(
            (header for header in headers if header in page),
            key=page.rfind,
            default=current,
        )
        counter = tr("clients.card_page", page=number, pages=len(pages))
        shown.append(f"{title} · {counter}\n\n{page}")
    return shown


async def _card_view(
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    client_id: int,
    page: int = 0,
    *,
    record: bool = True,
    first_touch: bool = False,
) -> tuple[str, InlineKeyboardMarkup] | None:
    """The text and buttons of one page of the card; None when the member may not see it.
    `first_touch`: the card answering /new, with the buttons that move the first touch (while
    it is the client's next one)."""
    now = clock.now()
    try:
        card = await clients.load_card(session, member, client_id, now, record=record)
    except AccessDeniedError:
        return None
    pages = card_pages(card, member, tr, now)
    page = min(max(page, 0), len(pages) - 1)
    text = pages[page]
    assert len(text) <= TELEGRAM_LIMIT
    # «🔁 Передать» only for whoever may hand this client over (a manager: not past the last
    # stage); a forged press still gets handlers/handover's refusal.
    can_hand_over = bool(handover.allowed_stages(member, card.client))
    first_touch_id = None
    if first_touch and card.next_touch is not None and planner.is_first_touch(card.next_touch):
        first_touch_id = card.next_touch.id
    markup = keyboards.card(
        tr,
        client_id,
        page,
        len(pages),
        can_hand_over=can_hand_over,
        first_touch_id=first_touch_id,
    )
    return text, markup


async def _send_card(
    target: Target,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    client_id: int,
    *,
    first_touch: bool = False,
) -> None:
    view = await _card_view(session, member, tr, clock, client_id, first_touch=first_touch)
    if view is None:
        await _reply(target, tr("clients.not_available"))
        return
    await _reply(target, *view)


async def send_card(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    client_id: int,
) -> bool:
    """The card as a new message under the one pressed on, which stays as it is (a plan list,
    a reminder, search results); False when the member may not see the client."""
    view = await _card_view(session, member, tr, clock, client_id)
    if view is None:
        return False
    await send_new(query, *view)
    return True


@router.callback_query(CardCallback.filter())
async def cb_card(
    query: CallbackQuery,
    callback_data: CardCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    """A card opened from a reminder or search results: a new message; the list stays."""
    if not await send_card(query, session, member, tr, clock, callback_data.client_id):
        callback_answer.text = tr("clients.not_available")
        callback_answer.show_alert = True


@router.callback_query(ClientCallback.filter(F.action == "open"))
async def cb_open(
    query: CallbackQuery,
    callback_data: ClientCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    """Open a card (page 0 is a view, recorded) or turn one of its pages."""
    # Conversation state lives in its own transactions: touch it before this update writes.
    if await state.get_state() == NewClientForm.duplicate.state:
        await state.clear()
    view = await _card_view(
        session,
        member,
        tr,
        clock,
        callback_data.client_id,
        callback_data.page,
        record=callback_data.page == 0,
    )
    if view is None:
        callback_answer.text = tr("clients.not_available")
        callback_answer.show_alert = True
        return
    await show(query, *view)


@router.callback_query(ClientCallback.filter(F.action == "confirm_row"))
async def cb_confirm_row(
    query: CallbackQuery,
    callback_data: ClientCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    """«Данные актуальны» on a stale record of the digest or /overdue: the same confirmation
    as on the card; the list stays, its row marked ✅ and the button gone."""
    try:
        client = await clients.confirm_data(
            session, member, callback_data.client_id, now=clock.now()
        )
    except AccessDeniedError:
        callback_answer.text = tr("clients.not_available")
        callback_answer.show_alert = True
        return
    # A callback answer is plain text of at most 200 characters.
    callback_answer.text = tr("clients.data_confirmed_of", client=clip(client.name, 80)[0])
    message = query.message
    if isinstance(message, Message) and message.reply_markup is not None:
        markup = without_confirm_row(message.reply_markup, client.id, "✅")
        if markup != message.reply_markup:
            with contextlib.suppress(TelegramBadRequest):
                await message.edit_reply_markup(reply_markup=markup)


@router.callback_query(ClientCallback.filter(F.action == "confirm"))
async def cb_confirm(
    query: CallbackQuery,
    callback_data: ClientCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    """«Данные актуальны»: the data are confirmed today; the card shows it at once."""
    try:
        await clients.confirm_data(session, member, callback_data.client_id, now=clock.now())
    except AccessDeniedError:
        callback_answer.text = tr("clients.not_available")
        callback_answer.show_alert = True
        return
    callback_answer.text = tr("clients.data_confirmed")
    view = await _card_view(
        session, member, tr, clock, callback_data.client_id, callback_data.page, record=False
    )
    if view is not None:
        await show(query, *view)


# ---------------------------------------------------------------------------------------------
# Markers


def _markers_text(tr: Translator, name: str, tags: list[str]) -> str:
    shown = ", ".join(esc(keyboards.marker_label(tr, tag)) for tag in tags)
    return tr("clients.marker.title", name=esc(name), markers=shown or tr("clients.marker.none"))


@router.callback_query(ClientCallback.filter(F.action == "tags"))
async def cb_tags(
    query: CallbackQuery,
    callback_data: ClientCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    """The markers screen: presets to toggle, own markers to remove, add one."""
    try:
        client = await client_for(session, member, callback_data.client_id, now=clock.now())
    except AccessDeniedError:
        callback_answer.text = tr("clients.not_available")
        callback_answer.show_alert = True
        return
    tags = list(client.tags or [])
    await show(query, _markers_text(tr, client.name, tags), keyboards.markers(tr, client.id, tags))


@router.callback_query(MarkerCallback.filter())
async def cb_marker(
    query: CallbackQuery,
    callback_data: MarkerCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    """Toggle a preset, remove an own marker, or ask for a new one."""
    now = clock.now()
    try:
        client = await client_for(session, member, callback_data.client_id, now=now)
    except AccessDeniedError:
        callback_answer.text = tr("clients.not_available")
        callback_answer.show_alert = True
        return
    tags = list(client.tags or [])
    index = callback_data.index
    if callback_data.action is MarkerAction.ADD:
        await state.set_state(MarkerForm.text)
        await state.update_data(marker_client_id=client.id)
        await show(query, tr("clients.marker.ask"), keyboards.cancel_only(tr))
        return
    if callback_data.action is MarkerAction.PRESET and 0 <= index < len(clients.PRESET_MARKERS):
        marker = clients.PRESET_MARKERS[index]
    elif callback_data.action is MarkerAction.CUSTOM and 0 <= index < len(tags):
        marker = tags[index]
    else:
        callback_answer.text = tr("common.stale_button")
        callback_answer.show_alert = True
        return
    tags = await clients.toggle_marker(session, member, client.id, marker, now=now)
    await show(query, _markers_text(tr, client.name, tags), keyboards.markers(tr, client.id, tags))


@router.message(MarkerForm.text, F.text, NOT_A_COMMAND)
async def on_marker_text(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A custom marker typed by the member."""
    try:
        marker = validation.clean_text(message.text, max_length=clients.MARKER_MAX)
    except validation.ValidationError as error:
        await message.answer(_error_text(tr, error), reply_markup=keyboards.cancel_only(tr))
        return
    client_id = int((await state.get_data()).get("marker_client_id", 0))
    # Conversation state lives in its own transactions: settle it before this update writes.
    await state.clear()
    try:
        tags = await clients.add_marker(session, member, client_id, marker, now=clock.now())
        client = await client_for(session, member, client_id, now=clock.now())
    except clients.ClientError as error:
        await message.answer(tr(f"clients.{error.code}", **error.params))
        return
    except AccessDeniedError:
        await message.answer(tr("clients.not_available"))
        return
    await message.answer(
        _markers_text(tr, client.name, tags), reply_markup=keyboards.markers(tr, client_id, tags)
    )


# ---------------------------------------------------------------------------------------------
# /new


async def _next_step(target: Target, state: FSMContext, member: Member, tr: Translator) -> bool:
    """Ask the first question the draft has no answer to; False when the draft is complete."""
    data = await state.get_data()
    if "kind" not in data:
        await state.set_state(NewClientForm.kind)
        if data.get("person_first"):
            text = tr("clients.new_ask_kind_person", name=esc(data.get("person")))
            await _reply(target, text, keyboards.kinds(tr, person_first=True))
        else:
            await _reply(target, tr("clients.new_ask_kind"), keyboards.kinds(tr))
    elif "name" not in data:
        await state.set_state(NewClientForm.name)
        await _reply(target, tr(f"clients.new_ask_name_{data['kind']}"), keyboards.cancel_only(tr))
    elif "category" not in data:
        await state.set_state(NewClientForm.category)
        await _reply(
            target,
            tr("clients.new_ask_category", name=esc(data["name"])),
            keyboards.categories(tr),
        )
    elif not data.get("city_done"):
        await state.set_state(NewClientForm.city)
        await _reply(target, tr("clients.new_ask_city"), keyboards.cities(tr))
    elif data["kind"] == ClientKind.B2B.value and not data.get("contact_done"):
        await state.set_state(NewClientForm.contact)
        await _reply(
            target,
            tr("clients.new_ask_contact", name=esc(data["name"])),
            keyboards.skip_or_cancel(tr),
        )
    elif not data.get("phone_done"):
        await state.set_state(NewClientForm.phone)
        await _reply(target, tr("clients.new_ask_phone"), keyboards.skip_or_cancel(tr))
    else:
        return False
    return True


def _draft(data: dict[str, Any]) -> clients.ClientDraft:
    return clients.ClientDraft(
        kind=ClientKind(data["kind"]),
        name=data["name"],
        category=Category(data["category"]),
        city=data.get("city"),
        timezone=data.get("timezone"),
        contact_name=data.get("contact_name"),
        position=data.get("position"),
        phone=data.get("phone"),
        email=data.get("email"),
    )


def _duplicates_text(tr: Translator, found: list[clients.Duplicate]) -> str:
    lines = [tr("clients.duplicates_title")]
    for duplicate in found:
        if duplicate.visible:
            lines.append(
                tr(
                    "clients.duplicate_line",
                    name=esc(clip(duplicate.name, SHORT_TEXT)[0]),
                    reason=tr(f"clients.duplicate_reason_{duplicate.reason}"),
                )
            )
        else:
            lines.append(tr("clients.duplicate_colleague", owner=esc(duplicate.owner_name)))
    lines.extend(["", tr("clients.duplicates_question")])
    return "\n".join(lines)


async def _advance(
    target: Target,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    *,
    force: bool = False,
) -> None:
    """Ask the next question, or check for duplicates and save the client with its card."""
    if await _next_step(target, state, member, tr):
        return
    data = await state.get_data()
    draft = _draft(data)
    if not force:
        found = await clients.find_duplicates(
            session, member, phone=draft.phone, email=draft.email, inn=draft.inn, name=draft.name
        )
        if found:
            await state.set_state(NewClientForm.duplicate)
            await _reply(target, _duplicates_text(tr, found), keyboards.duplicates(tr, found))
            return
    # Conversation state lives in its own transactions: settle it before this update writes.
    await state.clear()
    try:
        client = await clients.create_client(session, owner=member, draft=draft, now=clock.now())
    except validation.ValidationError as error:
        await _reply(target, _error_text(tr, error))
        return
    await _reply(target, tr("clients.created", name=esc(client.name)))
    if logging.PARKED_DRAFT in data:
        # Created for a log message: its draft goes on with the client, card to confirm.
        reply_to = target.message if isinstance(target, CallbackQuery) else target
        if isinstance(reply_to, Message):
            await logging.resume_with_client(reply_to, session, member, tr, state, data, client.id)
        return
    message = target.message if isinstance(target, CallbackQuery) else target
    if isinstance(message, Message):
        # The first touch comes with buttons to move it: a warm lead is called today.
        await _send_card(message, session, member, tr, clock, client.id, first_touch=True)


@router.message(Command("new"))
async def cmd_new(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Start the guided flow; `/new Ромашка` fills the name in."""
    await state.clear()
    if command.args:
        try:
            name = validation.client_name(command.args, max_length=clients.NAME_MAX)
        except validation.ValidationError as error:
            await message.answer(_error_text(tr, error))
            return
        await state.set_data({"name": name})
    await _advance(message, session, member, tr, clock, state)


# The first touch, moved from the card answering /new.


def _moved_text(
    tr: Translator, moved: first_touches.MovedFirstTouch, member: Member, now: datetime
) -> str:
    """«⏭ Первый контакт с «Ромашка»: завтра, чт, 19 ноября.», why when a day off moved it, and
    when the reminder comes when that is not the day itself (today's calling time is over)."""
    today = first_touches.client_today(moved.client, now)
    text = tr(
        "clients.first_touch_moved",
        client=esc(moved.client.name),
        date=touch_day(tr, moved.touch.due_on, today),
    )
    if moved.shifted:
        asked = tr.fmt_weekday(moved.asked, today)
        text += " " + tr("clients.first_touch_day_off", asked=asked[:1].upper() + asked[1:])
    zone = ZoneInfo(member.timezone)
    slot = first_reminder_slot(moved.touch, moved.client, member, now)
    if slot is None:
        text += " " + tr("clients.first_touch_no_reminder")
    elif slot.local_date != moved.touch.due_on:
        text += " " + tr("clients.first_touch_reminder", when=reminder_when(slot, tr, zone, now))
    return text


async def _moved(
    session: AsyncSession,
    member: Member,
    touch_id: int,
    day: date,
    now: datetime,
) -> first_touches.MovedFirstTouch:
    moved = await first_touches.move_first_touch(session, member, touch_id, day, now)
    if moved.changed:
        # A reminder queued for the old day must not come; the new day's comes with the next
        # tick, even when the touch comes back to a day it was reminded for (keys released).
        await cancel_reminders(session, moved.touch.id)
    return moved


@router.callback_query(FirstTouchCallback.filter())
async def cb_first_touch(
    query: CallbackQuery,
    callback_data: FirstTouchCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    """«Сегодня» / «Завтра» move the first touch and redraw the card; «📅 Другой день» asks
    for the day. A touch that is not the member's, or no longer an open first touch, is not
    moved: the press gets a pop-up saying so."""
    now = clock.now()
    # Conversation state lives in its own transactions: settle it before this update writes.
    if await state.get_state() == FirstTouchForm.day.state:
        await state.clear()
    try:
        touch, client = await first_touches.open_first_touch(
            session, member, callback_data.touch_id, now
        )
    except TouchUnavailableError:
        callback_answer.text = tr("clients.not_available")
        callback_answer.show_alert = True
        return
    except first_touches.FirstTouchGoneError as gone:
        callback_answer.text = plain(tr("clients.first_touch_gone", client=esc(gone.client.name)))
        callback_answer.show_alert = True
        view = await _card_view(
            session, member, tr, clock, gone.client.id, record=False, first_touch=True
        )
        if view is not None:
            await show(query, *view)
        return
    if callback_data.day is FirstTouchDay.OTHER:
        # The next message is the day: a log under way can no longer take it.
        await logging.drop_draft(bot, session, member, tr, state, now)
        card = query.message
        await state.set_state(FirstTouchForm.day)
        await state.update_data(
            touch_id=touch.id,
            card=[card.chat.id, card.message_id] if isinstance(card, Message) else None,
        )
        await send_new(
            query,
            tr("clients.first_touch_ask", client=esc(client.name)),
            keyboards.cancel_only(tr),
        )
        return
    day = first_touches.client_today(client, now)
    if callback_data.day is FirstTouchDay.TOMORROW:
        day += timedelta(days=1)
    moved = await _moved(session, member, touch.id, day, now)
    callback_answer.text = plain(_moved_text(tr, moved, member, now))[:ALERT_LIMIT]
    view = await _card_view(session, member, tr, clock, client.id, record=False, first_touch=True)
    if view is not None:
        await show(query, *view)


@router.message(FirstTouchForm.day, F.text, NOT_A_COMMAND)
async def on_first_touch_day(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    bot: Bot,
) -> None:
    """The typed day of the first touch, read as every question for a date reads it; the card
    it was asked from shows the new day."""
    now = clock.now()
    parsed, refusal = logging.read_typed_date(message.text or "", member, now, tr)
    if parsed.next_touch is None:
        await message.answer(refusal, reply_markup=keyboards.cancel_only(tr))
        return
    data = await state.get_data()
    await state.clear()
    when = parsed.next_touch
    day = when.date() if isinstance(when, datetime) else when
    try:
        moved = await _moved(session, member, int(data.get("touch_id") or 0), day, now)
    except TouchUnavailableError:
        await message.answer(tr("clients.not_available"))
        return
    except first_touches.FirstTouchGoneError as gone:
        await message.answer(tr("clients.first_touch_gone", client=esc(gone.client.name)))
        return
    await message.answer(_moved_text(tr, moved, member, now))
    card = data.get("card")
    view = await _card_view(
        session, member, tr, clock, moved.client.id, record=False, first_touch=True
    )
    if card and view is not None:
        with contextlib.suppress(TelegramBadRequest):
            # Too old to edit, or deleted: the answer above says where the touch went.
            await bot.edit_message_text(
                view[0], chat_id=card[0], message_id=card[1], reply_markup=view[1]
            )


@router.callback_query(NewClientCallback.filter(F.step == NewClientStep.CANCEL))
async def cb_cancel(query: CallbackQuery, tr: Translator, state: FSMContext) -> None:
    """«Отмена» at any step."""
    was_new = (await state.get_state() or "").startswith(NewClientForm.__name__)
    await state.clear()
    await show(query, tr("clients.new_cancelled" if was_new else "common.cancelled"))


@router.callback_query(NewClientCallback.filter(F.step == NewClientStep.FROM_SEARCH))
async def cb_from_search(
    query: CallbackQuery,
    callback_data: NewClientCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """«Создать клиента?» after a failed search: /new with the searched name (or phone).

    From a logging draft («➕ Создать клиента «…»»), /new carries the draft and resumes it with
    the new client; a name the parser read as a person's is offered as a private person first.
    """
    found = await state.get_data()
    prefill = str(found.get("search_prefill") or "")
    await state.clear()
    data: dict[str, Any] = {}
    if callback_data.value == log_keyboards.FOR_DRAFT and "draft" in found:
        data.update(logging.parked(found))
    if clients.phone_query_digits(prefill):
        with contextlib.suppress(validation.ValidationError):
            data.update(phone=validation.normalize_phone(prefill), phone_done=True)
    elif prefill:
        with contextlib.suppress(validation.ValidationError):
            name = validation.client_name(prefill, max_length=clients.NAME_MAX)
            if logging.PARKED_DRAFT in data and found.get("prefill_person"):
                # The person is the client, or the main contact of a company named next.
                data.update(person=name, person_first=True)
            else:
                data["name"] = name
    await state.set_data(data)
    await _advance(query, session, member, tr, clock, state)


@router.callback_query(NewClientForm.kind, NewClientCallback.filter(F.step == NewClientStep.KIND))
async def cb_kind(
    query: CallbackQuery,
    callback_data: NewClientCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    """Company or person; a shared contact's person becomes the client or its main contact."""
    if callback_data.value not in {kind.value for kind in ClientKind}:
        callback_answer.text = tr("common.stale_button")
        return
    data = await state.get_data()
    data["kind"] = callback_data.value
    person = data.pop("person", None)
    if person:
        if callback_data.value == ClientKind.B2C.value:
            data.setdefault("name", person)
        else:
            data.update(contact_name=person, contact_done=True)
    await state.set_data(data)
    await _advance(query, session, member, tr, clock, state)


@router.message(NewClientForm.kind, NOT_A_COMMAND)
async def on_kind_typed(message: Message, tr: Translator) -> None:
    """Typed text where a button is expected."""
    await message.answer(tr("clients.kind_press_button"), reply_markup=keyboards.kinds(tr))


@router.message(NewClientForm.name, F.text, NOT_A_COMMAND)
async def on_name(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The client's name: non-empty, at most 200 characters."""
    try:
        name = validation.client_name(message.text, max_length=clients.NAME_MAX)
    except validation.ValidationError as error:
        await message.answer(_error_text(tr, error), reply_markup=keyboards.cancel_only(tr))
        return
    await state.update_data(name=name)
    await _advance(message, session, member, tr, clock, state)


@router.callback_query(
    NewClientForm.category, NewClientCallback.filter(F.step == NewClientStep.CATEGORY)
)
async def cb_category(
    query: CallbackQuery,
    callback_data: NewClientCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    """The category picked from buttons."""
    if callback_data.value not in {category.value for category in Category}:
        callback_answer.text = tr("common.stale_button")
        return
    await state.update_data(category=callback_data.value)
    await _advance(query, session, member, tr, clock, state)


@router.message(NewClientForm.category, NOT_A_COMMAND)
async def on_category_typed(message: Message, tr: Translator) -> None:
    """Typed text where a category button is expected."""
    await message.answer(
        tr("clients.category_press_button"), reply_markup=keyboards.categories(tr)
    )


@router.message(NewClientForm.city, F.text, NOT_A_COMMAND)
async def on_city(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A typed city: a listed one sets the client's zone, so does one with its zone after it
    («Когалым, UTC+5», «Когалым (МСК+2)»); another city name asks for its zone (buttons from МСК−1
    to МСК+9); what is no city gets a friendly retry."""
    raw = (message.text or "").strip()
    city = geo.find_city(raw)
    if city is not None:
        await state.update_data(city=city.name(tr.language), timezone=city.tz, city_done=True)
        await _advance(message, session, member, tr, clock, state)
        return
    if raw.casefold().strip(" .!»") in _SKIP_WORDS:
        await state.update_data(city_done=True)
        await _advance(message, session, member, tr, clock, state)
        return
    found = geo.read_city(raw)
    if found is None:
        await message.answer(
            tr("clients.city_unknown", text=quote(raw), zone=_member_zone(member, clock, tr)),
            reply_markup=keyboards.cities(tr),
        )
        return
    if found.zone is None:
        await state.set_state(NewClientForm.zone)
        await state.update_data(pending_city=found.name)
        text = (
            tr("clients.zone_unknown", text=quote(found.bad_zone))
            if found.bad_zone is not None
            else tr(
                "clients.new_ask_zone",
                city=esc(found.name),
                zone=_member_zone(member, clock, tr),
            )
        )
        await message.answer(text, reply_markup=keyboards.zones(tr, clock.now()))
        return
    await state.update_data(city=found.name, timezone=found.zone.key, city_done=True)
    await _advance(message, session, member, tr, clock, state)


# Typed instead of pressing «Пропустить».
_SKIP_WORDS = frozenset({"пропустить", "пропусти", "skip", "нет", "-", "—", "не знаю"})


def _member_zone(member: Member, clock: Clock, tr: Translator) -> str:
    """The member's own zone as the reader knows it: «МСК», «МСК+4», «UTC+7»."""
    return geo.describe_offset(ZoneInfo(member.timezone), clock.now(), tr.language)


@router.message(NewClientForm.zone, F.text, NOT_A_COMMAND)
async def on_zone(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The zone of a city the list does not hold, typed: «МСК+2», «UTC+5», «Asia/Omsk» or a
    listed city in the same zone («как Екатеринбург»)."""
    raw = (message.text or "").strip()
    data = await state.get_data()
    if raw.casefold().strip(" .!»") in _SKIP_WORDS:
        await state.update_data(city=data.get("pending_city"), city_done=True)
        await _advance(message, session, member, tr, clock, state)
        return
    zone = geo.read_zone(raw)
    if zone is None:
        await message.answer(
            tr("clients.zone_unknown", text=quote(raw)),
            reply_markup=keyboards.zones(tr, clock.now()),
        )
        return
    await state.update_data(city=data.get("pending_city"), timezone=zone.key, city_done=True)
    await _advance(message, session, member, tr, clock, state)


@router.callback_query(NewClientForm.zone, NewClientCallback.filter(F.step == NewClientStep.ZONE))
async def cb_zone(
    query: CallbackQuery,
    callback_data: NewClientCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    """A zone button: the city typed keeps its name and takes the zone of the city shown."""
    if not geo.has_city(callback_data.value):
        callback_answer.text = tr("common.stale_button")
        return
    zone = geo.city_by_key(callback_data.value).tz
    data = await state.get_data()
    await state.update_data(city=data.get("pending_city"), timezone=zone, city_done=True)
    await _advance(query, session, member, tr, clock, state)


@router.callback_query(NewClientForm.city, NewClientCallback.filter(F.step == NewClientStep.CITY))
async def cb_city(
    query: CallbackQuery,
    callback_data: NewClientCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    """A popular city from the buttons."""
    if not geo.has_city(callback_data.value):
        callback_answer.text = tr("common.stale_button")
        return
    city = geo.city_by_key(callback_data.value)
    await state.update_data(city=city.name(tr.language), timezone=city.tz, city_done=True)
    await _advance(query, session, member, tr, clock, state)


_SKIPPABLE = {
    NewClientForm.city.state: "city_done",
    NewClientForm.zone.state: "city_done",
    NewClientForm.contact.state: "contact_done",
    NewClientForm.phone.state: "phone_done",
}


@router.callback_query(NewClientCallback.filter(F.step == NewClientStep.SKIP))
async def cb_skip(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    """«Пропустить»: no city (the member's zone), no main contact, or no phone; a city the list
    does not hold keeps its name with the member's zone."""
    current = await state.get_state() or ""
    done = _SKIPPABLE.get(current)
    if done is None:
        callback_answer.text = tr("common.stale_button")
        return
    if current == NewClientForm.zone.state:
        await state.update_data(city=(await state.get_data()).get("pending_city"))
    await state.update_data({done: True})
    await _advance(query, session, member, tr, clock, state)


@router.message(NewClientForm.contact, F.text, NOT_A_COMMAND)
async def on_contact(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """«Иван Петров, директор»: the main contact's name and, after a comma, the position."""
    name_text, _, position_text = (message.text or "").partition(",")
    try:
        name = validation.clean_text(name_text, max_length=clients.NAME_MAX)
        position = (
            validation.clean_text(position_text, max_length=clients.POSITION_MAX)
            if position_text.strip()
            else None
        )
    except validation.ValidationError as error:
        await message.answer(_error_text(tr, error), reply_markup=keyboards.skip_or_cancel(tr))
        return
    await state.update_data(contact_name=name, position=position, contact_done=True)
    await _advance(message, session, member, tr, clock, state)


@router.message(NewClientForm.phone, F.text, NOT_A_COMMAND)
async def on_phone(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A phone (normalised to +7…) or, when it has an @, an e-mail."""
    text = message.text or ""
    try:
        if "@" in text:
            await state.update_data(email=validation.normalize_email(text), phone_done=True)
        else:
            await state.update_data(phone=validation.normalize_phone(text), phone_done=True)
    except validation.ValidationError as error:
        await message.answer(_error_text(tr, error), reply_markup=keyboards.skip_or_cancel(tr))
        return
    await _advance(message, session, member, tr, clock, state)


@router.message(NewClientForm.phone, F.contact)
async def on_phone_contact(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A Telegram contact shared at the phone step gives its number."""
    assert message.contact is not None
    try:
        phone = clients.phone_from_shared(message.contact.phone_number)
    except validation.ValidationError as error:
        await message.answer(_error_text(tr, error), reply_markup=keyboards.skip_or_cancel(tr))
        return
    await state.update_data(phone=phone, phone_done=True)
    await _advance(message, session, member, tr, clock, state)


@router.callback_query(
    NewClientForm.duplicate, NewClientCallback.filter(F.step == NewClientStep.CREATE_ANYWAY)
)
async def cb_create_anyway(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """«Всё равно создать»: the member has seen the look-alikes."""
    await _advance(query, session, member, tr, clock, state, force=True)


@router.message(StateFilter(NewClientForm.duplicate, SharedContactForm.choice), NOT_A_COMMAND)
async def on_choice_typed(message: Message, tr: Translator) -> None:
    """Typed text where the buttons above are expected."""
    await message.answer(tr("clients.press_button"))


# ---------------------------------------------------------------------------------------------
# A shared Telegram contact


@router.message(StateFilter(None), F.contact)
async def on_shared_contact(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
) -> None:
    """A contact shared to the bot: a new client, or a person at an existing one."""
    assert message.contact is not None
    shared = message.contact
    person = " ".join(part for part in (shared.first_name, shared.last_name) if part).strip()
    person = clip(person or shared.phone_number, clients.NAME_MAX)[0]
    notes: list[str] = []
    phone: str | None = None
    try:
        phone = clients.phone_from_shared(shared.phone_number)
    except validation.ValidationError:
        notes.append(tr("clients.shared_phone_invalid", text=esc(shared.phone_number[:40])))
    phone_text = f", {esc(validation.format_phone(phone))}" if phone else ""
    lines = [tr("clients.shared_contact", name=esc(person), phone=phone_text), *notes]
    if phone is not None:
        found = await clients.find_duplicates(session, member, phone=phone)
        if found:
            lines.extend(["", _duplicates_text(tr, found).rsplit("\n\n", 1)[0]])
    await state.clear()
    await state.set_state(SharedContactForm.choice)
    await state.set_data({"person": person, "shared_phone": phone})
    await message.answer("\n".join(lines), reply_markup=keyboards.shared_choice(tr))


@router.callback_query(
    SharedContactForm.choice, NewClientCallback.filter(F.step == NewClientStep.SHARED_NEW)
)
async def cb_shared_new(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The shared person becomes a new client (or the main contact of a new company)."""
    data = await state.get_data()
    phone = data.get("shared_phone")
    fresh: dict[str, Any] = {"person": data.get("person")}
    if phone:
        fresh.update(phone=phone, phone_done=True)
    await state.set_data(fresh)
    await _advance(query, session, member, tr, clock, state)


@router.callback_query(
    SharedContactForm.choice, NewClientCallback.filter(F.step == NewClientStep.SHARED_ADD)
)
async def cb_shared_add(query: CallbackQuery, tr: Translator, state: FSMContext) -> None:
    """Ask which existing client the shared person works at."""
    data = await state.get_data()
    await state.set_state(SharedContactForm.search)
    await show(
        query,
        tr("clients.shared_ask_client", name=esc(data.get("person"))),
        keyboards.cancel_only(tr),
    )


@router.message(SharedContactForm.search, F.text, NOT_A_COMMAND)
async def on_shared_search(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
) -> None:
    """Find the client to add the shared person to."""
    query = (message.text or "").strip()[:QUERY_MAX]
    hits = await clients.search_clients(session, member, query)
    if not hits:
        await message.answer(
            tr("clients.shared_no_client", query=esc(query)),
            reply_markup=keyboards.cancel_only(tr),
        )
        return
    await message.answer(
        tr("clients.shared_pick_client"), reply_markup=keyboards.contact_targets(tr, hits)
    )


@router.callback_query(SharedContactForm.search, ContactTargetCallback.filter())
async def cb_contact_target(
    query: CallbackQuery,
    callback_data: ContactTargetCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    """Add the shared person to the chosen client and show its card."""
    data = await state.get_data()
    draft = clients.ContactDraft(
        full_name=str(data.get("person") or ""), phone=data.get("shared_phone")
    )
    # Conversation state lives in its own transactions: settle it before this update writes.
    await state.clear()
    try:
        contact = await clients.add_contact(
            session, member, callback_data.client_id, draft, now=clock.now()
        )
    except AccessDeniedError:
        callback_answer.text = tr("clients.not_available")
        callback_answer.show_alert = True
        return
    except (clients.ClientError, validation.ValidationError) as error:
        # Nothing was written: the member may pick another client from the same list.
        await state.set_state(SharedContactForm.search)
        await state.set_data(data)
        prefix = "clients" if isinstance(error, clients.ClientError) else "errors"
        callback_answer.text = tr(f"{prefix}.{error.code}", **error.params)
        callback_answer.show_alert = True
        return
    client = await client_for(session, member, contact.client_id, now=clock.now())
    await show(
        query,
        tr(
            "clients.contact_added",
            name=esc(contact.full_name),
            client=esc(client.name),
            gender=gender_of(contact.full_name),
        ),
    )
    if isinstance(query.message, Message):
        await _send_card(query.message, session, member, tr, clock, client.id)


# ---------------------------------------------------------------------------------------------
# /find and plain-text lookups


async def _search(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    query: str,
) -> None:
    query = query.strip()[:QUERY_MAX]
    hits = await clients.find_clients(session, member, query, clock.now())
    strong = clients.strong_hit(hits)
    if strong is not None:
        await _send_card(message, session, member, tr, clock, strong.client_id)
    elif hits:
        await message.answer(
            tr("clients.found", count=len(hits)), reply_markup=keyboards.search_results(hits)
        )
    elif sum(char.isalnum() for char in query) < SHORTEST_QUERY:
        # «Ст» finds nothing and is no client's name: ask for more, don't offer to create it.
        await message.answer(tr("clients.query_too_short", query=esc(query)))
    else:
        await state.update_data(search_prefill=query)
        await message.answer(
            tr("clients.not_found", query=esc(query)), reply_markup=keyboards.not_found(tr)
        )


@router.message(Command("find"))
async def cmd_find(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """`/find <text>`: search now; bare `/find`: ask what to find."""
    await state.clear()
    if not command.args or not command.args.strip():
        await state.set_state(FindForm.query)
        await message.answer(tr("clients.find_ask"), reply_markup=keyboards.cancel_only(tr))
        return
    await _search(message, session, member, tr, clock, state, command.args)


@router.message(FindForm.query, F.text, NOT_A_COMMAND)
async def on_find_query(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The query asked for by a bare /find."""
    await state.clear()
    await _search(message, session, member, tr, clock, state, message.text or "")


def is_lookup(message: Message) -> bool:
    """Plain text that only names a client («Петрову», «из Ромашки», «912 345»), not a log."""
    text = message.text or ""
    return bool(text.strip()) and classify_message(text) == "lookup"


@router.message(StateFilter(None), F.text, NOT_A_COMMAND, is_lookup)
async def on_lookup(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A name, a company or part of a phone typed on its own: search for it."""
    await _search(message, session, member, tr, clock, state, message.text or "")
