"""Which client a log message names: a named company or a first name that contradicts the
contact found by surname, typos, Latin look-alike letters and transliteration."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Client, Contact, Interaction, Member
from models.enums import Category, ClientKind, Role
from services.clock import ManualClock
from services.names import NameCandidate, NameIndex, mentioned_given_names
from services.parsing import parse_interaction
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
