"""Keyboards of card editing: field menus per section, value pickers, wizards and history pages."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    ClientCallback,
    ContactEditCallback,
    DealEditCallback,
    EditFieldCallback,
    EditValueCallback,
    EditWizardCallback,
    KeyDateEditCallback,
)
from bot.i18n import Translator
from models import Client, Contact, Deal, KeyDate
from models.enums import ClientKind
from services import client_edit
from services.client_edit import CLIENT, CONTACT, DEAL

# What the client menu offers, in the order of the card.
CLIENT_MENU: tuple[str, ...] = (
    "name",
    "kind",
    "inn",
    "industry",
    "city",
    "timezone",
    "category",
    "window",
    "days",
    "observe_holidays",
    "preferences",
    "notes",
)
CONTACT_MENU: tuple[str, ...] = (
    "full_name",
    "position",
    "phone",
    "email",
    "telegram",
    "whatsapp",
    "work_schedule",
    "window",
    "days",
    "preferred_channel",
    "channel_schedule",
    "hobbies",
    "favourite_team",
    "notes",
)
DEAL_MENU: tuple[str, ...] = ("title", "amount", "stage", "goods_location", "is_paid")
BUTTON_TEXT_MAX = 40


def _short(text: str, limit: int = BUTTON_TEXT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_card(tr: Translator, client_id: int) -> tuple[str, ClientCallback]:
    """The «⬅️ К карточке» button every screen has."""
    return tr("client_edit.to_card"), ClientCallback(action="open", client_id=client_id)


def _fields(
    builder: InlineKeyboardBuilder,
    tr: Translator,
    entity: str,
    entity_id: int,
    names: Sequence[str],
) -> None:
    for name in names:
        builder.button(
            text=tr(f"client_edit.field_{name}"),
            callback_data=EditFieldCallback(entity=entity, entity_id=entity_id, field=name),
        )


def _finish(
    builder: InlineKeyboardBuilder, columns: int, fixed: Sequence[tuple[str, CallbackData]]
) -> InlineKeyboardMarkup:
    """Lay out the main buttons in columns and the navigation buttons one per row."""
    count = len(list(builder.buttons))
    for text, data in fixed:
        builder.button(text=text, callback_data=data)
    full, rest = divmod(count, columns)
    rows = [columns] * full + ([rest] if rest else [])
    builder.adjust(*rows, *([1] * len(fixed)))
    return builder.as_markup()


def client_menu(tr: Translator, client: Client) -> InlineKeyboardMarkup:
    """A button per editable client field, the other sections and the way back to the card."""
    builder = InlineKeyboardBuilder()
    _fields(builder, tr, CLIENT, client.id, CLIENT_MENU)
    for action in ("contacts", "dates", "deals", "history"):
        builder.button(
            text=tr(f"client_edit.section_{action}"),
            callback_data=ClientCallback(action=action, client_id=client.id),
        )
    return _finish(builder, 2, [to_card(tr, client.id)])


def contacts_menu(
    tr: Translator, client: Client, contacts: Sequence[Contact]
) -> InlineKeyboardMarkup:
    """A button per contact, «add» for a company, and the way back."""
    builder = InlineKeyboardBuilder()
    for contact in contacts:
        star = "⭐ " if contact.is_primary else "👤 "
        builder.button(
            text=_short(star + contact.full_name),
            callback_data=ContactEditCallback(
                action="open", client_id=client.id, contact_id=contact.id
            ),
        )
    fixed: list[tuple[str, CallbackData]] = []
    if client.kind is ClientKind.B2B:
        fixed.append(
            (tr("client_edit.add_contact"), ContactEditCallback(action="add", client_id=client.id))
        )
    fixed.append(to_card(tr, client.id))
    return _finish(builder, 1, fixed)


def contact_menu(tr: Translator, client: Client, contact: Contact) -> InlineKeyboardMarkup:
    """A button per contact field, make primary, remove, and the ways back."""
    builder = InlineKeyboardBuilder()
    _fields(builder, tr, CONTACT, contact.id, CONTACT_MENU)
    fixed: list[tuple[str, CallbackData]] = []
    if not contact.is_primary:
        fixed.append(
            (
                tr("client_edit.make_primary"),
                ContactEditCallback(action="primary", client_id=client.id, contact_id=contact.id),
            )
        )
    if client.kind is ClientKind.B2B:
        fixed.append(
            (
                tr("client_edit.remove_contact"),
                ContactEditCallback(action="remove", client_id=client.id, contact_id=contact.id),
            )
        )
    fixed.append(
        (tr("client_edit.to_contacts"), ClientCallback(action="contacts", client_id=client.id))
    )
    fixed.append(to_card(tr, client.id))
    return _finish(builder, 2, fixed)


def dates_menu(tr: Translator, client: Client, dates: Sequence[KeyDate]) -> InlineKeyboardMarkup:
    """A delete button per key date, «add», and the way back."""
    builder = InlineKeyboardBuilder()
    for number, key_date in enumerate(dates, start=1):
        builder.button(
            text=tr("client_edit.remove_date", number=number),
            callback_data=KeyDateEditCallback(
                action="remove", client_id=client.id, key_date_id=key_date.id
            ),
        )
    fixed: list[tuple[str, CallbackData]] = [
        (tr("client_edit.add_date"), KeyDateEditCallback(action="add", client_id=client.id)),
        to_card(tr, client.id),
    ]
    return _finish(builder, 3, fixed)


def deals_menu(tr: Translator, client: Client, deals: Sequence[Deal]) -> InlineKeyboardMarkup:
    """A button per deal, «new deal», and the way back."""
    builder = InlineKeyboardBuilder()
    for deal in deals:
        mark = "✅ " if deal.stage in client_edit.CLOSED_DEAL_STAGES else "📦 "
        builder.button(
            text=_short(mark + deal.title),
            callback_data=DealEditCallback(action="open", client_id=client.id, deal_id=deal.id),
        )
    fixed: list[tuple[str, CallbackData]] = [
        (tr("client_edit.add_deal"), DealEditCallback(action="add", client_id=client.id)),
        to_card(tr, client.id),
    ]
    return _finish(builder, 1, fixed)


def deal_menu(tr: Translator, client: Client, deal: Deal) -> InlineKeyboardMarkup:
    """A button per deal field, «close», and the ways back."""
    builder = InlineKeyboardBuilder()
    _fields(builder, tr, DEAL, deal.id, DEAL_MENU)
    fixed: list[tuple[str, CallbackData]] = []
    if deal.stage not in client_edit.CLOSED_DEAL_STAGES:
        fixed.append(
            (
                tr("client_edit.close_deal"),
                DealEditCallback(action="close", client_id=client.id, deal_id=deal.id),
            )
        )
    fixed.append((tr("client_edit.to_deals"), ClientCallback(action="deals", client_id=client.id)))
    fixed.append(to_card(tr, client.id))
    return _finish(builder, 2, fixed)


def close_deal(tr: Translator, client: Client, deal: Deal) -> InlineKeyboardMarkup:
    """Closed as won, or lost."""
    builder = InlineKeyboardBuilder()
    for stage in ("closed", "lost"):
        builder.button(
            text=tr(f"client_edit.close_as_{stage}"),
            callback_data=EditValueCallback(
                entity=DEAL, entity_id=deal.id, field="stage", value=stage
            ),
        )
    back = DealEditCallback(action="open", client_id=client.id, deal_id=deal.id)
    return _finish(builder, 2, [(tr("common.cancel"), back)])


def confirm(
    tr: Translator, yes: CallbackData, no: CallbackData, yes_key: str = "common.yes"
) -> InlineKeyboardMarkup:
    """Yes / no under a question."""
    builder = InlineKeyboardBuilder()
    builder.button(text=tr(yes_key), callback_data=yes)
    builder.button(text=tr("common.no"), callback_data=no)
    builder.adjust(2)
    return builder.as_markup()


def field_prompt(
    tr: Translator, spec: client_edit.FieldSpec, entity_id: int, back: CallbackData
) -> InlineKeyboardMarkup:
    """Under a question that expects typed text: «Очистить» for optional fields, «Отмена»."""
    builder = InlineKeyboardBuilder()
    if spec.optional:
        builder.button(
            text=tr("client_edit.clear"),
            callback_data=EditValueCallback(
                entity=spec.entity, entity_id=entity_id, field=spec.name, value=client_edit.CLEAR
            ),
        )
    builder.button(text=tr("common.cancel"), callback_data=back)
    builder.adjust(1)
    return builder.as_markup()


def choices(
    tr: Translator,
    spec: client_edit.FieldSpec,
    entity_id: int,
    back: CallbackData,
    current: str | None,
) -> InlineKeyboardMarkup:
    """A button per allowed value (the current one marked), and «Отмена»."""
    builder = InlineKeyboardBuilder()
    for value in spec.choices:
        label = tr(f"client_edit.value_{spec.name}_{value}")
        builder.button(
            text=("• " + label) if value == current else label,
            callback_data=EditValueCallback(
                entity=spec.entity, entity_id=entity_id, field=spec.name, value=value
            ),
        )
    return _finish(builder, 2, [(tr("common.cancel"), back)])


def wizard(
    tr: Translator,
    options: Sequence[tuple[str, str]],
    *,
    optional: bool,
    back: CallbackData,
) -> InlineKeyboardMarkup:
    """A wizard step: its choices (label, value), «Пропустить» when optional, «Отмена»."""
    builder = InlineKeyboardBuilder()
    for label, value in options:
        builder.button(text=_short(label), callback_data=EditWizardCallback(value=value))
    fixed: list[tuple[str, CallbackData]] = []
    if optional:
        fixed.append((tr("client_edit.skip"), EditWizardCallback(value=client_edit.CLEAR)))
    fixed.append((tr("common.cancel"), back))
    return _finish(builder, 2, fixed)


def history(tr: Translator, client_id: int, page: int, pages: int) -> InlineKeyboardMarkup:
    """Older / newer pages and the way back."""
    builder = InlineKeyboardBuilder()
    navigation = 0
    if page > 0:
        builder.button(
            text=tr("client_edit.newer"),
            callback_data=ClientCallback(action="history", client_id=client_id, page=page - 1),
        )
        navigation += 1
    if page + 1 < pages:
        builder.button(
            text=tr("client_edit.older"),
            callback_data=ClientCallback(action="history", client_id=client_id, page=page + 1),
        )
        navigation += 1
    text, data = to_card(tr, client_id)
    builder.button(text=text, callback_data=data)
    builder.adjust(*([navigation] if navigation else []), 1)
    return builder.as_markup()
