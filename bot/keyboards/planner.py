"""Buttons of the digest, the reminders, /today and the snooze and skip choices.

Digest and reminder buttons are built as outbox payload rows (plain dicts), because they are
stored before they are sent; the choices shown in reply to a press are InlineKeyboardMarkups.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    ClientCallback,
    OverduePageCallback,
    PlanAction,
    PlanTouchCallback,
    SkipCallback,
    SkipReason,
    SnoozeCallback,
    SnoozeOption,
)
from bot.i18n import Translator
from services.digest import Button, DigestItem, StaleLine

CLIENT_LABEL_LIMIT = 18


def _short(name: str) -> str:
    return name if len(name) <= CLIENT_LABEL_LIMIT else name[: CLIENT_LABEL_LIMIT - 1] + "…"


def _button(text: str, data: str) -> Button:
    return {"text": text, "callback_data": data}


def card_data(client_id: int) -> str:
    """The callback that opens a client card in place of the message it is pressed on."""
    return ClientCallback(action="open", client_id=client_id).pack()


def card_beside_data(client_id: int) -> str:
    """The callback that sends a client card as a new message: under a list that must stay."""
    return ClientCallback(action="show", client_id=client_id).pack()


def confirm_row_data(client_id: int) -> str:
    """«✅ Данные актуальны» under a list: confirms the data, the list stays."""
    return ClientCallback(action="confirm_row", client_id=client_id).pack()


def action_data(action: PlanAction, touch_id: int) -> str:
    """The callback of «Сделано», «Отложить» or «Пропустить» for a touch."""
    return PlanTouchCallback(action=action, touch_id=touch_id).pack()


def digest_item_row(number: int, item: DigestItem, tr: Translator) -> list[Button]:
    """One row per digest item: its card (numbered like the text, opened beside the digest),
    done, snooze."""
    return [
        _button(
            tr("planner.btn_card_numbered", number=number, client=_short(item.client_name)),
            card_beside_data(item.client_id),
        ),
        _button(tr("planner.btn_done"), action_data(PlanAction.DONE, item.touch_id)),
        _button(tr("planner.btn_snooze"), action_data(PlanAction.SNOOZE, item.touch_id)),
    ]


def stale_row(line: StaleLine, tr: Translator) -> list[Button]:
    """One row per stale record of the digest or /overdue: its card, «✅ Данные актуальны»."""
    return [
        _button(
            tr("planner.btn_stale_card", client=_short(line.client_name)),
            card_beside_data(line.client_id),
        ),
        _button(tr("clients.button.confirm"), confirm_row_data(line.client_id)),
    ]


def overdue_pager(tr: Translator, page: int, pages: int) -> list[Button]:
    """◀️ / ▶️ under a page of /overdue (none on a single page)."""
    row = []
    if page > 0:
        row.append(_button(tr("planner.btn_prev"), OverduePageCallback(page=page - 1).pack()))
    if page < pages - 1:
        row.append(_button(tr("planner.btn_next"), OverduePageCallback(page=page + 1).pack()))
    return row


def reminder_rows(tr: Translator, touch_id: int, client_id: int) -> list[list[Button]]:
    """Under a reminder: done, snooze, skip; and the client card."""
    return [
        [
            _button(tr("planner.btn_done"), action_data(PlanAction.DONE, touch_id)),
            _button(tr("planner.btn_snooze"), action_data(PlanAction.SNOOZE, touch_id)),
            _button(tr("planner.btn_skip"), action_data(PlanAction.SKIP, touch_id)),
        ],
        [_button(tr("planner.btn_card"), card_data(client_id))],
    ]


def snooze_choices(tr: Translator, touch_id: int) -> InlineKeyboardMarkup:
    """«на 1 час», «завтра», «выбрать дату», and «Пропустить» for a touch not worth moving."""
    builder = InlineKeyboardBuilder()
    for option, key in (
        (SnoozeOption.HOUR, "snooze_hour"),
        (SnoozeOption.TOMORROW, "snooze_tomorrow"),
        (SnoozeOption.DATE, "snooze_date"),
    ):
        builder.button(
            text=tr(f"planner.{key}"),
            callback_data=SnoozeCallback(option=option, touch_id=touch_id),
        )
    builder.button(
        text=tr("planner.btn_skip"),
        callback_data=PlanTouchCallback(action=PlanAction.SKIP, touch_id=touch_id),
    )
    builder.adjust(3, 1)
    return builder.as_markup()


def skip_reasons(tr: Translator, touch_id: int) -> InlineKeyboardMarkup:
    """The reasons to skip a touch, and a typed one."""
    builder = InlineKeyboardBuilder()
    for reason, key in (
        (SkipReason.IRRELEVANT, "skip_irrelevant"),
        (SkipReason.DO_NOT_DISTURB, "skip_do_not_disturb"),
        (SkipReason.DUPLICATE, "skip_duplicate"),
        (SkipReason.OTHER, "skip_other"),
    ):
        builder.button(
            text=tr(f"planner.{key}"), callback_data=SkipCallback(reason=reason, touch_id=touch_id)
        )
    builder.adjust(1)
    return builder.as_markup()


def _touch_of(data: str | None) -> int | None:
    """The touch a planner button acts on, or None for any other button."""
    if not data:
        return None
    for callback in (PlanTouchCallback, SnoozeCallback, SkipCallback):
        try:
            return callback.unpack(data).touch_id
        except (TypeError, ValueError):
            continue
    return None


def without_touch(
    markup: InlineKeyboardMarkup, touch_id: int, mark: str
) -> InlineKeyboardMarkup | None:
    """The markup with the touch's action buttons taken off (its row's card button keeps,
    marked with `mark`); None when no button is left."""
    rows: list[list[InlineKeyboardButton]] = []
    for row in markup.inline_keyboard:
        if not any(_touch_of(button.callback_data) == touch_id for button in row):
            rows.append(list(row))
            continue
        kept = [button for button in row if _touch_of(button.callback_data) is None]
        if kept and kept[0].text.startswith("📇"):
            kept[0] = kept[0].model_copy(update={"text": mark + kept[0].text.removeprefix("📇")})
        if kept:
            rows.append(kept)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def without_confirm_row(
    markup: InlineKeyboardMarkup, client_id: int, mark: str
) -> InlineKeyboardMarkup | None:
    """The markup with the client's «Данные актуальны» taken off (its card button stays,
    marked with `mark`); None when no button is left."""
    target = confirm_row_data(client_id)
    rows: list[list[InlineKeyboardButton]] = []
    for row in markup.inline_keyboard:
        if not any(button.callback_data == target for button in row):
            rows.append(list(row))
            continue
        kept = [button for button in row if button.callback_data != target]
        if kept and kept[0].text.startswith("📇"):
            kept[0] = kept[0].model_copy(update={"text": mark + kept[0].text.removeprefix("📇")})
        if kept:
            rows.append(kept)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
