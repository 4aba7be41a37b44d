"""Team members' names in Russian cases and the gender their verbs take."""

from __future__ import annotations

import pytest

from services.person_names import decline_noun, decline_safely, gender_of, inflect_name, initials


@pytest.mark.parametrize(
    ("name", "case", "expected"),
    [
        ("Анна Кузнецова", "accs", "Анну Кузнецову"),
        ("Анна Кузнецова", "gent", "Анны Кузнецовой"),
        ("Анна Кузнецова", "datv", "Анне Кузнецовой"),
        ("Дмитрий Орлов", "gent", "Дмитрия Орлова"),
        ("Дмитрий Орлов", "accs", "Дмитрия Орлова"),
        ("Дмитрий Орлов", "datv", "Дмитрию Орлову"),
        ("Ольга Смирнова", "gent", "Ольги Смирновой"),
        ("Ольга Смирнова", "accs", "Ольгу Смирнову"),
        ("Сергей Ли", "gent", "Сергея Ли"),
        ("Мария", "accs", "Марию"),
        ("Мария", "gent", "Марии"),
        ("Илья Муромец", "gent", "Ильи Муромца"),
        ("Илья Муромец", "accs", "Илью Муромца"),
        ("Орлов", "gent", "Орлова"),
        ("Кузнецова", "accs", "Кузнецову"),
        ("Орлов Дмитрий Сергеевич", "gent", "Орлова Дмитрия Сергеевича"),
        ("Кузнецова Анна Петровна", "accs", "Кузнецову Анну Петровну"),
        ("Анна Бельская", "accs", "Анну Бельскую"),
        ("Фёдор Достоевский", "gent", "Фёдора Достоевского"),
        ("Лев Толстой", "accs", "Льва Толстого"),
        ("Тарас Шевченко", "gent", "Тараса Шевченко"),
        ("Иван Черных", "gent", "Ивана Черных"),
        ("Анна Шевчук", "gent", "Анны Шевчук"),
        ("Анна-Мария Иванова", "gent", "Анны-Марии Ивановой"),
        ("Римский-Корсаков Николай", "gent", "Римского-Корсакова Николая"),
        ("John Smith", "gent", "John Smith"),
        ("Анна Кузнецова", "nomn", "Анна Кузнецова"),
        ("Анна Кузнецова", "vocative", "Анна Кузнецова"),
    ],
)
def test_inflect_name(name: str, case: str, expected: str) -> None:
    assert inflect_name(name, case) == expected


def test_unknown_gender_leaves_the_name_as_written() -> None:
    # «Саша» is either; declining it would need a guess about the surname too.
    assert gender_of("Саша Ли") is None
    assert inflect_name("Саша Ли", "gent") == "Саша Ли"


def test_escaped_html_survives_declension() -> None:
    assert inflect_name("Анна &lt;b&gt; Кузнецова", "accs") == "Анну &lt;b&gt; Кузнецову"


@pytest.mark.parametrize(
    ("name", "gender"),
    [
        ("Ольга Смирнова", "female"),
        ("Мария", "female"),
        ("Дмитрий Орлов", "male"),
        ("Кузнецова", "female"),
        ("John Smith", None),
        ("", None),
        (None, None),
    ],
)
def test_gender_of(name: str | None, gender: str | None) -> None:
    assert gender_of(name) == gender


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Жуков Михаил Владимирович", "Жукова Михаила Владимировича"),
        ("Марина", "Марины"),
        ("Жуков М. В.", "Жукова М. В."),
        # Known not to change: a woman's surname in a consonant, a Georgian one in -и.
        ("Шевчук Анна", "Шевчук Анны"),
        ("Зураб Церетели", "Зураба Церетели"),
        # A guess would be needed: no case is offered.
        ("Саша", None),
        ("John Smith", None),
        ("Кочерга Анна", None),
        ("Иван (младший)", None),
    ],
)
def test_decline_safely_declines_only_what_it_knows(name: str, expected: str | None) -> None:
    assert decline_safely(name, "gent") == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [("жена", "жены"), ("сын", "сына"), ("дочь", "дочери"), ("Тёща", "Тёщи"), ("wife", None)],
)
def test_decline_noun(word: str, expected: str | None) -> None:
    assert decline_noun(word, "gent") == expected


def test_initials() -> None:
    assert initials("Жуков Михаил Владимирович") == "Жуков М. В."
    assert initials("Марина") == "Марина"
