"""The interaction parser on messages written the way managers write them, Russian and English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from models.enums import Channel, Direction, Outcome
from services import parsing
from services.names import NameCandidate, NameIndex
from services.parsing import (
    ClientLike,
    ContactUpdates,
    ParsedInteraction,
    classify_message,
    parse_interaction,
)

MSK = ZoneInfo("Europe/Moscow")
# Wednesday.
NOW = datetime(2026, 11, 18, 10, 30, tzinfo=MSK)

CLIENTS = (
    NameCandidate(1, "ООО «Ромашка»", ("Иван Петров", "Мария Иванова")),
    NameCandidate(2, "ТехноПром", ("Анна Сидорова", "Олег Волков")),
    NameCandidate(3, "Лютик", ("Сергей Петров",)),
    NameCandidate(4, "ИП Кузнецов", ("Алексей Кузнецов",)),
    NameCandidate(5, "Acme Corp", ("John Smith", "Mary Brown")),
    NameCandidate(6, "Северная звезда", ("Дмитрий Сидоров",)),
    NameCandidate(7, "Гринвуд", ("Елена Шпаковская",)),
    NameCandidate(8, "АО «СтройМаш»", ("Павел Игоревич Лебедев",)),
    NameCandidate(9, "Globex", ("Peter Parker",)),
    NameCandidate(10, "Вектор", ("Наталья Морозова",)),
)


class Has(str):
    """An expected text fragment: the field must contain it (case-insensitive)."""

    __slots__ = ()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MSK)


TOMORROW = date(2026, 11, 19)
FRIDAY = date(2026, 11, 20)
MONDAY = date(2026, 11, 23)
TUESDAY = date(2026, 11, 24)
NEXT_WEDNESDAY = date(2026, 11, 25)

CASES: list[tuple[str, dict[str, Any]]] = [
    # The example.
    (
        "Звонил Петрову из Ромашки, цель — предложить новый прайс, договорились о встрече "
        "в пятницу в 15:00",
        {
            "client_ids": (1,),
            "contact_name": "Иван Петров",
            "channel": Channel.CALL,
            "direction": Direction.OUTGOING,
            "goal": "предложить новый прайс",
            "outcome": Outcome.ACHIEVED,
            "next_touch": at(FRIDAY, 15),
            "next_step": Has("встреч"),
            "result": Has("договорились"),
        },
    ),
    # Channels.
    ("позвонил в лютик петрову, цель напомнить про оплату", {"channel": Channel.CALL}),
    (
        "созвонились с Волковым, обсудили объемы на следующий год",
        {"channel": Channel.CALL, "client_ids": (2,), "contact_name": "Олег Волков"},
    ),
    ("набрал Кузнецова, цель: уточнить остатки", {"channel": Channel.CALL, "client_ids": (4,)}),
    (
        "Встреча в ТехноПроме с Сидоровой, цель — презентация новой линейки",
        {"channel": Channel.MEETING, "client_ids": (2,), "contact_name": "Анна Сидорова"},
    ),
    ("встретились с морозовой в офисе вектора", {"channel": Channel.MEETING, "client_ids": (10,)}),
    ("был у Иванова, привез образцы", {"channel": Channel.MEETING, "client_ids": (1,)}),
    (
        "написал на почту Шпаковской в Гринвуд, отправил КП",
        {"channel": Channel.EMAIL, "client_ids": (7,), "contact_name": "Елена Шпаковская"},
    ),
    ("отправил письмо в строймаш с прайсом", {"channel": Channel.EMAIL, "client_ids": (8,)}),
    ("смс лебедеву напомнил про счет", {"channel": Channel.SMS, "client_ids": (8,)}),
    ("Написал в ватсап Морозовой, поздравил с днем рождения", {"channel": Channel.WHATSAPP}),
    ("написал волкову в тг, он перезвонит", {"channel": Channel.TELEGRAM}),
    ("телеграм: Сидорова прислала реквизиты", {"channel": Channel.TELEGRAM}),
    ("Emailed Mary Brown at Acme the contract draft", {"channel": Channel.EMAIL}),
    ("Met Peter Parker from Globex at the expo", {"channel": Channel.MEETING}),
    ("whatsapp John Smith, he will think about it", {"channel": Channel.WHATSAPP}),
    ("Ромашка, цель — сверка, без подробностей", {"channel": None}),
    # Directions.
    ("Петров сам позвонил, просит счет", {"direction": Direction.INCOMING}),
    ("лебедев перезвонил мне, согласен на условия", {"direction": Direction.INCOMING}),
    ("Сидорова написала нам в тг, хочет скидку", {"direction": Direction.INCOMING}),
    (
        "пришло письмо от Волкова, просят новый прайс",
        {"direction": Direction.INCOMING, "channel": Channel.EMAIL},
    ),
    ("John Smith called me about the invoice", {"direction": Direction.INCOMING}),
    ("звонил петрову, не дозвонился", {"direction": Direction.OUTGOING}),
    # Goals.
    ("Звонил Кузнецову, цель: продлить договор на 2027", {"goal": "продлить договор на 2027"}),
    ("позвонила Морозовой чтобы уточнить адрес доставки", {"goal": "уточнить адрес доставки"}),
    ("Набрал Волкова, хотел предложить скидку 5%", {"goal": "предложить скидку 5%"}),
    ("звонок в Гринвуд по поводу возврата", {"goal": "возврата"}),
    ("цель звонка — актуализация данных, звонил в Вектор", {"goal": "актуализация данных"}),
    (
        "Called Globex, goal: upsell the premium plan, they declined",
        {"goal": "upsell the premium plan"},
    ),
    ("звонил лебедеву предложил доп. услуги, отказался", {"goal": Has("предложить доп")}),
    ("звонил в ромашку", {"goal": None}),
    # Results and outcomes.
    (
        "звонил в лютик, результат: согласовали отгрузку",
        {"result": "согласовали отгрузку", "client_ids": (3,)},
    ),
    ("Позвонил Петрову, итог — ждет КП", {"result": "ждет КП"}),
    ("звонил Волкову, договорились о скидке 3%", {"outcome": Outcome.ACHIEVED}),
    ("Сидоров согласился на пробную партию", {"outcome": Outcome.ACHIEVED, "client_ids": (6,)}),
    ("Кузнецов оплатил счет", {"outcome": Outcome.ACHIEVED}),
    ("звонил Петрову в лютик, частично договорились", {"outcome": Outcome.PARTIAL}),
    ("морозова подумает до понедельника", {"outcome": Outcome.PARTIAL, "next_touch": MONDAY}),
    ("Лебедев перезвонит завтра", {"outcome": Outcome.PARTIAL, "next_touch": TOMORROW}),
    (
        "Позвонил Волкову, отказался, дорого",
        {"outcome": Outcome.NOT_ACHIEVED, "result": Has("отказался")},
    ),
    ("шпаковская сказала не интересно", {"outcome": Outcome.NOT_ACHIEVED}),
    (
        "звонил сидоровой не дозвонился",
        {"outcome": Outcome.NO_CONTACT, "channel": Channel.CALL, "result": Has("не дозвонился")},
    ),
    ("Набрал Кузнецова — не взял трубку", {"outcome": Outcome.NO_CONTACT}),
    ("Ромашка: петров не ответил, недоступен", {"outcome": Outcome.NO_CONTACT}),
    ("Called Peter Parker, no answer", {"outcome": Outcome.NO_CONTACT, "channel": Channel.CALL}),
    ("Called Mary Brown, she agreed to a trial", {"outcome": Outcome.ACHIEVED}),
    ("Globex declined, not interested", {"outcome": Outcome.NOT_ACHIEVED}),
    ("Called John, result: he will think about it", {"outcome": Outcome.PARTIAL}),
    ("звонил морозовой", {"outcome": None, "result": None}),
    # Next steps and dates.
    (
        "звонил сидоровой не дозвонился перезвон завтра в 11",
        {"next_touch": at(TOMORROW, 11), "next_step": Has("перезвон"), "result": "не дозвонился"},
    ),
    ("Петров просит перезвонить послезавтра", {"next_touch": FRIDAY}),
    ("встреча с Волковым, следующая встреча в пятницу", {"next_touch": FRIDAY}),
    ("Кузнецов подумает, созвонимся в следующую пятницу", {"next_touch": date(2026, 11, 27)}),
    ("звонил Лебедеву, перезвоню в среду", {"next_touch": NEXT_WEDNESDAY}),
    ("Созвонились с Морозовой, созвонимся через 2 недели", {"next_touch": date(2026, 12, 2)}),
    ("морозова, повторный звонок через месяц", {"next_touch": date(2026, 12, 18)}),
    ("Волков в отпуске, позвонить 15 декабря", {"next_touch": date(2026, 12, 15)}),
    ("Сидорова просит набрать 10.12 в 14:30", {"next_touch": at(date(2026, 12, 10), 14, 30)}),
    (
        "Кузнецову выставить счет до конца месяца",
        {"next_touch": date(2026, 11, 30), "next_step": Has("выставить счет")},
    ),
    ("Лебедев в отъезде, перезвонить после 5 января", {"next_touch": date(2027, 1, 6)}),
    ("Call Peter Parker again next Tuesday", {"next_touch": TUESDAY}),
    ("Mary Brown asked to follow up in 3 days", {"next_touch": date(2026, 11, 21)}),
    ("Globex: send the proposal on December 15", {"next_touch": date(2026, 12, 15)}),
    ("петров просит перезвонить в 3 часа дня", {"next_touch": at(date(2026, 11, 18), 15)}),
    ("Волкову перезвонить в 9:00", {"next_touch": at(TOMORROW, 9)}),
    ("встреча в пятницу в 10 утра у Шпаковской", {"next_touch": at(FRIDAY, 10)}),
    ("Сидоров просил набрать 15 октября", {"next_touch": date(2027, 10, 15)}),
    ("Лебедев: вышлю договор на следующей неделе", {"next_touch": MONDAY}),
    ("звонил вчера в 17:00 петрову, не дозвонился", {"next_touch": None}),
    ("Кузнецов закупается в 2 раза больше", {"next_touch": None}),
    (
        "Next step: demo for Acme next Tuesday at 11:00",
        {"next_touch": at(TUESDAY, 11), "next_step": Has("demo")},
    ),
    (
        "Петров, след шаг — отправить КП до конца недели",
        {"next_touch": FRIDAY, "next_step": "отправить КП"},
    ),
    ("Морозова: перезвонить в четверг", {"next_touch": TOMORROW}),
    ("созвонились с Кузнецовым, созвон через 3 дня", {"next_touch": date(2026, 11, 21)}),
    ("Морозова: созвонимся в декабре", {"next_touch": date(2026, 12, 1)}),
    ("перезвонить Волкову в конце декабря", {"next_touch": date(2026, 12, 25)}),
    ("до конца декабря отправить КП в Вектор", {"next_touch": date(2026, 12, 31)}),
    ("к 10 числу выставить счет Кузнецову", {"next_touch": date(2026, 12, 10)}),
    ("в середине января встреча с Лебедевым", {"next_touch": date(2027, 1, 15)}),
    ("Петров: перезвонить в конце следующей недели", {"next_touch": date(2026, 11, 27)}),
    ("Лебедев, встреча в начале следующей недели", {"next_touch": MONDAY}),
    ("в середине следующего месяца созвон с Вектором", {"next_touch": date(2026, 12, 15)}),
    ("до конца этого месяца выставить счет Кузнецову", {"next_touch": date(2026, 11, 30)}),
    # 31 December 2026 is a day off, then 1–8 January and a weekend: back at work on the 11th.
    ("Морозова просит набрать после праздников", {"next_touch": date(2027, 1, 11)}),
    ("Волков: созвонимся после новогодних каникул", {"next_touch": date(2027, 1, 11)}),
    ("созвонимся с Кузнецовым через полторы недели", {"next_touch": date(2026, 11, 28)}),
    ("Acme: call back early next week", {"next_touch": MONDAY}),
    ("Globex: follow up by the end of next month", {"next_touch": date(2026, 12, 31)}),
    ("Acme: call back in December", {"next_touch": date(2026, 12, 1)}),
    ("созвон с Globex 2026-12-15", {"next_touch": date(2026, 12, 15)}),
    # No own pattern reads «декабря 15»: this one goes through the dateparser fallback.
    ("встреча с Волковым декабря 15", {"next_touch": date(2026, 12, 15)}),
    ("договор с Вектором на 2027 год", {"next_touch": None}),
    # Names: inflection, ambiguity, unknown clients.
    ("Звонил Сидорову", {"client_ids": (6, 2), "contact_name": "Дмитрий Сидоров"}),
    ("звонил сидоровой", {"client_ids": (2,), "contact_name": "Анна Сидорова"}),
    ("созвонился с Волковым", {"client_ids": (2,)}),
    (
        "звонил в ТехноПром, говорил с Волковым",
        {"client_ids": (2,), "contact_name": "Олег Волков"},
    ),
    ("встреча у Иванова", {"client_ids": (1,)}),
    (
        "поговорил с Павлом Игоревичем из строймаша",
        {"client_ids": (8,), "contact_name": "Павел Игоревич Лебедев"},
    ),
    (
        "звонил Петрову, договорились о встрече",
        {"client_ids": (1, 3), "contact_name": Has("петров")},
    ),
    ("звонил Петрову из Лютика", {"client_ids": (3,), "contact_name": "Сергей Петров"}),
    ("Звонил в Северную звезду", {"client_ids": (6,)}),
    ("звонил в гринвуде шпаковской", {"client_ids": (7,)}),
    ("Звонил Смирнову из Альфы, не дозвонился", {"client_ids": (), "contact_name": "Смирнов"}),
    ("встретился с Соколовой, обсудили поставки", {"client_ids": (), "contact_name": "Соколова"}),
    ("у Орлова новый заказ на 200 штук", {"client_ids": (), "contact_name": "Орлов"}),
    ("Called Peter from Globex", {"client_ids": (9,), "contact_name": "Peter Parker"}),
    ("Called Initech about renewal", {"client_ids": ()}),
    # Contact data changes.
    (
        "Звонил Петрову, новый номер +7 912 345-67-89",
        {"updates": ContactUpdates(phone="+79123456789")},
    ),
    (
        "у Лебедева новый телефон 8 (916) 123-45-67",
        {"updates": ContactUpdates(phone="+79161234567")},
    ),
    (
        "Сидорова теперь коммерческий директор, новая почта a.sidorova@technoprom.ru",
        {
            "updates": ContactUpdates(
                email="a.sidorova@technoprom.ru", position="коммерческий директор"
            )
        },
    ),
    (
        "Волков стал директором по продажам",
        {"updates": ContactUpdates(position="директор по продажам")},
    ),
    (
        "Peter Parker is now head of purchasing",
        {"updates": ContactUpdates(position="head of purchasing")},
    ),
    (
        "Кузнецов назначен главным бухгалтером",
        {"updates": ContactUpdates(position="главный бухгалтер")},
    ),
    ("звонил петрову, цель — предложить прайс", {"updates": ContactUpdates()}),
    # As managers really write: typos, abbreviations, several dates, documents.
    (
        "звнил петрову из ромашки договорились на встречу в птн",
        {
            "channel": Channel.CALL,
            "client_ids": (1,),
            "next_touch": FRIDAY,
            "next_step": "встреча",
        },
    ),
    (
        "тел. петрову, цель - кп, результат - берут на тест",
        {"goal": "кп", "result": "берут на тест"},
    ),
    (
        "позвонила в строймаш лебедеву он в отпуске до 1.12 перезвонить 2.12",
        {"client_ids": (8,), "next_touch": date(2026, 12, 2), "next_step": "перезвонить"},
    ),
    (
        "Волков не отвечает вторую неделю, написать на почту",
        {"outcome": Outcome.NO_CONTACT, "channel": None, "next_touch": None},
    ),
    (
        "кузнецов просит скидку 10% иначе уходит к конкурентам. обещал подумать",
        {"outcome": Outcome.PARTIAL, "result": "обещал подумать"},
    ),
    (
        "Звонок Сидоровой: обсудили поставку на декабрь, ЛПР — она, согласна. "
        "отправить договор завтра до 12",
        {
            "goal": "обсудить поставку на декабрь",
            "outcome": Outcome.ACHIEVED,
            "next_step": "отправить договор",
            "next_touch": at(TOMORROW, 12),
        },
    ),
    (
        "звонила петрову по счету 1234 от 10.11, обещал оплатить до 25 ноября",
        {"next_touch": date(2026, 11, 25), "next_step": Has("оплатить")},
    ),
    (
        "отправил кп петрову в ромашку, ждем ответа до пятницы",
        {"goal": Has("отправить кп"), "next_touch": FRIDAY, "client_ids": (1,)},
    ),
    (
        "Кузнецов: оплата прошла, отгрузка 25.11",
        {"outcome": Outcome.ACHIEVED, "next_step": "отгрузка"},
    ),
    (
        "дозвонилась до Морозовой, перенесли встречу на 25.11 в 11:30",
        {"channel": Channel.CALL, "next_touch": at(date(2026, 11, 25), 11, 30)},
    ),
    ("был на встрече у Петрова в Лютике", {"channel": Channel.MEETING, "client_ids": (3,)}),
    ("поговорили о ценах по телефону с Волковым", {"channel": Channel.CALL}),
    ("просил скинуть прайс на почту, звонил Петрову", {"channel": Channel.CALL}),
    (
        "Смирнова из Альфы теперь главбух, моб. 8-903-555-44-33, email smirnova@alfa.ru",
        {
            "channel": None,
            "client_ids": (),
            "updates": ContactUpdates(
                phone="+79035554433", email="smirnova@alfa.ru", position="главбух"
            ),
        },
    ),
    (
        "Лебедев, новая должность — финансовый директор",
        {"updates": ContactUpdates(position="финансовый директор"), "client_ids": (8,)},
    ),
    (
        "Met Linda Miller from Initech, they declined, not interested",
        # Who declined stays with the result, as «клиент берёт 200 штук» does.
        {"contact_name": "Linda Miller", "result": "they declined, not interested"},
    ),
    ("Called Initech, spoke to Bill Lumbergh about renewal", {"contact_name": "Bill Lumbergh"}),
    ("Called John, he agreed", {"client_ids": (5,), "contact_name": "John Smith"}),
    ("поговорил с Олегом", {"client_ids": (2,), "contact_name": "Олег Волков"}),
    ("Петров перезвонил мне сам, уточнил сроки доставки", {"direction": Direction.INCOMING}),
    # Everything at once, lower case, no punctuation.
    (
        "созвонились с морозовой цель продлить договор она подумает перезвонить через неделю",
        {
            "client_ids": (10,),
            "channel": Channel.CALL,
            "outcome": Outcome.PARTIAL,
            "goal": Has("продлить договор"),
            "next_touch": NEXT_WEDNESDAY,
        },
    ),
    (
        "Meeting with Mary Brown at Acme, goal: renewal, agreed to sign next month",
        {
            "client_ids": (5,),
            "channel": Channel.MEETING,
            "goal": "renewal",
            "outcome": Outcome.ACHIEVED,
            "next_touch": date(2026, 12, 1),
        },
    ),
]


def _check(field_name: str, actual: Any, expected: Any) -> None:
    if isinstance(expected, Has):
        assert actual is not None, field_name
        assert expected.lower() in actual.lower(), (field_name, actual)
        return
    assert actual == expected, (field_name, actual, expected)
    assert type(actual) is type(expected), (field_name, actual, expected)
    if isinstance(expected, datetime):
        assert actual.utcoffset() == expected.utcoffset(), (field_name, actual)


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(CLIENTS)


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 70


@pytest.mark.parametrize(
    ("text", "expected"), CASES, ids=[f"case{number:02d}" for number in range(len(CASES))]
)
def test_parse_interaction(text: str, expected: dict[str, Any], index: NameIndex) -> None:
    parsed = parse_interaction(text, now=NOW, clients=CLIENTS, index=index)
    for field_name, value in expected.items():
        _check(field_name, getattr(parsed, field_name), value)


def test_clients_without_an_index_match_the_same() -> None:
    @dataclass
    class Client:
        id: int
        name: str
        contact_names: list[str]

    clients: list[ClientLike] = [Client(c.id, c.name, list(c.contact_names)) for c in CLIENTS]
    parsed = parse_interaction("Звонил Петрову из Ромашки", now=NOW, clients=clients)
    assert parsed.client_ids == (1,)
    assert parsed.contact_name == "Иван Петров"


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_interaction("звонил петрову", now=datetime(2026, 11, 18, 10, 30), clients=CLIENTS)  # noqa: DTZ001


def test_next_touch_keeps_the_managers_zone() -> None:
    vladivostok = ZoneInfo("Asia/Vladivostok")
    now = datetime(2026, 11, 18, 23, 30, tzinfo=vladivostok)
    parsed = parse_interaction("перезвонить завтра в 11", now=now)
    assert parsed.next_touch == datetime(2026, 11, 19, 11, tzinfo=vladivostok)
    assert isinstance(parsed.next_touch, datetime)
    assert parsed.next_touch.tzinfo is vladivostok


def test_empty_message_gives_an_empty_interaction() -> None:
    assert parse_interaction("", now=NOW, clients=CLIENTS) == ParsedInteraction()


@pytest.mark.parametrize(
    "text",
    ["Петров", "ромашка", "из Ромашки", "+7 912", "Сидорова ТехноПром", "acme", "8 916 123-45-67"],
)
def test_lookups(text: str) -> None:
    assert classify_message(text) == "lookup"


@pytest.mark.parametrize(
    "text",
    [
        "звонил петрову",
        "Петров не ответил",
        "встреча с Волковым",
        "цель — предложить прайс",
        "Ромашка отказалась",
        "написал сидоровой",
        "Called John",
        "перезвонить Кузнецову завтра",
        "Сидорова сама позвонила",
        "результат: ждут КП",
    ],
)
def test_logs(text: str) -> None:
    assert classify_message(text) == "log"


def test_warm_up_loads_what_the_first_message_would_wait_for() -> None:
    parsing._dateparser_search.cache_clear()
    parsing.warm_up(NOW)
    assert parsing._dateparser_search.cache_info().currsize == 1
