"""Translation catalogs (TOML files per language and journey) and the per-member translator."""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from services.person_names import CASES, inflect_name

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("ru", "en")
PLURAL_FORMS = frozenset({"zero", "one", "two", "few", "many", "other"})
# A gendered entry: `{ male = "…передал…", female = "…передала…", neutral = "…передал(а)…" }`,
# picked by the `gender=` parameter; each form may itself be a plural table.
GENDER_FORMS = frozenset({"male", "female", "neutral"})


class MissingTranslationError(KeyError):
    """A key is absent from a catalog: a programming error caught by the catalog tests."""


def _flatten(prefix: str, table: Mapping[str, Any], into: dict[str, Any]) -> None:
    for key, value in table.items():
        full_key = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping) and not (
            set(value) <= PLURAL_FORMS or set(value) <= GENDER_FORMS
        ):
            _flatten(full_key, value, into)
        else:
            into[full_key] = value


@cache
def load_catalog(language: str) -> Mapping[str, Any]:
    """All keys of one language: `<file stem>.<key>` → text, plural or gendered table."""
    catalog: dict[str, Any] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.toml")):
        with path.open("rb") as file:
            _flatten(path.stem, tomllib.load(file), catalog)
    return catalog


class _CatalogFormatter(string.Formatter):
    """`str.format` plus grammatical cases for person names: `{name:gent}` → «Анны Кузнецовой»."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec in CASES:
            return inflect_name(str(value), format_spec)
        return super().format_field(value, format_spec)


_FORMATTER = _CatalogFormatter()
# A name that brings its own quotes («ООО «Вектор»») inside a quoted field: Russian typography
# nests „лапки“ in «ёлочки» («ООО „Вектор“»); a name inside English quotes loses the outer pair.
_GUILLEMETS = str.maketrans("«»", "„“")
_GUILLEMET_FIELD = "«{{{0}(?::\\w+)?}}»"
_PLAIN_QUOTED_FIELD = '(?:“{{{0}(?::\\w+)?}}”|"{{{0}(?::\\w+)?}}")'


def _fit_quotes(template: str, params: dict[str, Any]) -> str:
    for name, value in params.items():
        if not isinstance(value, str) or not any(char in value for char in '«»"“”'):
            continue
        field = re.escape(name)
        if ("«" in value or "»" in value) and re.search(_GUILLEMET_FIELD.format(field), template):
            params[name] = value.translate(_GUILLEMETS)
        template = re.sub(
            _PLAIN_QUOTED_FIELD.format(field), lambda match: match.group(0)[1:-1], template
        )
    return template


class Translator:
    """Renders catalog keys in one language; `t("team.invite_created", role=...)`."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else LANGUAGES[0]
        self._catalog = load_catalog(self.language)
        self._locale = Locale.parse(self.language)

    def __call__(self, key: str, /, **params: Any) -> str:
        """The text for `key` with `params` substituted.

        `gender` ("male", "female" or None) picks the form of a gendered entry, None the neutral
        one; `count` picks the plural form.
        """
        try:
            entry = self._catalog[key]
        except KeyError as error:
            raise MissingTranslationError(key) from error
        if isinstance(entry, Mapping) and set(entry) <= GENDER_FORMS:
            entry = entry.get(params.get("gender") or "neutral") or entry["neutral"]
        if isinstance(entry, Mapping):
            form = self._locale.plural_form(abs(params.get("count", 0)))
            entry = entry.get(form) or entry["other"]
        if not params:
            return str(entry)
        params = dict(params)
        return _FORMATTER.format(_fit_quotes(str(entry), params), **params)

    def has(self, key: str) -> bool:
        """Whether the catalog has this key."""
        return key in self._catalog

    def fmt_date(self, value: date, fmt: str = "d MMMM") -> str:
        """A date in the member's language: «22 ноября»."""
        return format_date(value, fmt, locale=self._locale)

    def fmt_day(self, value: date, today: date) -> str:
        """A near date with its week day, the year only when it is not this one: «пт 04.12»,
        «вс 03.12.2028» — a step two years away must not read as this week's."""
        pattern = "EEE dd.MM" if value.year == today.year else "EEE dd.MM.y"
        return format_date(value, pattern, locale=self._locale)

    def fmt_weekday(self, value: date, today: date | None = None) -> str:
        """A short date with its week day: «пт, 27 ноября»; given `today`, with the year when
        it is not today's («чт, 2 мая 2030»)."""
        pattern = "EEE, d MMMM" if today is None or value.year == today.year else "EEE, d MMMM y"
        return format_date(value, pattern, locale=self._locale)

    def fmt_number(self, value: int) -> str:
        """A count grouped as the language writes it: «19 385», «19,385»."""
        return format_decimal(value, locale=self._locale)

    def fmt_time(self, value: time | datetime) -> str:
        """A clock time, always 24-hour: «09:30»."""
        return format_time(value, "HH:mm", locale=self._locale)


@cache
def translator(language: str) -> Translator:
    """A shared translator per language (catalogs are immutable once loaded)."""
    return Translator(language)
