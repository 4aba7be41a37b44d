"""/handover: a client moves to another member and stage, with a note and a confirmation.

`/handover <client>` (or «🔁 Передать» on a card) → the member → the stage → a note or
«без заметки» → confirm. Every step re-checks access in services/handover, so a forged or stale
button gets a polite refusal.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import HandoverCallback
from bot.i18n import Translator, translator
from bot.keyboards.planner import card_data
from handlers.common import esc, quote, show
from models import Client, Member
from models.enums import Stage
from services import clients, handover, notices
from services.access import AccessDeniedError
from services.clock import Clock
from services.person_names import gender_of

router = Router(name=__name__)

NOT_A_COMMAND = ~F.text.startswith("/")


class HandoverForm(StatesGroup):
    """A handover waiting for its note."""

    note = State()


def _button(text: str, **data: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text,
        callback_data=HandoverCallback(**data).pack(),
    )


def _cancel(tr: Translator) -> InlineKeyboardButton:
    return _button(tr("handover.cancel"), action="cancel")


def stage_name(tr: Translator, stage: Stage) -> str:
    """The stage in words."""
    return tr(f"clients.stage_{stage.value}")


def _refusal(tr: Translator, error: Exception) -> str:
    if isinstance(error, handover.HandoverError):
        return tr(f"handover.error_{error.reason}")
    return tr("handover.not_available")


async def _refuse(target: Message | CallbackQuery, tr: Translator, error: Exception) -> None:
    text = _refusal(tr, error)
    if isinstance(target, CallbackQuery):
        await show(target, text)
    else:
        await target.answer(text)


async def _ask_member(
    target: Message | CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    client_id: int,
) -> None:
    try:
        client = await handover.client_to_hand_over(session, member, client_id, clock.now())
    except (AccessDeniedError, handover.HandoverError) as error:
        if isinstance(target, CallbackQuery):
            # Pressed on a card (or a forged button): the card stays, the refusal pops up.
            await target.answer(_refusal(tr, error), show_alert=True)
        else:
            await _refuse(target, tr, error)
        return
    builder = InlineKeyboardBuilder()
    for candidate in await handover.candidates(session, member, client):
        mark = " ✓" if candidate.id == client.owner_id else ""
        builder.row(
            _button(
                f"{candidate.full_name}{mark}",
                action="to",
                client_id=client.id,
                member_id=candidate.id,
            )
        )
    builder.row(_cancel(tr))
    text = tr("handover.ask_member", client=esc(client.name), stage=stage_name(tr, client.stage))
    if isinstance(target, CallbackQuery):
        await show(target, text, builder.as_markup())
    else:
        await target.answer(text, reply_markup=builder.as_markup())


@router.message(Command("handover"))
async def cmd_handover(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Find the client by the query and ask whom to hand it to."""
    await state.clear()
    query = (command.args or "").strip()
    if not query:
        await message.answer(tr("handover.usage"))
        return
    hits = await clients.search_clients(session, member, query)
    if not hits:
        await message.answer(tr("handover.not_found", query=quote(query)))
        return
    strong = clients.strong_hit(hits)
    if strong is not None:
        await _ask_member(message, session, member, tr, clock, strong.client_id)
        return
    builder = InlineKeyboardBuilder()
    for hit in hits:
        builder.row(_button(hit.name, action="start", client_id=hit.client_id))
    builder.row(_cancel(tr))
    await message.answer(tr("handover.choose_client"), reply_markup=builder.as_markup())


@router.callback_query(HandoverCallback.filter(F.action == "start"))
async def cb_start(
    query: CallbackQuery,
    callback_data: HandoverCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """From a search result or the card's «🔁 Передать»."""
    await state.clear()
    await _ask_member(query, session, member, tr, clock, callback_data.client_id)


@router.callback_query(HandoverCallback.filter(F.action == "to"))
async def cb_member(
    query: CallbackQuery,
    callback_data: HandoverCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
) -> None:
    """The member is chosen: ask for the stage."""
    try:
        client = await handover.client_to_hand_over(
            session, member, callback_data.client_id, clock.now()
        )
    except (AccessDeniedError, handover.HandoverError) as error:
        await _refuse(query, tr, error)
        return
    builder = InlineKeyboardBuilder()
    for stage in handover.allowed_stages(member, client):
        mark = " ✓" if stage is client.stage else ""
        builder.row(
            _button(
                f"{stage_name(tr, stage)}{mark}",
                action="stage",
                client_id=client.id,
                member_id=callback_data.member_id,
                stage=stage.value,
            )
        )
    builder.row(_cancel(tr))
    await show(query, tr("handover.ask_stage", client=esc(client.name)), builder.as_markup())


async def _validated(
    session: AsyncSession, member: Member, clock: Clock, data: dict[str, object]
) -> tuple[Client, Member, Stage]:
    try:
        stage = Stage(str(data.get("stage")))
        client_id = int(str(data.get("client_id")))
        member_id = int(str(data.get("member_id")))
    except ValueError as error:
        raise handover.HandoverError("stale") from error
    client, target = await handover.check(
        session, member, client_id, member_id, stage, clock.now()
    )
    return client, target, stage


@router.callback_query(HandoverCallback.filter(F.action == "stage"))
async def cb_stage(
    query: CallbackQuery,
    callback_data: HandoverCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The stage is chosen: validate the whole handover, then ask for a note."""
    data: dict[str, object] = {
        "client_id": callback_data.client_id,
        "member_id": callback_data.member_id,
        "stage": callback_data.stage,
    }
    try:
        client, target, _ = await _validated(session, member, clock, data)
    except (AccessDeniedError, handover.HandoverError) as error:
        await state.clear()
        await _refuse(query, tr, error)
        return
    await state.set_state(HandoverForm.note)
    await state.update_data(handover=data)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[_button(tr("handover.no_note"), action="nonote")], [_cancel(tr)]]
    )
    await show(
        query,
        tr("handover.ask_note", client=esc(client.name), member=esc(target.full_name)),
        markup,
    )


async def _ask_confirm(
    target: Message | CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    note: str | None,
) -> None:
    data = (await state.get_data()).get("handover")
    if not isinstance(data, dict):
        await state.clear()
        await _refuse(target, tr, handover.HandoverError("stale"))
        return
    try:
        client, new_owner, stage = await _validated(session, member, clock, data)
    except (AccessDeniedError, handover.HandoverError) as error:
        await state.clear()
        await _refuse(target, tr, error)
        return
    note = (note or "").strip()[: handover.NOTE_LIMIT] or None
    await state.update_data(handover={**data, "note": note})
    text = tr(
        "handover.confirm",
        client=esc(client.name),
        member=esc(new_owner.full_name),
        stage=(
            tr("handover.stage_same", stage=stage_name(tr, stage))
            if stage == client.stage
            else tr(
                "handover.stage_change",
                from_stage=stage_name(tr, client.stage),
                to_stage=stage_name(tr, stage),
            )
        ),
        note=esc(note) if note else tr("handover.note_none"),
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(tr("handover.ok"), action="ok")],
            [_cancel(tr)],
        ]
    )
    if isinstance(target, CallbackQuery):
        await show(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)


@router.message(HandoverForm.note, F.text, NOT_A_COMMAND)
async def got_note(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The typed note."""
    await _ask_confirm(message, session, member, tr, clock, state, message.text)


@router.callback_query(HandoverCallback.filter(F.action == "nonote"))
async def cb_no_note(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """«Без заметки»."""
    await _ask_confirm(query, session, member, tr, clock, state, None)


@router.callback_query(HandoverCallback.filter(F.action == "cancel"))
async def cb_cancel(query: CallbackQuery, tr: Translator, state: FSMContext) -> None:
    """Nothing changes."""
    await state.clear()
    await show(query, tr("handover.cancelled"))


@router.callback_query(HandoverCallback.filter(F.action == "ok"))
async def cb_confirm(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Hand the client over and tell the new owner."""
    data = (await state.get_data()).get("handover")
    # Conversation state lives in its own transactions: change it before this update writes.
    await state.clear()
    if not isinstance(data, dict):
        await _refuse(query, tr, handover.HandoverError("stale"))
        return
    note = data.get("note")
    try:
        client, target, stage = await _validated(session, member, clock, data)
        done = await handover.hand_over(
            session,
            member,
            client.id,
            target.id,
            stage,
            note if isinstance(note, str) else None,
            clock.now(),
        )
    except (AccessDeniedError, handover.HandoverError) as error:
        await _refuse(query, tr, error)
        return
    # In this update's transaction: the notices go out only if the handover is saved (a reply
    # that fails undoes both), and are retried until delivered.
    now = clock.now()
    if done.new_owner.id != member.id:
        await _notify_new_owner(session, done, member, now)
    previous = done.previous_owner
    if previous is not None and previous.id not in {member.id, done.new_owner.id}:
        await _notify_previous_owner(session, done, previous, member, now)
    await show(
        query,
        tr(
            "handover.done",
            client=esc(done.client.name),
            member=esc(done.new_owner.full_name),
            stage=stage_name(tr, done.to_stage),
            touches=done.moved_touches,
        ),
    )


async def _notify_new_owner(
    session: AsyncSession, done: handover.HandoverDone, by: Member, now: datetime
) -> None:
    tr = translator(done.new_owner.language)
    lines = [
        tr(
            "handover.received",
            client=esc(done.client.name),
            by=esc(by.full_name),
            stage=stage_name(tr, done.to_stage),
            gender=gender_of(by.full_name),
        )
    ]
    if done.note:
        lines.append(tr("handover.received_note", note=esc(done.note)))
    await notices.queue(
        session,
        done.new_owner,
        key=f"handover:{done.history_id}:{done.new_owner.id}",
        text="\n".join(lines),
        now=now,
        buttons=[[{"text": tr("handover.open_card"), "callback_data": card_data(done.client.id)}]],
    )


async def _notify_previous_owner(
    session: AsyncSession,
    done: handover.HandoverDone,
    previous: Member,
    by: Member,
    now: datetime,
) -> None:
    """The previous owner learns why the client left their lists."""
    tr = translator(previous.language)
    text = tr(
        "handover.handed_away",
        client=esc(done.client.name),
        member=esc(done.new_owner.full_name),
        by=esc(by.full_name),
        gender=gender_of(by.full_name),
    )
    await notices.queue(
        session, previous, key=f"handover:{done.history_id}:{previous.id}", text=text, now=now
    )
