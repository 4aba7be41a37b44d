"""Logging a contact by chatting: one message → a confirmation card → «💾 Сохранить».

Free text that reads as a log message (not a lookup, no other conversation under way) is parsed
in the manager's local time into a draft kept in the conversation state, so it survives a
restart. The bot asks for what is missing (the client among candidates, the goal with quick
picks, the result, the outcome), every field can be corrected from the card, and «Сохранить»
saves through services.interactions. `/log` is the guided path; a card's «📝 Записать касание»
and a reminder's «Сделано» open it pre-filled. Text typed while a draft waits on a button
completes it when it tells what the draft lacks. Files sent with the draft, or right after
saving, are attached. A message about a contact still to come («Встреча с Морозовым завтра в
15:00, обсудить каталог») is a plan: its card «🗓 Запланировать» saves a planned touch instead.

A touch closed by «✅ Сделано» is logged through its draft; a draft that leaves the conversation
unsaved — cancelled, replaced, or wiped by whatever command or button reset the conversation —
puts its touch back into the plan (`put_back_dropped`, run after every update by
bot.middlewares.UnloggedTouchGuard), and the manager is told so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, cast
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import LogCallback
from bot.i18n import Translator
from bot.keyboards import logging as keyboards
from bot.keyboards import planner as plan_keyboards
from handlers import plan_list
from handlers.common import esc, quote, show
from models import Client, Member, Touch
from models.enums import Role, TouchReason, TouchStatus
from scheduler.jobs import (
    AGREED_TIME_NOTICE,
    cancel_reminders,
    hold_todays_reminders,
    release_held_reminders,
)
from services import access, interactions, planner
from services.client_card import clip
from services.clients import search_clients, strong_hit
from services.clock import Clock
from services.digest import ClientView, TouchView, touch_contact
from services.interactions import Draft
from services.parsing import (
    ParsedInteraction,
    classify_message,
    parse_interaction,
    refused_answer,
)
from services.touches import OPEN_STATUSES, close_touch, reopen_unlogged

router = Router(name=__name__)
# Matches before the client lookup: text typed while a draft waits on a button or its card.
pending_router = Router(name=f"{__name__}.pending")

NOT_A_COMMAND = ~F.text.startswith("/")
# The conversation data key of a draft put aside while /new creates its client
# («➕ Создать клиента «…»»); it resumes once the client exists.
PARKED_DRAFT: Final = "log_draft"
TEXT_LIMIT = 1000
FILE_KINDS = ("voice", "audio", "photo", "document")
TYPED_FIELDS = ("goal", "result", "next")


class LogForm(StatesGroup):
    """A typed field awaited (ask), a client searched (search).

    A draft on screen waiting for a button keeps no state (only the data), so a lookup or any
    other command typed meanwhile works as usual; a log message about another client replaces
    the draft, one that tells the draft what it lacks completes it.
    """

    ask = State()
    search = State()


Target = Message | CallbackQuery


async def _reply(target: Target, text: str, markup: Any = None) -> None:
    if isinstance(target, CallbackQuery):
        await show(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)


async def _draft(state: FSMContext) -> Draft | None:
    data = await state.get_data()
    return Draft.from_json(data["draft"]) if "draft" in data else None


async def _keep(
    state: FSMContext, draft: Draft, form: State | None, asking: str | None = None
) -> None:
    # The plan list «✅ Сделано» was pressed on rides along, to be drawn again on cancel.
    listed = (await state.get_data()).get(plan_list.REMEMBERED)
    await state.set_state(form)
    await state.set_data(
        {"draft": draft.as_json(), "asking": asking, plan_list.REMEMBERED: listed}
    )


def _is_log(message: Message) -> bool:
    text = message.text or ""
    return bool(text.strip()) and classify_message(text) == "log"


def _when_text(tr: Translator, draft: Draft) -> str | None:
    value = draft.next_touch_value
    if isinstance(value, datetime):
        return f"{tr.fmt_date(value, 'EEE dd.MM')} {tr.fmt_time(value)}"
    if isinstance(value, date):
        return tr.fmt_date(value, "EEE dd.MM")
    return None


def _next_text(tr: Translator, draft: Draft) -> str:
    parts = [esc(draft.next_step)] if draft.next_step else []
    when = _when_text(tr, draft)
    if when:
        parts.append(when)
    return " — ".join(parts) or tr("logging.empty")


async def _card_text(session: AsyncSession, tr: Translator, draft: Draft) -> str:
    client = await session.get(Client, draft.client_id) if draft.client_id else None
    empty = tr("logging.empty")

    def label(group: str, value: str | None) -> str:
        return tr(f"logging.{group}.{value}") if value else empty

    if draft.plan:
        return tr(
            "logging.plan_card",
            client=esc(client.name) if client else empty,
            contact=esc(draft.contact_name) or empty,
            channel=label("channel", draft.channel),
            when=_when_text(tr, draft) or empty,
            goal=esc(draft.goal) or empty,
        )
    return tr(
        "logging.card",
        client=esc(client.name) if client else empty,
        contact=esc(draft.contact_name) or empty,
        channel=label("channel", draft.channel),
        direction=label("direction", draft.direction),
        goal=esc(draft.goal) or empty,
        result=esc(draft.result) or empty,
        outcome=label("outcome", draft.outcome),
        next=_next_text(tr, draft),
        files=len(draft.attachments),
    )


async def _goal_markup(session: AsyncSession, tr: Translator, draft: Draft) -> Any:
    """The goal picks, led by the goal of the client's planned touch when there is one."""
    touch = await planner.soonest_open_touch(session, draft.client_id) if draft.client_id else None
    if touch is None:
        return keyboards.quick_goals(tr)
    return keyboards.goals_with_plan(tr, touch.goal)


def _typed_markup(tr: Translator, field: str) -> Any:
    """The buttons under a question answered by typing: quick picks for the goal, «Без даты»
    for the next step, and always «✖️ Отмена»."""
    if field == "goal":
        return keyboards.quick_goals(tr)
    if field == "next":
        return keyboards.skip_next(tr)
    return keyboards.cancel_only(tr)


async def _advance(
    target: Target,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    draft: Draft,
) -> None:
    """Ask for the first missing field, or show the confirmation card."""
    if draft.client_id is None:
        await _ask_client(target, session, member, tr, state, draft)
        return
    if draft.contact_name is None:
        draft.contact_name = await interactions.sole_contact_name(session, draft.client_id)
    if draft.plan:
        await _advance_plan(target, session, tr, state, draft)
        return
    order = (
        ("channel", "goal", "result", "outcome", "next")
        if draft.guided
        else ("goal", "result", "outcome", "channel")
    )
    for name in order:
        if name == "next":
            if not draft.next_step and not draft.next_touch and not draft.next_asked:
                await _keep(state, draft, LogForm.ask, "next")
                await _reply(target, tr("logging.ask.next"), _typed_markup(tr, "next"))
                return
            continue
        if getattr(draft, name):
            continue
        if name in keyboards.CHOICES:
            await _keep(state, draft, None)
            text = tr(f"logging.ask.{name}")
            # The guided path's first question after the client: name the one taken, so
            # «/log Ромашк» or a look-alike picked is seen to be the right client. «✅ Сделано»
            # has just named it with the touch's goal.
            named = name == "channel" and draft.touch_id is None
            client = await session.get(Client, draft.client_id) if named else None
            if client is not None:
                text = tr("logging.ask.channel_with_client", client=esc(client.name))
            await _reply(target, text, keyboards.choices(tr, name))
        else:
            await _keep(state, draft, LogForm.ask, name)
            markup = (
                await _goal_markup(session, tr, draft)
                if name == "goal"
                else _typed_markup(tr, name)
            )
            await _reply(target, tr(f"logging.ask.{name}"), markup)
        return
    if draft.refused_reason and not draft.next_touch:
        # «перезвонить 31 февраля»: say why that date can't be planned and ask for another.
        await _keep(state, draft, LogForm.ask, "next")
        refusal = tr(
            f"parsing.date_refused.{draft.refused_reason}", phrase=esc(draft.refused_phrase)
        )
        await _reply(target, refusal, _typed_markup(tr, "next"))
        return
    await _keep(state, draft, None)
    await _reply(target, await _card_text(session, tr, draft), keyboards.draft_card(tr))


async def _advance_plan(
    target: Target, session: AsyncSession, tr: Translator, state: FSMContext, draft: Draft
) -> None:
    """A plan asks for its goal and its day when the message did not tell them, then shows
    its card: «🗓 Запланировать», its fields to correct, «📝 Это уже было», «✖️ Отмена»."""
    if not draft.goal:
        await _keep(state, draft, LogForm.ask, "goal")
        await _reply(target, tr("logging.ask.plan_goal"), keyboards.quick_goals(tr))
    elif not draft.next_touch:
        await _keep(state, draft, LogForm.ask, "when")
        client = await session.get(Client, draft.client_id) if draft.client_id else None
        if client is None:
            await _reply(target, tr("logging.ask.when"), keyboards.cancel_only(tr))
            return
        # Said again: the question may come a few messages after the one it is about.
        text = tr(
            "logging.ask.plan_when",
            client=esc(client.name),
            goal=esc(interactions.plan_goal(draft, tr.language)),
        )
        await _reply(target, text, keyboards.plan_when(tr))
    else:
        await _keep(state, draft, None)
        await _reply(target, await _card_text(session, tr, draft), keyboards.plan_card(tr))


async def _ask_client(
    target: Target,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    draft: Draft,
) -> None:
    if len(draft.candidates) > 1:
        rows = await interactions.visible_names(session, member, draft.candidates[:6])
        await _keep(state, draft, None)
        await _reply(target, tr("logging.ask.which_client"), keyboards.clients_choice(tr, rows))
        return
    if draft.guided:
        await _keep(state, draft, LogForm.search)
        await _reply(
            target,
            tr("logging.ask.client"),
            keyboards.cancel_only(tr),
        )
        return
    name = draft.contact_name or ""
    if not name:
        # Nothing in the message names the client: ask for it, keeping what it told.
        await _keep(state, draft, LogForm.search)
        await _reply(target, tr("logging.ask.client"), keyboards.cancel_only(tr))
        return
    # Unknown client: «➕ Создать» opens /new with the name (a person's: the parser read it
    # as a contact) and the draft, which resumes once the client exists; or type another name.
    await _keep(state, draft, LogForm.search)
    await state.update_data(search_prefill=name, prefill_person=True)
    await _reply(
        target, tr("logging.unknown_client", name=esc(name)), keyboards.create_client(tr, name)
    )


def parked(data: Mapping[str, Any]) -> dict[str, Any]:
    """The draft under way put aside while /new creates its client («➕ Создать клиента»), as
    /new's conversation data: with the plan list «✅ Сделано» was pressed on, so that the list
    is drawn again however the draft ends."""
    return {PARKED_DRAFT: data["draft"], plan_list.REMEMBERED: data.get(plan_list.REMEMBERED)}


async def resume_with_client(
    target: Target,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    data: Mapping[str, Any],
    client_id: int,
) -> None:
    """A draft put aside to create its client (`parked` in /new's `data`) goes on with it."""
    draft = Draft.from_json(data[PARKED_DRAFT])
    draft.client_id = client_id
    draft.candidates = [client_id]
    await state.update_data({plan_list.REMEMBERED: data.get(plan_list.REMEMBERED)})
    await _advance(target, session, member, tr, state, draft)


# Free text, attachments and /log.


async def _parse_once(
    message: Message, text: str, session: AsyncSession, member: Member, clock: Clock
) -> ParsedInteraction:
    """The message's reading, parsed once per update: `_continues_draft` may have read it
    before the handler that takes it (kept in the update's session)."""
    key = ("parsed", message.chat.id, message.message_id, text)
    parsed = session.info.get(key)
    if parsed is None:
        index = await interactions.candidates_for(session, member)
        now = interactions.local_now(member, clock.now())
        parsed = session.info[key] = parse_interaction(text, now=now, index=index)
    return cast(ParsedInteraction, parsed)


async def _continues_draft(
    message: Message, session: AsyncSession, member: Member, clock: Clock, state: FSMContext
) -> dict[str, Any] | bool:
    """Text typed while a draft waits on a button or on its card that continues the draft
    (`Draft.continued_by`); anything else — a lookup, a log about another client — goes its
    usual way."""
    data = await state.get_data()
    text = (message.text or "")[:TEXT_LIMIT]
    if "draft" not in data or not text.strip():
        return False
    parsed = await _parse_once(message, text, session, member, clock)
    draft = Draft.from_json(data["draft"]).continued_by(parsed, text)
    return {"draft": draft} if draft is not None else False


@pending_router.message(StateFilter(None), F.text, NOT_A_COMMAND, _continues_draft)
async def on_text_for_draft(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    draft: Draft,
) -> None:
    """The draft, completed by what was typed, asks its next question or shows its card."""
    await _advance(message, session, member, tr, state, draft)


@router.message(StateFilter(None), F.text, NOT_A_COMMAND, _is_log)
async def on_log_text(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A message about a contact becomes a draft."""
    await _start_from_text(message, message.text or "", session, member, tr, clock, state)


async def _start_from_text(
    message: Message,
    text: str,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    attachment: dict[str, Any] | None = None,
) -> None:
    if await interactions.existing_for_message(session, message.chat.id, message.message_id):
        await message.answer(tr("logging.already_saved"))
        return
    data = await state.get_data()
    previous = Draft.from_json(data["draft"]) if "draft" in data else None
    replaced = previous.client_id if previous is not None else None
    parsed = await _parse_once(message, text[:TEXT_LIMIT], session, member, clock)
    draft = Draft.from_parsed(parsed, text[:TEXT_LIMIT])
    reopened: list[Touch] = []
    if previous is not None and replaced is not None and draft.client_id == replaced:
        # The same client's draft told again: it logs the touch «✅ Сделано» opened it for.
        draft.touch_id = previous.touch_id
    else:
        # Another client's: a touch «✅ Сделано» closed for the old draft goes back into the
        # plan, as when that draft is cancelled, said in the same message.
        reopened = await drop_draft(
            message.bot, session, member, tr, state, clock.now(), tell=False
        )
    # An unsaved card is never dropped in silence: the manager may think it was saved.
    client = await session.get(Client, replaced) if replaced else None
    lines = [await _back_in_plan(session, tr, touch) for touch in reopened]
    if client is not None:
        key = "draft_replaced_same" if draft.client_id == replaced else "draft_replaced"
        lines.insert(0, tr(f"logging.{key}", client=esc(client.name)))
    if lines:
        await message.answer("\n".join(lines))
    draft.chat_id = message.chat.id
    draft.message_id = message.message_id
    if attachment is not None:
        draft.attachments.append(attachment)
    await interactions.adopt_planned_goal(session, member, draft, clock.now())
    await _advance(message, session, member, tr, state, draft)


@router.edited_message(F.text)
async def on_edited_text(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """An edited log message updates its unsaved draft (files and the touch are kept)."""
    old = await _draft(state)
    if old is None or old.message_id != message.message_id or old.chat_id != message.chat.id:
        return
    text = (message.text or "")[:TEXT_LIMIT]
    index = await interactions.candidates_for(session, member)
    parsed = parse_interaction(text, now=interactions.local_now(member, clock.now()), index=index)
    draft = Draft.from_parsed(parsed, text)
    draft.chat_id, draft.message_id = old.chat_id, old.message_id
    draft.touch_id, draft.attachments = old.touch_id, old.attachments
    await _advance(message, session, member, tr, state, draft)


@router.message(Command("log"))
async def cmd_log(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The guided path: client → channel → goal → result → outcome → next step; `/log Ромашка`
    names the client at once."""
    await drop_draft(message.bot, session, member, tr, state, clock.now())
    await state.clear()
    draft = Draft(guided=True, chat_id=message.chat.id, message_id=message.message_id)
    query = (command.args or "").strip()[:100]
    if not query:
        await _advance(message, session, member, tr, state, draft)
        return
    await _keep(state, draft, LogForm.search)
    await _find_client(message, session, member, tr, state, draft, query)


async def _find_client(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    draft: Draft,
    query: str,
) -> None:
    """The client named by typing: one match — or one clear hit, as a search opens its card —
    is taken, several are offered as buttons, none offers «➕ Создать клиента «…»»."""
    hits = await search_clients(session, member, query)
    # «Вектор» is ООО «Вектор», not a choice beside two clients whose Виктор looks like it.
    taken = hits[0] if len(hits) == 1 else strong_hit(hits)
    if taken is not None:
        draft.client_id = taken.client_id
        draft.candidates = [taken.client_id]
        await _advance(message, session, member, tr, state, draft)
        return
    if not hits:
        await state.update_data(search_prefill=query, prefill_person=False)
        await message.answer(
            tr("logging.search_none_create", query=quote(query)),
            reply_markup=keyboards.create_client(tr, query),
        )
        return
    rows = [(hit.client_id, hit.name) for hit in hits[:6]]
    await message.answer(
        tr("logging.ask.which_client"), reply_markup=keyboards.clients_choice(tr, rows)
    )


@router.message(LogForm.search, F.text, NOT_A_COMMAND)
async def on_client_search(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The client typed when asked for (`_find_client`); a whole log message typed instead
    starts its own draft."""
    draft = await _draft(state)
    if draft is None:
        await state.clear()
        return
    if _is_log(message):
        await _start_from_text(message, message.text or "", session, member, tr, clock, state)
        return
    await _find_client(
        message, session, member, tr, state, draft, (message.text or "").strip()[:100]
    )


def read_typed_date(
    text: str, member: Member, now: datetime, tr: Translator
) -> tuple[ParsedInteraction, str]:
    """A typed answer to «when?» read on the member's clock, as a log message's next date is
    («пятница», «25.11», «через неделю», «завтра в 15:00»): the reading, with its `next_touch`
    when a date reads, and the answer that says why when none does (no date, an impossible or
    a past one). Every question for a date reads it here."""
    local_now = interactions.local_now(member, now)
    parsed = parse_interaction(text, now=local_now)
    refused = parsed.refused_date
    if parsed.next_touch is None and refused is None:
        # «10.11.2026», «вчера»: a past day typed on its own is the answer, and it is gone.
        refused = refused_answer(text, local_now)
    refusal = (
        tr(refused.message_key, phrase=esc(refused.phrase))
        if refused is not None
        else tr("logging.date_unknown")
    )
    return parsed, refusal


@router.message(LogForm.ask, F.text, NOT_A_COMMAND)
async def on_typed_field(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A typed goal, result (with the outcome and the next date it tells) or next step (with
    its date); a log message about another client typed instead starts that client's draft
    rather than becoming this one's answer."""
    data = await state.get_data()
    draft = Draft.from_json(data.get("draft"))
    asking = data.get("asking")
    text = (message.text or "").strip()[:TEXT_LIMIT]
    reading = await _parse_once(message, text, session, member, clock)
    # «Звонил Сидорову из Рогов и копыт, …» is about another client, known or not.
    if _is_log(message) and draft.names_another_client(reading):
        await _start_from_text(message, text, session, member, tr, clock, state)
        return
    if asking in ("next", "when"):
        # The next step of a log, or when a plan is due: a date is asked until one reads.
        parsed, refusal = read_typed_date(text, member, clock.now(), tr)
        next_touch = parsed.next_touch
        if next_touch is None:
            markup = _typed_markup(tr, "next") if asking == "next" else keyboards.cancel_only(tr)
            await message.answer(refusal, reply_markup=markup)
            return
        draft.next_touch = next_touch.isoformat()
        if asking == "next":
            draft.next_step = parsed.next_step or draft.next_step or text
            draft.next_asked = True
            draft.refused_phrase = draft.refused_reason = None
    elif asking == "result":
        draft.take_result(reading, text)
    elif asking == "goal":
        draft.goal = text
    await _advance(message, session, member, tr, state, draft)


@router.message(F.voice | F.audio | F.photo | F.document)
async def on_file(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A file joins the draft, starts one with a log caption, or joins the last saved touch."""
    item = _attachment(message)
    data = await state.get_data()
    if "draft" in data:
        draft = Draft.from_json(data["draft"])
        draft.attachments.append(item)
        await state.update_data(draft=draft.as_json())
        await message.answer(tr("logging.attached_draft"))
        return
    caption = message.caption or ""
    if caption.strip() and classify_message(caption) == "log":
        await _start_from_text(message, caption, session, member, tr, clock, state, item)
        return
    last = data.get("last_saved")
    if isinstance(last, int):
        try:
            await interactions.attach(session, member, last, item, clock.now())
        except access.AccessDeniedError:
            await message.answer(tr(_nowhere_key(item)))
            return
        await message.answer(tr("logging.attached_saved"))
        return
    await message.answer(tr(_nowhere_key(item)))


def _nowhere_key(item: dict[str, Any]) -> str:
    """A voice note alone is most likely a log said aloud: say that it is not transcribed."""
    spoken = item["kind"] in {"voice", "audio"}
    return "logging.attach_nowhere_voice" if spoken else "logging.attach_nowhere"


def _attachment(message: Message) -> dict[str, Any]:
    if message.photo:
        photo = message.photo[-1]
        return {
            "kind": "photo",
            "file_id": photo.file_id,
            "file_unique_id": photo.file_unique_id,
            "file_name": None,
            "caption": message.caption,
        }
    for kind in FILE_KINDS:
        media = getattr(message, kind, None)
        if media is not None:
            return {
                "kind": kind,
                "file_id": media.file_id,
                "file_unique_id": media.file_unique_id,
                "file_name": getattr(media, "file_name", None),
                "caption": message.caption,
            }
    raise ValueError("no file in the message")


# Buttons.


async def _stale(query: CallbackQuery, tr: Translator) -> None:
    await query.answer(tr("logging.stale"), show_alert=True)


def held_touches(data: Mapping[str, Any]) -> set[int]:
    """The touches closed by «✅ Сделано» that the conversation's drafts are to log: the draft
    under way, and one put aside while /new creates its client."""
    held = set()
    for key in ("draft", PARKED_DRAFT):
        draft = data.get(key)
        touch_id = draft.get("touch_id") if isinstance(draft, dict) else None
        if isinstance(touch_id, int):
            held.add(touch_id)
    return held


async def _reopen(
    bot: Bot | None,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    touch_ids: Iterable[int],
    listed: object,
    now: datetime,
) -> list[Touch]:
    """Put back into the plan the touches whose drafts were dropped unsaved (those with a
    logged interaction stay done); the plan list «✅ Сделано» was pressed on (`listed`) shows
    them open again. Returns the touches reopened."""
    reopened = [
        touch
        for touch_id in sorted(touch_ids)
        if (touch := await reopen_unlogged(session, touch_id)) is not None
    ]
    await release_held_reminders(session, reopened, member, now)
    if reopened and bot is not None:
        await plan_list.redraw_remembered(bot, session, member, tr, now, listed)
    return reopened


async def _back_in_plan(session: AsyncSession, tr: Translator, touch: Touch) -> str:
    """«Касание с <b>ООО «Ромашка»</b> не записано и снова в плане: 🎯 …» for a touch reopened."""
    client = await session.get(Client, touch.client_id)
    return tr(
        "logging.touch_back", client=esc(client.name if client else ""), goal=esc(touch.goal)
    )


async def _tell_back_in_plan(
    bot: Bot, session: AsyncSession, member: Member, tr: Translator, touches: list[Touch]
) -> None:
    for touch in touches:
        await bot.send_message(member.telegram_id, await _back_in_plan(session, tr, touch))


async def put_back_dropped(
    bot: Bot,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    now: datetime,
) -> None:
    """After an update: a draft opened by «✅ Сделано» that the update took out of the
    conversation unsaved (whichever command or button reset it) puts its touch back into the
    plan, and the manager is told in one line. `before` and `after` are the conversation data
    around the update; a draft saved or still held changes nothing."""
    dropped = held_touches(before) - held_touches(after)
    if not dropped:
        return
    touches = await _reopen(
        bot, session, member, tr, dropped, before.get(plan_list.REMEMBERED), now
    )
    await _tell_back_in_plan(bot, session, member, tr, touches)


async def _drop(
    bot: Bot | None,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    now: datetime,
) -> tuple[bool, list[Touch]]:
    data = await state.get_data()
    if "draft" not in data:
        return False, []
    await state.clear()
    listed = data.get(plan_list.REMEMBERED)
    return True, await _reopen(bot, session, member, tr, held_touches(data), listed, now)


async def drop_draft(
    bot: Bot | None,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    now: datetime,
    *,
    tell: bool = True,
) -> list[Touch]:
    """Drop a draft under way, if any: a touch «✅ Сделано» closed for it goes back into the
    plan (its plan list shows it open again) and, unless `tell` is False, the manager is told
    before whatever comes next. Returns the touches reopened."""
    touches = (await _drop(bot, session, member, tr, state, now))[1]
    if tell and bot is not None:
        await _tell_back_in_plan(bot, session, member, tr, touches)
    return touches


async def cancel_draft(
    bot: Bot,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    now: datetime,
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """Drop the draft under way (a touch «✅ Сделано» closed for it goes back into the plan);
    the answer to give, None when there was no draft. Shared by «✖️ Отмена» and /cancel.

    A touch back in the plan comes with its reminder's buttons: snoozed or skipped right
    there, instead of looked for in /today."""
    dropped, touches = await _drop(bot, session, member, tr, state, now)
    if not dropped:
        return None
    if not touches:
        return tr("logging.cancelled"), None
    touch = touches[0]
    return (
        tr("logging.cancelled_touch_reopened", goal=esc(touch.goal)),
        plan_keyboards.touch_buttons(tr, touch.id, touch.client_id),
    )


@router.callback_query(LogCallback.filter(F.action == "cancel"))
async def cb_cancel(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    bot: Bot,
) -> None:
    """«✖️ Отмена»: nothing is saved; a touch «✅ Сделано» closed for this draft reopens."""
    answer = await cancel_draft(bot, session, member, tr, state, clock.now())
    if answer is None:
        await state.clear()
        answer = tr("logging.cancelled"), None
    await show(query, *answer)


@router.callback_query(LogCallback.filter(F.action == "save"))
async def cb_save(
    query: CallbackQuery,
    callback_data: LogCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """«💾 Сохранить»: the interaction, the touch done, the next one planned."""
    draft = await _draft(state)
    if draft is None:
        await _stale(query, tr)
        return
    if draft.plan:
        await _save_plan(query, session, member, tr, clock, state, draft)
        return
    try:
        interactions.check_complete(draft)
    except interactions.MissingFieldError:
        await _advance(query, session, member, tr, state, draft)
        return
    if callback_data.value != keyboards.SAVE_AGAIN:
        twin = await interactions.recent_duplicate(session, draft, clock.now())
        if twin is not None:
            when = tr.fmt_time(twin.happened_at.astimezone(ZoneInfo(member.timezone)))
            await show(query, tr("logging.duplicate", time=when), keyboards.save_again(tr))
            return
    # The conversation state changes before the database writes (see the storage's docstring).
    await state.clear()
    try:
        saved = await interactions.save_interaction(session, member, draft, clock.now())
    except access.AccessDeniedError:
        await query.answer(tr("logging.client_refused"), show_alert=True)
        return
    await state.set_data({"last_saved": saved.interaction.id})
    await hold_todays_reminders(session, saved.riders, member, clock.now())
    markup = keyboards.after_save(
        tr,
        saved.interaction.client_id,
        stale=bool(saved.stale_facts),
        riders=[(rider.id, rider.goal) for rider in saved.riders],
    )
    await show(query, _saved_text(tr, draft, saved), markup)


async def _pressed_touch(session: AsyncSession, member: Member, value: str) -> Touch | None:
    """The touch a button names, when it is the member's (a head may act on any)."""
    touch = await session.get(Touch, int(value)) if value.isdigit() else None
    if touch is None or (member.role is not Role.HEAD and touch.member_id != member.id):
        return None
    return touch


@router.callback_query(LogCallback.filter(F.action == "rider"))
async def cb_rider_done(
    query: CallbackQuery,
    callback_data: LogCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    """«✅ Тоже сделано: …» under a saved log: a touch made on the same call is done too. Its
    button goes; a touch that is not the member's, or no longer open, is left as it is."""
    touch = await _pressed_touch(session, member, callback_data.value)
    if touch is None:
        await _stale(query, tr)
        return
    if touch.status in OPEN_STATUSES:
        close_touch(touch, TouchStatus.DONE, clock.now())
        await cancel_reminders(session, touch.id)
        callback_answer.text = tr("logging.rider_done", goal=clip(touch.goal, 150)[0])
    else:
        callback_answer.text = tr("logging.rider_closed", goal=clip(touch.goal, 150)[0])
    if isinstance(query.message, Message):
        markup = keyboards.without_action(query.message.reply_markup, "rider", str(touch.id))
        with suppress(TelegramBadRequest):
            await query.message.edit_reply_markup(reply_markup=markup)


async def _save_plan(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    draft: Draft,
) -> None:
    """«🗓 Запланировать»: the client's next touch on the day and at the time of the plan."""
    try:
        interactions.check_plan(draft)
    except interactions.MissingFieldError:
        await _advance(query, session, member, tr, state, draft)
        return
    # The conversation state changes before the database writes (see the storage's docstring).
    await state.clear()
    now = clock.now()
    try:
        saved = await interactions.save_plan(session, member, draft, now)
    except access.AccessDeniedError:
        await query.answer(tr("logging.client_refused"), show_alert=True)
        return
    touch = saved.planned.touch
    client = await session.get(Client, touch.client_id)
    text = _planned_text(tr, member, saved, client.name if client else "", now)
    await show(query, text, keyboards.after_save(tr, touch.client_id))


def _planned_text(
    tr: Translator, member: Member, saved: interactions.SavedPlan, client: str, now: datetime
) -> str:
    """«🗓 Запланировано: …», when the reminder comes, and the planner's warnings."""
    if not saved.created:
        return tr("logging.already_planned")
    planned = saved.planned
    touch = planned.touch
    zone = ZoneInfo(member.timezone)
    when = tr.fmt_day(touch.due_on, now.astimezone(zone).date())
    reminder: str | None = None
    if touch.due_at is not None:
        at = tr.fmt_time(touch.due_at.astimezone(zone))
        when = f"{when} {at}"
        minutes = int(AGREED_TIME_NOTICE.total_seconds() // 60)
        reminder = tr("logging.planned_reminder", count=minutes, time=at)
    lines = [tr("logging.planned", client=esc(client), when=when, goal=esc(touch.goal))]
    if reminder is not None:
        lines.append(reminder)
    if planned.agreed_on is not None:
        lines.append(
            tr("logging.next_touch_moved", agreed=tr.fmt_date(planned.agreed_on, "d MMMM"))
        )
    lines.extend(_cadence_warnings(tr, planned))
    return "\n".join(lines)


def _cadence_warnings(tr: Translator, planned: planner.PlannedFollowUp) -> list[str]:
    """«⚠️ Слишком часто…» and «⚠️ Годовой потолок…» when the planner warns of them."""
    keys = (("too_soon", planned.too_soon), ("over_ceiling", planned.over_ceiling))
    return [tr(f"logging.{key}") for key, warned in keys if warned]


def _saved_text(tr: Translator, draft: Draft, saved: interactions.SavedInteraction) -> str:
    if not saved.created:
        return tr("logging.already_saved")
    lines = [tr("logging.saved")]
    follow_up = saved.follow_up
    if follow_up is not None:
        touch: Touch = follow_up.touch
        when = tr.fmt_day(touch.due_on, saved.interaction.happened_at.date())
        value = draft.next_touch_value
        if isinstance(value, datetime) and value.date() == touch.due_on:
            when = f"{when} {tr.fmt_time(value)}"
        lines.append(tr("logging.next_touch", when=when, goal=esc(touch.goal)))
        if follow_up.agreed_on is not None:
            lines.append(
                tr("logging.next_touch_moved", agreed=tr.fmt_date(follow_up.agreed_on, "d MMMM"))
            )
        if follow_up.off_duty is not None and isinstance(value, datetime):
            # Not a surprise on a Saturday morning: the manager hears now that it will come.
            lines.append(
                tr(
                    f"logging.agreed_{follow_up.off_duty}",
                    day=tr.fmt_day(touch.due_on, saved.interaction.happened_at.date()),
                    agreed=tr.fmt_time(value),
                    remind=tr.fmt_time(value - AGREED_TIME_NOTICE),
                )
            )
        lines.extend(_cadence_warnings(tr, follow_up))
    if saved.updates_applied:
        fields = ", ".join(tr(f"logging.update.{name}") for name in saved.updates_applied)
        lines.append(tr("logging.updated", fields=fields))
    if saved.stale_facts:
        lines.append(tr("logging.stale_data"))
        lines.extend(f"• {esc(fact)}" for fact in saved.stale_facts)
    return "\n".join(lines)


@router.callback_query(LogCallback.filter(F.action == "client"))
async def cb_client(
    query: CallbackQuery,
    callback_data: LogCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A client picked among candidates (re-checked: never somebody else's)."""
    draft = await _draft(state)
    if draft is None or not callback_data.value.isdigit():
        await _stale(query, tr)
        return
    try:
        client = await access.client_for(
            session, member, int(callback_data.value), now=clock.now()
        )
    except access.AccessDeniedError:
        await query.answer(tr("logging.client_refused"), show_alert=True)
        return
    draft.client_id = client.id
    draft.candidates = [client.id]
    await interactions.adopt_planned_goal(session, member, draft, clock.now())
    await _advance(query, session, member, tr, state, draft)


@router.callback_query(LogCallback.filter(F.action == "edit"))
async def cb_edit(
    query: CallbackQuery,
    callback_data: LogCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
) -> None:
    """A field's button on the card: pickers for choices, a question for typed fields."""
    draft = await _draft(state)
    field = callback_data.value
    fields = keyboards.PLAN_EDITABLE if draft is not None and draft.plan else keyboards.EDITABLE
    if draft is None or field not in fields:
        await _stale(query, tr)
        return
    if field == "when":
        await _keep(state, draft, LogForm.ask, "when")
        await show(query, tr("logging.ask.when"), keyboards.cancel_only(tr))
    elif field in keyboards.CHOICES:
        await _keep(state, draft, None)
        await show(query, tr(f"logging.ask.{field}"), keyboards.choices(tr, field))
    elif field == "client":
        draft.client_id = None
        draft.guided = draft.guided or len(draft.candidates) <= 1
        await _ask_client(query, session, member, tr, state, draft)
    else:
        await _keep(state, draft, LogForm.ask, field)
        markup = (
            await _goal_markup(session, tr, draft)
            if field == "goal"
            else keyboards.cancel_only(tr)
        )
        question = "plan_goal" if draft.plan and field == "goal" else field
        await show(query, tr(f"logging.ask.{question}"), markup)


@router.callback_query(LogCallback.filter(F.action == "was"))
async def cb_was(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
) -> None:
    """«📝 Это уже было» on a plan's card: the message told of a contact that happened — a
    log after all, its date the next step; the flow asks what the log still lacks."""
    draft = await _draft(state)
    if draft is None or not draft.plan:
        await _stale(query, tr)
        return
    draft.plan = False
    await _advance(query, session, member, tr, state, draft)


@router.callback_query(LogCallback.filter(F.action == "set"))
async def cb_set(
    query: CallbackQuery,
    callback_data: LogCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
) -> None:
    """A picked channel, outcome or direction."""
    draft = await _draft(state)
    field, _, value = callback_data.value.partition("=")
    if draft is None or value not in keyboards.CHOICES.get(field, ()):
        await _stale(query, tr)
        return
    setattr(draft, field, value)
    await _advance(query, session, member, tr, state, draft)


@router.callback_query(LogCallback.filter(F.action == "goal"))
async def cb_goal(
    query: CallbackQuery,
    callback_data: LogCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
) -> None:
    """A quick goal pick, or «🎯 По плану: …»: the planned touch's goal, and the saved contact
    closes that touch even when it was due later."""
    draft = await _draft(state)
    if callback_data.value == keyboards.PLANNED_GOAL and draft is not None:
        touch = (
            await planner.soonest_open_touch(session, draft.client_id) if draft.client_id else None
        )
        if touch is None:
            await query.answer(tr("logging.planned_goal_gone"), show_alert=True)
            return
        draft.goal = touch.goal
        draft.touch_id = draft.touch_id or touch.id
        draft.confirm_data = draft.confirm_data or touch.reason is TouchReason.STALE_DATA
        await _advance(query, session, member, tr, state, draft)
        return
    if draft is None or callback_data.value not in keyboards.QUICK_GOALS:
        await _stale(query, tr)
        return
    draft.goal = tr(f"logging.goal_text.{callback_data.value}")
    draft.confirm_data = draft.confirm_data or callback_data.value == "data"
    await _advance(query, session, member, tr, state, draft)


@router.callback_query(LogCallback.filter(F.action == "skip"))
async def cb_skip_next(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
) -> None:
    """No date for the next step: the category cadence plans it."""
    draft = await _draft(state)
    if draft is None:
        await _stale(query, tr)
        return
    draft.next_asked = True
    draft.refused_phrase = draft.refused_reason = None
    await _advance(query, session, member, tr, state, draft)


@router.callback_query(LogCallback.filter(F.action == "when"))
async def cb_plan_day(
    query: CallbackQuery,
    callback_data: LogCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """«Сегодня» / «Завтра» / «Послезавтра» for a plan's day, counted from today as pressed."""
    data = await state.get_data()
    draft = Draft.from_json(data["draft"]) if "draft" in data else None
    if (
        draft is None
        or not draft.plan
        or data.get("asking") != "when"
        or callback_data.value not in keyboards.PLAN_DAYS
    ):
        await _stale(query, tr)
        return
    today = interactions.local_now(member, clock.now()).date()
    draft.next_touch = (today + timedelta(days=int(callback_data.value))).isoformat()
    await _advance(query, session, member, tr, state, draft)


@router.callback_query(LogCallback.filter(F.action == "start"))
async def cb_start(
    query: CallbackQuery,
    callback_data: LogCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """«📝 Записать касание» on a client's card: the guided path with the client set, its
    questions in a new message — the card stays on screen to read while logging."""
    if not callback_data.value.isdigit():
        await _stale(query, tr)
        return
    try:
        client = await access.client_for(
            session, member, int(callback_data.value), now=clock.now()
        )
    except access.AccessDeniedError:
        await query.answer(tr("logging.client_refused"), show_alert=True)
        return
    await state.clear()
    draft = Draft(client_id=client.id, candidates=[client.id], guided=True)
    target = query.message if isinstance(query.message, Message) else query
    await _advance(target, session, member, tr, state, draft)


@router.callback_query(LogCallback.filter(F.action == "touch"))
async def cb_touch(
    query: CallbackQuery,
    callback_data: LogCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """From a reminder: the flow pre-filled with the touch's client and goal."""
    touch = await _pressed_touch(session, member, callback_data.value)
    if touch is None:
        await _stale(query, tr)
        return
    await start_for_touch(query, session, member, tr, clock, state, touch)


async def start_for_touch(
    target: Target,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock | datetime,
    state: FSMContext,
    touch: Touch,
) -> None:
    """Open the logging flow for a planned touch: its client and goal filled in."""
    now = clock if isinstance(clock, datetime) else clock.now()
    try:
        client = await access.client_for(session, member, touch.client_id, now=now)
    except access.AccessDeniedError:
        await _reply(target, tr("logging.client_refused"))
        return
    await session.refresh(client, ["contacts"])
    contact = touch_contact(TouchView.of(touch), ClientView.of(client))
    await state.clear()
    draft = Draft(
        client_id=touch.client_id,
        candidates=[touch.client_id],
        contact_name=contact.full_name if contact is not None else None,
        goal=touch.goal,
        touch_id=touch.id,
        guided=True,
    )
    await _advance(target, session, member, tr, state, draft)


# The timeline.


@router.message(Command("history"))
async def cmd_history(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
) -> None:
    """`/history <client>`: the client's interactions newest first, goal → result."""
    query = (command.args or "").strip()[:100]
    if not query:
        await message.answer(tr("logging.history_usage"))
        return
    hits = await search_clients(session, member, query)
    if not hits:
        await message.answer(tr("logging.search_none", query=esc(query)))
        return
    # «/history Петров» with two Петровs asks whose, instead of showing the first one's.
    taken = hits[0] if len(hits) == 1 else strong_hit(hits)
    if taken is None:
        labels = [
            (
                hit.client_id,
                clip(f"{hit.name} · {hit.matched}" if hit.matched else hit.name, 64)[0],
            )
            for hit in hits[:6]
        ]
        await message.answer(
            tr("logging.history_which"), reply_markup=keyboards.history_choice(labels)
        )
        return
    text, markup = await _history(session, member, tr, clock, taken.client_id, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(LogCallback.filter(F.action == "hist"))
async def cb_history(
    query: CallbackQuery,
    callback_data: LogCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
) -> None:
    """A page of the timeline (re-checked: never somebody else's client)."""
    client_id, _, page = callback_data.value.partition("-")
    if not client_id.isdigit() or not page.isdigit():
        await _stale(query, tr)
        return
    try:
        text, markup = await _history(session, member, tr, clock, int(client_id), int(page))
    except access.AccessDeniedError:
        await query.answer(tr("logging.client_refused"), show_alert=True)
        return
    await show(query, text, markup)


async def _history(
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    client_id: int,
    page: int,
) -> tuple[str, Any]:
    timeline = await interactions.timeline(session, member, client_id, page, now=clock.now())
    client = await session.get(Client, client_id)
    lines = [tr("logging.history_title", client=esc(client.name if client else ""))]
    zone = interactions.local_now(member, clock.now()).tzinfo
    for item in timeline.items:
        happened = item.happened_at
        if happened.tzinfo is None:
            happened = happened.replace(tzinfo=UTC)
        lines.append(
            tr(
                "logging.history_line",
                when=tr.fmt_date(happened.astimezone(zone), "dd.MM.yy"),
                channel=tr(f"logging.channel.{item.channel.value}"),
                goal=esc(item.goal),
                result=esc(item.result),
            )
        )
    if not timeline.items:
        lines.append(tr("logging.history_empty"))
    return "\n".join(lines), keyboards.history_pages(tr, client_id, timeline.page, timeline.pages)


@router.callback_query(LogCallback.filter(F.action == "confirm"))
async def cb_confirm_data(
    query: CallbackQuery,
    callback_data: LogCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    callback_answer: CallbackAnswer,
) -> None:
    """«✅ Всё актуально» after saving: the client's data date is reset. The confirmation of
    what was saved stays; its data buttons go, and a pop-up says the data are confirmed."""
    now = clock.now()
    try:
        if not callback_data.value.isdigit():
            raise access.AccessDeniedError(callback_data.value)
        client = await access.client_for(session, member, int(callback_data.value), now=now)
    except access.AccessDeniedError:
        await query.answer(tr("logging.client_refused"), show_alert=True)
        return
    await planner.confirm_data(session, client, member, now)
    # As on a stale record of the digest; a pop-up is plain text of at most 200 characters.
    callback_answer.text = tr("clients.data_confirmed_of", client=clip(client.name, 80)[0])
    if isinstance(query.message, Message):
        with suppress(TelegramBadRequest):
            # Too old to edit, or already edited: pressed again, it confirms again, harmlessly.
            # Only the data buttons go: a «✅ Тоже сделано» still waiting stays.
            markup = keyboards.without_action(query.message.reply_markup, "confirm")
            await query.message.edit_reply_markup(reply_markup=markup)
