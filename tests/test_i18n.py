"""The Russian and English catalogs say the same things with the same placeholders."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

import pytest

from bot.i18n import GENDER_FORMS, LANGUAGES, MissingTranslationError, Translator, load_catalog


def placeholders(entry: Any) -> set[str]:
    """The {names} a catalog entry (or each form of a plural or gendered entry) uses."""
    if isinstance(entry, Mapping):
        return {name for form in entry.values() for name in placeholders(form)}
    return {name for _, name, _, _ in string.Formatter().parse(str(entry)) if name}


def gendered_keys(language: str) -> list[str]:
    """Catalog keys whose entry is a male / female / neutral table."""
    return sorted(
        key
        for key, entry in load_catalog(language).items()
        if isinstance(entry, Mapping) and set(entry) <= GENDER_FORMS
    )


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


@pytest.mark.parametrize(
    ("language", "key"),
    [(language, key) for language in LANGUAGES for key in gendered_keys(language)],
)
def test_gendered_entries_have_every_form(language: str, key: str) -> None:
    entry = load_catalog(language)[key]
    assert set(entry) == GENDER_FORMS
    assert len({str(form) for form in entry.values()}) == len(GENDER_FORMS)


def test_gender_picks_the_verb_form() -> None:
    tr = Translator("ru")
    by = "Ольга Смирнова"
    assert "Ольга Смирнова передала вам" in tr(
        "team.base_received", by=by, name="Дмитрий Орлов", count=3, gender="female"
    )
    assert "Иван Петров передал вам" in tr(
        "team.base_received", by="Иван Петров", name="Дмитрий Орлов", count=3, gender="male"
    )
    assert "Саша передал(а) вам" in tr(
        "team.base_received", by="Саша", name="Дмитрий Орлов", count=3, gender=None
    )


def test_gendered_plural_entry() -> None:
    tr = Translator("ru")
    text = tr("audit.read_alert", name="Анна", count=5, gender="female")
    assert text.startswith("⚠️ Анна открыла 5 карточек за час")


def test_case_spec_declines_the_name() -> None:
    tr = Translator("ru")
    assert tr("team.deactivate", name="Анна Кузнецова") == "Отключить Анну Кузнецову"
    assert tr("team.base_button", name="Дмитрий Орлов", count=29).startswith(
        "🔁 Клиенты Дмитрия Орлова (29)"
    )
    assert (
        Translator("en")("team.deactivate", name="Анна Кузнецова") == "Deactivate Анна Кузнецова"
    )


@pytest.mark.parametrize(
    ("language", "name", "expected"),
    [
        ("ru", "ООО «Альфа-Строй»", "Открыть «ООО „Альфа-Строй“»"),
        ("ru", 'ООО "Альфа"', 'Открыть «ООО "Альфа"»'),
        ("ru", "Ромашка", "Открыть «Ромашка»"),
        ("en", "ООО «Альфа-Строй»", "Open ООО «Альфа-Строй»"),
        ("en", "Romashka", 'Open "Romashka"'),
    ],
)
def test_a_name_with_its_own_quotes_nests_them(language: str, name: str, expected: str) -> None:
    assert Translator(language)("clients.open_existing", name=name) == expected
