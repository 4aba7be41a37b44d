"""Editing a client card from its buttons: fields, contacts, key dates, deals and the history.

The card (handlers/clients.py) sends `ClientCallback` actions `edit`, `contacts`, `dates`, `deals`
and `history`; each opens a section here, in the card's message («✏️ Изменить» under a saved
touch opens the fields in a new message). A field is changed by picking a value from buttons or
by typing it while the bot waits (the current value is shown, «Отмена» goes back). Bad input gets
the reason and the bot keeps waiting; nothing is saved half-way. Contacts, key dates and deals are
added by short wizards that save only at the last step.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import (
    EDIT_APART,
    ClientCallback,
    ContactEditCallback,
    DealEditCallback,
    EditFieldCallback,
    EditValueCallback,
    EditWizardCallback,
    KeyDateEditCallback,
)
from bot.i18n import Translator
from bot.keyboards import client_edit as keyboards
from handlers.common import esc, esc_params, send_new, show
from models import Client, Contact, Deal, KeyDate, Member
from models.enums import ClientKind
from services import client_edit, geo, validation
from services.access import AccessDeniedError
from services.client_edit import CLIENT, CONTACT, DEAL, KEY_DATE
from services.clock import Clock
from services.validation import ValidationError

router = Router(name=__name__)

SECTIONS = frozenset({"edit", "contacts", "dates", "deals", "history"})
# Long notes are shown clipped on the menus; the full text stays in the database and the card.
VALUE_PREVIEW = 300
# Clipped before escaping, and escaping can grow text fourfold («<» → «&lt;»).
CURRENT_PREVIEW = 800
HISTORY_VALUE_PREVIEW = 150
# Telegram takes 4096 characters; the rest is left for the «…ещё N» line.
MESSAGE_BUDGET = 3900
CHOICE_FIELDS = frozenset(
    {"kind", "category", "preferred_channel", "stage", "is_paid", "observe_holidays", "is_primary"}
)


class EditForm(StatesGroup):
    """Waiting for typed input: one field's new value, or the next answer of a wizard."""

    value = State()
    wizard = State()


# ---------------------------------------------------------------------------------------------
# How values read.


def clip(text: str, limit: int) -> str:
    """Long text cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _amount(value: str) -> str:
    amount = Decimal(value)
    whole = amount == amount.to_integral_value()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return text.replace(",", "\u00a0") + "\u00a0₽"


def _schedule(tr: Translator, value: str) -> str:
    parts = []
    for entry in value.split(";"):
        moment, _, channel = entry.strip().partition(" ")
        parts.append(
            tr(
                "client_edit.channel_from",
                time=moment,
                channel=tr(f"client_edit.value_preferred_channel_{channel}"),
            )
        )
    return "; ".join(parts)


def shown(
    tr: Translator,
    field: str,
    value: str | None,
    limit: int = VALUE_PREVIEW,
    at: datetime | None = None,
) -> str:
    """A stored or logged value as people read it, HTML-escaped and clipped; a time zone as
    /settings names it («Омск, МСК+3», its offset `at` that moment), not «Asia/Omsk»."""
    if value is None or value == "":
        return tr("client_edit.empty")
    text = value
    label_key = f"client_edit.value_{field}_{value}"
    if field in CHOICE_FIELDS and tr.has(label_key):
        text = tr(label_key)
    elif field == "window_days":
        text = validation.format_weekdays(value, tr.language)
    elif field == "timezone":
        text = geo.zone_name(value)
        if at is not None:
            with suppress(ZoneInfoNotFoundError, ValueError):
                text = geo.zone_label(value, at, tr.language)
    elif field in {"phone", "whatsapp"}:
        text = validation.format_phone(value)
    elif field == "telegram":
        text = "@" + value
    elif field == "amount":
        try:
            text = _amount(value)
        except ArithmeticError:
            text = value
    elif field == "channel_schedule":
        text = _schedule(tr, value)
    elif field == "data_confirmed_at":
        try:
            text = tr.fmt_date(datetime.fromisoformat(value).date(), "d MMMM y")
        except ValueError:
            text = value
    return esc(clip(text, limit))


def bounded(tr: Translator, lines: Sequence[str], separator: str = "\n") -> str:
    """Lines joined while they fit a Telegram message; the rest is summarised as «…ещё N».

    Lines are kept whole, so that no HTML tag or entity is ever cut in half.
    """
    kept: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        if size + len(line) + len(separator) > MESSAGE_BUDGET:
            kept.append(tr("client_edit.more", count=len(lines) - index))
            break
        kept.append(line)
        size += len(line) + len(separator)
    return separator.join(kept)


def _label(tr: Translator, field: str) -> str:
    key = f"client_edit.field_{field}"
    return tr(key) if tr.has(key) else esc(field)


def _line(
    tr: Translator,
    field: str,
    value: str | None,
    label: str | None = None,
    at: datetime | None = None,
) -> str:
    return tr(
        "client_edit.line",
        label=label or _label(tr, field),
        value=shown(tr, field, value, at=at),
    )


# ---------------------------------------------------------------------------------------------
# Screens: (text, keyboard) for each section.


def client_screen(
    tr: Translator, client: Client, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    """The client's editable fields and a button for each."""
    read = client_edit.read_value
    lines = [
        tr("client_edit.client_title", name=esc(client.name)),
        _line(tr, "kind", read(client, "kind")),
        _line(tr, "inn", read(client, "inn")),
        _line(tr, "industry", read(client, "industry")),
        _line(tr, "city", read(client, "city")),
        _line(tr, "timezone", read(client, "timezone"), at=now),
        _line(tr, "category", read(client, "category")),
        tr("client_edit.stage_line", stage=tr(f"client_edit.value_stage_{client.stage.value}")),
        _line(tr, "window", read(client, "window")),
        _line(tr, "window_days", read(client, "window_days")),
        _line(tr, "observe_holidays", read(client, "observe_holidays")),
        _line(tr, "preferences", read(client, "preferences")),
        _line(tr, "notes", read(client, "notes")),
        "",
        tr("client_edit.pick_field"),
    ]
    return bounded(tr, lines), keyboards.client_menu(tr, client)


def contacts_screen(
    tr: Translator, client: Client, contacts: Sequence[Contact]
) -> tuple[str, InlineKeyboardMarkup]:
    """The client's contacts as buttons."""
    lines = [tr("client_edit.contacts_title", name=esc(client.name))]
    if not contacts:
        lines.append(tr("client_edit.no_contacts"))
    for contact in contacts:
        position = f" — {esc(clip(contact.position, 80))}" if contact.position else ""
        primary = tr("client_edit.primary_mark") if contact.is_primary else ""
        lines.append(f"• {esc(contact.full_name)}{position}{primary}")
    if client.kind is ClientKind.B2C:
        lines.append(tr("client_edit.b2c_contact_hint"))
    return bounded(tr, lines), keyboards.contacts_menu(tr, client, contacts)


def position_text(
    tr: Translator, contact: Contact, note: client_edit.PositionNote | None, zone: ZoneInfo
) -> str | None:
    """«коммерческий директор (с 12.11.2026; ранее — менеджер по закупкам)»."""
    if contact.position is None:
        return None
    position = esc(clip(contact.position, VALUE_PREVIEW))
    if note is None:
        return position
    since = note.since.astimezone(zone).strftime("%d.%m.%Y")
    if note.previous:
        return tr(
            "client_edit.position_history",
            position=position,
            since=since,
            previous=esc(clip(note.previous, 100)),
        )
    return tr("client_edit.position_since", position=position, since=since)


def contact_screen(
    tr: Translator,
    client: Client,
    contact: Contact,
    note: client_edit.PositionNote | None,
    zone: ZoneInfo,
) -> tuple[str, InlineKeyboardMarkup]:
    """One contact's fields, its position history, and a button per field."""
    read = client_edit.read_value
    primary = tr("client_edit.primary_mark") if contact.is_primary else ""
    position = position_text(tr, contact, note, zone)
    window = read(contact, "window")
    lines = [
        tr("client_edit.contact_title", name=esc(contact.full_name), client=esc(client.name))
        + primary,
        tr(
            "client_edit.line",
            label=_label(tr, "position"),
            value=position or tr("client_edit.empty"),
        ),
        _line(tr, "phone", read(contact, "phone")),
        _line(tr, "email", read(contact, "email")),
        _line(tr, "telegram", read(contact, "telegram")),
        _line(tr, "whatsapp", read(contact, "whatsapp")),
        _line(tr, "work_schedule", read(contact, "work_schedule")),
        tr(
            "client_edit.line",
            label=_label(tr, "window"),
            value=shown(tr, "window", window)
            if window
            else tr("client_edit.as_client", value=shown(tr, "window", read(client, "window"))),
        ),
        tr(
            "client_edit.line",
            label=_label(tr, "window_days"),
            value=shown(tr, "window_days", contact.window_days)
            if contact.window_days
            else tr(
                "client_edit.as_client",
                value=shown(tr, "window_days", client.window_days),
            ),
        ),
        _line(tr, "preferred_channel", read(contact, "preferred_channel")),
        _line(tr, "channel_schedule", read(contact, "channel_schedule")),
        _line(tr, "hobbies", read(contact, "hobbies")),
        _line(tr, "favourite_team", read(contact, "favourite_team")),
        _line(tr, "notes", read(contact, "notes")),
        "",
        tr("client_edit.pick_field"),
    ]
    return bounded(tr, lines), keyboards.contact_menu(tr, client, contact)


def key_date_text(tr: Translator, key_date: KeyDate, names: dict[int, str]) -> str:
    """«🎂 Петров Иван — 15.03.1980», «🎂 жена Анна (Петров Иван) — 29.02»."""
    icon = client_edit.KEY_DATE_ICONS.get(key_date.kind, "📅")
    when = client_edit.read_value(key_date, "date")
    owner = names.get(key_date.contact_id or 0)
    if key_date.relation or key_date.person_name:
        who = " ".join(filter(None, (key_date.relation, key_date.person_name)))
        if owner:
            who += f" ({owner})"
    elif owner and key_date.kind == "birthday":
        who = owner
    else:
        who = key_date.title or owner or tr(f"client_edit.date_kind_{key_date.kind}")
    kind = tr(f"client_edit.date_kind_{key_date.kind}")
    return f"{icon} {esc(clip(who, 120))} — {kind}, {when}"


def dates_screen(
    tr: Translator, client: Client, dates: Sequence[KeyDate], names: dict[int, str]
) -> tuple[str, InlineKeyboardMarkup]:
    """The client's key dates, numbered so that the delete buttons can name them."""
    lines = [tr("client_edit.dates_title", name=esc(client.name))]
    if not dates:
        lines.append(tr("client_edit.no_dates"))
    for number, key_date in enumerate(dates, start=1):
        lines.append(f"{number}. {key_date_text(tr, key_date, names)}")
    return bounded(tr, lines), keyboards.dates_menu(tr, client, dates)


def deal_summary(tr: Translator, deal: Deal) -> str:
    """«Поставка плитки — счёт выставлен, 150 000 ₽, не оплачено»."""
    parts = [esc(clip(deal.title, 120)), shown(tr, "stage", deal.stage)]
    if deal.amount is not None:
        parts.append(shown(tr, "amount", client_edit.plain(deal.amount)))
    parts.append(tr("client_edit.paid") if deal.is_paid else tr("client_edit.unpaid"))
    return " · ".join(parts)


def deals_screen(
    tr: Translator, client: Client, deals: Sequence[Deal]
) -> tuple[str, InlineKeyboardMarkup]:
    """The client's deals, open ones first."""
    lines = [tr("client_edit.deals_title", name=esc(client.name))]
    if not deals:
        lines.append(tr("client_edit.no_deals"))
    lines.extend(f"• {deal_summary(tr, deal)}" for deal in deals)
    return bounded(tr, lines), keyboards.deals_menu(tr, client, deals)


def deal_screen(tr: Translator, client: Client, deal: Deal) -> tuple[str, InlineKeyboardMarkup]:
    """One deal's fields and a button per field."""
    read = client_edit.read_value
    lines = [
        tr("client_edit.deal_title", title=esc(clip(deal.title, 200)), client=esc(client.name)),
        _line(tr, "stage", read(deal, "stage")),
        _line(tr, "amount", read(deal, "amount")),
        _line(tr, "goods_location", read(deal, "goods_location")),
        _line(tr, "is_paid", read(deal, "is_paid")),
        "",
        tr("client_edit.pick_field"),
    ]
    return "\n".join(lines), keyboards.deal_menu(tr, client, deal)


def _history_what(tr: Translator, entry: client_edit.ChangeEntry) -> str:
    entity = ""
    if entry.entity != CLIENT:
        label = entry.entity_label or (entry.old if entry.field == "removed" else entry.new)
        entity = tr(f"client_edit.entity_{entry.entity}", label=esc(clip(label or "", 60))) + " "
    if entry.field == "added":
        return entity + tr("client_edit.history_added")
    if entry.field == "removed":
        return entity + tr("client_edit.history_removed")
    return entity + tr(
        "client_edit.history_change",
        field=_label(tr, entry.field),
        old=shown(tr, entry.field, entry.old, HISTORY_VALUE_PREVIEW, entry.changed_at),
        new=shown(tr, entry.field, entry.new, HISTORY_VALUE_PREVIEW, entry.changed_at),
    )


def history_screen(
    tr: Translator, found: client_edit.HistoryPage, zone: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup]:
    """A page of the change log: when, who, what."""
    lines = [
        tr(
            "client_edit.history_title",
            name=esc(found.client.name),
            page=found.page + 1,
            pages=found.pages,
        )
    ]
    if not found.entries:
        lines.append(tr("client_edit.history_empty"))
    for entry in found.entries:
        local = entry.changed_at.astimezone(zone)
        lines.append(
            tr(
                "client_edit.history_line",
                when=f"{tr.fmt_date(local.date(), 'dd.MM.y')} {tr.fmt_time(local)}",
                who=esc(entry.member_name or tr("client_edit.someone")),
                what=_history_what(tr, entry),
            )
        )
    markup = keyboards.history(tr, found.client.id, found.page, found.pages)
    return bounded(tr, lines, "\n\n"), markup


# ---------------------------------------------------------------------------------------------
# Loading a screen.


async def section_screen(
    session: AsyncSession,
    member: Member,
    tr: Translator,
    now: datetime,
    action: str,
    client_id: int,
    page: int = 0,
) -> tuple[str, InlineKeyboardMarkup]:
    """A section of the card by its ClientCallback action."""
    if action == "contacts":
        client, contacts = await client_edit.list_contacts(session, member, client_id, now=now)
        return contacts_screen(tr, client, contacts)
    if action == "dates":
        client, dates, names = await client_edit.list_key_dates(
            session, member, client_id, now=now
        )
        return dates_screen(tr, client, dates, names)
    if action == "deals":
        client, deals = await client_edit.list_deals(session, member, client_id, now=now)
        return deals_screen(tr, client, deals)
    if action == "history":
        found = await client_edit.history_page(session, member, client_id, page, now=now)
        return history_screen(tr, found, ZoneInfo(member.timezone))
    client, _ = await client_edit.load_target(session, member, CLIENT, client_id, now=now)
    return client_screen(tr, client, now)


async def entity_screen(
    session: AsyncSession,
    member: Member,
    tr: Translator,
    now: datetime,
    entity: str,
    entity_id: int,
) -> tuple[str, InlineKeyboardMarkup]:
    """The screen an edited field belongs to: the client's, a contact's or a deal's."""
    client, target = await client_edit.load_target(session, member, entity, entity_id, now=now)
    if entity == CONTACT:
        notes = await client_edit.position_notes(session, [target.id])
        return contact_screen(tr, client, target, notes.get(target.id), ZoneInfo(member.timezone))
    if entity == DEAL:
        return deal_screen(tr, client, target)
    return client_screen(tr, client, now)


def back_to(entity: str, entity_id: int, client_id: int) -> CallbackData:
    """Where «Отмена» leads from a field of this entity."""
    if entity == CONTACT:
        return ContactEditCallback(action="open", client_id=client_id, contact_id=entity_id)
    if entity == DEAL:
        return DealEditCallback(action="open", client_id=client_id, deal_id=entity_id)
    return ClientCallback(action="edit", client_id=client_id)


async def _refuse(query: CallbackQuery, tr: Translator) -> None:
    await query.answer(tr("client_edit.not_available"), show_alert=True)


@router.callback_query(ClientCallback.filter(F.action.in_(SECTIONS | {EDIT_APART})))
async def cb_section(
    query: CallbackQuery,
    callback_data: ClientCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Open a section of the card: edit fields, contacts, key dates, deals or history, in the
    card's own message; the fields pressed for under a saved touch come as a new message."""
    await state.clear()
    apart = callback_data.action == EDIT_APART
    try:
        text, markup = await section_screen(
            session,
            member,
            tr,
            clock.now(),
            "edit" if apart else callback_data.action,
            callback_data.client_id,
            callback_data.page,
        )
    except AccessDeniedError:
        await _refuse(query, tr)
        return
    if apart:
        await send_new(query, text, markup)
    else:
        await show(query, text, markup)


# ---------------------------------------------------------------------------------------------
# Editing one field.


@router.callback_query(EditFieldCallback.filter())
async def cb_field(
    query: CallbackQuery,
    callback_data: EditFieldCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Ask for a field's new value: buttons for a choice, typed text otherwise."""
    await state.clear()
    entity, entity_id, field = callback_data.entity, callback_data.entity_id, callback_data.field
    try:
        spec = client_edit.field_spec(entity, field)
        client, target = await client_edit.load_target(
            session, member, entity, entity_id, now=clock.now()
        )
    except ValidationError:
        await query.answer(tr("common.stale_button"), show_alert=True)
        return
    except AccessDeniedError:
        await _refuse(query, tr)
        return
    back = back_to(entity, entity_id, client.id)
    current = client_edit.read_value(target, spec.tracked[0])
    label = tr(f"client_edit.field_{field}")
    if not spec.typed:
        text = tr("client_edit.pick_value", field=label)
        await show(query, text, keyboards.choices(tr, spec, entity_id, back, current))
        return
    await state.set_state(EditForm.value)
    await state.set_data(
        {"entity": entity, "entity_id": entity_id, "field": field, "client_id": client.id}
    )
    lines = [
        tr(
            "client_edit.ask_value",
            field=label,
            current=shown(tr, spec.tracked[0], current, CURRENT_PREVIEW, clock.now()),
        ),
        tr(f"client_edit.ask_{entity}_{field}")
        if tr.has(f"client_edit.ask_{entity}_{field}")
        else tr(f"client_edit.ask_{field}"),
    ]
    if spec.optional:
        lines.append(tr("client_edit.clear_hint"))
    await show(query, "\n\n".join(lines), keyboards.field_prompt(tr, spec, entity_id, back))


def saved_text(tr: Translator, result: client_edit.EditResult, now: datetime) -> str:
    """«Сохранено: название: Ромашка → Ромашка Плюс» — or «без изменений»."""
    if not result.changes:
        return tr("client_edit.unchanged")
    lines = [tr("client_edit.saved")]
    lines.extend(
        tr(
            "client_edit.saved_line",
            field=_label(tr, change.field),
            old=shown(tr, change.field, change.old, HISTORY_VALUE_PREVIEW, now),
            new=shown(tr, change.field, change.new, HISTORY_VALUE_PREVIEW, now),
        )
        for change in result.changes
    )
    return "\n".join(lines)


@router.message(EditForm.value, F.text.startswith("/"))
@router.message(EditForm.wizard, F.text.startswith("/"))
async def on_command_while_waiting(message: Message, state: FSMContext) -> None:
    """A command abandons the edit (nothing saved) and runs as usual."""
    await state.clear()
    raise SkipHandler


@router.message(EditForm.value, F.text, ~F.text.startswith("/"))
async def on_value(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A typed value: saved when valid, otherwise the reason and another try."""
    data = await state.get_data()
    entity, field, text = str(data.get("entity")), str(data.get("field")), message.text or ""
    try:
        client_edit.check_value(entity, field, text)
    except ValidationError as error:
        await message.answer(tr(f"errors.{error.code}", **esc_params(error.params)))
        return
    # The conversation state lives in its own transaction: settle it before this update writes,
    # or a file database would see two writers at once.
    await state.clear()
    try:
        result = await client_edit.edit_field(
            session, member, entity, int(data.get("entity_id", 0)), field, text, now=clock.now()
        )
    except ValidationError as error:
        await message.answer(tr(f"errors.{error.code}", **esc_params(error.params)))
        return
    except AccessDeniedError:
        await message.answer(tr("client_edit.not_available"))
        return
    text, markup = await entity_screen(
        session, member, tr, clock.now(), result.entity, result.entity_id
    )
    await message.answer(saved_text(tr, result, clock.now()))
    await message.answer(text, reply_markup=markup)


@router.message(EditForm.value, ~F.text)
async def on_not_text(message: Message, tr: Translator) -> None:
    """A photo or a sticker while a value is awaited."""
    await message.answer(tr("client_edit.send_text"))


@router.callback_query(EditValueCallback.filter())
async def cb_value(
    query: CallbackQuery,
    callback_data: EditValueCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A value picked from buttons (or «Очистить»)."""
    await state.clear()
    try:
        result = await client_edit.edit_field(
            session,
            member,
            callback_data.entity,
            callback_data.entity_id,
            callback_data.field,
            callback_data.value,
            now=clock.now(),
        )
    except ValidationError as error:
        await query.answer(tr(f"errors.{error.code}", **error.params), show_alert=True)
        return
    except AccessDeniedError:
        await _refuse(query, tr)
        return
    text, markup = await entity_screen(
        session, member, tr, clock.now(), result.entity, result.entity_id
    )
    await query.answer(clip(saved_text(tr, result, clock.now()), 190))
    await show(query, text, markup)


# ---------------------------------------------------------------------------------------------
# Contacts, key dates, deals: open, remove, close.


@router.callback_query(ContactEditCallback.filter(F.action.in_({"open", "primary"})))
async def cb_contact(
    query: CallbackQuery,
    callback_data: ContactEditCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A contact's screen; «сделать основным» first when asked."""
    await state.clear()
    now = clock.now()
    try:
        if callback_data.action == "primary":
            await client_edit.set_primary(session, member, callback_data.contact_id, now=now)
        text, markup = await entity_screen(
            session, member, tr, now, CONTACT, callback_data.contact_id
        )
    except AccessDeniedError:
        await _refuse(query, tr)
        return
    await show(query, text, markup)


@router.callback_query(ContactEditCallback.filter(F.action.in_({"remove", "remove_yes"})))
async def cb_remove_contact(
    query: CallbackQuery,
    callback_data: ContactEditCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Ask, then remove a contact (never a person's only one)."""
    await state.clear()
    now = clock.now()
    try:
        client, contact = await client_edit.load_target(
            session, member, CONTACT, callback_data.contact_id, now=now
        )
        if callback_data.action == "remove":
            yes = ContactEditCallback(
                action="remove_yes", client_id=client.id, contact_id=contact.id
            )
            no = ContactEditCallback(action="open", client_id=client.id, contact_id=contact.id)
            text = tr("client_edit.remove_contact_ask", name=esc(contact.full_name))
            await show(query, text, keyboards.confirm(tr, yes, no, "client_edit.remove_yes"))
            return
        await client_edit.remove_contact(session, member, contact.id, now=now)
        text, markup = await section_screen(session, member, tr, now, "contacts", client.id)
    except ValidationError as error:
        await query.answer(tr(f"errors.{error.code}", **error.params), show_alert=True)
        return
    except AccessDeniedError:
        await _refuse(query, tr)
        return
    await show(query, text, markup)


@router.callback_query(KeyDateEditCallback.filter(F.action.in_({"remove", "remove_yes"})))
async def cb_remove_date(
    query: CallbackQuery,
    callback_data: KeyDateEditCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Ask, then remove a key date."""
    await state.clear()
    now = clock.now()
    try:
        client, key_date = await client_edit.load_target(
            session, member, KEY_DATE, callback_data.key_date_id, now=now
        )
        if callback_data.action == "remove":
            _, _, names = await client_edit.list_key_dates(session, member, client.id, now=now)
            yes = KeyDateEditCallback(
                action="remove_yes", client_id=client.id, key_date_id=key_date.id
            )
            no = ClientCallback(action="dates", client_id=client.id)
            text = tr("client_edit.remove_date_ask", date=key_date_text(tr, key_date, names))
            await show(query, text, keyboards.confirm(tr, yes, no, "client_edit.remove_yes"))
            return
        await client_edit.delete_key_date(session, member, key_date.id, now=now)
        text, markup = await section_screen(session, member, tr, now, "dates", client.id)
    except AccessDeniedError:
        await _refuse(query, tr)
        return
    await show(query, text, markup)


@router.callback_query(DealEditCallback.filter(F.action.in_({"open", "close"})))
async def cb_deal(
    query: CallbackQuery,
    callback_data: DealEditCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A deal's screen, or the question how it closed."""
    await state.clear()
    now = clock.now()
    try:
        if callback_data.action == "close":
            client, deal = await client_edit.load_target(
                session, member, DEAL, callback_data.deal_id, now=now
            )
            text = tr("client_edit.close_deal_ask", title=esc(deal.title))
            await show(query, text, keyboards.close_deal(tr, client, deal))
            return
        text, markup = await entity_screen(session, member, tr, now, DEAL, callback_data.deal_id)
    except AccessDeniedError:
        await _refuse(query, tr)
        return
    await show(query, text, markup)


# ---------------------------------------------------------------------------------------------
# Wizards: add a contact, a key date, a deal. Answers are checked at each step and kept in the
# conversation state as typed; the entity is created only after the last step.


@dataclass(frozen=True)
class Step:
    """One question of a wizard."""

    key: str
    optional: bool = False
    # Button values; when set, the step is answered with buttons only.
    choices: tuple[str, ...] = ()


_CONTACT_STEPS = (
    Step("full_name"),
    Step("position", optional=True),
    Step("phone", optional=True),
    Step("email", optional=True),
    Step("telegram", optional=True),
    Step("whatsapp", optional=True),
)
_OPEN_STAGES = tuple(
    stage for stage in client_edit.DEAL_STAGES if stage not in client_edit.CLOSED_DEAL_STAGES
)
_DEAL_STEPS = (
    Step("title"),
    Step("amount", optional=True),
    Step("stage", choices=_OPEN_STAGES),
    Step("goods_location", optional=True),
    Step("is_paid", choices=(client_edit.YES, client_edit.NO)),
)
_WIZARD_ENTITY = {"contact": CONTACT, "date": KEY_DATE, "deal": DEAL}
_WIZARD_SECTION = {"contact": "contacts", "date": "dates", "deal": "deals"}


def wizard_steps(wizard: str, values: dict[str, str], contact_ids: Sequence[int]) -> list[Step]:
    """The questions of a wizard; a key date's depend on its kind."""
    if wizard == "contact":
        return list(_CONTACT_STEPS)
    if wizard == "deal":
        return list(_DEAL_STEPS)
    kinds = client_edit.KEY_DATE_KINDS if contact_ids else ("anniversary", "professional", "other")
    steps = [Step("kind", choices=tuple(kinds))]
    kind = values.get("kind")
    who = Step("contact", choices=tuple(str(contact_id) for contact_id in contact_ids))
    if kind == "birthday":
        steps += [who, Step("date")]
    elif kind == "family":
        steps += [who, Step("relation"), Step("person_name"), Step("date")]
    elif kind is not None:
        steps += [Step("title"), Step("date")]
    return steps


async def _contacts_of(
    session: AsyncSession, member: Member, client_id: int, now: datetime
) -> list[Contact]:
    _, contacts = await client_edit.list_contacts(session, member, client_id, now=now)
    return contacts


async def _ask_step(
    target: CallbackQuery | Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    now: datetime,
    data: dict[str, Any],
) -> bool:
    """Show the next question; False when every step is answered."""
    wizard, client_id, values = data["wizard"], int(data["client_id"]), data["values"]
    contacts = await _contacts_of(session, member, client_id, now) if wizard == "date" else []
    steps = wizard_steps(wizard, values, [contact.id for contact in contacts])
    pending = [step for step in steps if step.key not in values]
    if not pending:
        return False
    step = pending[0]
    number = steps.index(step) + 1
    # The key date wizard's length is known only once the kind is picked.
    total = len(steps) if wizard != "date" or "kind" in values else 0
    progress = tr("client_edit.wizard_progress", step=number, total=total) if total else ""
    names = {str(contact.id): contact.full_name for contact in contacts}
    options = [
        (_option_label(tr, wizard, step.key, value, names), value) for value in step.choices
    ]
    back = ClientCallback(action=_WIZARD_SECTION[wizard], client_id=client_id)
    text = "\n\n".join(
        filter(
            None,
            [
                tr(f"client_edit.wizard_{wizard}_header") + progress,
                tr(f"client_edit.wizard_{wizard}_{step.key}"),
            ],
        )
    )
    markup = keyboards.wizard(tr, options, optional=step.optional, back=back)
    if isinstance(target, CallbackQuery):
        await show(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)
    return True


def _option_label(tr: Translator, wizard: str, key: str, value: str, names: dict[str, str]) -> str:
    if key == "contact":
        return names.get(value, value)
    if key == "kind":
        return tr(f"client_edit.date_kind_{value}")
    return tr(f"client_edit.value_{key}_{value}")


async def _finish_wizard(
    target: CallbackQuery | Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    now: datetime,
    state: FSMContext,
    data: dict[str, Any],
) -> None:
    """Create what the wizard collected and show where it landed."""
    wizard, client_id = data["wizard"], int(data["client_id"])
    values = {key: value for key, value in data["values"].items() if value != client_edit.CLEAR}
    await state.clear()
    try:
        if wizard == "contact":
            contact = await client_edit.add_contact(session, member, client_id, values, now=now)
            text, markup = await entity_screen(session, member, tr, now, CONTACT, contact.id)
        elif wizard == "deal":
            deal = await client_edit.add_deal(session, member, client_id, values, now=now)
            text, markup = await entity_screen(session, member, tr, now, DEAL, deal.id)
        else:
            kind = values.pop("kind", "")
            contact_id = values.pop("contact", None)
            await client_edit.add_key_date(
                session,
                member,
                client_id,
                kind,
                values,
                contact_id=int(contact_id) if contact_id else None,
                now=now,
            )
            text, markup = await section_screen(session, member, tr, now, "dates", client_id)
    except ValidationError as error:
        reason = tr(f"errors.{error.code}", **esc_params(error.params))
        await _reply(target, tr("client_edit.wizard_failed", reason=reason))
        return
    except AccessDeniedError:
        await _reply(target, tr("client_edit.not_available"))
        return
    await _reply(target, tr(f"client_edit.wizard_{wizard}_done"))
    if isinstance(target, CallbackQuery):
        await show(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)


async def _reply(target: CallbackQuery | Message, text: str) -> None:
    if isinstance(target, CallbackQuery):
        await target.answer(clip(text, 190), show_alert=len(text) > 60)
    else:
        await target.answer(text)


async def _advance(
    target: CallbackQuery | Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    now: datetime,
    state: FSMContext,
    data: dict[str, Any],
) -> None:
    await state.set_data(data)
    if not await _ask_step(target, session, member, tr, now, data):
        await _finish_wizard(target, session, member, tr, now, state, data)


@router.callback_query(ContactEditCallback.filter(F.action == "add"))
@router.callback_query(KeyDateEditCallback.filter(F.action == "add"))
@router.callback_query(DealEditCallback.filter(F.action == "add"))
async def cb_add(
    query: CallbackQuery,
    callback_data: ContactEditCallback | KeyDateEditCallback | DealEditCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Start the wizard that adds a contact, a key date or a deal."""
    await state.clear()
    wizard = {
        ContactEditCallback: "contact",
        KeyDateEditCallback: "date",
        DealEditCallback: "deal",
    }[type(callback_data)]
    now = clock.now()
    try:
        client, _ = await client_edit.load_target(
            session, member, CLIENT, callback_data.client_id, now=now
        )
    except AccessDeniedError:
        await _refuse(query, tr)
        return
    if wizard == "contact" and client.kind is ClientKind.B2C:
        await query.answer(tr("errors.b2c_one_contact"), show_alert=True)
        return
    await state.set_state(EditForm.wizard)
    data = {"wizard": wizard, "client_id": client.id, "values": {}}
    await _advance(query, session, member, tr, now, state, data)


def _current_step(data: dict[str, Any], contact_ids: Sequence[int]) -> Step | None:
    steps = wizard_steps(data["wizard"], data["values"], contact_ids)
    return next((step for step in steps if step.key not in data["values"]), None)


async def _wizard_contact_ids(
    session: AsyncSession, member: Member, data: dict[str, Any], now: datetime
) -> list[int]:
    if data.get("wizard") != "date":
        return []
    contacts = await _contacts_of(session, member, int(data["client_id"]), now)
    return [contact.id for contact in contacts]


@router.callback_query(EditForm.wizard, EditWizardCallback.filter())
async def cb_wizard(
    query: CallbackQuery,
    callback_data: EditWizardCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A wizard answer from buttons: a choice, or «Пропустить»."""
    data = await state.get_data()
    now = clock.now()
    try:
        step = _current_step(data, await _wizard_contact_ids(session, member, data, now))
    except (AccessDeniedError, KeyError):
        await _refuse(query, tr)
        return
    value = callback_data.value
    skip = value == client_edit.CLEAR and step is not None and step.optional
    if step is None or not (skip or value in step.choices):
        await query.answer(tr("common.stale_button"), show_alert=True)
        return
    data["values"][step.key] = value
    await _advance(query, session, member, tr, now, state, data)


@router.message(EditForm.wizard, F.text, ~F.text.startswith("/"))
async def on_wizard_text(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A typed wizard answer, checked now so that a mistake is fixed at once."""
    data = await state.get_data()
    now = clock.now()
    try:
        step = _current_step(data, await _wizard_contact_ids(session, member, data, now))
    except (AccessDeniedError, KeyError):
        await message.answer(tr("client_edit.not_available"))
        return
    if step is None:
        await state.clear()
        return
    if step.choices:
        await message.answer(tr("client_edit.press_button"))
        return
    raw = message.text or ""
    try:
        client_edit.check_value(_WIZARD_ENTITY[data["wizard"]], step.key, raw)
    except ValidationError as error:
        await message.answer(tr(f"errors.{error.code}", **esc_params(error.params)))
        return
    data["values"][step.key] = raw
    await _advance(message, session, member, tr, now, state, data)


@router.message(EditForm.wizard, ~F.text)
async def on_wizard_not_text(message: Message, tr: Translator) -> None:
    """A photo or a sticker while a wizard waits for text."""
    await message.answer(tr("client_edit.send_text"))


@router.callback_query(EditWizardCallback.filter())
async def cb_wizard_stale(query: CallbackQuery, tr: Translator) -> None:
    """A wizard button after the wizard ended."""
    await query.answer(tr("common.stale_button"), show_alert=True)


@router.callback_query(EditForm.value)
@router.callback_query(EditForm.wizard)
async def on_other_button_while_waiting(query: CallbackQuery, state: FSMContext) -> None:
    """Another journey's button abandons the edit (nothing saved) and works as usual, so that
    text typed later is not taken for the abandoned field."""
    await state.clear()
    raise SkipHandler
