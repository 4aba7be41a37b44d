"""Keyboards of /policy: a button per category, per number, and «Отмена»."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import PolicyCallback
from bot.i18n import Translator
from models.enums import Category
from services import policy


def table(tr: Translator) -> InlineKeyboardMarkup:
    """A button per category."""
    builder = InlineKeyboardBuilder()
    for category in Category:
        builder.button(
            text=tr(f"policy.category_{category.value}"),
            callback_data=PolicyCallback(category=category.value),
        )
    builder.adjust(2)
    return builder.as_markup()


def category(tr: Translator, category: Category) -> InlineKeyboardMarkup:
    """A button per number of a category's policy, and the way back to the table."""
    builder = InlineKeyboardBuilder()
    for field in policy.FIELDS:
        builder.button(
            text=tr(f"policy.edit_{field}"),
            callback_data=PolicyCallback(category=category.value, field=field),
        )
    builder.button(text=tr("policy.to_table"), callback_data=PolicyCallback())
    builder.adjust(1)
    return builder.as_markup()


def prompt(tr: Translator, category: Category) -> InlineKeyboardMarkup:
    """«Отмена» under the question."""
    builder = InlineKeyboardBuilder()
    builder.button(text=tr("common.cancel"), callback_data=PolicyCallback(category=category.value))
    return builder.as_markup()
