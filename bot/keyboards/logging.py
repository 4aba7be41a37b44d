"""Buttons of the logging journey: the draft's confirmation card, field pickers, quick goals.

The keyboards that depend on the language only are built once per language (`_static`): a
builder with callback data costs ~0.5 ms, paid on every question of the flow otherwise. They
are shared, so nothing may change them after they are returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    EDIT_APART,
    CardCallback,
    ClientCallback,
    LogCallback,
    NewClientCallback,
    NewClientStep,
)
from bot.i18n import Translator
from models.enums import Channel, Direction, Outcome

QUICK_GOALS: Final = ("offer", "follow_up", "invoice", "event", "greeting", "data")
EDITABLE: Final = (
    "client",
    "channel",
    "direction",
    "goal",
    "result",
    "outcome",
    "next",
)
# The fields of a plan's card («🗓 Запланировать касание»); «when» is the plan's day and time.
PLAN_EDITABLE: Final = ("client", "channel", "when", "goal")
CHOICES: Final = {
    "channel": [channel.value for channel in Channel],
    "outcome": [outcome.value for outcome in Outcome],
    "direction": [direction.value for direction in Direction],
}

# «➕ Создать клиента «…»» from a draft: /new carries the draft and resumes it with the client.
FOR_DRAFT: Final = "draft"
# «💾 Записать ещё раз»: save although the same touch was saved a moment ago.
SAVE_AGAIN: Final = "again"
# A button's text stays short on a phone.
CREATE_NAME_LIMIT: Final = 32
# «🎯 По плану: …» — the planned touch's goal as the first goal pick.
PLANNED_GOAL: Final = "plan"
PLANNED_GOAL_LIMIT: Final = 40


# One per language and field at most: a small bound is plenty.
_static = lru_cache(maxsize=64)


def _button(text: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=LogCallback(action=action, value=value).pack()
    )


def cancel_row(tr: Translator) -> list[InlineKeyboardButton]:
    """«✖️ Отмена»."""
    return [_button(tr("logging.button.cancel"), "cancel")]


@_static
def cancel_only(tr: Translator) -> InlineKeyboardMarkup:
    """Just «✖️ Отмена»."""
    return InlineKeyboardMarkup(inline_keyboard=[cancel_row(tr)])


@_static
def draft_card(tr: Translator) -> InlineKeyboardMarkup:
    """«💾 Сохранить», a button per field to correct it, «✖️ Отмена»."""
    builder = InlineKeyboardBuilder()
    builder.row(_button(tr("logging.button.save"), "save"))
    builder.row(
        *(_button(tr(f"logging.field.{name}"), "edit", name) for name in EDITABLE), width=4
    )
    builder.row(*cancel_row(tr))
    return builder.as_markup()


@_static
def plan_card(tr: Translator) -> InlineKeyboardMarkup:
    """«🗓 Запланировать», a button per field, «📝 Это уже было» (a log, not a plan after all)
    and «✖️ Отмена»."""
    builder = InlineKeyboardBuilder()
    builder.row(_button(tr("logging.button.plan"), "save"))
    builder.row(
        *(_button(tr(f"logging.field.{name}"), "edit", name) for name in PLAN_EDITABLE), width=4
    )
    builder.row(_button(tr("logging.button.was"), "was"))
    builder.row(*cancel_row(tr))
    return builder.as_markup()


@_static
def choices(tr: Translator, field: str) -> InlineKeyboardMarkup:
    """The values of a field picked by buttons (channel, outcome, direction)."""
    builder = InlineKeyboardBuilder()
    for value in CHOICES[field]:
        builder.button(
            text=tr(f"logging.{field}.{value}"),
            callback_data=LogCallback(action="set", value=f"{field}={value}").pack(),
        )
    builder.adjust(2)
    builder.row(*cancel_row(tr))
    return builder.as_markup()


@_static
def quick_goals(tr: Translator) -> InlineKeyboardMarkup:
    """The quick goal picks; a typed goal works too."""
    builder = InlineKeyboardBuilder()
    for key in QUICK_GOALS:
        builder.button(
            text=tr(f"logging.goal_pick.{key}"),
            callback_data=LogCallback(action="goal", value=key).pack(),
        )
    builder.adjust(2)
    builder.row(*cancel_row(tr))
    return builder.as_markup()


def goals_with_plan(tr: Translator, planned_goal: str) -> InlineKeyboardMarkup:
    """The quick goal picks under «🎯 По плану: …», the goal of the client's planned touch."""
    goal = planned_goal.strip()
    if len(goal) > PLANNED_GOAL_LIMIT:
        goal = goal[: PLANNED_GOAL_LIMIT - 1].rstrip() + "…"
    plan_row = [_button(tr("logging.goal_pick_planned", goal=goal), "goal", PLANNED_GOAL)]
    return InlineKeyboardMarkup(inline_keyboard=[plan_row, *quick_goals(tr).inline_keyboard])


def clients_choice(tr: Translator, clients: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One button per candidate client."""
    builder = InlineKeyboardBuilder()
    for client_id, name in clients:
        builder.row(_button(name, "client", str(client_id)))
    builder.row(*cancel_row(tr))
    return builder.as_markup()


@_static
def save_again(tr: Translator) -> InlineKeyboardMarkup:
    """«💾 Записать ещё раз» / «✖️ Отмена» when the same touch seems saved already."""
    builder = InlineKeyboardBuilder()
    builder.row(_button(tr("logging.button.save_again"), "save", SAVE_AGAIN))
    builder.row(*cancel_row(tr))
    return builder.as_markup()


@_static
def skip_next(tr: Translator) -> InlineKeyboardMarkup:
    """«Без даты» when asked for the next step."""
    builder = InlineKeyboardBuilder()
    builder.row(_button(tr("logging.button.skip_next"), "skip"))
    builder.row(*cancel_row(tr))
    return builder.as_markup()


# The days «Когда?» offers for a plan, as days from today: the press reads today's date.
PLAN_DAYS = ("0", "1", "2")


@_static
def plan_when(tr: Translator) -> InlineKeyboardMarkup:
    """«Сегодня», «Завтра», «Послезавтра» when a plan's day is asked; «✖️ Отмена»."""
    builder = InlineKeyboardBuilder()
    builder.row(*(_button(tr(f"logging.button.day_{days}"), "when", days) for days in PLAN_DAYS))
    builder.row(*cancel_row(tr))
    return builder.as_markup()


def create_client(tr: Translator, name: str) -> InlineKeyboardMarkup:
    """«➕ Создать клиента «…»» for a draft whose client is not in the base, and «✖️ Отмена»."""
    shown = name.strip()
    if len(shown) > CREATE_NAME_LIMIT:
        shown = shown[: CREATE_NAME_LIMIT - 1] + "…"
    create = InlineKeyboardButton(
        text=tr("logging.button.create_client", name=shown),
        callback_data=NewClientCallback(step=NewClientStep.FROM_SEARCH, value=FOR_DRAFT).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[[create], cancel_row(tr)])


def log_button(tr: Translator, client_id: int) -> InlineKeyboardButton:
    """«📝 Записать касание» for a client's card."""
    return _button(tr("logging.button.log_touch"), "start", str(client_id))


def touch_button(tr: Translator, touch_id: int) -> InlineKeyboardMarkup:
    """«📝 Записать касание» under «Сделано» of a reminder."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(tr("logging.button.log_touch"), "touch", str(touch_id))]]
    )


RIDER_GOAL_LIMIT = 40


def after_save(
    tr: Translator,
    client_id: int,
    *,
    stale: bool = False,
    riders: Sequence[tuple[int, str]] = (),
) -> InlineKeyboardMarkup:
    """«📇 Карточка» after saving; «✅ Всё актуально» / «✏️ Изменить» when data are due; «✅ Тоже
    сделано: …» for each touch (id, goal) made on the same call. The confirmation stays: each of
    them answers beside it."""
    rows = [
        [_button(tr("logging.button.rider_done", goal=_short(goal)), "rider", str(touch_id))]
        for touch_id, goal in riders
    ]
    if stale:
        rows.append(
            [
                _button(tr("logging.button.data_ok"), "confirm", str(client_id)),
                InlineKeyboardButton(
                    text=tr("logging.button.data_edit"),
                    # A new message: the facts to check stay on screen while editing.
                    callback_data=ClientCallback(action=EDIT_APART, client_id=client_id).pack(),
                ),
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                text=tr("logging.button.card"),
                # A new message: what was saved (and the next touch) stays on screen.
                callback_data=CardCallback(client_id=client_id).pack(),
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _short(text: str) -> str:
    return text if len(text) <= RIDER_GOAL_LIMIT else text[: RIDER_GOAL_LIMIT - 1].rstrip() + "…"


def without_action(
    markup: InlineKeyboardMarkup | None, action: str, value: str = ""
) -> InlineKeyboardMarkup | None:
    """The markup less the rows holding a button of this logging action (and value, if given):
    what one press has done, gone; the rest stays."""
    if markup is None:
        return None
    prefix = LogCallback(action=action, value=value).pack() if value else None
    rows = [
        row
        for row in markup.inline_keyboard
        if not any(
            (button.callback_data or "") == prefix
            if prefix
            else (button.callback_data or "").startswith(f"{LogCallback.__prefix__}:{action}:")
            for button in row
        )
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def history_choice(clients: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """`/history Петров` naming several clients: one button per client, opening its timeline."""
    builder = InlineKeyboardBuilder()
    for client_id, label in clients:
        builder.row(_button(label, "hist", f"{client_id}-0"))
    return builder.as_markup()


def history_pages(
    tr: Translator, client_id: int, page: int, pages: int
) -> InlineKeyboardMarkup | None:
    """«◀️ / ▶️» through a long timeline, and «📇 Карточка»."""
    arrows = []
    if page > 0:
        arrows.append(_button("◀️", "hist", f"{client_id}-{page - 1}"))
    if page + 1 < pages:
        arrows.append(_button("▶️", "hist", f"{client_id}-{page + 1}"))
    markup = after_save(tr, client_id)
    if arrows:
        markup.inline_keyboard.insert(0, arrows)
    return markup
