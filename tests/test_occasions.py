"""The calendar of occasions: yearly dates, holiday rules, industries, names and greetings."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.occasions import (
    EVENT_INVITATION,
    FAMILY_BIRTHDAY,
    GREETING_KINDS,
    INDUSTRIES,
    LAST,
    PROFESSIONAL_HOLIDAYS,
    SATURDAY,
    SUNDAY,
    DayOfYear,
    FixedDate,
    NthWeekday,
    greeting,
    greeting_for,
    guess_gender,
    match_industry,
    national_holidays,
    next_yearly,
    occasions_between,
    professional_days,
    split_name,
)

# --- next_yearly ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on_or_after", "expected"),
    [
        (date(2027, 1, 10), date(2027, 2, 28)),
        (date(2027, 2, 28), date(2027, 2, 28)),
        (date(2027, 3, 1), date(2028, 2, 29)),
        (date(2028, 1, 10), date(2028, 2, 29)),
        (date(2028, 2, 29), date(2028, 2, 29)),
        (date(2028, 3, 1), date(2029, 2, 28)),
    ],
)
def test_next_yearly_keeps_29_february_on_28_in_short_years(
    on_or_after: date, expected: date
) -> None:
    assert next_yearly(29, 2, on_or_after) == expected


def test_next_yearly_is_the_day_itself_or_the_next_year() -> None:
    assert next_yearly(15, 5, date(2026, 5, 15)) == date(2026, 5, 15)
    assert next_yearly(15, 5, date(2026, 5, 16)) == date(2027, 5, 15)
    assert next_yearly(1, 1, date(2026, 12, 31)) == date(2027, 1, 1)
    assert next_yearly(31, 12, date(2026, 1, 1)) == date(2026, 12, 31)


@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
    month=st.integers(1, 12),
    day=st.integers(1, 28),
)
def test_next_yearly_is_the_first_matching_date_on_or_after(
    start: date, month: int, day: int
) -> None:
    found = next_yearly(day, month, start)
    assert found >= start
    assert (found.month, found.day) == (month, day)
    assert (found - start).days < 366


# --- holiday rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "year", "expected"),
    [
        ("builder_day", 2026, date(2026, 8, 9)),
        ("builder_day", 2027, date(2027, 8, 8)),
        ("trade_day", 2026, date(2026, 7, 25)),
        ("trade_day", 2027, date(2027, 7, 24)),
        ("metallurgist_day", 2026, date(2026, 7, 19)),
        ("metallurgist_day", 2027, date(2027, 7, 18)),
        ("miner_day", 2026, date(2026, 8, 30)),
        ("miner_day", 2027, date(2027, 8, 29)),
        ("oil_gas_day", 2026, date(2026, 9, 6)),
        ("oil_gas_day", 2027, date(2027, 9, 5)),
        ("machine_builder_day", 2026, date(2026, 9, 27)),
        ("machine_builder_day", 2027, date(2027, 9, 26)),
        ("medical_day", 2026, date(2026, 6, 21)),
        ("medical_day", 2027, date(2027, 6, 20)),
        ("chemist_day", 2026, date(2026, 5, 31)),
        ("chemist_day", 2027, date(2027, 5, 30)),
        ("agriculture_day", 2026, date(2026, 10, 11)),
        ("agriculture_day", 2027, date(2027, 10, 10)),
        ("motorist_day", 2026, date(2026, 10, 25)),
        ("motorist_day", 2027, date(2027, 10, 31)),
        ("programmer_day", 2026, date(2026, 9, 13)),
        ("programmer_day", 2027, date(2027, 9, 13)),
        ("programmer_day", 2028, date(2028, 9, 12)),
        ("accountant_day", 2026, date(2026, 11, 21)),
        ("energy_day", 2027, date(2027, 12, 22)),
        ("teacher_day", 2026, date(2026, 10, 5)),
        ("lawyer_day", 2026, date(2026, 12, 3)),
        ("banker_day", 2026, date(2026, 12, 2)),
        ("logistics_day", 2026, date(2026, 11, 28)),
        ("realtor_day", 2027, date(2027, 2, 8)),
        ("science_day", 2027, date(2027, 2, 8)),
        ("radio_day", 2026, date(2026, 5, 7)),
        ("fisherman_day", 2026, date(2026, 7, 12)),
        ("geologist_day", 2026, date(2026, 4, 5)),
    ],
)
def test_professional_days_fall_on_their_known_dates(key: str, year: int, expected: date) -> None:
    by_key = {occasion.key: occasion for occasion in professional_days(year, None)}
    assert by_key[key].day == expected


@given(
    year=st.integers(1990, 2100),
    month=st.integers(1, 12),
    weekday=st.integers(0, 6),
    n=st.sampled_from([1, 2, 3, 4, LAST]),
)
def test_nth_weekday_rule(year: int, month: int, weekday: int, n: int) -> None:
    found = NthWeekday(month, weekday, n).on(year)
    assert (found.year, found.month, found.weekday()) == (year, month, weekday)
    if n == LAST:
        assert (found + timedelta(days=7)).month != month
    else:
        assert (n - 1) * 7 < found.day <= n * 7


def test_rules_describe_themselves() -> None:
    assert NthWeekday(8, SUNDAY, 2).describe("ru") == "второе воскресенье августа"
    assert NthWeekday(8, SUNDAY, 2).describe("en") == "second Sunday of August"
    assert NthWeekday(7, SATURDAY, 4).describe("ru") == "четвёртая суббота июля"
    assert NthWeekday(9, SUNDAY, LAST).describe("ru") == "последнее воскресенье сентября"
    assert FixedDate(11, 21).describe("ru") == "21 ноября"
    assert DayOfYear(256).describe("ru") == "256-й день года"


def test_the_professional_table_is_complete_and_consistent() -> None:
    assert len(PROFESSIONAL_HOLIDAYS) >= 15
    keys = [holiday.key for holiday in PROFESSIONAL_HOLIDAYS]
    assert len(keys) == len(set(keys))
    for holiday in PROFESSIONAL_HOLIDAYS:
        assert holiday.industries <= INDUSTRIES.keys(), holiday.key
        assert holiday.industries or holiday.positions, holiday.key
        assert holiday.title_ru.startswith("День"), holiday.key
        assert holiday.title_en


# --- national holidays ------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2026, 2027, 2028])
def test_national_holidays(year: int) -> None:
    found = {occasion.key: occasion for occasion in national_holidays(year)}
    assert {key: (occasion.day.month, occasion.day.day) for key, occasion in found.items()} == {
        "new_year": (1, 1),
        "defender_day": (2, 23),
        "womens_day": (3, 8),
        "spring_labour_day": (5, 1),
        "victory_day": (5, 9),
        "russia_day": (6, 12),
        "unity_day": (11, 4),
    }
    official = holidays.country_holidays("RU", years=year)
    for occasion in found.values():
        assert occasion.day.year == year
        assert occasion.day in official
        assert occasion.kind == "national"
    assert found["defender_day"].audience == "male"
    assert found["womens_day"].audience == "female"
    assert found["victory_day"].audience is None
    assert found["new_year"].title("ru") == "Новый год"
    assert found["new_year"].title("en") == "New Year"


# --- industries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("строительство", "construction"),
        ("стройматериалы", "construction"),
        ("Строительная компания", "construction"),
        ("Оптовая торговля стройматериалами", "construction"),
        ("retail", "trade"),
        ("торговля", "trade"),
        ("Розничная сеть магазинов", "trade"),
        ("IT", "it"),
        ("разработка программного обеспечения", "it"),
        ("логистика", "logistics"),
        ("транспортная логистика", "logistics"),
        ("металлургия", "metallurgy"),
        ("металургия", "metallurgy"),
        ("горнодобыча", "mining"),
        ("гостиничный бизнес", "hospitality"),
        ("деревообработка", "forestry"),
        ("клининг", "housing_services"),
        ("машиностроение", "machinery"),
        ("медицина", "medicine"),
        ("нефтегаз", "oil_gas"),
        ("пищевое производство", "food"),
        ("рыбная промышленность", "fishing"),
        ("сельское хозяйство", "agriculture"),
        ("судостроение", "shipbuilding"),
        ("химическая промышленность", "chemical"),
        ("энергетика", "energy"),
        ("Банк", "banking"),
        ("агентство недвижимости", "real_estate"),
        ("юридические услуги", "legal"),
        ("construction", "construction"),
        ("Logistics", "logistics"),
    ],
)
def test_match_industry(text: str, expected: str) -> None:
    assert match_industry(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "ООО «Ромашка»", "банкетный зал", "разное"])
def test_match_industry_unknown(text: str) -> None:
    assert match_industry(text) is None


def test_professional_days_by_industry_text_key_or_position() -> None:
    assert [occasion.key for occasion in professional_days(2026, "строительство")] == [
        "builder_day"
    ]
    assert professional_days(2026, "construction") == professional_days(2026, "Стройка")
    assert professional_days(2026, "ООО «Ромашка»") == []
    with_accountant = professional_days(2026, "логистика", position="Главный бухгалтер")
    assert [occasion.key for occasion in with_accountant] == ["accountant_day", "logistics_day"]
    whole_table = professional_days(2026, None)
    assert len(whole_table) == len(PROFESSIONAL_HOLIDAYS)
    assert [occasion.day for occasion in whole_table] == sorted(o.day for o in whole_table)
    assert all(occasion.kind == "professional" for occasion in whole_table)


# --- the digest's «today and tomorrow» --------------------------------------------------------


def test_occasions_between_for_an_industry() -> None:
    found = occasions_between(date(2026, 8, 8), date(2026, 8, 9), industry="строительство")
    assert [(occasion.key, occasion.day) for occasion in found] == [
        ("builder_day", date(2026, 8, 9))
    ]
    assert occasions_between(date(2026, 8, 8), date(2026, 8, 9), industry=None) == []
    assert occasions_between(date(2026, 8, 8), date(2026, 8, 9), industry="логистика") == []


def test_occasions_between_across_the_new_year() -> None:
    found = occasions_between(date(2026, 12, 22), date(2027, 1, 1), industry="энергетика")
    assert [(occasion.key, occasion.day) for occasion in found] == [
        ("energy_day", date(2026, 12, 22)),
        ("new_year", date(2027, 1, 1)),
    ]


def test_occasions_between_puts_national_first_on_a_shared_day() -> None:
    # 8 February: both the science day and the realtors' day; 23 February the next week.
    found = occasions_between(date(2027, 2, 8), date(2027, 2, 23), industry="недвижимость")
    assert [occasion.key for occasion in found] == ["realtor_day", "defender_day"]


# --- names and gender --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [
        ("Петров Иван Сергеевич", ("Петров", "Иван", "Сергеевич")),
        ("Иван Сергеевич Петров", ("Петров", "Иван", "Сергеевич")),
        ("Иван Петров", ("Петров", "Иван", None)),
        ("Петров Иван", ("Петров", "Иван", None)),
        ("Ivan Petrov", ("Petrov", "Ivan", None)),
        ("Ivan Sergeevich Petrov", ("Petrov", "Ivan", "Sergeevich")),
        ("Иван Сергеевич", (None, "Иван", "Сергеевич")),
        ("Анна Карпович", ("Карпович", "Анна", None)),
        ("Мамедов Ильхам Гейдар оглы", ("Мамедов", "Ильхам", "Гейдар оглы")),
        ("Петров И. С.", ("Петров", None, None)),
        ("Мария", (None, "Мария", None)),
        ("Смирнова", ("Смирнова", None, None)),
        ("  Кузнецова   Анна  Ильинична ", ("Кузнецова", "Анна", "Ильинична")),
        ("", (None, None, None)),
    ],
)
def test_split_name(full_name: str, expected: tuple[str | None, ...]) -> None:
    assert split_name(full_name) == expected


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [
        ("Петров Иван Сергеевич", "male"),
        ("Кузнецова Анна Ильинична", "female"),
        ("Иван Петров", "male"),
        ("Ольга Смирнова", "female"),
        ("Евгения Ли", "female"),
        ("Сергей Ли", "male"),
        ("Саша Петрова", "female"),
        ("Саша Петров", "male"),
        ("Анна Карпович", "female"),
        ("Алиева Айгуль Рашид кызы", "female"),
        ("Мамедов Ильхам Гейдар оглы", "male"),
        ("Anna Petrova", "female"),
        ("Ivan Sergeevich Petrov", "male"),
        ("Шпаковская Елена", "female"),
        ("Женя Ким", None),
        ("John Smith", None),
        ("", None),
    ],
)
def test_guess_gender(full_name: str, expected: str | None) -> None:
    assert guess_gender(full_name) == expected


# --- greetings ----------------------------------------------------------------------------------

TITLES = {
    "national_holiday": "womens_day",
    "professional_holiday": "builder_day",
    "event_invitation": "вебинар «Новинки сезона»",
}


def _assert_clean(text: str) -> None:
    for leftover in ("{", "}", "None", "  "):
        assert leftover not in text, text
    assert text.rstrip()[-1] in ".!?", text


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("kind", sorted(GREETING_KINDS))
def test_greetings_address_the_contact_by_name_and_patronymic(kind: str, language: str) -> None:
    text = greeting(
        kind,
        first_name="Иван",
        patronymic="Петрович",
        language=language,
        title=TITLES.get(kind),
        relation="супруга",
    )
    assert text.startswith("Иван Петрович, ")
    _assert_clean(text)
    assert len(text) < 400


def test_greetings_say_what_they_are_for() -> None:
    def ru(kind: str, **kwargs: str) -> str:
        return greeting(kind, first_name="Анна", patronymic="Сергеевна", language="ru", **kwargs)

    assert "с днём рождения!" in ru("birthday")
    assert "с днём рождения вашей супруги" in ru(FAMILY_BIRTHDAY, relation="супруга")
    assert "с днём рождения вашего сына" in ru(FAMILY_BIRTHDAY, relation="сын")
    assert "с днём рождения ваших детей" in ru(FAMILY_BIRTHDAY, relation="дети")
    assert "с днём рождения вашего старшего сына" in ru(FAMILY_BIRTHDAY, relation="старший сын")
    assert "вашей супруги" in ru(FAMILY_BIRTHDAY, relation="wife")
    assert "с годовщиной" in ru("anniversary")
    assert "10 лет сотрудничества" in ru("anniversary", title="10 лет сотрудничества")
    assert "с Днём защитника Отечества" in ru("national_holiday", title="defender_day")
    assert "с 8 Марта" in ru("national_holiday", title="8 марта")
    assert "с Днём строителя" in ru("professional_holiday", title="builder_day")
    assert "с Днём учителя" in ru("professional_holiday", title="День учителя")
    assert "«Новинки»" in ru(EVENT_INVITATION, title="вебинар «Новинки»")
    english = greeting(
        FAMILY_BIRTHDAY, first_name="Ivan", patronymic=None, language="en", relation="супруга"
    )
    assert english.startswith("Ivan, ")
    assert "your wife's birthday" in english


def test_a_greeting_without_a_name_still_reads_well() -> None:
    text = greeting("birthday", first_name=None, patronymic=None, language="ru")
    assert text.startswith("Добрый день! С днём рождения!")
    _assert_clean(text)
    text = greeting(FAMILY_BIRTHDAY, first_name=None, patronymic=None, language="en")
    assert text.startswith("Hello! I hear it's someone close to you")
    _assert_clean(text)


def test_an_unknown_greeting_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown occasion kind"):
        greeting("wedding", first_name="Иван", patronymic=None, language="ru")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_calendar_occasion_has_a_fitting_greeting(language: str) -> None:
    for occasion in national_holidays(2026) + professional_days(2026, None):
        text = greeting_for(occasion, first_name="Мария", patronymic="Ивановна", language=language)
        assert text.startswith("Мария Ивановна, ")
        _assert_clean(text)
        if language == "en":
            assert occasion.title_en in text
        elif occasion.kind == "professional":
            assert "с Днём " + occasion.title_ru.removeprefix("День ") in text


_name_text = st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=20).filter(
    str.strip
)


@given(
    kind=st.sampled_from(sorted(GREETING_KINDS)),
    language=st.sampled_from(["ru", "en"]),
    first_name=st.none() | _name_text,
    patronymic=st.none() | _name_text,
    title=st.none() | _name_text,
    relation=st.none() | _name_text,
)
def test_greetings_never_leak_placeholders(
    kind: str,
    language: str,
    first_name: str | None,
    patronymic: str | None,
    title: str | None,
    relation: str | None,
) -> None:
    text = greeting(
        kind,
        first_name=first_name,
        patronymic=patronymic,
        language=language,
        title=title,
        relation=relation,
    )
    assert "{" not in text
    assert "None" not in text or "None" in f"{first_name}{patronymic}{title}{relation}"
    if first_name:
        assert first_name.strip() in text
