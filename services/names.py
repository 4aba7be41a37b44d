"""Name matching that tolerates Russian inflection: «Петрову», «из Ромашки», «ТехноПрома».

Everything here is pure and cached: `token_forms` reduces a word to its normalised spelling plus
its dictionary forms (pymorphy3) or, for words the dictionary does not know, conservative stems;
`name_similarity` and `rank_candidates` score a typed query against client and contact names;
`NameIndex` precomputes the forms of a whole client base once so that a free sentence can be
searched for mentioned clients through an inverted index instead of fuzzy-scanning every client.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from typing import Any, Final

from rapidfuzz import fuzz, process

_WORD = re.compile(r"[0-9a-zа-я]+")
_CYRILLIC_WORD = re.compile(r"^[а-я]+$")

LEGAL_FORMS: Final = frozenset(
    {"ооо", "ип", "ао", "пао", "зао", "оао", "нко", "llc", "ltd", "inc", "gmbh", "corp"}
)

# Function words never identify a client: «из», «у», «с» surround names in every message.
STOPWORDS: Final = frozenset(
    {
        "и", "в", "во", "на", "с", "со", "у", "к", "ко", "о", "об", "обо", "от", "ото", "из",
        "изо", "за", "по", "для", "до", "при", "без", "над", "под", "про", "через", "а", "но",
        "или", "же", "ли", "не", "the", "of", "and", "a", "an", "at", "to", "for", "from",
        "with", "in", "on", "by", "&",
    }
)  # fmt: skip

# Words that many company names share; they refine a match but never make one on their own.
GENERIC_COMPANY_WORDS: Final = frozenset(
    {
        "плюс", "групп", "группа", "сервис", "торговый", "дом", "компания", "холдинг", "центр",
        "трейд", "завод", "фабрика", "студия", "агентство", "инвест", "про", "лтд", "маркет",
        "строй", "снаб", "комплекс", "проект", "системы", "система", "технологии", "партнер",
        "group", "service", "services", "company", "holding", "center", "centre", "trade",
        "plus", "studio", "agency", "invest", "systems", "partners", "market",
    }
)  # fmt: skip

# Case endings stripped from words the dictionary does not know, longest first; «-ов», «-ев»,
# «-ин» are deliberately absent: they end surnames and would make «Петров» match «Петру».
_FALLBACK_ENDINGS: Final = (
    "ами", "ями", "ому", "ему", "ого", "его", "ыми", "ими",
    "ой", "ей", "ом", "ем", "ым", "им", "ую", "юю", "ах", "ях",
    "а", "я", "у", "ю", "е", "ы", "и", "ь", "й",
)  # fmt: skip
_MIN_STEM: Final = 3
_LEMMA_POS: Final = frozenset({"NOUN", "ADJF", "ADJS", None})
# Parses far less likely than the best one (e.g. «волков» as plural of «волк») add noise.
_RELATIVE_PARSE_SCORE: Final = 0.4
_GIVEN_NAME_TAGS: Final = frozenset({"Name", "Patr"})
_PERSON_TAGS: Final = frozenset({"Name", "Patr", "Surn"})

# Scores for a name mentioned inside a sentence (see `NameIndex.match_in_text`).
SCORE_FULL: Final = 100.0
SCORE_COMPANY_DISTINCT: Final = 90.0
SCORE_SURNAME: Final = 92.0
SCORE_NAME_AND_PATRONYMIC: Final = 85.0
SCORE_GIVEN_ONLY_CONTACT: Final = 80.0
SCORE_FIRST_NAME_ONLY: Final = 65.0
PARTIAL_FACTOR: Final = 85.0
MORE_WORDS_BONUS: Final = 8.0
EXPLAINING_SCORE: Final = 70.0
UNLIKELY_READING_PENALTY: Final = 2.0
_PREFIX_MIN: Final = 3
_FUZZY_CUTOFF: Final = 75.0
# A sentence word the base does not hold is read as a typo of a name within one letter or so:
# «ромошка» for «ромашка» (86), never «вотсап» for «волков».
_NEAR_CUTOFF: Final = 82.0
_NEAR_MIN_LENGTH: Final = 5
_NEAR_CACHE: Final = 8192


class _SafeAnalyzer:
    """pymorphy3's analyser that survives characters Unicode has no name for.

    pymorphy3 looks characters up by their Unicode names and raises on unassigned code points,
    which hostile or garbled input contains; such characters carry no morphology anyway.
    """

    def __init__(self, analyzer: Any) -> None:
        self._analyzer = analyzer
        # Parses are immutable: a word met by several readers (forms, first names, companies)
        # is analysed once.
        self.parse = lru_cache(maxsize=65536)(self._parse)
        self.word_is_known = lru_cache(maxsize=65536)(self._word_is_known)

    def _parse(self, word: str) -> tuple[Any, ...]:
        try:
            return tuple(self._analyzer.parse(word))
        except ValueError:
            named = "".join(char for char in word if unicodedata.name(char, None))
            return tuple(self._analyzer.parse(named or "-"))

    def _word_is_known(self, word: str) -> bool:
        try:
            return bool(self._analyzer.word_is_known(word))
        except ValueError:
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._analyzer, name)


@lru_cache(maxsize=1)
def morph_analyzer() -> Any:
    """The pymorphy3 analyser, built on first use (loading dictionaries takes ~100 ms)."""
    import pymorphy3  # noqa: PLC0415  - keep import-time cheap for modules that never match

    return _SafeAnalyzer(pymorphy3.MorphAnalyzer())


# Latin letters that look like Cyrillic ones, as typed inside a Russian word («Ромашкe» with a
# Latin «e», «ТЕХНОПPOM» with a Latin «P»): casefolded, so «H», «B», «M», «T» are here too.
_LOOKALIKES: Final = str.maketrans("aeopcxykmhbt", "аеорсхукмнвт")
_MIXED_WORD = re.compile(r"[a-zа-яё]*(?:[a-z][а-яё]|[а-яё][a-z])[a-zа-яё]*")


def _cyrillic_lookalikes(match: re.Match[str]) -> str:
    return match.group().translate(_LOOKALIKES)


def fix_mixed_script(folded: str) -> str:
    """Latin look-alike letters inside a Cyrillic word become Cyrillic, letter for letter (the
    length is kept); purely Latin words stay as they are. Takes casefolded text."""
    if not folded.isascii() and re.search(r"[a-z]", folded):
        return _MIXED_WORD.sub(_cyrillic_lookalikes, folded)
    return folded


def _fold(text: str) -> str:
    return fix_mixed_script(text.casefold().replace("ё", "е"))


_TRANSLIT: Final = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"),
    ("ts", "ц"), ("tz", "ц"), ("yu", "ю"), ("ju", "ю"), ("ya", "я"), ("ja", "я"), ("yo", "е"),
    ("ye", "е"), ("iy", "ий"), ("yy", "ый"), ("ey", "ей"), ("ay", "ай"), ("oy", "ой"),
    ("uy", "уй"), ("ck", "к"), ("ph", "ф"), ("x", "кс"), ("a", "а"), ("b", "б"), ("c", "к"),
    ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "х"), ("i", "и"), ("j", "й"),
    ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("q", "к"),
    ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("w", "в"), ("y", "ы"),
    ("z", "з"),
)  # fmt: skip
_TRANSLIT_RE = re.compile("|".join(latin for latin, _ in _TRANSLIT))
_TRANSLIT_MAP: Final = dict(_TRANSLIT)
_LATIN_WORD = re.compile(r"^[a-z]+$")


@lru_cache(maxsize=65536)
def to_cyrillic(word: str) -> str | None:
    """A Latin-typed Russian word in Cyrillic («Romashka» → ромашка, «Petrov» → петров), for
    matching names typed on an English keyboard; None for a word that is not Latin letters."""
    folded = word.casefold()
    if not _LATIN_WORD.match(folded):
        return None
    return _TRANSLIT_RE.sub(lambda match: _TRANSLIT_MAP[match.group()], folded)


def _words(text: str) -> list[str]:
    return _WORD.findall(_fold(text))


def normalize_text(text: str) -> str:
    """Casefold, ё→е, drop punctuation, quotes and legal forms (ООО, ИП…), collapse spaces."""
    return " ".join(word for word in _words(text) if word not in LEGAL_FORMS)


def _fallback_stem(word: str) -> str | None:
    for ending in _FALLBACK_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return None


@lru_cache(maxsize=65536)
def token_forms(token: str) -> frozenset[str]:
    """The normalised token plus its lemmas (or fallback stems): «Петрову» → {петрову, петров}."""
    words = _words(token)
    if not words:
        return frozenset()
    word = "".join(words)
    if not _CYRILLIC_WORD.match(word) or len(word) < 2:
        return frozenset({word})
    forms = {word}
    morph = morph_analyzer()
    parses = morph.parse(word)
    top_score = parses[0].score if parses else 0.0
    for parse in parses:
        if parse.score < top_score * _RELATIVE_PARSE_SCORE or parse.tag.POS not in _LEMMA_POS:
            continue
        forms.add(_lemma(parse))
    if not morph.word_is_known(word):
        stem = _fallback_stem(word)
        if stem is not None:
            forms.add(stem)
    return frozenset(forms)


def _lemma(parse: Any) -> str:
    """The dictionary form; for people the nominative of the same gender («Петровой» → петрова).

    pymorphy3 lemmatises «Петрова» (she) to «петров»; keeping the gender stops a message about
    Анна Петрова from matching Иван Петров.
    """
    if _PERSON_TAGS & parse.tag.grammemes:
        inflected = parse.inflect({"nomn", "sing"}) or parse.inflect({"nomn"})
        if inflected is not None:
            return str(inflected.word).replace("ё", "е")
    return str(parse.normal_form).replace("ё", "е")


@lru_cache(maxsize=65536)
def likely_forms(token: str) -> frozenset[str]:
    """The normalised token and the lemma of its most likely reading only."""
    word = "".join(_words(token))
    if not _CYRILLIC_WORD.match(word) or len(word) < 2:
        return frozenset({word})
    parses = morph_analyzer().parse(word)
    if not parses or parses[0].tag.POS not in _LEMMA_POS:
        return token_forms(token)
    return frozenset({word, _lemma(parses[0])})


@lru_cache(maxsize=65536)
def stored_name_forms(token: str) -> frozenset[str]:
    """Forms of a word of a stored person name, read as nominative («Петрова» is she, not his)."""
    word = "".join(_words(token))
    if not _CYRILLIC_WORD.match(word):
        return token_forms(token)
    nominative = [
        parse
        for parse in morph_analyzer().parse(word)
        if _PERSON_TAGS & parse.tag.grammemes and parse.tag.case == "nomn"
    ]
    if not nominative:
        return token_forms(token)
    return frozenset({word, *(_lemma(parse) for parse in nominative)})


# Everyday forms of first names, for telling «Наташе Сидоровой» (Наталья) from «Сидорову Петру».
_DIMINUTIVES: Final = {
    "саша": ("александр", "александра"), "шура": ("александр", "александра"),
    "женя": ("евгений", "евгения"), "валя": ("валентин", "валентина"),
    "слава": ("вячеслав", "станислав", "ярослав", "владислав"), "стас": ("станислав",),
    "влад": ("владислав", "владимир"), "вова": ("владимир",), "володя": ("владимир",),
    "ваня": ("иван",), "петя": ("петр",), "дима": ("дмитрий",), "митя": ("дмитрий",),
    "сережа": ("сергей",), "леша": ("алексей",), "алеша": ("алексей",), "миша": ("михаил",),
    "коля": ("николай",), "паша": ("павел",), "гриша": ("григорий",), "костя": ("константин",),
    "толя": ("анатолий",), "гена": ("геннадий",), "витя": ("виктор",), "боря": ("борис",),
    "юра": ("юрий",), "вася": ("василий",), "федя": ("федор",), "леня": ("леонид",),
    "рома": ("роман",), "макс": ("максим",), "тема": ("артем",), "андрюша": ("андрей",),
    "игорек": ("игорь",), "олежек": ("олег",), "вадик": ("вадим",), "эдик": ("эдуард",),
    "наташа": ("наталья", "наталия"), "таня": ("татьяна",), "лена": ("елена",),
    "оля": ("ольга",), "маша": ("мария",), "катя": ("екатерина",), "галя": ("галина",),
    "надя": ("надежда",), "юля": ("юлия",), "света": ("светлана",), "ира": ("ирина",),
    "даша": ("дарья",), "настя": ("анастасия",), "люда": ("людмила",), "лара": ("лариса",),
    "ксюша": ("ксения",), "аня": ("анна",), "вика": ("виктория",), "люба": ("любовь",),
    "марина": ("марина",), "вера": ("вера",), "алла": ("алла",), "оксана": ("оксана",),
}  # fmt: skip
_NAME_SHARE: Final = 0.5


@lru_cache(maxsize=65536)
def mentioned_given_names(word: str) -> frozenset[str]:
    """The first names a word of a sentence most likely is, in the nominative and with their
    full forms («Петру» → {петр, петра}, «Наташе» → {наташа, наталья}); empty for other words."""
    if not _CYRILLIC_WORD.match(word):
        return frozenset()
    parses = [p for p in morph_analyzer().parse(word) if "Name" in p.tag.grammemes]
    if sum(parse.score for parse in parses) < _NAME_SHARE:
        return frozenset()
    lemmas = {_lemma(parse) for parse in parses}
    return frozenset(lemmas.union(*(_DIMINUTIVES.get(lemma, ()) for lemma in lemmas)))


@lru_cache(maxsize=65536)
def is_given_name(token: str) -> bool:
    """Whether the most likely reading of a word is a first name or a patronymic."""
    word = "".join(_words(token))
    if not _CYRILLIC_WORD.match(word):
        return False
    parses = morph_analyzer().parse(word)
    # Stored names are nominative: «Сидоров» is not the plural genitive of «Сидор».
    nominative = [
        parse for parse in parses if parse.tag.case == "nomn" and parse.tag.number == "sing"
    ]
    parses = nominative or parses
    name_parses = [parse for parse in parses if _GIVEN_NAME_TAGS & parse.tag.grammemes]
    surname_parses = [parse for parse in parses if "Surn" in parse.tag.grammemes]
    name_score = float(sum(parse.score for parse in name_parses))
    surname_score = float(sum(parse.score for parse in surname_parses))
    return name_score > 0 and name_score >= surname_score


def significant_words(text: str) -> list[str]:
    """Normalised words without legal forms and function words (all of them if nothing is left)."""
    words = normalize_text(text).split()
    significant = [word for word in words if word not in STOPWORDS]
    return significant or words


@lru_cache(maxsize=262144)
def _token_similarity(query_word: str, name_word: str) -> float:
    cyrillic = to_cyrillic(query_word) if not name_word.isascii() else None
    if cyrillic is not None:
        query_word = cyrillic  # «Romashka» typed in Latin letters for «Ромашка»
    query_forms = token_forms(query_word)
    name_forms = token_forms(name_word)
    if query_forms & name_forms:
        return 100.0
    if len(query_word) >= _PREFIX_MIN and any(form.startswith(query_word) for form in name_forms):
        return 90.0 if len(query_word) > _PREFIX_MIN else 80.0
    return max(fuzz.ratio(q, n) for q in query_forms for n in name_forms)


def _words_similarity(query_words: Sequence[str], name_words: Sequence[str]) -> float:
    if not query_words or not name_words:
        return 0.0
    covered: set[int] = set()
    total = 0.0
    for query_word in query_words:
        best, best_at = 0.0, -1
        for position, name_word in enumerate(name_words):
            score = _token_similarity(query_word, name_word)
            if score > best:
                best, best_at = score, position
        total += best
        if best >= _FUZZY_CUTOFF:
            covered.add(best_at)
    coverage = len(covered) / len(name_words)
    # Uncovered name words cost a little, so «Ромашка» beats «Ромашка Плюс» for «ромашка».
    return total / len(query_words) * (0.9 + 0.1 * coverage)


# A name typed with its parts apart or together («техно пром» for «ТехноПром», «уралмет» for
# «Урал Мет») is the same name; compared without spaces, it must be nearly the same string.
_COMPACT_SCORE_MIN: Final = 90.0
_COMPACT_LENGTH_SLACK: Final = 3


def _compact_similarity(query_words: Sequence[str], name_words: Sequence[str]) -> float:
    """The query against the name with the spaces between their words taken out; 0 when both
    are split into as many words (the word comparison tells) or the two are not nearly equal."""
    if len(query_words) == len(name_words) or not query_words or not name_words:
        return 0.0
    query, name = "".join(query_words), "".join(name_words)
    if abs(len(query) - len(name)) > _COMPACT_LENGTH_SLACK:
        return 0.0
    score = _token_similarity(query, name)
    return score if score >= _COMPACT_SCORE_MIN else 0.0


def name_similarity(query: str, name: str) -> float:
    """How well a typed query names `name`, 0..100, tolerant to inflection, order, typos and
    spaces inside a name («техно пром» names «ТехноПром»)."""
    query_words, name_words = significant_words(query), significant_words(name)
    return max(
        _words_similarity(query_words, name_words), _compact_similarity(query_words, name_words)
    )


@dataclass(frozen=True)
class NameCandidate:
    """A client to match: its id, its name and the names of its contacts."""

    id: int
    name: str
    contact_names: tuple[str, ...] = ()


_ACRONYM_WORDS: Final = (3, 6)
ACRONYM_SCORE: Final = 95.0


@lru_cache(maxsize=65536)
def company_acronym(name: str) -> str | None:
    """The initials people call a long company name by: «Уральская металлургическая компания»
    → «умк», «Казанский механический завод» → «кмз»; None for names of one or two words and
    for initials that spell a dictionary word."""
    # «Сочи-Отель-Сервис» is one word: its parts give no initials people use.
    words = [
        word
        for word in re.findall(r"[0-9a-zа-я][0-9a-zа-я-]*", _fold(name))
        if word not in STOPWORDS and word not in LEGAL_FORMS
    ]
    if not _ACRONYM_WORDS[0] <= len(words) <= _ACRONYM_WORDS[1]:
        return None
    acronym = "".join(word[0] for word in words)
    if not _CYRILLIC_WORD.match(acronym) or morph_analyzer().word_is_known(acronym):
        return None
    return acronym


def _candidate_similarity(query_words: Sequence[str], candidate: NameCandidate) -> float:
    if len(query_words) == 1 and query_words[0] == company_acronym(candidate.name):
        return ACRONYM_SCORE
    variants = [significant_words(candidate.name)]
    variants.extend(significant_words(contact) for contact in candidate.contact_names)
    best = max(_words_similarity(query_words, words) for words in variants)
    best = max(best, _compact_similarity(query_words, variants[0]))
    if len(query_words) > 1 and candidate.contact_names:
        # «Петров Ромашка»: each word may name the client or one of its people.
        combined = [word for words in variants for word in words]
        best = max(best, _words_similarity(query_words, combined) * 0.95)
    return best


def rank_candidates(
    query: str,
    candidates: Sequence[NameCandidate],
    *,
    limit: int = 8,
    threshold: float = 70.0,
) -> list[tuple[int, float]]:
    """Candidate ids whose client or contact names match `query`, best first, with scores."""
    query_words = significant_words(query)
    if not query_words:
        return []
    scored = [
        (candidate.id, score)
        for candidate in candidates
        if (score := _candidate_similarity(query_words, candidate)) >= threshold
    ]
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:limit]


@dataclass(frozen=True, slots=True)
class _IndexedWord:
    word: str
    forms: frozenset[str]
    weak: bool  # a first name, patronymic or generic company word
    weight: float


# A variant's shape: (weak, weight) per word. Scores depend only on the shape and on which
# words matched (a bit mask), so thousands of «Иван Петров»-like contacts share one cache entry.
_Shape = tuple[tuple[bool, float], ...]


@dataclass(frozen=True, slots=True)
class _Variant:
    candidate_position: int
    contact_name: str | None  # None: the client's own name
    words: tuple[_IndexedWord, ...]
    shape: _Shape
    acronym: str | None = None  # «умк» for «Уральская металлургическая компания»
    # Forms of its adjacent words written as one («уралмет» for «Урал Мет»).
    joined: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TextMatch:
    """A client mentioned in a sentence: which one, how sure, and through which contact."""

    id: int
    score: float
    contact_name: str | None = None
    matched_words: frozenset[str] = field(default_factory=frozenset)
    # The score before the 0..100 cap: naming both the client and its person ranks higher.
    strength: float = 0.0
    # The words of the sentence that named the client itself (not one of its people).
    company_words: frozenset[str] = field(default_factory=frozenset)


def _company_words(name: str) -> tuple[_IndexedWord, ...]:
    words = significant_words(name)
    indexed = []
    for word in words:
        # «Новые технологии» must not match every «новый прайс»: adjectives need company.
        weak = len(words) > 1 and (word in GENERIC_COMPANY_WORDS or _is_adjective(word))
        indexed.append(
            _IndexedWord(word, token_forms(word), weak, len(word) * (0.3 if weak else 1.0))
        )
    return tuple(indexed)


@lru_cache(maxsize=65536)
def _is_adjective(word: str) -> bool:
    if not _CYRILLIC_WORD.match(word) or not morph_analyzer().word_is_known(word):
        return False
    return bool(morph_analyzer().parse(word)[0].tag.POS in {"ADJF", "ADJS", "PRTF"})


_JOINED_WORDS: Final = 3
_MIN_PART: Final = 2


@lru_cache(maxsize=65536)
def _joined_words(name: str) -> tuple[tuple[frozenset[str], int], ...]:
    """Two or three adjacent words of a company name written as one word, as a typed word may
    name them («Урал Мет» → уралмет, «Альфа-Строй» → альфастрой): the forms of each join and
    the bits of the words it covers."""
    words = significant_words(name)
    found = []
    for first in range(len(words)):
        for last in range(first + 1, min(len(words), first + _JOINED_WORDS)):
            joined = "".join(words[first : last + 1])
            mask = (1 << (last + 1)) - (1 << first)
            # The join and its stem, as a typed word's forms carry them («уралмета» → уралмет):
            # no dictionary analysis, which would cost a millisecond per client to build.
            stem = _fallback_stem(joined)
            found.append((frozenset({joined} if stem is None else {joined, stem}), mask))
    return tuple(found)


def _is_common_word(word: str) -> bool:
    """A Russian dictionary word that is not only the name of an organisation: typed, it is
    that word, not company words run together («мегаполис» is no «Мега Полис», «Байкаллеса»
    is «Байкал-Лес»)."""
    morph = morph_analyzer()
    if not _CYRILLIC_WORD.match(word) or not morph.word_is_known(word):
        return False
    return not all("Orgn" in parse.tag.grammemes for parse in morph.parse(word))


_NAME_TOKEN = re.compile(r"[^\W_]+")
_CAPITAL_INSIDE = re.compile(r"[^\W\d_][A-ZА-ЯЁ]")


@lru_cache(maxsize=65536)
def _capital_joints(name: str) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Words of a company name spelt as parts joined by capitals, with where each part ends:
    «ТехноПром» → (технопром, (5,)), «УралСпецТехника» → (уралспецтехника, (4, 8)). The
    capitals are what says that «техно пром» typed apart is this word, and nothing else is."""
    if not _CAPITAL_INSIDE.search(name):
        return ()
    found = []
    for token in _NAME_TOKEN.findall(name):
        joints = tuple(
            number
            for number in range(_MIN_PART, len(token) - _MIN_PART + 1)
            if token[number - 1].islower() and token[number].isupper()
        )
        folded = _fold(token)
        if joints and len(folded) == len(token) and _WORD.fullmatch(folded):
            found.append((folded, joints))
    return tuple(found)


def _contact_words(name: str) -> tuple[_IndexedWord, ...]:
    words = significant_words(name)
    latin_person = len(words) > 1 and not any(_CYRILLIC_WORD.match(word) for word in words)
    indexed = []
    for position, word in enumerate(words):
        # Latin names come as «John Smith»: the first word is the given name.
        weak = position == 0 if latin_person else is_given_name(word)
        indexed.append(_IndexedWord(word, stored_name_forms(word), weak, float(len(word))))
    return tuple(indexed)


def _partial(shape: _Shape, mask: int) -> float:
    total = sum(weight for _, weight in shape)
    got = sum(weight for number, (_, weight) in enumerate(shape) if mask >> number & 1)
    return PARTIAL_FACTOR * got / total if total else 0.0


@lru_cache(maxsize=65536)
def _score_company(shape: _Shape, mask: int) -> float:
    distinct = [number for number, (weak, _) in enumerate(shape) if not weak]
    generic = [number for number, (weak, _) in enumerate(shape) if weak]
    if distinct and all(mask >> number & 1 for number in distinct):
        if not generic:
            return SCORE_FULL
        share = sum(mask >> number & 1 for number in generic) / len(generic)
        return SCORE_COMPANY_DISTINCT + (SCORE_FULL - SCORE_COMPANY_DISTINCT) * share
    if not distinct and mask == (1 << len(shape)) - 1:
        return SCORE_COMPANY_DISTINCT
    return _partial(shape, mask)


@lru_cache(maxsize=65536)
def _score_contact(shape: _Shape, mask: int) -> float:
    strong = [number for number, (weak, _) in enumerate(shape) if not weak]
    weak_words = [number for number, (weak, _) in enumerate(shape) if weak]
    if strong:
        if all(mask >> number & 1 for number in strong):
            if weak_words and all(mask >> number & 1 for number in weak_words):
                return SCORE_FULL
            return SCORE_SURNAME
        if any(mask >> number & 1 for number in strong):
            return _partial(shape, mask)
        if len(weak_words) > 1 and all(mask >> number & 1 for number in weak_words):
            return SCORE_NAME_AND_PATRONYMIC
        return SCORE_FIRST_NAME_ONLY
    if all(mask >> number & 1 for number in weak_words):
        return SCORE_GIVEN_ONLY_CONTACT
    return SCORE_FIRST_NAME_ONLY


def _adjacent(text: str, one: tuple[str, int, int], other: tuple[str, int, int]) -> bool:
    """Whether only spaces separate two words of a text (no comma, no other word)."""
    first, second = sorted((one, other), key=lambda token: token[1])
    return not text[first[2] : second[1]].strip()


class NameIndex:
    """Precomputed forms of a client base: fast search and mention detection in sentences."""

    def __init__(self, candidates: Iterable[NameCandidate]) -> None:
        """Index every client name and contact name by each of its word forms."""
        self.candidates: tuple[NameCandidate, ...] = tuple(candidates)
        self._variants: list[_Variant] = []
        # form → (variant number, bit of the variant's word carrying that form)
        self._by_form: dict[str, list[tuple[int, int]]] = {}
        # Company words run together («уралмет»): exact forms only, kept out of the vocabulary
        # that typos and prefixes are looked up in.
        self._joined: dict[str, list[tuple[int, int]]] = {}
        # The first part of a word spelt in capitalised parts («техно» of «ТехноПром») → the
        # variant, the word's bit, the word and where its parts end.
        self._joint_heads: dict[str, list[tuple[int, int, _IndexedWord, tuple[int, ...]]]] = {}
        for position, candidate in enumerate(self.candidates):
            words = _company_words(candidate.name)
            company = self._add_variant(
                position,
                None,
                words,
                company_acronym(candidate.name),
                _joined_words(candidate.name) if len(words) > 1 else (),
            )
            if company is not None:
                self._add_joints(company, candidate.name)
            for contact in candidate.contact_names:
                self._add_variant(position, contact, _contact_words(contact))
        self._vocabulary: list[str] = sorted(self._by_form)
        # Forms by first letter: a typo seldom hits it, and a sentence's words are compared
        # with one letter's share of the vocabulary, not all of it.
        self._by_letter: dict[str, list[str]] = {}
        for form in self._vocabulary:
            self._by_letter.setdefault(form[:1], []).append(form)
        self._near: dict[str, frozenset[str]] = {}

    def _add_variant(
        self,
        position: int,
        contact_name: str | None,
        words: tuple[_IndexedWord, ...],
        acronym: str | None = None,
        joins: tuple[tuple[frozenset[str], int], ...] = (),
    ) -> int | None:
        if not words:
            return None
        variant_number = len(self._variants)
        shape = tuple((word.weak, word.weight) for word in words)
        joined = frozenset().union(*(forms for forms, _ in joins)) if joins else frozenset()
        self._variants.append(_Variant(position, contact_name, words, shape, acronym, joined))
        for forms, mask in joins:
            for form in forms:
                self._joined.setdefault(form, []).append((variant_number, mask))
        for word_number, word in enumerate(words):
            for form in word.forms:
                self._by_form.setdefault(form, []).append((variant_number, 1 << word_number))
        if acronym is not None:
            # «из УМК» names every word of the company at once.
            self._by_form.setdefault(acronym, []).append((variant_number, (1 << len(words)) - 1))
        return variant_number

    def _add_joints(self, variant_number: int, name: str) -> None:
        """A company name's words spelt in capitalised parts, by their first parts: «техно пром»
        names «ТехноПром»."""
        variant = self._variants[variant_number]
        for folded, joints in _capital_joints(name):
            for bit, word in enumerate(variant.words):
                if word.word != folded:
                    continue
                for joint in joints:
                    self._joint_heads.setdefault(folded[:joint], []).append(
                        (variant_number, 1 << bit, word, joints)
                    )

    def __len__(self) -> int:
        """The number of indexed clients."""
        return len(self.candidates)

    def _positions_for_word(self, word: str) -> set[int]:
        if word not in self._by_form:
            word = to_cyrillic(word) or word  # «Romashka» typed for «Ромашка»
        forms = set(token_forms(word))
        if len(word) >= _PREFIX_MIN:
            start = bisect.bisect_left(self._vocabulary, word)
            for form in self._vocabulary[start:]:
                if not form.startswith(word):
                    break
                forms.add(form)
        for form, _score, _at in process.extract(
            word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=32
        ):
            forms.add(form)
        return {
            self._variants[variant_number].candidate_position
            for form in forms
            for postings in (self._by_form.get(form, ()), self._joined.get(form, ()))
            for variant_number, _bit in postings
        }

    def search(
        self, query: str, limit: int = 8, threshold: float = 70.0
    ) -> list[tuple[int, float]]:
        """Like `rank_candidates`, but only scores clients sharing a (fuzzy) word with `query`."""
        query_words = significant_words(query)
        if not query_words:
            return []
        positions: set[int] = set()
        for word in query_words:
            positions |= self._positions_for_word(word)
        scored = [
            (self.candidates[position].id, score)
            for position in positions
            if (score := _candidate_similarity(query_words, self.candidates[position]))
            >= threshold
        ]
        scored.sort(key=lambda pair: (-pair[1], pair[0]))
        return scored[:limit]

    def text_forms(self, word: str) -> frozenset[str]:
        """A sentence word's forms, and for a word the base does not hold the indexed forms it
        is a typo of («ромошку» → ромашка) or that it spells in Latin letters («Romashka»)."""
        forms = token_forms(word)
        if any(form in self._by_form or form in self._joined for form in forms):
            return forms
        near = self._near.get(word)
        if near is None:
            if len(self._near) >= _NEAR_CACHE:
                self._near.clear()
            near = self._near[word] = forms | self._near_forms(word)
        return near

    def _near_forms(self, word: str) -> frozenset[str]:
        cyrillic = to_cyrillic(word)
        if cyrillic is not None:
            base = token_forms(cyrillic)
            if any(form in self._by_form for form in base):
                return base
        elif _CYRILLIC_WORD.match(word) and not morph_analyzer().word_is_known(word):
            base = token_forms(word)
        else:
            return frozenset()  # a dictionary word is no typo of a name
        if len(word) < _NEAR_MIN_LENGTH:
            return frozenset()
        near = {
            found
            for form in base
            for found, _score, _at in process.extract(
                form,
                self._by_letter.get(form[:1], ()),
                scorer=fuzz.ratio,
                score_cutoff=_NEAR_CUTOFF,
                limit=4,
            )
        }
        return frozenset(near)

    def _hits(self, words: dict[str, frozenset[str]]) -> tuple[dict[int, int], dict[int, int]]:
        """Matched-word bit masks per variant: through any reading, through the likely one
        (a typo or a Latin spelling is never the likely reading)."""
        hits: dict[int, int] = {}
        likely_hits: dict[int, int] = {}
        for word, forms in words.items():
            likely = likely_forms(word)
            for form in forms:
                postings = self._by_form.get(form)
                if not postings:
                    continue
                if form in likely:
                    for variant_number, bit in postings:
                        hits[variant_number] = hits.get(variant_number, 0) | bit
                        likely_hits[variant_number] = likely_hits.get(variant_number, 0) | bit
                else:
                    for variant_number, bit in postings:
                        hits[variant_number] = hits.get(variant_number, 0) | bit
        return hits, likely_hits

    def match_in_text(
        self, text: str, *, limit: int = 8, threshold: float = 70.0
    ) -> list[TextMatch]:
        """Clients mentioned anywhere in a sentence, best first, with the contact that matched."""
        folded = _fold(text)
        tokens = [(match.group(), match.start(), match.end()) for match in _WORD.finditer(folded)]
        words = {
            word: self.text_forms(word)
            for word, _, _ in tokens
            if word not in STOPWORDS and word not in LEGAL_FORMS
        }
        hits, likely_hits = self._hits(words)
        for word, forms in words.items():
            joined = [posting for form in forms for posting in self._joined.get(form, ())]
            if joined and not _is_common_word(word):
                for variant_number, mask in joined:
                    hits[variant_number] = hits.get(variant_number, 0) | mask
                    likely_hits[variant_number] = likely_hits.get(variant_number, 0) | mask
        # variant number → the sentence words beyond one that a word typed apart stands for
        apart: dict[int, int] = {}
        joins = self._typed_apart(folded, tokens) if self._joint_heads else {}
        for parts, postings in joins.values():
            for variant_number, bit in postings:
                hits[variant_number] = hits.get(variant_number, 0) | bit
                likely_hits[variant_number] = likely_hits.get(variant_number, 0) | bit
                apart[variant_number] = max(apart.get(variant_number, 0), len(parts) - 1)
        # candidate position → (best score, its variant number, how many of its words matched)
        companies: dict[int, tuple[float, int, int]] = {}
        contacts: dict[int, tuple[float, int, int]] = {}
        for variant_number, mask in hits.items():
            variant = self._variants[variant_number]
            # «Сидорову» is more likely his dative than her accusative: a nudge, no verdict.
            penalty = (
                UNLIKELY_READING_PENALTY if mask & ~likely_hits.get(variant_number, 0) else 0.0
            )
            if variant.contact_name is None:
                score = _score_company(variant.shape, mask) - penalty
                table = companies
            else:
                score = _score_contact(variant.shape, mask) - penalty
                table = contacts
            position = variant.candidate_position
            if score > table.get(position, (0.0, -1, 0))[0]:
                explained = mask.bit_count() + apart.get(variant_number, 0)
                table[position] = (score, variant_number, explained)
        if any(mentioned_given_names(word) for word in words):
            # Only contacts found by their surname without their first name.
            found = {
                variant: hits[variant]
                for score, variant, _ in contacts.values()
                if max(threshold, EXPLAINING_SCORE) <= score < SCORE_FULL
            }
            contradicted = self._contradicted(_fold(text), found) if found else set()
            contacts = {
                position: entry
                for position, entry in contacts.items()
                if entry[1] not in contradicted
            }
        ranked: list[tuple[float, int]] = []
        for position in companies.keys() | contacts.keys():
            company, _, company_words = companies.get(position, (0.0, -1, 0))
            contact, _, contact_words = contacts.get(position, (0.0, -1, 0))
            # The client that explains more of the sentence wins: «Петрову из Ромашки» prefers
            # Ромашка with its Петров, «из Ромашки Урала» prefers «Ромашка Урал».
            explained = (company_words if company >= EXPLAINING_SCORE else 0) + (
                contact_words if contact >= SCORE_FIRST_NAME_ONLY else 0
            )
            strength = max(company, contact) + MORE_WORDS_BONUS * max(0, explained - 1)
            if strength >= threshold:
                ranked.append((strength, position))
        ranked.sort(key=lambda pair: (-pair[0], self.candidates[pair[1]].id))
        return [
            self._text_match(strength, position, words, companies, contacts, joins)
            for strength, position in ranked[:limit]
        ]

    def _typed_apart(
        self, text: str, tokens: Sequence[tuple[str, int, int]]
    ) -> dict[str, tuple[tuple[str, ...], list[tuple[int, int]]]]:
        """Company words a sentence types in parts, split where the stored name has its
        capitals: «техно пром», «Техно-Прома» for «ТехноПром». The joined word → its parts and
        the (variant, bit) it names. Only the last part may be inflected, as the whole word
        would be: «авто домой» is no «АвтоДом», «технопр ом» no «ТехноПром»."""
        found: dict[str, tuple[tuple[str, ...], list[tuple[int, int]]]] = {}
        for number, (first, _, _) in enumerate(tokens):
            heads = self._joint_heads.get(first)
            if heads is None:
                continue
            for last in range(number + 1, min(len(tokens), number + _JOINED_WORDS)):
                between = text[tokens[last - 1][2] : tokens[last][1]]
                if between.strip() not in {"", "-"}:
                    break
                parts = tuple(token[0] for token in tokens[number : last + 1])
                cuts = list(accumulate(len(part) for part in parts[:-1]))
                forms = token_forms("".join(parts))
                postings = [
                    (variant_number, bit)
                    for variant_number, bit, word, joints in heads
                    if all(cut in joints for cut in cuts)
                    and word.word.startswith("".join(parts[:-1]))
                    and forms & word.forms
                    and token_forms(parts[-1]) & token_forms(word.word[cuts[-1] :])
                ]
                if postings:
                    found["".join(parts)] = (parts, postings)
        return found

    def _contradicted(self, text: str, hits: dict[int, int]) -> set[int]:
        """Contacts found by their surname while a different first name stands next to it:
        «Сидорову Петру» is not Сидорова Наталья (the surname's case cannot tell them apart)."""
        tokens = [(match.group(), match.start(), match.end()) for match in _WORD.finditer(text)]
        numbers_by_form: dict[str, list[int]] = {}
        for number, (word, _, _) in enumerate(tokens):
            for form in token_forms(word):
                numbers_by_form.setdefault(form, []).append(number)
        given = {
            number: names
            for number, (word, _, _) in enumerate(tokens)
            if (names := mentioned_given_names(word))
        }
        if not given:
            return set()
        found: set[int] = set()
        for variant_number, mask in hits.items():
            variant = self._variants[variant_number]
            if variant.contact_name is None:
                continue
            stored = [word for word in variant.words if word.weak and is_given_name(word.word)]
            surnames = [
                word for bit, word in enumerate(variant.words) if not word.weak and mask >> bit & 1
            ]
            if not stored or not surnames:
                continue
            own = {form for word in stored for form in word.forms}
            numbers = {
                number
                for surname in surnames
                for form in surname.forms
                for number in numbers_by_form.get(form, ())
            }
            for number in numbers:
                beside = [
                    given[other]
                    for other in (number - 1, number + 1)
                    if other in given and _adjacent(text, tokens[number], tokens[other])
                ]
                if any(not names & own for names in beside):
                    found.add(variant_number)
        return found

    def _text_match(
        self,
        strength: float,
        position: int,
        words: dict[str, frozenset[str]],
        companies: dict[int, tuple[float, int, int]],
        contacts: dict[int, tuple[float, int, int]],
        joins: dict[str, tuple[tuple[str, ...], list[tuple[int, int]]]],
    ) -> TextMatch:
        matched: set[str] = set()
        company_words: set[str] = set()
        contact_name: str | None = None
        for table in (companies, contacts):
            if position not in table:
                continue
            variant_number = table[position][1]
            variant = self._variants[variant_number]
            if variant.contact_name is not None:
                contact_name = variant.contact_name
            for word, forms in words.items():
                if (
                    variant.acronym in forms
                    or forms & variant.joined
                    or any(forms & indexed.forms for indexed in variant.words)
                ):
                    matched.add(word)
                    if variant.contact_name is None:
                        company_words.add(word)
            for parts, postings in joins.values():
                if any(number == variant_number for number, _ in postings):
                    matched.update(parts)
                    company_words.update(parts)
        return TextMatch(
            id=self.candidates[position].id,
            score=min(SCORE_FULL, strength),
            contact_name=contact_name,
            matched_words=frozenset(matched),
            strength=strength,
            company_words=frozenset(company_words),
        )

    def find_in_text(self, text: str) -> list[tuple[int, float]]:
        """Ids and scores of the clients mentioned in a free sentence, best first."""
        return [(match.id, match.score) for match in self.match_in_text(text)]
