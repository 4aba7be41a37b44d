"""A team member's display name in a Russian grammatical case, and the gender its verbs take."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final, Literal

from services.names import morph_analyzer
from services.occasions import Gender, guess_gender, split_name

Case = Literal["nomn", "gent", "datv", "accs", "ablt", "loct"]
CASES: Final[frozenset[str]] = frozenset({"nomn", "gent", "datv", "accs", "ablt", "loct"})

_CYRILLIC_WORD: Final = re.compile(r"[А-Яа-яЁё]+(?:-[А-Яа-яЁё]+)*")
_TOKEN: Final = re.compile(r"\S+|\s+")

# Russian surnames of the possessive type decline by their own paradigm, which pymorphy3 does
# not tell apart from a genitive («Кузнецова» is both her name and «of Кузнецов»), so by rule.
_MALE_POSSESSIVE: Final = ("ов", "ев", "ёв", "ин", "ын")
_FEMALE_POSSESSIVE: Final = ("ова", "ева", "ёва", "ина", "ына")
_POSSESSIVE_MALE_ENDINGS: Final[dict[str, str]] = {
    "nomn": "",
    "gent": "а",
    "datv": "у",
    "accs": "а",
    "ablt": "ым",
    "loct": "е",
}
_POSSESSIVE_FEMALE_ENDINGS: Final[dict[str, str]] = {
    "nomn": "а",
    "gent": "ой",
    "datv": "ой",
    "accs": "у",
    "ablt": "ой",
    "loct": "ой",
}
# Adjectival surnames: stem + ending («Достоевский», «Толстой», «Бельская»).
_ADJECTIVE_MALE: Final = ("ский", "цкий", "кий", "гий", "хий", "ый", "ой")
_ADJECTIVE_FEMALE: Final = ("ская", "цкая", "ая", "яя")
_ADJECTIVE_MALE_ENDINGS: Final[dict[str, str]] = {
    "nomn": "",
    "gent": "ого",
    "datv": "ому",
    "accs": "ого",
    "ablt": "им",
    "loct": "ом",
}
_ADJECTIVE_FEMALE_ENDINGS: Final[dict[str, str]] = {
    "nomn": "ая",
    "gent": "ой",
    "datv": "ой",
    "accs": "ую",
    "ablt": "ой",
    "loct": "ой",
}
# -ко/-енко, -их/-ых and surnames ending in a vowel other than а/я never change («Ли»).
_INDECLINABLE_ENDINGS: Final = ("их", "ых", "о", "е", "ё", "и", "у", "ю", "э", "ы")
_VELARS_AND_HUSHING: Final = frozenset("гкхжшчщ")


def gender_of(full_name: str | None) -> Gender | None:
    """Male or female as the name tells it (patronymic, first name, surname), or None."""
    if not full_name:
        return None
    return _gender(full_name)


@lru_cache(maxsize=4096)
def _gender(full_name: str) -> Gender | None:
    return guess_gender(full_name)


@lru_cache(maxsize=4096)
def inflect_name(full_name: str, case: str) -> str:
    """`full_name` in `case` («Анна Кузнецова», "accs" → «Анну Кузнецову»); unknown words stay."""
    if case not in CASES or case == "nomn" or not _CYRILLIC_WORD.search(full_name):
        return full_name
    gender = _gender(full_name)
    if gender is None:
        return full_name
    last, first, patronymic = split_name(full_name)
    roles: dict[str, str] = {}
    for word in (last or "").split():
        roles[word] = "surname"
    if patronymic and " " not in patronymic:
        roles[patronymic] = "patronymic"
    if first:
        roles[first] = "first"
    out: list[str] = []
    for token in _TOKEN.findall(full_name):
        role = roles.get(token)
        if role is None or not _CYRILLIC_WORD.fullmatch(token):
            out.append(token)
        elif role == "surname":
            out.append("-".join(_surname(part, gender, case) for part in token.split("-")))
        else:
            out.append(_given(token, gender, case, "Name" if role == "first" else "Patr"))
    return "".join(out)


def _given(word: str, gender: Gender, case: str, tag: str) -> str:
    """A first name or patronymic through pymorphy3's dictionary of names."""
    grammeme = "masc" if gender == "male" else "femn"
    for parse in morph_analyzer().parse(word):
        found = parse.tag
        if tag in found and grammeme in found and "nomn" in found and "sing" in found:
            if "Fixd" in found:
                return word
            inflected = parse.inflect({case, "sing"})
            return _like(word, inflected.word) if inflected is not None else word
    return word


def _surname(word: str, gender: Gender, case: str) -> str:
    """A surname by the rules of its type; an unknown type stays as written."""
    lower = word.casefold()
    if gender == "female":
        if lower.endswith(_FEMALE_POSSESSIVE):
            return word[:-1] + _POSSESSIVE_FEMALE_ENDINGS[case]
        if lower.endswith(_ADJECTIVE_FEMALE):
            return word[:-2] + _ADJECTIVE_FEMALE_ENDINGS[case]
        # A woman's surname ending in a consonant («Шевчук») or in -о/-и does not change.
        return word
    if lower.endswith(_INDECLINABLE_ENDINGS):
        return word
    if lower.endswith(_MALE_POSSESSIVE):
        return word + _POSSESSIVE_MALE_ENDINGS[case]
    if lower.endswith(_ADJECTIVE_MALE):
        stem = word[:-2]
        ending = _ADJECTIVE_MALE_ENDINGS[case]
        # After к/г/х and hushing consonants the instrumental is -им, else -ым: «Толстым».
        if case == "ablt" and stem[-1:].casefold() not in _VELARS_AND_HUSHING:
            ending = "ым"
        return stem + ending
    return _by_dictionary(word, case)


def _by_dictionary(word: str, case: str) -> str:
    """A man's surname that is also a noun («Муромец» → «Муромца») as pymorphy3 declines it."""
    for parse in morph_analyzer().parse(word):
        found: Any = parse.tag
        if (
            found.POS == "NOUN"
            and "masc" in found
            and "anim" in found
            and "nomn" in found
            and "sing" in found
            and "Fixd" not in found
            and parse.word == word.casefold()
        ):
            inflected = parse.inflect({case, "sing"})
            return _like(word, inflected.word) if inflected is not None else word
    return word


def _like(original: str, inflected: str) -> str:
    """`inflected` with the capital letters of `original` («Анна» → «Анну»)."""
    parts = inflected.split("-")
    originals = original.split("-")
    if len(parts) != len(originals):
        return inflected.capitalize() if original[:1].isupper() else inflected
    return "-".join(
        part.upper()
        if source.isupper() and len(source) > 1
        else part.capitalize()
        if source[:1].isupper()
        else part
        for part, source in zip(parts, originals, strict=True)
    )
