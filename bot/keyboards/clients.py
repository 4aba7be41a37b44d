"""Keyboards of the client base: the /new steps, search results, the card and its markers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    CardCallback,
    ClientCallback,
    ContactTargetCallback,
    FirstTouchCallback,
    FirstTouchDay,
    HandoverCallback,
    MarkerAction,
    MarkerCallback,
    NewClientCallback,
    NewClientStep,
)
from bot.i18n import Translator
from bot.keyboards.logging import log_button
from models.enums import Category, ClientKind
from services import geo
from services.client_card import clip
from services.clients import PRESET_MARKERS, Duplicate, SearchHit

BUTTON_TEXT_MAX = 40
PRESET_KEYS = ("preset_call", "preset_congratulate", "preset_tshirt")
# The other half of the card (edit, contacts, dates, deals, history) is handled by the editing
# journey; the buttons only carry the action.
CARD_SECTIONS = ("edit", "contacts", "dates", "deals", "history", "tags")


def _cancel(tr: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=tr("common.cancel"),
        callback_data=NewClientCallback(step=NewClientStep.CANCEL).pack(),
    )


def _skip(tr: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=tr("clients.skip"), callback_data=NewClientCallback(step=NewClientStep.SKIP).pack()
    )


def kinds(tr: Translator, *, person_first: bool = False) -> InlineKeyboardMarkup:
    """Company or private person (the person first for a person's name)."""
    builder = InlineKeyboardBuilder()
    order = (
        sorted(ClientKind, key=lambda kind: kind is not ClientKind.B2C)
        if person_first
        else ClientKind
    )
    for kind in order:
        builder.button(
            text=tr(f"clients.kind_{kind.value}"),
            callback_data=NewClientCallback(step=NewClientStep.KIND, value=kind.value),
        )
    builder.add(_cancel(tr))
    builder.adjust(1)
    return builder.as_markup()


def categories(tr: Translator) -> InlineKeyboardMarkup:
    """The client categories, each with its touch policy."""
    builder = InlineKeyboardBuilder()
    for category in Category:
        builder.button(
            text=tr(f"clients.category_{category.value}"),
            callback_data=NewClientCallback(step=NewClientStep.CATEGORY, value=category.value),
        )
    builder.add(_cancel(tr))
    builder.adjust(3, 2, 1)
    return builder.as_markup()


def cities(tr: Translator) -> InlineKeyboardMarkup:
    """Popular cities, «skip» (the member's own zone) and cancel."""
    builder = InlineKeyboardBuilder()
    for key in geo.POPULAR_CITIES:
        builder.button(
            text=geo.city_by_key(key).name(tr.language),
            callback_data=NewClientCallback(step=NewClientStep.CITY, value=key),
        )
    builder.adjust(3)
    builder.row(_skip(tr), _cancel(tr))
    return builder.as_markup()


def zones(tr: Translator, now: datetime) -> InlineKeyboardMarkup:
    """Russia's time zones, МСК−1 to МСК+9, each with a city in it; «skip» and cancel."""
    builder = InlineKeyboardBuilder()
    for key in geo.ZONE_CITIES:
        city = geo.city_by_key(key)
        offset = geo.describe_offset(ZoneInfo(city.tz), now, tr.language)
        builder.button(
            text=tr("clients.zone_button", offset=offset, city=city.name(tr.language)),
            callback_data=NewClientCallback(step=NewClientStep.ZONE, value=key),
        )
    builder.adjust(2)
    builder.row(_skip(tr), _cancel(tr))
    return builder.as_markup()


def skip_or_cancel(tr: Translator) -> InlineKeyboardMarkup:
    """An optional step."""
    return InlineKeyboardMarkup(inline_keyboard=[[_skip(tr), _cancel(tr)]])


def cancel_only(tr: Translator) -> InlineKeyboardMarkup:
    """A step that needs typed input."""
    return InlineKeyboardMarkup(inline_keyboard=[[_cancel(tr)]])


def duplicates(tr: Translator, found: Sequence[Duplicate]) -> InlineKeyboardMarkup:
    """Open one of the member's own look-alikes, create anyway, or cancel."""
    builder = InlineKeyboardBuilder()
    for duplicate in found[:3]:
        if duplicate.visible:
            name, _ = clip(duplicate.name, BUTTON_TEXT_MAX)
            builder.row(
                InlineKeyboardButton(
                    text=tr("clients.open_existing", name=name),
                    callback_data=ClientCallback(
                        action="open", client_id=duplicate.client_id
                    ).pack(),
                )
            )
    builder.row(
        InlineKeyboardButton(
            text=tr("clients.create_anyway"),
            callback_data=NewClientCallback(step=NewClientStep.CREATE_ANYWAY).pack(),
        ),
        _cancel(tr),
    )
    return builder.as_markup()


def shared_choice(tr: Translator) -> InlineKeyboardMarkup:
    """A shared Telegram contact: a new client or a person at an existing one."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=tr("clients.shared_new"),
        callback_data=NewClientCallback(step=NewClientStep.SHARED_NEW),
    )
    builder.button(
        text=tr("clients.shared_add"),
        callback_data=NewClientCallback(step=NewClientStep.SHARED_ADD),
    )
    builder.add(_cancel(tr))
    builder.adjust(1)
    return builder.as_markup()


def _hit_text(hit: SearchHit) -> str:
    text = hit.name if hit.matched is None else f"{hit.name} · {hit.matched}"
    return clip(text, BUTTON_TEXT_MAX * 2)[0]


def search_results(hits: Sequence[SearchHit]) -> InlineKeyboardMarkup:
    """One button per found client, opening its card in a new message (the list stays)."""
    builder = InlineKeyboardBuilder()
    for hit in hits:
        builder.button(text=_hit_text(hit), callback_data=CardCallback(client_id=hit.client_id))
    builder.adjust(1)
    return builder.as_markup()


def contact_targets(tr: Translator, hits: Sequence[SearchHit]) -> InlineKeyboardMarkup:
    """Clients a shared contact can be added to."""
    builder = InlineKeyboardBuilder()
    for hit in hits:
        builder.button(
            text=_hit_text(hit), callback_data=ContactTargetCallback(client_id=hit.client_id)
        )
    builder.add(_cancel(tr))
    builder.adjust(1)
    return builder.as_markup()


def not_found(tr: Translator) -> InlineKeyboardMarkup:
    """«Создать клиента?» after a search that found nothing."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=tr("clients.create_client"),
        callback_data=NewClientCallback(step=NewClientStep.FROM_SEARCH),
    )
    return builder.as_markup()


def _log_touch_button(tr: Translator, client_id: int) -> InlineKeyboardButton | None:
    """«📝 Записать касание»: opens the logging journey with this client."""
    return log_button(tr, client_id)


def card(
    tr: Translator,
    client_id: int,
    page: int = 0,
    pages: int = 1,
    *,
    can_hand_over: bool,
    first_touch_id: int | None = None,
) -> InlineKeyboardMarkup:
    """The card's buttons: log a touch, the sections, «Данные актуальны», «Передать» (for
    whoever may hand the client over), and page arrows; on the card answering /new, the first
    touch's «Сегодня» / «Завтра» / «📅 Другой день» come first."""
    builder = InlineKeyboardBuilder()
    if first_touch_id is not None:
        builder.row(*first_touch_buttons(tr, first_touch_id))
    log_button = _log_touch_button(tr, client_id)
    if log_button is not None:
        builder.row(log_button)
    sections = [
        InlineKeyboardButton(
            text=tr(f"clients.button.{action}"),
            callback_data=ClientCallback(action=action, client_id=client_id).pack(),
        )
        for action in CARD_SECTIONS
    ]
    for first in range(0, len(sections), 2):
        builder.row(*sections[first : first + 2])
    last = [
        InlineKeyboardButton(
            text=tr("clients.button.confirm"),
            callback_data=ClientCallback(action="confirm", client_id=client_id).pack(),
        )
    ]
    if can_hand_over:
        last.append(
            InlineKeyboardButton(
                text=tr("handover.card_button"),
                callback_data=HandoverCallback(action="start", client_id=client_id).pack(),
            )
        )
    builder.row(*last)
    if pages > 1:
        arrows = []
        if page > 0:
            arrows.append(
                InlineKeyboardButton(
                    text=tr("clients.button.previous"),
                    callback_data=ClientCallback(
                        action="open", client_id=client_id, page=page - 1
                    ).pack(),
                )
            )
        arrows.append(
            InlineKeyboardButton(
                text=f"{page + 1}/{pages}",
                callback_data=ClientCallback(action="open", client_id=client_id, page=page).pack(),
            )
        )
        if page < pages - 1:
            arrows.append(
                InlineKeyboardButton(
                    text=tr("clients.button.next"),
                    callback_data=ClientCallback(
                        action="open", client_id=client_id, page=page + 1
                    ).pack(),
                )
            )
        builder.row(*arrows)
    return builder.as_markup()


def first_touch_buttons(tr: Translator, touch_id: int) -> list[InlineKeyboardButton]:
    """Move a new client's first touch: today, tomorrow, or a typed day."""
    return [
        InlineKeyboardButton(
            text=tr(f"clients.button.first_{day.value}"),
            callback_data=FirstTouchCallback(touch_id=touch_id, day=day).pack(),
        )
        for day in FirstTouchDay
    ]


def marker_label(tr: Translator, marker: str) -> str:
    """A stored marker in the member's language (presets are stored in Russian)."""
    if marker in PRESET_MARKERS:
        return tr(f"clients.marker.{PRESET_KEYS[PRESET_MARKERS.index(marker)]}")
    return marker


def markers(tr: Translator, client_id: int, tags: Sequence[str]) -> InlineKeyboardMarkup:
    """Preset markers to toggle, the client's own markers to remove, add one, back to the card."""
    builder = InlineKeyboardBuilder()
    for index, preset in enumerate(PRESET_MARKERS):
        mark = "✅ " if preset in tags else "▫️ "
        builder.button(
            text=mark + marker_label(tr, preset),
            callback_data=MarkerCallback(
                action=MarkerAction.PRESET, client_id=client_id, index=index
            ),
        )
    for index, tag in enumerate(tags):
        if tag in PRESET_MARKERS:
            continue
        builder.button(
            text="✅ " + clip(tag, BUTTON_TEXT_MAX)[0],
            callback_data=MarkerCallback(
                action=MarkerAction.CUSTOM, client_id=client_id, index=index
            ),
        )
    builder.button(
        text=tr("clients.marker.add"),
        callback_data=MarkerCallback(action=MarkerAction.ADD, client_id=client_id),
    )
    builder.button(
        text=tr("clients.button.back_to_card"),
        callback_data=ClientCallback(action="open", client_id=client_id),
    )
    builder.adjust(1)
    return builder.as_markup()
