"""The plan on demand (/today, /week, /overdue) and the buttons of reminders and digest items.

/overdue pages through every overdue touch and stale record (the digest shows the most
important few); its arrows re-read the plan, so a page never offers a touch already done.

«✅ Сделано» closes the touch and asks how it went; «⏰ Отложить» moves it by an hour, to
tomorrow or to a typed date and re-enqueues its reminder; «⏭ Пропустить» closes it with a reason.
Every press re-checks that the touch belongs to the member (a head may act on any); a forged or
stale button gets a polite answer.

A plan list (the digest, /today) keeps its text: an item's number opens the card in a new
message, «Отложить» opens the snooze choices under the item itself, and a handled item's row
becomes one button saying so (handlers/plan_list). The log, a typed date and a skip reason go on
in new messages.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import (
    OverduePageCallback,
    PlanAction,
    PlanItemCallback,
    PlanTouchCallback,
    SkipCallback,
    SkipReason,
    SnoozeCallback,
    SnoozeOption,
)
from bot.i18n import Translator
from bot.keyboards import planner as keyboards
from handlers import logging, plan_list
from handlers.clients import send_card, touch_day
from handlers.common import esc, plain, quote, reminder_when, send_new, show
from models import Client, Member, Touch
from models.enums import TouchStatus
from scheduler.delivery import build_markup
from scheduler.jobs import (
    ReminderSlot,
    cancel_reminders,
    cancel_reminders_of,
    enqueue_reminder,
    hold_todays_reminders,
)
from services import digest, planner, validation
from services.clock import Clock
from services.touches import (
    OPEN_STATUSES,
    close_touch,
    data_checks_carried_by,
    same_call_riders,
    snooze_touch,
)

router = Router(name=__name__)

REASON_LIMIT = 500
# Telegram's longest pop-up answer to a button.
ALERT_LIMIT = 200
# A command typed while a date or a reason is awaited runs the command instead.
NOT_A_COMMAND = ~F.text.startswith("/")
SKIP_LABELS = {
    SkipReason.IRRELEVANT: "planner.skip_irrelevant",
    SkipReason.DO_NOT_DISTURB: "planner.skip_do_not_disturb",
    SkipReason.DUPLICATE: "planner.skip_duplicate",
}


class PlannerForm(StatesGroup):
    """A touch waiting for typed input: the snooze date or the skip reason."""

    snooze_date = State()
    skip_reason = State()


# /today and /week


@router.message(Command("today"))
async def cmd_today(
    message: Message, session: AsyncSession, member: Member, tr: Translator, clock: Clock
) -> None:
    """Today's plan, like the morning digest, with its buttons."""
    plan = await digest.build_digest(session, member, clock.now())
    parts = digest.render_digest(
        plan,
        tr.language,
        item_row=keyboards.digest_item_row,
        stale_row=keyboards.stale_row,
        title_key="planner.today_title",
    )
    for part in parts:
        await message.answer(part.text, reply_markup=build_markup(part.payload()))


async def _overdue_page(
    session: AsyncSession, member: Member, tr: Translator, clock: Clock, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of /overdue: its text, the items' buttons and the page arrows."""
    plan = await digest.build_digest(session, member, clock.now())
    shown = digest.render_overdue(
        plan,
        tr.language,
        page,
        item_row=keyboards.digest_item_row,
        stale_row=keyboards.stale_row,
    )
    rows = list(shown.part.buttons)
    pager = keyboards.overdue_pager(tr, shown.page, shown.pages)
    if pager:
        rows.append(pager)
    return shown.part.text, build_markup({"buttons": rows})


@router.message(Command("overdue"))
async def cmd_overdue(
    message: Message, session: AsyncSession, member: Member, tr: Translator, clock: Clock
) -> None:
    """Every overdue touch and stale record, most important first, a page at a time."""
    text, markup = await _overdue_page(session, member, tr, clock, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(OverduePageCallback.filter())
async def cb_overdue_page(
    query: CallbackQuery,
    callback_data: OverduePageCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
) -> None:
    """◀️ / ▶️ on /overdue: the page, read afresh (touches done meanwhile are gone)."""
    text, markup = await _overdue_page(session, member, tr, clock, callback_data.page)
    await show(query, text, markup)


@router.message(Command("week"))
async def cmd_week(
    message: Message, session: AsyncSession, member: Member, tr: Translator, clock: Clock
) -> None:
    """The next seven days, grouped by day, in the member's time."""
    plan = await digest.build_week(session, member, clock.now())
    for text in digest.render_week(plan, tr.language):
        await message.answer(text)


# Buttons


def _closed_text(tr: Translator, touch: Touch, client: Client) -> str:
    """Why a handled touch's button does nothing: done, skipped, or its event cancelled."""
    if touch.status is TouchStatus.DONE:
        key = "planner.already_done"
    elif touch.skip_reason == planner.EVENT_CANCELLED:
        key = "planner.already_event_cancelled"
    else:
        key = "planner.already_skipped"
    return tr(key, client=esc(client.name))


async def _open_touch(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    touch_id: int,
    now: datetime,
) -> tuple[Touch, Client] | None:
    """The touch if the member may act on it and it is still open; otherwise a polite alert
    (and a plan list it was pressed on shows the item as handled)."""
    try:
        touch, client = await digest.touch_for(session, member, touch_id, now)
    except digest.TouchUnavailableError:
        await query.answer(tr("planner.not_yours"), show_alert=True)
        return None
    if touch.status not in OPEN_STATUSES:
        await plan_list.redraw_pressed(query, session, member, tr, now)
        await query.answer(plain(_closed_text(tr, touch, client))[:ALERT_LIMIT], show_alert=True)
        return None
    return touch, client


async def _leave_planner_form(state: FSMContext) -> None:
    """A press on another touch ends a snooze date or skip reason still awaited; a log draft
    under way is left alone (snoozing one touch must not drop the log of another)."""
    current = await state.get_state()
    if current is not None and current in PlannerForm:
        await state.clear()


@router.callback_query(PlanItemCallback.filter())
async def cb_item(
    query: CallbackQuery,
    callback_data: PlanItemCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    """An item's number in a plan list: its card in a new message; the list stays, its rows
    drawn again."""
    now = clock.now()
    await plan_list.redraw_pressed(query, session, member, tr, now)
    touch = await session.get(Touch, callback_data.touch_id)
    if touch is None or not await send_card(query, session, member, tr, clock, touch.client_id):
        callback_answer.text = tr("clients.not_available")
        callback_answer.show_alert = True


@router.callback_query(PlanTouchCallback.filter())
async def cb_touch(
    query: CallbackQuery,
    callback_data: PlanTouchCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    bot: Bot,
) -> None:
    """«Сделано», «Отложить» or «Пропустить» on a reminder or a digest item; «Назад» under a
    list item's snooze choices."""
    now = clock.now()
    if callback_data.action is PlanAction.BACK:
        if not await plan_list.redraw_pressed(query, session, member, tr, now):
            await query.answer(tr("common.stale_button"), show_alert=True)
        return
    found = await _open_touch(query, session, member, tr, callback_data.touch_id, now)
    if found is None:
        return
    touch, client = found
    if callback_data.action is PlanAction.DONE:
        await on_done(query, bot, session, member, state, touch, client, tr, now)
        return
    await _leave_planner_form(state)
    if callback_data.action is PlanAction.SNOOZE and await plan_list.redraw_pressed(
        query, session, member, tr, now, expand=touch.id
    ):
        return
    goal = esc(digest.clip(touch.goal, 200))
    if callback_data.action is PlanAction.SNOOZE:
        text = tr("planner.snooze_ask", client=esc(client.name), goal=goal)
        markup = keyboards.snooze_choices(tr, touch.id)
    else:
        text = tr("planner.skip_ask", client=esc(client.name), goal=goal)
        markup = keyboards.skip_reasons(tr, touch.id)
        # Skipped from a list: the item's choices close, and the list follows the reason.
        if await plan_list.redraw_pressed(query, session, member, tr, now):
            await plan_list.remember(state, query)
    await bot.send_message(query.from_user.id, text, reply_markup=markup)


async def on_done(
    query: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    member: Member,
    state: FSMContext,
    touch: Touch,
    client: Client,
    tr: Translator,
    now: datetime,
) -> None:
    """Mark the touch done and open the logging flow at once, pre-filled with client and goal.

    The flow starts in a new message so the digest or reminder it was pressed on stays intact
    (a list shows the item done); the interaction saved from it refers to this touch (it does
    not close another one). A log of another touch still under way is dropped first, its touch
    back in the plan.
    """
    await logging.drop_draft(bot, session, member, tr, state, now)
    # The touches made on the same call are offered when the log is saved: no ping about
    # them while it is being written.
    riders = await same_call_riders(session, touch, digest.local_today(member, now))
    await hold_todays_reminders(session, riders, member, now)
    close_touch(touch, TouchStatus.DONE, now)
    await cancel_reminders(session, touch.id)
    if not await plan_list.redraw_pressed(query, session, member, tr, now):
        await _mark_pressed_message(query, touch.id, "✅")
    prompt = tr("logging.done_prompt", client=esc(client.name), goal=esc(touch.goal))
    if isinstance(query.message, Message):
        await query.message.answer(prompt)
        under: Message = query.message
    else:
        # Too old to answer under: the flow starts from a fresh message all the same, so the
        # touch closed here has its draft (a cancel or a reset puts it back into the plan).
        under = (await bot.send_message(query.from_user.id, prompt)).as_(bot)
    await logging.start_for_touch(under, session, member, tr, now, state, touch)
    # Cancelling this log puts the touch back: its list then shows the item open again.
    await plan_list.remember(state, query)


async def _mark_pressed_message(query: CallbackQuery, touch_id: int, mark: str) -> None:
    """Take the touch's buttons off the message it was pressed on (a reminder or a digest)."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    markup = keyboards.without_touch(message.reply_markup, touch_id, mark)
    if markup == message.reply_markup:
        return
    with suppress(TelegramBadRequest):
        # Too old to edit, or already edited: the buttons re-check anyway.
        await message.edit_reply_markup(reply_markup=markup)


@dataclass(frozen=True)
class _Snoozed:
    """Where a snoozed touch's reminder went (None: no window), and what moved with it."""

    slot: ReminderSlot | None
    check_moved: bool
    riders: int


async def _snooze(
    session: AsyncSession,
    touch: Touch,
    client: Client,
    member: Member,
    until: datetime,
    now: datetime,
) -> _Snoozed:
    """Move the touch to `until` and enqueue its next reminder there.

    A data check the touch carries moves with it, and so do the touches listed under it as
    made on the same call: snoozing the call must not leave them to be reminded on their own.
    """
    zone = ZoneInfo(member.timezone)
    today = now.astimezone(zone).date()
    checks = await data_checks_carried_by(session, touch, today)
    riders = await same_call_riders(session, touch, today)
    moving = [touch, *checks, *riders]
    await cancel_reminders_of(session, [other.id for other in moving])
    snooze_touch(touch, until, until.astimezone(zone).date())
    for rider in riders:
        # Moved before the reminder names them, so it doesn't call them overdue.
        snooze_touch(rider, until, touch.due_on)
    slot = await enqueue_reminder(
        session, touch, client, member, now, check_data=bool(checks), riders=riders
    )
    if slot is not None and slot.local_date > touch.due_on:
        touch.due_on = slot.local_date
    for other in [*checks, *riders]:
        snooze_touch(other, until, touch.due_on)
    return _Snoozed(slot, bool(checks), len(riders))


def _snooze_text(
    snoozed: _Snoozed,
    touch: Touch,
    client: Client,
    member: Member,
    tr: Translator,
    now: datetime,
) -> str:
    zone = ZoneInfo(member.timezone)
    slot = snoozed.slot
    if slot is None:
        today = now.astimezone(zone).date()
        text = tr(
            "planner.snoozed_quiet",
            date=tr.fmt_weekday(touch.due_on, today),
            client=esc(client.name),
        )
    else:
        text = tr(
            "planner.snoozed", client=esc(client.name), when=reminder_when(slot, tr, zone, now)
        )
    if snoozed.riders:
        text += "\n" + tr("planner.snoozed_same_call_too", count=snoozed.riders)
    if snoozed.check_moved:
        text += "\n" + tr("planner.snoozed_check_too")
    return text


async def _confirm_snooze(
    target: CallbackQuery | Message,
    snoozed: _Snoozed,
    touch: Touch,
    client: Client,
    member: Member,
    tr: Translator,
    now: datetime,
) -> None:
    text = _snooze_text(snoozed, touch, client, member, tr, now)
    if isinstance(target, CallbackQuery):
        await show(target, text)
    else:
        await target.answer(text)


@router.callback_query(SnoozeCallback.filter())
async def cb_snooze(
    query: CallbackQuery,
    callback_data: SnoozeCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    """«на 1 час», «завтра» or «выбрать дату» (under a list item, or in their own message)."""
    now = clock.now()
    found = await _open_touch(query, session, member, tr, callback_data.touch_id, now)
    if found is None:
        return
    touch, client = found
    zone = ZoneInfo(member.timezone)
    await _leave_planner_form(state)
    if callback_data.option is SnoozeOption.DATE:
        # The next message is the date: a log under way can no longer take it.
        await logging.drop_draft(bot, session, member, tr, state, now)
        await _ask_snooze_date(query, session, member, tr, state, touch, client, now)
        return
    if callback_data.option is SnoozeOption.HOUR:
        until = now + timedelta(hours=1)
    else:
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        until = datetime.combine(tomorrow, member.work_start, tzinfo=zone)
    snoozed = await _snooze(session, touch, client, member, until, now)
    if await plan_list.redraw_pressed(query, session, member, tr, now):
        # The item's row now says when it comes back; the rest of the answer is a pop-up.
        text = _snooze_text(snoozed, touch, client, member, tr, now)
        callback_answer.text = plain(text)[:ALERT_LIMIT]
        return
    await _confirm_snooze(query, snoozed, touch, client, member, tr, now)


async def _ask_snooze_date(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    touch: Touch,
    client: Client,
    now: datetime,
) -> None:
    """«выбрать дату»: wait for a typed date; under a list item the question comes as a new
    message naming the client, and the list is drawn again once the date is given."""
    ref = plan_list.reference(query)
    await state.set_state(PlannerForm.snooze_date)
    await state.update_data(touch_id=touch.id, **{plan_list.REMEMBERED: ref})
    if ref is None:
        await show(query, tr("planner.snooze_ask_date"))
        return
    await plan_list.redraw_pressed(query, session, member, tr, now)
    goal = esc(digest.clip(touch.goal, 200))
    await send_new(query, tr("planner.snooze_ask_date_for", client=esc(client.name), goal=goal))


async def _touch_from_state(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    now: datetime,
) -> tuple[Touch, Client] | None:
    touch_id = (await state.get_data()).get("touch_id")
    try:
        touch, client = await digest.touch_for(session, member, int(touch_id or 0), now)
    except digest.TouchUnavailableError:
        await state.clear()
        await message.answer(tr("planner.not_yours"))
        return None
    if touch.status not in OPEN_STATUSES:
        await state.clear()
        await message.answer(_closed_text(tr, touch, client))
        return None
    return touch, client


@router.message(PlannerForm.snooze_date, F.text, NOT_A_COMMAND)
async def on_snooze_date(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    bot: Bot,
) -> None:
    """A typed date to move the touch to."""
    now = clock.now()
    found = await _touch_from_state(message, session, member, tr, state, clock.now())
    if found is None:
        return
    touch, client = found
    zone = ZoneInfo(member.timezone)
    try:
        when = digest.parse_future_moment(message.text or "", now.astimezone(zone), tr.language)
    except validation.ValidationError as error:
        key = {
            "date_past": "planner.snooze_date_past",
            "date_far": "planner.snooze_date_far",
        }.get(error.code, "planner.snooze_date_invalid")
        await message.answer(tr(key, text=quote(message.text)))
        return
    remembered = (await state.get_data()).get(plan_list.REMEMBERED)
    await state.clear()
    until = (
        when.astimezone(zone)
        if isinstance(when, datetime)
        else datetime.combine(when, member.work_start, tzinfo=zone)
    )
    snoozed = await _snooze(session, touch, client, member, until, now)
    await _confirm_snooze(message, snoozed, touch, client, member, tr, now)
    await plan_list.redraw_remembered(bot, session, member, tr, now, remembered)


def _skipped_text(
    tr: Translator, client: Client, reason: str, following: Touch | None, now: datetime
) -> str:
    """«⏭ Пропущено: Ромашка — не актуально.» and the client's next touch, so the manager
    sees the client is not dropped (or that nothing is planned)."""
    text = tr("planner.skipped", client=esc(client.name), reason=esc(reason))
    if following is None:
        return text + "\n" + tr("clients.no_next_touch")
    return (
        text
        + "\n"
        + tr(
            "clients.next_touch",
            date=touch_day(tr, following.due_on, planner.local_today(now, client.timezone)),
            goal=esc(digest.clip(following.goal, 200)),
        )
    )


@router.callback_query(SkipCallback.filter())
async def cb_skip(
    query: CallbackQuery,
    callback_data: SkipCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    bot: Bot,
) -> None:
    """A skip reason picked from buttons, or «своя причина» to type one."""
    now = clock.now()
    found = await _open_touch(query, session, member, tr, callback_data.touch_id, now)
    if found is None:
        return
    touch, client = found
    if callback_data.reason is SkipReason.OTHER:
        remembered = (await state.get_data()).get(plan_list.REMEMBERED)
        # The next message is the reason: a log under way can no longer take it.
        await logging.drop_draft(bot, session, member, tr, state, now)
        await state.set_state(PlannerForm.skip_reason)
        await state.update_data(touch_id=touch.id, **{plan_list.REMEMBERED: remembered})
        await show(query, tr("planner.skip_ask_text"))
        return
    remembered = (await state.get_data()).get(plan_list.REMEMBERED)
    await _leave_planner_form(state)
    reason = tr(SKIP_LABELS[callback_data.reason])
    following = await planner.skip_touch(session, touch, reason, now)
    await cancel_reminders(session, touch.id)
    await show(query, _skipped_text(tr, client, reason, following, now))
    await plan_list.redraw_remembered(bot, session, member, tr, now, remembered)


@router.message(PlannerForm.skip_reason, F.text, NOT_A_COMMAND)
async def on_skip_reason(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    bot: Bot,
) -> None:
    """A typed reason to skip the touch."""
    now = clock.now()
    found = await _touch_from_state(message, session, member, tr, state, now)
    if found is None:
        return
    touch, client = found
    try:
        reason = validation.clean_text(message.text, max_length=REASON_LIMIT)
    except validation.ValidationError:
        await message.answer(tr("planner.skip_reason_empty"))
        return
    remembered = (await state.get_data()).get(plan_list.REMEMBERED)
    await state.clear()
    following = await planner.skip_touch(session, touch, reason, now)
    await cancel_reminders(session, touch.id)
    await message.answer(_skipped_text(tr, client, reason, following, now))
    await plan_list.redraw_remembered(bot, session, member, tr, now, remembered)
