"""Name matching: normalisation, inflected forms, similarity, ranking and the name index."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services import demo
from services.names import (
    NameCandidate,
    NameIndex,
    name_similarity,
    normalize_text,
    rank_candidates,
    token_forms,
)

CANDIDATES = (
    NameCandidate(1, "ООО «Ромашка»", ("Иван Петров", "Мария Иванова")),
    NameCandidate(2, "ТехноПром", ("Анна Сидорова", "Олег Волков")),
    NameCandidate(3, "Лютик", ("Сергей Петров",)),
    NameCandidate(4, "Ромашка Плюс", ()),
    NameCandidate(5, "Торговый дом «Восток»", ("Дмитрий Сидоров",)),
    NameCandidate(6, "Гринвуд", ("Елена Шпаковская",)),
    NameCandidate(7, "Acme Corp", ("John Smith",)),
    NameCandidate(8, "Новые технологии", ()),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ООО «Ромашка»", "ромашка"),
        ("  ИП   Ёлкин  А.  ", "елкин а"),
        ('ПАО "Газ-Сервис"', "газ сервис"),
        ("Acme, LLC", "acme"),
        ("АО ТехноПром", "технопром"),
        ("ЗАО  «Север»", "север"),
        ("", ""),
    ],
)
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    ("words", "shared"),
    [
        (("Петрову", "Петровым", "Петрова", "Петров"), "петров"),
        (("Ромашки", "Ромашку", "Ромашкой", "ромашка"), "ромашка"),
        (("ТехноПрома", "технопроме", "ТехноПром"), "технопром"),
        (("Ивану", "Иваном", "Иван"), "иван"),
        (("Сидоровой", "Сидорову", "Сидорова"), "сидорова"),
        (("Ёлкину", "Елкин"), "елкин"),
    ],
)
def test_inflected_forms_share_a_lemma(words: tuple[str, ...], shared: str) -> None:
    for word in words:
        assert shared in token_forms(word), (word, token_forms(word))


def test_unknown_words_fall_back_to_stems() -> None:
    # Brand names the dictionary has never seen still match across cases.
    for word in ("Зорбакса", "Зорбаксу", "Зорбаксом"):
        assert token_forms(word) & token_forms("Зорбакс"), word
    for word in ("Квизлеткой", "Квизлетку", "Квизлетки"):
        assert token_forms(word) & token_forms("Квизлетка"), word


def test_surname_gender_is_kept() -> None:
    # «Петровой» is about a woman: it must not reach Иван Петров through the lemma «петров».
    assert "петров" not in token_forms("Петровой")
    assert "петрова" in token_forms("Петровой")


def test_token_forms_of_punctuation_and_latin() -> None:
    assert token_forms("«—»") == frozenset()
    assert token_forms("Acme") == frozenset({"acme"})


@pytest.mark.parametrize(
    ("query", "name", "low", "high"),
    [
        ("ромашка", "ООО Ромашка", 99.0, 100.0),
        ("ромашка", "ООО Ромашка Плюс", 90.0, 99.0),
        ("ромашки", "Ромашка", 99.0, 100.0),
        ("петрову", "Иван Петров", 90.0, 99.0),
        ("петров иван", "Иван Петров", 99.0, 100.0),
        ("ромашкя", "Ромашка", 80.0, 99.0),
        ("техно", "ТехноПром", 85.0, 95.0),
        # Spaces inside a name: apart, together, with a hyphen, inflected.
        ("техно пром", "ООО «ТехноПром»", 99.0, 100.0),
        ("техно-прома", "ТехноПром", 99.0, 100.0),
        ("уралмет", "Урал Мет", 99.0, 100.0),
        ("альфастрой", "ООО «Альфа-Строй»", 99.0, 100.0),
        # …but only the same letters: another name, or more of it, stays apart.
        ("техно сервис", "ТехноПром", 0.0, 70.0),
        ("ромашка плюс", "Ромашка", 0.0, 70.0),
        ("альфа строй", "Альфа Трейд", 0.0, 80.0),
        ("магазин12", "Магазин 21", 0.0, 89.0),
        ("лютик", "Ромашка", 0.0, 50.0),
        ("", "Ромашка", 0.0, 0.0),
    ],
)
def test_name_similarity(query: str, name: str, low: float, high: float) -> None:
    assert low <= name_similarity(query, name) <= high


@given(st.text(max_size=30), st.text(max_size=30))
@settings(max_examples=150, deadline=None)
def test_name_similarity_stays_in_range(query: str, name: str) -> None:
    assert 0.0 <= name_similarity(query, name) <= 100.0


def test_rank_candidates_best_first() -> None:
    ranked = rank_candidates("ромашка", CANDIDATES)
    assert [candidate_id for candidate_id, _ in ranked[:2]] == [1, 4]
    assert ranked[0][1] > ranked[1][1]


def test_rank_candidates_uses_contact_names() -> None:
    ranked = rank_candidates("Петрову", CANDIDATES)
    assert {candidate_id for candidate_id, _ in ranked} == {1, 3}


def test_rank_candidates_combines_client_and_contact() -> None:
    ranked = rank_candidates("Петров Лютик", CANDIDATES)
    assert ranked[0][0] == 3


def test_rank_candidates_threshold_and_limit() -> None:
    assert rank_candidates("зебра", CANDIDATES) == []
    assert len(rank_candidates("а", CANDIDATES, threshold=0.0, limit=3)) == 3


@pytest.mark.parametrize(
    "query",
    [
        "ромашка", "петрову", "технопрома", "сидоров", "john", "гринвуд", "ромашкя",
        "техно пром", "ромашка плюс", "ромашкаплюс",
    ],
)  # fmt: skip
def test_index_search_agrees_with_rank_candidates(query: str) -> None:
    index = NameIndex(CANDIDATES)
    assert index.search(query) == rank_candidates(query, CANDIDATES)


@pytest.mark.parametrize(
    ("text", "expected_ids"),
    [
        ("Звонил Петрову из Ромашки, договорились о встрече", [1]),
        ("звонил петрову", [1, 3]),
        ("встреча в ТехноПроме с Сидоровой", [2]),
        ("Сидоровой отправил КП", [2]),
        ("отправил письмо в Восток", [5]),
        ("звонил в гринвуд шпаковской", [6]),
        ("called John Smith about the invoice", [7]),
        ("звонил в Альфу, не дозвонился", []),
        ("предложить новый прайс", []),
    ],
)
def test_find_in_text(text: str, expected_ids: list[int]) -> None:
    found = NameIndex(CANDIDATES).find_in_text(text)
    assert [candidate_id for candidate_id, score in found if score >= found[0][1] - 5] == (
        expected_ids
    )


def test_match_in_text_names_the_contact() -> None:
    match = NameIndex(CANDIDATES).match_in_text("Звонил Волкову в ТехноПром")[0]
    assert match.id == 2
    assert match.contact_name == "Олег Волков"
    assert match.score == 100.0


def test_first_name_alone_is_weak() -> None:
    found = NameIndex(CANDIDATES).find_in_text("поговорил с Олегом")
    assert found == []
    weak = NameIndex(CANDIDATES).match_in_text("поговорил с Олегом", threshold=60.0)
    assert [match.id for match in weak] == [2]
    assert weak[0].score < 70.0


def test_generic_company_words_do_not_match_alone() -> None:
    assert NameIndex(CANDIDATES).find_in_text("был дома у клиента") == []
    assert NameIndex(CANDIDATES).find_in_text("торговый дом") == []


def test_index_of_many_candidates_finds_the_mentioned_one() -> None:
    candidates = [NameCandidate(i, f"Компания {i}", (f"Контакт{i} Тестов",)) for i in range(500)]
    candidates.append(NameCandidate(9999, "Ромашка", ("Иван Петров",)))
    index = NameIndex(candidates)
    assert len(index) == 501
    assert index.find_in_text("звонил Петрову из Ромашки") == [(9999, 100.0)]


def _demo_names() -> list[str]:
    return [spec.name for spec in (*demo.COMPANIES, *demo.PRIVATE_BUYERS)]


def test_spaces_make_no_two_demo_clients_alike() -> None:
    # Duplicates are «nearly the same name» both ways (services.clients): none among the demo's.
    alike = [
        (first, second)
        for first, second in itertools.combinations(_demo_names(), 2)
        if min(name_similarity(first, second), name_similarity(second, first)) >= 90.0
    ]
    assert alike == []


def test_demo_clients_typed_apart_or_together_find_only_themselves() -> None:
    names = _demo_names()
    index = NameIndex(NameCandidate(number, name) for number, name in enumerate(names))
    tried = 0
    for number, name in enumerate(names):
        inner = re.sub(r"^(?:ООО|АО) |[«»]", "", name)
        apart = re.sub(r"(?<=[а-яё])(?=[А-ЯЁ])", " ", inner)  # «Техно Пром»
        together = re.sub(r"(?<=[а-яё])[- ](?=[а-яёА-ЯЁ])", "", inner)  # «Альфастрой»
        for typed in {apart, together} - {inner}:
            found = index.match_in_text(f"звонил в {typed}, договорились")
            best = [match.id for match in found if match.strength >= found[0].strength - 5]
            assert best == [number], (typed, [names[i] for i in best])
            tried += 1
    assert tried > 50


@pytest.mark.parametrize(
    "text",
    [
        "привёз авто домой",  # «АвтоДом»: «домой» is no form of «дом»
        "переехали в мегаполис",  # a dictionary word is not «Мега Полис»
        "техно и пром",
        "техно, пром",
        "мега полис",
    ],
)
def test_ordinary_words_do_not_join_into_a_name(text: str) -> None:
    index = NameIndex(
        [
            NameCandidate(1, "АвтоДом"),
            NameCandidate(2, "Мега Полис"),
            NameCandidate(3, "ТехноПром"),
        ]
    )
    found = {match.id for match in index.match_in_text(text)}
    # «мега полис» is the name as stored, word for word.
    assert found == ({2} if text == "мега полис" else set())
