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
_INITIAL: Final = re.compile(r"[А-ЯЁA-Z]\.")


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
    if case == "nomn":
        return full_name
    return _inflect(full_name, case)[0]


@lru_cache(maxsize=4096)
def decline_safely(full_name: str, case: str) -> str | None:
    """`full_name` in `case` when every word of it is known to decline that way (or known not
    to change, as «Шевчук Анна»); None when a word would be left as written by guess — a Latin
    name, an unknown gender («Саша»), a first name not in the dictionary — so the caller can
    choose a wording that needs no case."""
    if case not in CASES:
        return None
    inflected, safe = _inflect(full_name, case)
    return inflected if safe else None


def _inflect(full_name: str, case: str) -> tuple[str, bool]:
    """The name in `case`, and whether every word of it was declined by a known rule."""
    if case not in CASES or not _CYRILLIC_WORD.search(full_name):
        return full_name, False
    gender = _gender(full_name)
    if gender is None:
        return full_name, False
    last, first, patronymic = split_name(full_name)
    roles: dict[str, str] = {}
    for word in (last or "").split():
        roles[word] = "surname"
    if patronymic and " " not in patronymic:
        roles[patronymic] = "patronymic"
    if first:
        roles[first] = "first"
    out: list[str] = []
    safe = True
    for token in _TOKEN.findall(full_name):
        role = roles.get(token)
        if role is None or not _CYRILLIC_WORD.fullmatch(token):
            # Initials («М.») and spaces stay as they are; any other word is a guess.
            safe = safe and (token.isspace() or _INITIAL.fullmatch(token) is not None)
            out.append(token)
        elif case == "nomn":
            out.append(token)
        elif role == "surname":
            parts = [_surname(part, gender, case) for part in token.split("-")]
            safe = safe and all(found is not None for _, found in parts)
            out.append("-".join(word for word, _ in parts))
        else:
            word, known = _given(token, gender, case, "Name" if role == "first" else "Patr")
            safe = safe and known
            out.append(word)
    return "".join(out), safe


@lru_cache(maxsize=1024)
def decline_noun(word: str, case: str) -> str | None:
    """A one-word noun for a person («жена», «сын», «тёща») in `case`, or None when it is not
    one pymorphy3 knows in the nominative singular."""
    if case not in CASES or not _CYRILLIC_WORD.fullmatch(word):
        return None
    for parse in morph_analyzer().parse(word):
        found: Any = parse.tag
        if (
            found.POS == "NOUN"
            and "anim" in found
            and "nomn" in found
            and "sing" in found
            and "Fixd" not in found
        ):
            inflected = parse.inflect({case, "sing"})
            return _like(word, inflected.word) if inflected is not None else None
    return None


def initials(full_name: str) -> str:
    """«Жуков Михаил Владимирович» → «Жуков М. В.»; a name without a surname stays whole."""
    last, first, patronymic = split_name(full_name)
    if not last or not first:
        return full_name
    letters = [f"{name[0].upper()}." for name in (first, patronymic) if name]
    return " ".join([last, *letters])


def _given(word: str, gender: Gender, case: str, tag: str) -> tuple[str, bool]:
    """A first name or patronymic through pymorphy3's dictionary of names, and whether the
    dictionary knew it."""
    grammeme = "masc" if gender == "male" else "femn"
    for parse in morph_analyzer().parse(word):
        found = parse.tag
        if tag in found and grammeme in found and "nomn" in found and "sing" in found:
            if "Fixd" in found:
                return word, True
            inflected = parse.inflect({case, "sing"})
            if inflected is None:
                return word, False
            return _like(word, inflected.word), True
    return word, False


def _surname(word: str, gender: Gender, case: str) -> tuple[str, bool | None]:
    """A surname by the rules of its type, and whether a rule knew it (None: an unknown type,
    left as written)."""
    lower = word.casefold()
    if gender == "female":
        if lower.endswith(_FEMALE_POSSESSIVE):
            return word[:-1] + _POSSESSIVE_FEMALE_ENDINGS[case], True
        if lower.endswith(_ADJECTIVE_FEMALE):
            return word[:-2] + _ADJECTIVE_FEMALE_ENDINGS[case], True
        # A woman's surname ending in a consonant («Шевчук») or in -о/-и does not change; one
        # in -а/-я of another type («Кочерга») does, by rules not written here.
        return word, None if lower.endswith(("а", "я")) else True
    if lower.endswith(_INDECLINABLE_ENDINGS):
        return word, True
    if lower.endswith(_MALE_POSSESSIVE):
        return word + _POSSESSIVE_MALE_ENDINGS[case], True
    if lower.endswith(_ADJECTIVE_MALE):
        stem = word[:-2]
        ending = _ADJECTIVE_MALE_ENDINGS[case]
        # After к/г/х and hushing consonants the instrumental is -им, else -ым: «Толстым».
        if case == "ablt" and stem[-1:].casefold() not in _VELARS_AND_HUSHING:
            ending = "ым"
        return stem + ending, True
    found = _by_dictionary(word, case)
    return (found, True) if found is not None else (word, None)


def _by_dictionary(word: str, case: str) -> str | None:
    """A man's surname that is also a noun («Муромец» → «Муромца») as pymorphy3 declines it;
    None when the dictionary has no such noun."""
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
            return _like(word, inflected.word) if inflected is not None else None
    return None


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
