"""Keyboards of the /settings card and its editors."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import SettingsCallback, SettingsField, SettingsValueCallback
from bot.i18n import Translator
from services import geo

DAY_PRESETS = {"weekdays": "01234", "six": "012345", "all": "0123456"}


def card(tr: Translator) -> InlineKeyboardMarkup:
    """Edit buttons under the settings card."""
    builder = InlineKeyboardBuilder()
    for field, key in (
        (SettingsField.TIMEZONE, "edit_timezone"),
        (SettingsField.HOURS, "edit_hours"),
        (SettingsField.DAYS, "edit_days"),
        (SettingsField.DIGEST, "edit_digest"),
        (SettingsField.LANGUAGE, "edit_language"),
    ):
        builder.button(text=tr(f"settings.{key}"), callback_data=SettingsCallback(field=field))
    builder.adjust(2, 2, 1)
    return builder.as_markup()


def _with_cancel(builder: InlineKeyboardBuilder, tr: Translator) -> None:
    builder.button(
        text=tr("common.cancel"), callback_data=SettingsCallback(field=SettingsField.CANCEL)
    )


def cities(tr: Translator) -> InlineKeyboardMarkup:
    """Quick picks of popular cities, each setting its time zone."""
    builder = InlineKeyboardBuilder()
    for key in geo.POPULAR_CITIES:
        city = geo.city_by_key(key)
        name = city.name_ru if tr.language == "ru" else city.name_en
        builder.button(
            text=name, callback_data=SettingsValueCallback(field=SettingsField.TIMEZONE, value=key)
        )
    _with_cancel(builder, tr)
    builder.adjust(3)
    return builder.as_markup()


def days(tr: Translator) -> InlineKeyboardMarkup:
    """Common sets of working days."""
    builder = InlineKeyboardBuilder()
    for preset in DAY_PRESETS:
        builder.button(
            text=tr(f"settings.days_{preset}"),
            callback_data=SettingsValueCallback(field=SettingsField.DAYS, value=preset),
        )
    _with_cancel(builder, tr)
    builder.adjust(3, 1)
    return builder.as_markup()


def languages(tr: Translator) -> InlineKeyboardMarkup:
    """Russian or English."""
    builder = InlineKeyboardBuilder()
    for language in ("ru", "en"):
        builder.button(
            text=tr(f"settings.language_{language}"),
            callback_data=SettingsValueCallback(field=SettingsField.LANGUAGE, value=language),
        )
    _with_cancel(builder, tr)
    builder.adjust(2, 1)
    return builder.as_markup()


def cancel_only(tr: Translator) -> InlineKeyboardMarkup:
    """Just a cancel button under a question that expects typed text."""
    builder = InlineKeyboardBuilder()
    _with_cancel(builder, tr)
    return builder.as_markup()
