"""/event (head): a company event — title, date, audience by buttons — and its invitation touches.

`/event` first lists the upcoming events, each with «Отменить» (its open invitations are closed
and the managers who had them are told), and «➕ Новое событие»; with none upcoming it goes
straight to the new event. The conversation: title → date (in the future; the same title on the
same day is recognised, nobody is invited twice) → audience (everyone, categories, industries or
typed markers) → a preview «N клиентов, у M менеджеров» → save, which plans invitation touches
spread over each owner's working days before the event (`services.planner`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import EventAction, EventCallback
from bot.i18n import Translator, translator
from handlers.common import esc, esc_params, is_head, show
from models import Event, Member
from models.enums import Category
from services import geo, notices, parsing, planner, validation
from services.clock import Clock
from services.digest import local_today

router = Router(name=__name__)

MAX_TITLE = 200
MAX_TAGS = 20
# Typed answers; a command typed mid-conversation goes to its own handler instead.
_TYPED = F.text & ~F.text.startswith("/")


class EventForm(StatesGroup):
    """The /event conversation steps that wait for typed text or a button."""

    title = State()
    day = State()
    audience = State()
    tags = State()
    confirm = State()


# Parsing the date.


@lru_cache(maxsize=1)
def _dateparser() -> Any:
    import dateparser  # noqa: PLC0415  - slow import, needed only for word dates

    return dateparser


# «15.12 в 11:00», «15 декабря 11:00», «через 2 недели в 11»: a time at the end, after a space
# (so «15.12» alone stays a date).
_TIME_AT_END = re.compile(
    r"^(?P<day>.*?\S)(?:\s*,\s*|\s+)(?:(?:в|at)\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})\s*$"
    r"|^(?P<day2>.*?\S)\s+(?:в|at)\s+(?P<hour2>\d{1,2})(?:\s*(?:ч|часов|часа|час|h))?\s*$",
    re.IGNORECASE,
)


class TimeInvalidError(ValueError):
    """A time was given but is no clock time («в 25:00»)."""


def split_event_time(text: str) -> tuple[str, time | None]:
    """«15.12 в 11:00» → («15.12», 11:00); text without a time comes back whole."""
    match = _TIME_AT_END.match(text.strip())
    if match is None:
        return text, None
    day = match.group("day") or match.group("day2")
    hour = int(match.group("hour") or match.group("hour2"))
    minute = int(match.group("minute") or 0)
    if hour > 23 or minute > 59:
        raise TimeInvalidError(text)
    return day, time(hour, minute)


def parse_event_day(text: str, today: date) -> date | None:
    """«15.12», «15 декабря 2026», «через 2 недели» → a date; a day and month without a year
    mean their next occurrence. None when the text is no date."""
    try:
        day, month, year = validation.parse_day_month(text)
    except validation.ValidationError as error:
        if error.code == "date_impossible":
            raise
    else:
        if year is not None:
            return date(year, month, day)
        for candidate_year in (today.year, today.year + 1, today.year + 4):
            try:
                candidate = date(candidate_year, month, day)
            except ValueError:  # 29 February outside a leap year
                continue
            if candidate > today:
                return candidate
        return None
    if not re.search(r"\w{3,}|\d", text):
        return None
    moment = _dateparser().parse(
        text,
        languages=["ru", "en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": datetime.combine(today, datetime.min.time()),
        },
    )
    return moment.date() if moment is not None else None


# Keyboards.


def _cancel_row(builder: InlineKeyboardBuilder, tr: Translator) -> None:
    builder.button(
        text=tr("common.cancel"), callback_data=EventCallback(action=EventAction.CANCEL)
    )


def cancel_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    """Only «Отмена»."""
    builder = InlineKeyboardBuilder()
    _cancel_row(builder, tr)
    return builder.as_markup()


def audience_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    """All clients / by category / by industry / by marker."""
    builder = InlineKeyboardBuilder()
    for action, key in (
        (EventAction.ALL, "audience_all"),
        (EventAction.CATEGORIES, "audience_categories"),
        (EventAction.INDUSTRIES, "audience_industries"),
        (EventAction.TAGS, "audience_tags"),
    ):
        builder.button(text=tr(f"events.{key}"), callback_data=EventCallback(action=action))
    _cancel_row(builder, tr)
    builder.adjust(1, 3, 1)
    return builder.as_markup()


def toggles_keyboard(
    tr: Translator, options: list[tuple[str, str]], chosen: set[str]
) -> InlineKeyboardMarkup:
    """Multi-select buttons (value, label) with ticks, then «Готово» and «Назад»."""
    builder = InlineKeyboardBuilder()
    for value, label in options:
        mark = "✅ " if value in chosen else "▫️ "
        builder.button(
            text=mark + label, callback_data=EventCallback(action=EventAction.TOGGLE, value=value)
        )
    builder.button(text=tr("events.done"), callback_data=EventCallback(action=EventAction.DONE))
    builder.button(text=tr("common.back"), callback_data=EventCallback(action=EventAction.BACK))
    builder.adjust(*([2] * ((len(options) + 1) // 2)), 2)
    return builder.as_markup()


def confirm_keyboard(tr: Translator, *, can_save: bool) -> InlineKeyboardMarkup:
    """Save, change the audience, cancel."""
    builder = InlineKeyboardBuilder()
    if can_save:
        builder.button(
            text=tr("events.save"), callback_data=EventCallback(action=EventAction.SAVE)
        )
    builder.button(
        text=tr("events.change_audience"), callback_data=EventCallback(action=EventAction.BACK)
    )
    _cancel_row(builder, tr)
    builder.adjust(1)
    return builder.as_markup()


def events_keyboard(tr: Translator, upcoming: list[planner.UpcomingEvent]) -> InlineKeyboardMarkup:
    """«Отменить» per upcoming event, then «➕ Новое событие»."""
    builder = InlineKeyboardBuilder()
    for item in upcoming:
        builder.button(
            text=tr(
                "events.cancel_event_button",
                title=_short(item.event.title),
                day=tr.fmt_date(item.event.happens_on),
            ),
            callback_data=EventCallback(action=EventAction.DROP, value=str(item.event.id)),
        )
    builder.button(
        text=tr("events.new_event"), callback_data=EventCallback(action=EventAction.NEW)
    )
    builder.adjust(1)
    return builder.as_markup()


def drop_keyboard(tr: Translator, event_id: int) -> InlineKeyboardMarkup:
    """Confirm cancelling an event, or go back to the list."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=tr("events.drop_yes"),
        callback_data=EventCallback(action=EventAction.DROP_YES, value=str(event_id)),
    )
    builder.button(text=tr("common.back"), callback_data=EventCallback(action=EventAction.LIST))
    builder.adjust(1)
    return builder.as_markup()


def _short(title: str, limit: int = 32) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"


def _category_options(tr: Translator) -> list[tuple[str, str]]:
    return [(category.value, tr(f"events.category_{category.value}")) for category in Category]


def _industry_options(industries: list[str]) -> list[tuple[str, str]]:
    # Industries travel as their index in the list kept in the conversation: names can be long.
    return [(str(index), name[:40]) for index, name in enumerate(industries)]


# Texts.


def when_text(
    tr: Translator,
    day: date,
    starts_at: time | None,
    zone: str | None = None,
    reader_zone: str | None = None,
) -> str:
    """«15 декабря 2026», «15 декабря 2026 в 11:00» when the time is known, and «… в 11:00 по
    Москве, у вас 15:00» for a reader whose clock (`reader_zone`) differs from the event's."""
    text = tr.fmt_date(day, "d MMMM y")
    if starts_at is None:
        return text
    plain = tr("events.when_time", day=text, time=tr.fmt_time(starts_at))
    if zone is None or reader_zone is None:
        return plain
    moment = geo.zoned_time(day, starts_at, zone, reader_zone)
    if not moment.differs:
        return plain
    local = tr.fmt_time(moment.local.time())
    if moment.local.date() != day:
        local = tr("events.when_time", day=tr.fmt_date(moment.local.date()), time=local)
    return tr(
        "events.when_zoned",
        day=text,
        time=tr.fmt_time(starts_at),
        zone=geo.zone_phrase(zone, tr.language, moment.own),
        local=local,
    )


def event_when(tr: Translator, event: Event, reader: Member) -> str:
    """A saved event's day and start as `reader` reads it (see `when_text`)."""
    return when_text(tr, event.happens_on, event.starts_at, event.timezone, reader.timezone)


def past_day_text(tr: Translator, day: date, today: date) -> str:
    """Why a date that is not in the future is refused: it has passed, or it is today."""
    key = "events.day_today" if day == today else "events.day_past"
    return tr(key, day=tr.fmt_date(day, "d MMMM y"))


def _starts_at(data: dict[str, Any]) -> time | None:
    value = data.get("starts_at")
    return time.fromisoformat(value) if value else None


def days_text(tr: Translator, first: date, last: date, today: date) -> str:
    """«3 декабря» for one day, «с 4 декабря по 11 декабря» for several; with the year when
    it is not this year's."""
    fmt = "d MMMM" if first.year == last.year == today.year else "d MMMM y"
    if first == last:
        return tr.fmt_date(first, fmt)
    return tr("events.days_range", first=tr.fmt_date(first, fmt), last=tr.fmt_date(last, fmt))


def waiting_lines(tr: Translator, plan: planner.EventPlan) -> list[str]:
    """⚠️ the clients of deactivated members: hand them over first."""
    if not plan.waiting:
        return []
    owners = ", ".join(
        tr(
            "events.waiting_owner",
            name=esc(owner.name),
            clients=tr("events.clients_count", count=owner.clients),
        )
        for owner in sorted(plan.waiting, key=lambda owner: (-owner.clients, owner.name))
    )
    return [tr("events.waiting", owners=owners)]


def overload_lines(tr: Translator, plan: planner.EventPlan) -> list[str]:
    """⚠️ lines for managers whose busiest invitation day is above the daily limit."""
    return [
        tr(
            "events.overload",
            name=esc(overload.name),
            invitations=tr("events.invitations_up_to", count=overload.per_day),
            day=tr.fmt_date(overload.day),
            limit=planner.DAILY_INVITATIONS_LIMIT,
        )
        for overload in plan.overloaded
    ]


def _audience_from(data: dict[str, Any]) -> planner.Audience:
    mode = data.get("mode")
    if mode == "categories":
        return planner.Audience(categories=tuple(Category(c) for c in data.get("categories", [])))
    if mode == "industries":
        options = data.get("industry_options", [])
        picked = [options[int(i)] for i in data.get("industries", []) if int(i) < len(options)]
        return planner.Audience(industries=tuple(picked))
    if mode == "tags":
        return planner.Audience(tags=tuple(data.get("tags", [])))
    return planner.Audience()


def audience_text(tr: Translator, audience: planner.Audience) -> str:
    """«категории: ключевые, VIP» — the audience in words."""
    if audience.categories:
        names = ", ".join(tr(f"events.category_{c.value}") for c in audience.categories)
        return tr("events.audience_categories_line", names=names)
    if audience.industries:
        return tr("events.audience_industries_line", names=esc(", ".join(audience.industries)))
    if audience.tags:
        return tr("events.audience_tags_line", names=esc(", ".join(audience.tags)))
    return tr("events.audience_everyone")


def events_text(tr: Translator, upcoming: list[planner.UpcomingEvent], reader: Member) -> str:
    """The upcoming events with their invitations."""
    lines = [tr("events.list_title")]
    for item in upcoming:
        lines.append(
            tr(
                "events.list_item" if item.invited else "events.list_item_none",
                title=esc(item.event.title),
                day=event_when(tr, item.event, reader),
                invited=item.invited,
                open=item.open,
            )
        )
    lines.append(tr("events.list_hint"))
    return "\n".join(lines)


def duplicate_text(tr: Translator, item: planner.UpcomingEvent, reader: Member) -> str:
    """The same event is already planned: say so, with its invitations."""
    return tr(
        "events.duplicate",
        title=esc(item.event.title),
        day=event_when(tr, item.event, reader),
        invited=item.invited,
    )


async def _duplicate(session: AsyncSession, event: Event) -> planner.UpcomingEvent:
    counts = await planner.invitation_counts(session, [event.id])
    return planner.UpcomingEvent(event, *counts.get(event.id, (0, 0)))


async def _preview(
    target: Message | CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    audience = _audience_from(data)
    happens_on = date.fromisoformat(data["day"])
    plan = await planner.preview_event(session, audience, happens_on, clock.now())
    title, day = esc(data["title"]), when_text(tr, happens_on, _starts_at(data))
    if plan.clients == 0:
        text = tr(
            "events.preview_empty", title=title, day=day, audience=audience_text(tr, audience)
        )
    else:
        lines = [
            tr(
                "events.preview",
                title=title,
                day=day,
                audience=audience_text(tr, audience),
                clients=tr("events.clients_count", count=plan.clients),
                managers=tr("events.managers_count", count=plan.managers),
            )
        ]
        if plan.first_day and plan.last_day:
            today = local_today(member, clock.now())
            lines.append(
                tr(
                    "events.preview_days",
                    days=days_text(tr, plan.first_day, plan.last_day, today),
                    per_day=plan.max_per_day,
                )
            )
        lines.extend(waiting_lines(tr, plan))
        lines.extend(overload_lines(tr, plan))
        if plan.at_ceiling:
            lines.append(tr("events.preview_ceiling", count=plan.at_ceiling))
        text = "\n".join(lines)
    await state.set_state(EventForm.confirm)
    markup = confirm_keyboard(tr, can_save=plan.clients > plan.at_ceiling)
    if isinstance(target, CallbackQuery):
        await show(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)


# Handlers.


@router.message(Command("event"))
async def cmd_event(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The upcoming events to cancel and «➕ Новое событие»; a new event at once when none is
    upcoming (heads only)."""
    if not is_head(member):
        await message.answer(tr("common.not_allowed"))
        return
    await state.clear()
    upcoming = await planner.upcoming_events(session, local_today(member, clock.now()))
    # Under the list a typed title starts a new event just as «➕ Новое событие» does.
    await state.set_state(EventForm.title)
    if upcoming:
        await message.answer(
            events_text(tr, upcoming, member), reply_markup=events_keyboard(tr, upcoming)
        )
        return
    await message.answer(tr("events.ask_title"), reply_markup=cancel_keyboard(tr))


@router.message(EventForm.title, _TYPED)
async def on_title(message: Message, member: Member, tr: Translator, state: FSMContext) -> None:
    """The event's title."""
    if not is_head(member):
        await state.clear()
        await message.answer(tr("common.not_allowed"))
        return
    title = " ".join((message.text or "").split())
    if not title or len(title) > MAX_TITLE or title.startswith("/"):
        await message.answer(tr("events.title_invalid"), reply_markup=cancel_keyboard(tr))
        return
    await state.update_data(title=title)
    await state.set_state(EventForm.day)
    await message.answer(tr("events.ask_day", title=esc(title)), reply_markup=cancel_keyboard(tr))


@router.message(EventForm.day, _TYPED)
async def on_day(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The event's date, maybe with its time («15.12 в 11:00»): it must lie in the future."""
    if not is_head(member):
        await state.clear()
        await message.answer(tr("common.not_allowed"))
        return
    text = message.text or ""
    today = local_today(member, clock.now())
    try:
        day_text, starts_at = split_event_time(text)
        happens_on = parse_event_day(day_text, today)
    except TimeInvalidError:
        await message.answer(tr("events.time_invalid"), reply_markup=cancel_keyboard(tr))
        return
    except validation.ValidationError as error:
        await message.answer(tr(f"errors.{error.code}", **esc_params(error.params)))
        return
    if happens_on is None:
        await message.answer(tr("events.day_invalid", text=esc(text.strip()[:40])))
        return
    if happens_on <= today:
        await message.answer(past_day_text(tr, happens_on, today))
        return
    if happens_on > parsing.furthest_plannable_day(today):
        # «15.12.2031»: a typo for the year, most likely; nobody is invited years ahead.
        day = tr.fmt_date(happens_on, "d MMMM y")
        await message.answer(tr("events.day_far", day=day), reply_markup=cancel_keyboard(tr))
        return
    data = await state.get_data()
    existing = await planner.same_event(session, data["title"], happens_on)
    if existing is not None:
        await message.answer(
            duplicate_text(tr, await _duplicate(session, existing), member),
            reply_markup=cancel_keyboard(tr),
        )
        return
    await state.update_data(
        day=happens_on.isoformat(), starts_at=starts_at.isoformat() if starts_at else None
    )
    await state.set_state(EventForm.audience)
    await message.answer(
        tr(
            "events.ask_audience",
            title=esc(data["title"]),
            day=when_text(tr, happens_on, starts_at),
        ),
        reply_markup=audience_keyboard(tr),
    )


@router.message(EventForm.tags, _TYPED)
async def on_tags(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Typed markers: clients with any of them are invited."""
    if not is_head(member):
        await state.clear()
        await message.answer(tr("common.not_allowed"))
        return
    typed = [tag.strip().lstrip("#") for tag in re.split(r"[,;\n]+", message.text or "")]
    typed = [tag[:64] for tag in typed if tag]
    if not typed:
        await message.answer(tr("events.tags_invalid"), reply_markup=cancel_keyboard(tr))
        return
    # Typed markers join the ones ticked on the buttons.
    ticked = (await state.get_data()).get("tags", [])
    tags = list(dict.fromkeys([*ticked, *typed]))[:MAX_TAGS]
    await state.update_data(mode="tags", tags=tags)
    await _preview(message, session, member, tr, clock, state)


@router.callback_query(EventCallback.filter())
async def cb_event(
    query: CallbackQuery,
    callback_data: EventCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Every button of the event list, the audience picker and the confirmation."""
    if not is_head(member):
        await query.answer(tr("common.not_allowed"), show_alert=True)
        return
    action = callback_data.action
    if action is EventAction.CANCEL:
        await state.clear()
        await show(query, tr("common.cancelled"))
        return
    if action in {EventAction.NEW, EventAction.LIST, EventAction.DROP, EventAction.DROP_YES}:
        await _manage(query, callback_data, session, member, tr, clock, state)
        return
    data = await state.get_data()
    current = await state.get_state()
    if "day" not in data or current not in {
        EventForm.audience.state,
        EventForm.tags.state,
        EventForm.confirm.state,
    }:
        await query.answer(tr("common.stale_button"), show_alert=True)
        return
    happens_on = date.fromisoformat(data["day"])
    if action is EventAction.ALL:
        await state.update_data(mode="all")
        await _preview(query, session, member, tr, clock, state)
    elif action is EventAction.CATEGORIES:
        # Back from the preview («Изменить аудиторию»), the ticks made before are kept.
        chosen = data.get("categories", [])
        await state.update_data(mode="categories", categories=chosen)
        await state.set_state(EventForm.audience)
        await show(
            query,
            tr("events.pick_categories"),
            toggles_keyboard(tr, _category_options(tr), set(chosen)),
        )
    elif action is EventAction.INDUSTRIES:
        industries = await planner.industries_in_base(session)
        if not industries:
            await query.answer(tr("events.no_industries"), show_alert=True)
            return
        picked = _picked_names(data, "industries", "industry_options")
        chosen = [str(i) for i, name in enumerate(industries) if name in picked]
        await state.update_data(mode="industries", industries=chosen, industry_options=industries)
        await state.set_state(EventForm.audience)
        await show(
            query,
            tr("events.pick_industries"),
            toggles_keyboard(tr, _industry_options(industries), set(chosen)),
        )
    elif action is EventAction.TAGS:
        await _pick_tags(query, session, tr, state, data)
    elif action is EventAction.TOGGLE:
        await _toggle(query, callback_data.value, data, tr, state)
    elif action is EventAction.DONE:
        mode = data.get("mode")
        if not data.get(mode or "", []):
            await query.answer(tr("events.pick_something"), show_alert=True)
            return
        await _preview(query, session, member, tr, clock, state)
    elif action is EventAction.BACK:
        await state.set_state(EventForm.audience)
        await show(
            query,
            tr(
                "events.ask_audience",
                title=esc(data["title"]),
                day=when_text(tr, happens_on, _starts_at(data)),
            ),
            audience_keyboard(tr),
        )
    elif action is EventAction.SAVE:
        await _save(query, session, member, tr, clock, state, data)


async def _manage(
    query: CallbackQuery,
    callback_data: EventCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The list of upcoming events: start a new one, or cancel one (after a confirmation)."""
    action = callback_data.action
    now = clock.now()
    today = local_today(member, now)
    if action is EventAction.NEW:
        await state.clear()
        await state.set_state(EventForm.title)
        await show(query, tr("events.ask_title"), cancel_keyboard(tr))
        return
    if action is EventAction.LIST:
        upcoming = await planner.upcoming_events(session, today)
        if not upcoming:
            await show(query, tr("events.list_empty"), events_keyboard(tr, upcoming))
            return
        await show(query, events_text(tr, upcoming, member), events_keyboard(tr, upcoming))
        return
    if not callback_data.value.isdigit():
        await query.answer(tr("common.stale_button"), show_alert=True)
        return
    event_id = int(callback_data.value)
    if action is EventAction.DROP:
        try:
            item = await planner.upcoming_event(session, event_id, today)
        except planner.EventGoneError:
            await query.answer(tr("events.event_gone"), show_alert=True)
            return
        await show(
            query,
            tr(
                "events.drop_confirm",
                title=esc(item.event.title),
                day=event_when(tr, item.event, member),
                open=item.open,
            ),
            drop_keyboard(tr, event_id),
        )
        return
    try:
        done = await planner.cancel_event(
            session, by=member, event_id=event_id, today=today, now=now
        )
    except planner.EventGoneError:
        await query.answer(tr("events.event_gone"), show_alert=True)
        return
    told = await _tell_managers(session, member, done, now)
    await show(
        query,
        tr(
            "events.dropped",
            title=esc(done.event.title),
            day=event_when(tr, done.event, member),
            closed=done.closed,
            told=told,
        ),
    )


async def _tell_managers(
    session: AsyncSession, head: Member, done: planner.EventCancelled, now: datetime
) -> int:
    """Queue one message to each active member (but the head) whose invitations were closed,
    with the cancellation: it goes out only if that is saved, and is retried until delivered."""
    told = 0
    for receiver in done.members:
        if receiver.id == head.id:
            continue
        receiver_tr = translator(receiver.language)
        text = receiver_tr(
            "events.dropped_notice",
            title=esc(done.event.title),
            day=event_when(receiver_tr, done.event, receiver),
            by=esc(head.full_name),
            count=done.per_member[receiver.id],
        )
        key = f"event_cancelled:{done.event.id}:{receiver.id}"
        told += await notices.queue(session, receiver, key=key, text=text, now=now)
    return told


def _picked_names(data: dict[str, Any], picked_key: str, options_key: str) -> set[str]:
    """The names behind the indexes ticked earlier in this conversation."""
    options = data.get(options_key, [])
    return {options[int(i)] for i in data.get(picked_key, []) if int(i) < len(options)}


async def _pick_tags(
    query: CallbackQuery,
    session: AsyncSession,
    tr: Translator,
    state: FSMContext,
    data: dict[str, Any],
) -> None:
    """The markers in the base as buttons (ticks kept), and typing them still works."""
    options = await planner.tags_in_base(session)
    chosen = list(data.get("tags", []))
    # Markers typed earlier that are not among the buttons still count.
    options += [tag for tag in chosen if tag not in options]
    await state.update_data(mode="tags", tags=chosen, tag_options=options)
    await state.set_state(EventForm.tags)
    if not options:
        await show(query, tr("events.ask_tags"), cancel_keyboard(tr))
        return
    picked = {str(index) for index, tag in enumerate(options) if tag in chosen}
    await show(
        query, tr("events.pick_tags"), toggles_keyboard(tr, _industry_options(options), picked)
    )


async def _toggle(
    query: CallbackQuery, value: str, data: dict[str, Any], tr: Translator, state: FSMContext
) -> None:
    mode = data.get("mode")
    if mode == "tags" and value.isdigit() and int(value) < len(data.get("tag_options", [])):
        # Markers are kept as names (typed ones have no button); the buttons carry indexes.
        options = data["tag_options"]
        tags = list(data.get("tags", []))
        tag = options[int(value)]
        tags = [t for t in tags if t != tag] if tag in tags else [*tags, tag]
        await state.update_data(tags=tags)
        picked = {str(index) for index, name in enumerate(options) if name in tags}
        await show(
            query, tr("events.pick_tags"), toggles_keyboard(tr, _industry_options(options), picked)
        )
        return
    if mode == "categories" and value in {category.value for category in Category}:
        options = _category_options(tr)
    elif (
        mode == "industries"
        and value.isdigit()
        and int(value) < len(data.get("industry_options", []))
    ):
        options = _industry_options(data["industry_options"])
    else:
        await query.answer(tr("common.stale_button"), show_alert=True)
        return
    chosen = set(data.get(mode, []))
    chosen.symmetric_difference_update({value})
    ordered = [option for option, _ in options if option in chosen]
    await state.update_data({mode: ordered})
    key = "events.pick_categories" if mode == "categories" else "events.pick_industries"
    await show(query, tr(key), toggles_keyboard(tr, options, chosen))


async def _save(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    data: dict[str, Any],
) -> None:
    if await state.get_state() != EventForm.confirm.state:
        await query.answer(tr("common.stale_button"), show_alert=True)
        return
    now = clock.now()
    happens_on = date.fromisoformat(data["day"])
    today = local_today(member, now)
    if happens_on <= today:
        await state.set_state(EventForm.day)
        await show(query, past_day_text(tr, happens_on, today))
        return
    audience = _audience_from(data)
    try:
        event, plan = await planner.create_event(
            session,
            by=member,
            title=data["title"],
            happens_on=happens_on,
            audience=audience,
            now=now,
            starts_at=_starts_at(data),
        )
    except planner.DuplicateEventError as error:
        await state.clear()
        await show(query, duplicate_text(tr, await _duplicate(session, error.event), member))
        return
    await state.clear()
    title, day = esc(event.title), event_when(tr, event, member)
    if plan.planned and plan.first_day and plan.last_day:
        text = tr(
            "events.saved",
            title=title,
            day=day,
            planned=plan.planned,
            managers=len(plan.per_member),
            days=days_text(tr, plan.first_day, plan.last_day, local_today(member, now)),
        )
    else:
        text = tr("events.saved_none", title=title, day=day)
    if plan.on_calls:
        text += "\n" + tr("events.saved_on_calls", count=plan.on_calls)
    if plan.at_ceiling:
        text += "\n" + tr("events.saved_ceiling", count=plan.at_ceiling)
    text = "\n".join([text, *waiting_lines(tr, plan)])
    await show(query, text)
