"""Which client a log message names: a named company or a first name that contradicts the
contact found by surname, typos, Latin look-alike letters and transliteration."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import translator
from models import Client, Contact, Interaction, Member, Touch
from models.enums import Category, Channel, ClientKind, Direction, Outcome, Role
from services.clients import search_clients
from services.clock import ManualClock
from services.names import NameCandidate, NameIndex, mentioned_given_names
from services.parsing import RefusedDate, parse_interaction
from tests.harness import Chat, joined

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=MSK)
MANAGER = 1002

CLIENTS = (
    NameCandidate(1, "ООО «Ромашка»", ("Петров Иван Сергеевич",)),
    NameCandidate(
        2, "ООО «Вектор»", ("Николаева Надежда Владимировна", "Сидорова Наталья Олеговна")
    ),
    NameCandidate(3, "ООО «ТехноПром»", ("Соколов Андрей Викторович", "Волков Михаил Андреевич")),
    NameCandidate(4, "ООО «Тихоокеанская логистика»", ("Ильина Галина Вадимовна",)),
)


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(CLIENTS)


def _parse(text: str, index: NameIndex) -> tuple[tuple[int, ...], str | None]:
    parsed = parse_interaction(text, now=NOW, index=index)
    return parsed.client_ids, parsed.contact_name


# 1. A named company or a first name that the surname's contact contradicts.


@pytest.mark.parametrize(
    ("text", "client_ids", "contact"),
    [
        # The company named is not a client: Сидорова of Вектор is not silently picked.
        (
            "Звонил Сидорову из Рогов и копыт, договорились созвониться через неделю",
            (),
            "Сидоров",
        ),
        ("Сидоровой из «Рогов и копыт» отправил КП", (), "Сидорова"),
        # The company named is a client: that one, even when the person works elsewhere.
        ("Звонил Сидоровой из Ромашки, цель — знакомство", (1,), "Сидорова"),
        ("Звонил Сидоровой из «Вектора»", (2,), "Сидорова Наталья Олеговна"),
        # A city is not a company.
        ("Звонил Сидоровой из Казани, она подумает", (2,), "Сидорова Наталья Олеговна"),
        # «Петру» contradicts Наталья: no confident match, whatever the surname's case says.
        ("звонил Сидорову Петру, цель — знакомство, результат — отправил КП", (), "Сидоров Петр"),
        ("звонил Петру Сидорову, цель — знакомство", (), "Петр Сидоров"),
        # Her own name, or its everyday form, still finds her.
        ("звонил Сидоровой Наталье, цель — знакомство", (2,), "Сидорова Наталья Олеговна"),
        ("звонил Наташе Сидоровой, цель — знакомство", (2,), "Сидорова Наталья Олеговна"),
        ("звонил Петрову Ивану Сергеевичу из Ромашки", (1,), "Петров Иван Сергеевич"),
        ("звонил Ване Петрову", (1,), "Петров Иван Сергеевич"),
        # A first name elsewhere in the message is another person, not a contradiction.
        ("звонил Сидоровой, Петру передам в понедельник", (2,), "Сидорова Наталья Олеговна"),
    ],
)
def test_named_company_and_first_name(
    text: str, client_ids: tuple[int, ...], contact: str, index: NameIndex
) -> None:
    assert _parse(text, index) == (client_ids, contact)


def test_latin_look_alike_letters_inside_a_russian_word(index: NameIndex) -> None:
    # «Ромашкe» and «звoнил» typed with a Latin «e» and «o».
    parsed = parse_interaction("звoнил в Ромашкe, цель уточнить объем", now=NOW, index=index)
    assert parsed.client_ids == (1,)
    assert parsed.channel is not None


def test_diminutives_reach_the_full_name() -> None:
    assert "наталья" in mentioned_given_names("наташе")
    assert "петр" in mentioned_given_names("петру")
    assert mentioned_given_names("ромашки") == frozenset()


# End to end through the dispatcher.


async def _seed(session: AsyncSession, clock: ManualClock) -> dict[str, int]:
    now = clock.now()
    member = Member(
        telegram_id=MANAGER,
        full_name="Менеджер",
        role=Role.MANAGER,
        timezone="Europe/Moscow",
        language="ru",
        created_at=now,
    )
    session.add(member)
    await session.flush()
    ids: dict[str, int] = {}
    for key, name, contacts, emails in (
        ("romashka", "ООО «Ромашка»", ("Петров Иван Сергеевич",), ("i.petrov@romashka-opt.ru",)),
        ("vector", "ООО «Вектор»", ("Сидорова Наталья Олеговна",), (None,)),
        ("ocean", "ООО «Тихоокеанская логистика»", ("Ильина Галина Вадимовна",), (None,)),
    ):
        client = Client(
            kind=ClientKind.B2B,
            name=name,
            timezone="Europe/Moscow",
            category=Category.REGULAR,
            owner_id=member.id,
            data_confirmed_at=now - timedelta(days=10),
            created_at=now - timedelta(days=300),
            updated_at=now - timedelta(days=300),
        )
        session.add(client)
        await session.flush()
        for full_name, email in zip(contacts, emails, strict=True):
            session.add(
                Contact(
                    client_id=client.id,
                    full_name=full_name,
                    email=email,
                    phone="+79135551234" if key == "romashka" else None,
                    created_at=now,
                )
            )
        ids[key] = client.id
    await session.commit()
    return ids


@pytest.fixture
async def base(session: AsyncSession, clock: ManualClock) -> dict[str, int]:
    return await _seed(session, clock)


async def test_chat_named_company_that_is_no_client_is_not_swapped_for_a_namesake(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    text = joined(
        await chat.send(
            MANAGER, "Звонил Сидорову из Рогов и копыт, договорились созвониться через неделю"
        )
    )
    assert "Вектор" not in text
    assert "Не нашёл клиента «Сидоров»" in text


async def test_chat_contradicting_first_name_asks_instead_of_picking(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(
        MANAGER, "звонил Сидорову Петру, цель — знакомство, результат — отправил КП"
    )
    assert "Вектор" not in joined(calls)
    assert "💾 Сохранить" not in chat.buttons(MANAGER)
    assert list(await session.scalars(select(Interaction))) == []


# 2. Typos, Latin spellings, e-mails and phones.


@pytest.mark.parametrize(
    ("text", "client_ids", "contact"),
    [
        ("звонил в ромошку, цель уточнить объем, клиент берёт 200 штук", (1,), None),
        ("звонил Сидоровй из Вектора", (2,), "Сидорова Наталья Олеговна"),
        (
            "Called Petrov from Romashka, goal: new price list, agreed to meet next Tuesday",
            (1,),
            "Петров Иван Сергеевич",
        ),
        ("Called Sidorova, no answer", (2,), "Сидорова Наталья Олеговна"),
        ("Met Volkov at Tekhnoprom, goal: renewal", (3,), "Волков Михаил Андреевич"),
        # A dictionary word is no typo of a name; a Latin word spelling no name finds nothing.
        ("написал в вотсап, цель — напомнить", (), None),
        ("Called Smithson, no answer", (), "Smithson"),
    ],
)
def test_typos_and_latin_spellings(
    text: str, client_ids: tuple[int, ...], contact: str | None, index: NameIndex
) -> None:
    assert _parse(text, index) == (client_ids, contact)


@pytest.mark.parametrize(
    "query",
    [
        "i.petrov@romashka-opt.ru",
        "I.Petrov@Romashka-Opt.ru",
        "@romashka-opt.ru",
        "+7 (913) 555-12-34",
        "8 913 555 12 34",
        "8‑913‑555‑12‑34",
        "913 555-12-34",
        "Romashka",
        "Petrov",
        "Ромошка",
    ],
)
async def test_search_finds_by_email_phone_and_spelling(
    session: AsyncSession, clock: ManualClock, base: dict[str, int], query: str
) -> None:
    member = await session.scalar(select(Member).where(Member.telegram_id == MANAGER))
    assert member is not None
    hits = await search_clients(session, member, query)
    assert [hit.client_id for hit in hits][:1] == [base["romashka"]]


async def test_search_by_email_of_nobody_finds_nothing(
    session: AsyncSession, base: dict[str, int]
) -> None:
    member = await session.scalar(select(Member).where(Member.telegram_id == MANAGER))
    assert member is not None
    assert await search_clients(session, member, "nobody@romashka.ru") == []
    assert await search_clients(session, member, "i_petrov@romashka-opt.ru") == []


async def test_chat_typo_and_latin_spelling_find_the_client(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    text = joined(await chat.send(MANAGER, "звонил в ромошку, цель уточнить объем, договорились"))
    assert "Ромашка" in text
    assert "Какой клиент" not in text
    text = joined(
        await chat.send(
            MANAGER,
            "Called Petrov from Romashka, goal: new price list, agreed to meet next Tuesday",
        )
    )
    assert "Ромашка" in text
    assert "Петров Иван Сергеевич" in text


async def test_chat_lookup_by_email(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    text = joined(await chat.send(MANAGER, "i.petrov@romashka-opt.ru"))
    assert "Ромашка" in text
    assert "Не нашёл" not in text


# 3. Pieces of the message: goal, result, next step.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "отправил письмо в Вектор с КП, цель - допродажа, ответа пока нет, перезвоню в пн",
            {"goal": "допродажа", "result": "ответа пока нет", "outcome": Outcome.NO_CONTACT},
        ),
        (
            "написал в вотсап Ильиной, отправил счёт, ждёт оплату",
            {
                "goal": "отправить счёт",
                "result": "отправил счёт, ждёт оплату",
                "outcome": Outcome.PARTIAL,
                "channel": Channel.WHATSAPP,
            },
        ),
        (
            "Петров перезвонил сам, спросил про скидку, сказал что в среду",
            {"next_step": None, "next_touch": date(2026, 12, 9), "direction": Direction.INCOMING},
        ),
        (
            "Петров перезвонил сам, сказал, что подпишет договор в среду",
            {"next_step": "подпишет договор", "next_touch": date(2026, 12, 9)},
        ),
        (
            "Петров перезвонил сам, просит отсрочку, обещали оплатить завтра",
            {"next_step": "обещали оплатить", "next_touch": date(2026, 12, 4)},
        ),
        ("звонил Петрову по счёту 1234, не дозвонился", {"goal": "по счёту 1234"}),
        (
            "звонил в ромошку, цель уточнить объем, клиент берёт 200 штук",
            {
                "goal": "уточнить объем",
                "result": "клиент берёт 200 штук",
                "outcome": Outcome.ACHIEVED,
            },
        ),
        ("звонил Петрову, не берет трубку", {"outcome": Outcome.NO_CONTACT}),
        ("звонил Петрову, он подумает", {"result": "он подумает", "outcome": Outcome.PARTIAL}),
        # A goal said in words is kept; only a silent attempt gets the implied one.
        (
            "не дозвонился Сидоровой, цель — предложить прайс",
            {"goal": "предложить прайс", "outcome": Outcome.NO_CONTACT},
        ),
        ("не дозвонился Сидоровой", {"goal": "связаться с клиентом"}),
        ("no answer from Sidorova", {"goal": "reach the client", "channel": Channel.CALL}),
    ],
)
def test_pieces(text: str, expected: dict[str, object], index: NameIndex) -> None:
    parsed = parse_interaction(text, now=NOW, index=index)
    assert {name: getattr(parsed, name) for name in expected} == expected


def _help_examples(language: str) -> list[str]:
    examples = re.findall(
        r"• <i>(.*?)</i>", translator(language)("help.text", commands="", stats="")
    )
    assert len(examples) == 3
    return [html.unescape(example) for example in examples]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_help_examples_parse_completely(language: str, index: NameIndex) -> None:
    for example in _help_examples(language):
        parsed = parse_interaction(example, now=NOW, index=index)
        missing = [
            name
            for name in ("client_ids", "channel", "goal", "result", "outcome", "next_touch")
            if not getattr(parsed, name)
        ]
        assert missing == [], (example, parsed)
        assert len(parsed.client_ids) == 1, example


async def test_chat_help_examples_reach_the_card_without_a_question(
    chat: Chat, session: AsyncSession, clock: ManualClock
) -> None:
    await _seed(session, clock)
    member = await session.scalar(select(Member).where(Member.telegram_id == MANAGER))
    assert member is not None
    techno = Client(
        kind=ClientKind.B2B,
        name="ООО «ТехноПром»",
        timezone="Europe/Moscow",
        category=Category.REGULAR,
        owner_id=member.id,
        data_confirmed_at=clock.now(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    session.add(techno)
    await session.flush()
    session.add(
        Contact(client_id=techno.id, full_name="Волков Михаил Андреевич", created_at=clock.now())
    )
    await session.commit()
    for example in _help_examples("ru"):
        await chat.send(MANAGER, example)
        assert "💾 Сохранить" in chat.buttons(MANAGER), example
        await chat.press(MANAGER, "Сохранить")
    saved = list(await session.scalars(select(Interaction).order_by(Interaction.id)))
    assert [interaction.goal for interaction in saved] == [
        "предложить новый прайс",
        "по КП",
        "связаться с клиентом",
    ]


async def test_chat_a_result_after_the_goal_is_not_asked_for(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, "звонил в ромошку, цель уточнить объем, клиент берёт 200 штук")
    assert "💾 Сохранить" in chat.buttons(MANAGER)
    await chat.press(MANAGER, "Сохранить")
    saved = await session.scalar(select(Interaction))
    assert saved is not None
    assert (saved.client_id, saved.goal, saved.result) == (
        base["romashka"],
        "уточнить объем",
        "клиент берёт 200 штук",
    )


# 4. Next dates that cannot be planned, and years.


@pytest.mark.parametrize(
    ("text", "phrase", "reason"),
    [
        ("перезвонить 31 февраля", "31 февраля", "impossible"),
        ("перезвонить 30.02", "30.02", "impossible"),
        ("call back on February 30", "on February 30", "impossible"),
        ("перезвонить вчера", "вчера", "past"),
        ("договорились, перезвонить вчера в 11", "вчера в 11", "past"),
        ("перезвонить 10.11.2026", "10.11.2026", "past"),
    ],
)
def test_impossible_or_past_next_date_is_refused(
    text: str, phrase: str, reason: str, index: NameIndex
) -> None:
    parsed = parse_interaction(text, now=NOW, index=index)
    assert parsed.next_touch is None
    assert parsed.refused_date == RefusedDate(phrase, reason)  # type: ignore[arg-type]
    assert parsed.next_step is not None
    assert not re.search(r"\d", parsed.next_step)
    assert translator("ru").has(parsed.refused_date.message_key)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # When the call happened is no plan.
        ("звонил вчера в 17:00 Петрову, не дозвонился", None),
        # A document's impossible date does not hide the plan.
        ("счёт от 31.02, перезвонить в пятницу", date(2026, 12, 4)),
        ("перезвонить через 2 года", date(2028, 12, 3)),
    ],
)
def test_dates_that_are_not_refused(text: str, expected: date | None, index: NameIndex) -> None:
    parsed = parse_interaction(text, now=NOW, index=index)
    assert parsed.refused_date is None
    assert parsed.next_touch == expected


def test_a_date_shows_its_year_only_when_it_is_not_this_one() -> None:
    today = NOW.date()
    assert translator("ru").fmt_day(date(2026, 12, 4), today) == "пт 04.12"
    assert translator("ru").fmt_day(date(2028, 12, 3), today) == "вс 03.12.2028"
    assert translator("en").fmt_day(date(2027, 1, 11), today) == "Mon 11.01.2027"


async def test_chat_impossible_date_is_not_planned_as_another_day(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    card = joined(
        await chat.send(
            MANAGER,
            "звонил Петрову из Ромашки, цель — прайс, договорились, перезвонить 31 февраля",
        )
    )
    # Explained and asked again, not read as 3 February.
    assert "такой даты нет" in card
    assert "02." not in card
    card = joined(await chat.press(MANAGER, "Без даты"))
    assert "Ромашка" in card
    assert "31 —" not in card
    await chat.press(MANAGER, "Сохранить")
    planned = await session.scalars(
        select(Touch.due_on).where(Touch.client_id == base["romashka"])
    )
    assert all(day.month != 2 for day in planned)


# 5. A name typed with its parts apart or together: «техно пром», «уралмет».


APART = (
    NameCandidate(1, "ООО «ТехноПром»", ("Соколов Андрей Викторович",)),
    NameCandidate(2, "ООО «ТехноСервис»", ()),
    NameCandidate(3, "Урал Мет", ()),
    NameCandidate(4, "Урал", ()),
    NameCandidate(5, "ООО «УралСпецТехника»", ()),
    NameCandidate(6, "ООО «Альфа-Строй»", ()),
    NameCandidate(7, "АвтоДом", ()),
    NameCandidate(8, "Мега Полис", ()),
)


@pytest.mark.parametrize(
    ("text", "client_ids"),
    [
        ("Звонил в Техно Пром, договорились", (1,)),
        ("встреча в Техно-Проме, обсудили объёмы", (1,)),
        ("написал Техно Прому про счёт", (1,)),
        ("звонил в техно сервис", (2,)),
        # One word for a name of two, inflected too; the whole name beats its part.
        ("звонил в уралмет", (3,)),
        ("был в Уралмете", (3,)),
        ("звонил в урал мет", (3,)),
        ("звонил в альфастрой", (6,)),
        ("письмо в Урал Спец Технику", (5,)),
        ("письмо в Урал Спецтехнику", (5,)),
        # Not a name typed apart: another word between its parts, an ordinary word after a
        # part, a dictionary word that two names' words make.
        ("техно и пром", ()),
        ("техно, пром", ()),
        ("привёз авто домой", ()),
        ("переехали в мегаполис", ()),
    ],
)
def test_names_typed_apart_or_together(text: str, client_ids: tuple[int, ...]) -> None:
    parsed = parse_interaction(text, now=NOW, index=NameIndex(APART))
    assert parsed.client_ids == client_ids, text


async def _add_client(session: AsyncSession, clock: ManualClock, name: str) -> int:
    member = await session.scalar(select(Member).where(Member.telegram_id == MANAGER))
    assert member is not None
    now = clock.now()
    client = Client(
        kind=ClientKind.B2B,
        name=name,
        timezone="Europe/Moscow",
        category=Category.REGULAR,
        owner_id=member.id,
        data_confirmed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(client)
    await session.commit()
    return client.id


async def test_chat_a_name_typed_apart_finds_the_client_everywhere(
    chat: Chat, session: AsyncSession, clock: ManualClock, base: dict[str, int]
) -> None:
    techno = await _add_client(session, clock, "ООО «ТехноПром»")
    await _add_client(session, clock, "ООО «ТехноСервис»")
    # A free-text log.
    card = joined(
        await chat.send(MANAGER, "Звонил в Техно Пром, цель — обсудить оплату, договорились")
    )
    assert "Клиент: <b>ООО «ТехноПром»</b>" in card
    await chat.press(MANAGER, "Сохранить")
    saved = await session.scalar(select(Interaction))
    assert saved is not None
    assert saved.client_id == techno
    # A lookup typed and /find open the card at once, not a list of one.
    for query in ("техно пром", "/find техно-пром"):
        text = joined(await chat.send(MANAGER, query))
        assert "🏢 <b>ООО «ТехноПром»</b>" in text, query
        assert "Нашёл" not in text, query
    # The answer to «Какой клиент?».
    assert "Какой клиент" in joined(
        await chat.send(MANAGER, "звонил, цель — сверка остатков, договорились на пятницу")
    )
    card = joined(await chat.send(MANAGER, "Техно Пром"))
    assert "Клиент: <b>ООО «ТехноПром»</b>" in card
