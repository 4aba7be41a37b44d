"""The Russian and English catalogs say the same things with the same placeholders."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

import pytest

from bot.i18n import MissingTranslationError, Translator, load_catalog


def placeholders(entry: Any) -> set[str]:
    """The {names} a catalog entry (or each form of a plural entry) uses."""
    texts = entry.values() if isinstance(entry, Mapping) else [entry]
    return {
        name for text in texts for _, name, _, _ in string.Formatter().parse(str(text)) if name
    }


def test_both_languages_have_the_same_keys() -> None:
    ru, en = load_catalog("ru"), load_catalog("en")
    assert set(ru) - set(en) == set(), "missing in English"
    assert set(en) - set(ru) == set(), "missing in Russian"


@pytest.mark.parametrize("key", sorted(load_catalog("ru")))
def test_placeholders_match(key: str) -> None:
    assert placeholders(load_catalog("ru")[key]) == placeholders(load_catalog("en")[key])


def test_russian_plurals() -> None:
    tr = Translator("ru")
    forms = [tr("team.members_title", count=n) for n in (1, 3, 5)]
    assert all("Команда" in form for form in forms)


def test_missing_key_is_loud() -> None:
    with pytest.raises(MissingTranslationError):
        Translator("ru")("no.such.key")


def test_unknown_language_falls_back_to_russian() -> None:
    assert Translator("de").language == "ru"
