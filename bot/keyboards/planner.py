"""Buttons of the digest, the reminders, /today and the snooze and skip choices.

Digest and reminder buttons are built as outbox payload rows (plain dicts), because they are
stored before they are sent; the choices shown in reply to a press are InlineKeyboardMarkups.

The rows under a plan list (the digest, /today) are drawn again, from the touches' state, each
time one of its buttons is pressed (`plan_list`): an item done, snoozed or skipped becomes one
button saying so, which still opens the card; an item back in the plan gets its buttons back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    CardCallback,
    ClientCallback,
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
from models.enums import TouchStatus
from services.digest import Button, DigestItem, ListedTouch, StaleLine

CLIENT_LABEL_LIMIT = 18


def _short(name: str) -> str:
    return name if len(name) <= CLIENT_LABEL_LIMIT else name[: CLIENT_LABEL_LIMIT - 1] + "…"


def _button(text: str, data: str) -> Button:
    return {"text": text, "callback_data": data}


def card_data(client_id: int) -> str:
    """The callback that opens a client card in a new message."""
    return CardCallback(client_id=client_id).pack()


def confirm_row_data(client_id: int) -> str:
    """«✅ Данные актуальны» under a list: confirms the data, the list stays."""
    return ClientCallback(action="confirm_row", client_id=client_id).pack()


def action_data(action: PlanAction, touch_id: int) -> str:
    """The callback of «Сделано», «Отложить» or «Пропустить» for a touch."""
    return PlanTouchCallback(action=action, touch_id=touch_id).pack()


def item_data(touch_id: int, number: int) -> str:
    """The callback of a plan item's first button: the card, and the list drawn again."""
    return PlanItemCallback(touch_id=touch_id, number=number).pack()


def digest_item_row(number: int, item: DigestItem, tr: Translator) -> list[Button]:
    """One row per digest item: its card (numbered like the text), done, snooze."""
    return _open_row(tr, item.touch_id, number, item.client_name)


def _open_row(tr: Translator, touch_id: int, number: int, client: str) -> list[Button]:
    return [
        _button(
            tr("planner.btn_card_numbered", number=number, client=_short(client)),
            item_data(touch_id, number),
        ),
        _button(tr("planner.btn_done"), action_data(PlanAction.DONE, touch_id)),
        _button(tr("planner.btn_snooze"), action_data(PlanAction.SNOOZE, touch_id)),
    ]


def _snooze_rows(tr: Translator, touch_id: int, number: int, client: str) -> list[list[Button]]:
    """An item whose «Отложить» was pressed: when to, or skip it, or back to its buttons."""
    return [
        [
            _button(
                tr("planner.btn_card_numbered", number=number, client=_short(client)),
                item_data(touch_id, number),
            ),
            _button(tr("planner.btn_skip"), action_data(PlanAction.SKIP, touch_id)),
            _button(tr("planner.btn_back"), action_data(PlanAction.BACK, touch_id)),
        ],
        [
            _button(tr(f"planner.{key}"), SnoozeCallback(option=option, touch_id=touch_id).pack())
            for option, key in (
                (SnoozeOption.HOUR, "snooze_hour"),
                (SnoozeOption.TOMORROW, "snooze_tomorrow"),
                (SnoozeOption.DATE, "snooze_date"),
            )
        ],
    ]


def _handled_text(
    tr: Translator, number: int, listed: ListedTouch, zone: ZoneInfo, now: datetime
) -> str:
    client = _short(listed.client_name)
    if listed.status is TouchStatus.DONE:
        return tr("planner.item_done", number=number, client=client)
    if listed.event_cancelled:
        return tr("planner.item_event_cancelled", number=number, client=client)
    if listed.status is TouchStatus.SKIPPED:
        return tr("planner.item_skipped", number=number, client=client)
    today = now.astimezone(zone).date()
    back = (listed.back_at or now).astimezone(zone)
    if back.date() == today:
        when = tr.fmt_time(back)
    elif back.date() == today + timedelta(days=1):
        when = tr("planner.tomorrow")
    else:
        when = tr.fmt_weekday(back.date(), today)
    return tr("planner.item_snoozed", number=number, client=client, when=when)


def listed_items(markup: InlineKeyboardMarkup | None) -> list[tuple[int, int]]:
    """The items (touch, number) a plan list's buttons carry, in order; [] for any other
    message (a reminder, a card, a digest sent before its items carried their number)."""
    items: list[tuple[int, int]] = []
    for row in markup.inline_keyboard if markup is not None else []:
        data = row[0].callback_data if row else None
        if not data or not data.startswith(PlanItemCallback.__prefix__ + ":"):
            continue
        try:
            item = PlanItemCallback.unpack(data)
        except (TypeError, ValueError):
            continue
        items.append((item.touch_id, item.number))
    return items


def other_rows(markup: InlineKeyboardMarkup | None) -> list[list[Button]]:
    """The rows of a plan list that are no item's: stale records, a pager — kept as they are
    when the items are drawn again (an item's open snooze choices are the item's)."""
    kept: list[list[Button]] = []
    for row in markup.inline_keyboard if markup is not None else []:
        data = row[0].callback_data or "" if row else ""
        if data.startswith((PlanItemCallback.__prefix__ + ":", SnoozeCallback.__prefix__ + ":")):
            continue
        kept.append([_button(button.text, button.callback_data or "") for button in row])
    return kept


def plan_list(
    tr: Translator,
    items: Sequence[tuple[int, int]],
    listed: Mapping[int, ListedTouch],
    zone: ZoneInfo,
    now: datetime,
    *,
    expand: int | None = None,
    tail: Sequence[list[Button]] = (),
) -> InlineKeyboardMarkup:
    """A plan list's buttons drawn from its touches as they stand: an open item's card, done
    and snooze (or, for `expand`, the snooze choices); a handled one's single button saying
    how it was handled; a touch no longer the member's a plain number; then `tail`, the
    list's other rows."""
    rows: list[list[Button]] = []
    for touch_id, number in items:
        found = listed.get(touch_id)
        if found is None:
            gone = tr("planner.item_gone", number=number)
            rows.append([_button(gone, item_data(touch_id, number))])
        elif found.status is not TouchStatus.PLANNED:
            text = _handled_text(tr, number, found, zone, now)
            rows.append([_button(text, item_data(touch_id, number))])
        elif touch_id == expand:
            rows.extend(_snooze_rows(tr, touch_id, number, found.client_name))
        else:
            rows.append(_open_row(tr, touch_id, number, found.client_name))
    rows.extend(tail)
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=button["text"], callback_data=button["callback_data"])
                for button in row
            ]
            for row in rows
        ]
    )


def stale_row(line: StaleLine, tr: Translator) -> list[Button]:
    """One row per stale record of the digest or /overdue: its card, «✅ Данные актуальны»."""
    return [
        _button(
            tr("planner.btn_stale_card", client=_short(line.client_name)),
            card_data(line.client_id),
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


def touch_buttons(tr: Translator, touch_id: int, client_id: int) -> InlineKeyboardMarkup:
    """A reminder's buttons under another message about the touch (it is back in the plan)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=button["text"], callback_data=button["callback_data"])
                for button in row
            ]
            for row in reminder_rows(tr, touch_id, client_id)
        ]
    )


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
