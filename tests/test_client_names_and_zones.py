"""A client's name in quotes and its city's time zone, through /new and the lookups.

«ООО «Вектор»» typed with nested, straight or stray quotes is stored as ООО «Вектор» and found
by every spelling; a city the bot does not list asks for its zone instead of taking Moscow.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Client
from services import geo, validation
from services.names import NameCandidate, NameIndex
from services.parsing import parse_interaction
from tests.conftest import HEAD_ID, START
from tests.harness import Chat, joined
from tests.test_clients import add_client, client_named, member_of


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ('ООО "Вектор"', "ООО «Вектор»"),
        ("«ООО «Вектор»»", "ООО «Вектор»"),
        ("ООО «Вектор»»", "ООО «Вектор»"),
        ("ООО «Вектор", "ООО «Вектор»"),
        ("«ООО «Вектор»", "ООО «Вектор»"),
        ("ООО ««Вектор»»", "ООО «Вектор»"),
        ('"ООО "Вектор""', "ООО «Вектор»"),
        ("ООО “Вектор”", "ООО «Вектор»"),
        ("ООО „Вектор“", "ООО «Вектор»"),
        ("ООО « Вектор »", "ООО «Вектор»"),
        ("«Вектор»", "Вектор"),
        ("»Вектор«", "Вектор"),
        # Nested names keep their nesting; Latin names and names without quotes are left alone.
        ("ООО «Завод «Прогресс»»", "ООО «Завод «Прогресс»»"),
        ('ООО "Завод "Прогресс""', "ООО «Завод «Прогресс»»"),
        ('Acme "Best"', 'Acme "Best"'),
        ("ИП Иванов", "ИП Иванов"),
        # A company form without quotes gets them; a sole trader, a person and a Latin name not.
        ("ООО Вектор Плюс", "ООО «Вектор Плюс»"),
        ("ооо  вектор", "ООО «вектор»"),
        ("ПАО Сбербанк", "ПАО «Сбербанк»"),
        ("ИП Сидоров Пётр", "ИП Сидоров Пётр"),
        ("Соколов Андрей", "Соколов Андрей"),
        ("ООО Вектор, Казань", "ООО Вектор, Казань"),
        ("LLC Acme", "LLC Acme"),
    ],
)
def test_client_name_quotes(typed: str, stored: str) -> None:
    assert validation.client_name(typed, max_length=200) == stored


@pytest.mark.parametrize(
    "typed", ["/new «ООО «Вектор Плюс»»", '/new ООО "Вектор Плюс"', "/new ООО Вектор Плюс"]
)
async def test_new_with_nested_quotes_stores_one_pair(
    chat: Chat, session: AsyncSession, typed: str
) -> None:
    calls = await chat.send(HEAD_ID, typed)
    calls = await chat.press(HEAD_ID, "Компания")
    assert "Категория клиента «ООО „Вектор Плюс“»?" in joined(calls)
    await chat.press(HEAD_ID, "Новый")
    await chat.press(HEAD_ID, "Пропустить")  # city
    await chat.press(HEAD_ID, "Пропустить")  # contact
    calls = await chat.press(HEAD_ID, "Пропустить")  # phone
    assert "Клиент «ООО „Вектор Плюс“» создан." in joined(calls)
    client = await client_named(session, "ООО «Вектор Плюс»")
    assert client.name == "ООО «Вектор Плюс»"


@pytest.mark.parametrize(
    "query",
    ["ООО «Вектор»", "«ООО «Вектор»»", 'ООО "Вектор"', "«Вектор»", "Вектор", "ООО «Вектор"],
)
async def test_every_quoting_finds_the_client(
    chat: Chat, session: AsyncSession, query: str
) -> None:
    await chat.send(HEAD_ID, "/start")
    await add_client(session, HEAD_ID, "ООО «Вектор»", contact="Сидорова Наталья")
    calls = await chat.send(HEAD_ID, query)
    assert "🏢 <b>ООО «Вектор»</b>" in joined(calls)


@pytest.mark.parametrize(
    "text",
    [
        "Звонил в ООО «Вектор», обсудили отгрузку",
        'Звонил в ООО "Вектор", обсудили отгрузку',
        "Звонил в «Вектор», обсудили отгрузку",
        "Звонил в ООО «Вектор»», обсудили отгрузку",
    ],
)
def test_a_log_with_quotes_finds_the_client(text: str) -> None:
    index = NameIndex([NameCandidate(1, "ООО «Вектор»", ("Сидорова Наталья Олеговна",))])
    assert parse_interaction(text, now=START, index=index).client_ids == (1,)


# ---------------------------------------------------------------------------------------------
# The city's zone


@pytest.mark.parametrize(
    ("typed", "name", "zone"),
    [
        ("Когалым, UTC+5", "Когалым", "Etc/GMT-5"),
        ("Когалым (МСК+2)", "Когалым", "Etc/GMT-5"),
        ("Когалым МСК+2", "Когалым", "Etc/GMT-5"),
        ("когалым, Asia/Yekaterinburg", "Когалым", "Asia/Yekaterinburg"),
        ("Когалым, как Екатеринбург", "Когалым", "Asia/Yekaterinburg"),
        ("в Перми", "Пермь", "Asia/Yekaterinburg"),
        ("Когалым", "Когалым", None),
        ("Пыть-Ях", "Пыть-Ях", None),
    ],
)
def test_read_city(typed: str, name: str, zone: str | None) -> None:
    found = geo.read_city(typed)
    assert found is not None
    assert (found.name, found.zone.key if found.zone else None) == (name, zone)


def test_read_city_refuses_what_is_no_city_and_keeps_a_bad_zone() -> None:
    assert geo.read_city("12345") is None
    found = geo.read_city("Когалым, UTC+25")
    assert found is not None
    assert (found.name, found.zone, found.bad_zone) == ("Когалым", None, "UTC+25")


async def _to_city(chat: Chat, name: str) -> None:
    await chat.send(HEAD_ID, f"/new {name}")
    await chat.press(HEAD_ID, "Компания")
    await chat.press(HEAD_ID, "Новый")


@pytest.mark.parametrize("typed", ["Когалым, UTC+5", "Когалым (МСК+2)"])
async def test_new_city_with_its_zone(chat: Chat, session: AsyncSession, typed: str) -> None:
    await _to_city(chat, "Нефтесервис")
    calls = await chat.send(HEAD_ID, typed)
    assert "основного контакта" in joined(calls)
    await chat.press(HEAD_ID, "Пропустить")
    await chat.press(HEAD_ID, "Пропустить")
    client = await client_named(session, "Нефтесервис")
    assert (client.city, client.timezone) == ("Когалым", "Etc/GMT-5")


async def test_new_unknown_city_asks_its_zone_with_buttons(
    chat: Chat, session: AsyncSession
) -> None:
    await _to_city(chat, "Нефтесервис")
    calls = await chat.send(HEAD_ID, "Когалым")
    text = joined(calls)
    assert "Не знаю, какой часовой пояс в городе «Когалым»" in text
    assert "поставлю ваш пояс (МСК)" in text
    assert "МСК+2 · Екатеринбург" in chat.buttons(HEAD_ID)
    assert "МСК−1 · Калининград" in chat.buttons(HEAD_ID)
    await chat.press(HEAD_ID, "МСК+2 · Екатеринбург")
    await chat.press(HEAD_ID, "Пропустить")
    calls = await chat.press(HEAD_ID, "Пропустить")
    assert "📍 Когалым" in joined(calls)
    assert "МСК+2" in joined(calls)
    client = await client_named(session, "Нефтесервис")
    assert (client.city, client.timezone) == ("Когалым", "Asia/Yekaterinburg")


@pytest.mark.parametrize(
    ("answer", "zone"),
    [("UTC+5", "Etc/GMT-5"), ("мск+2", "Etc/GMT-5"), ("как Омск", "Asia/Omsk")],
)
async def test_new_unknown_city_takes_a_typed_zone(
    chat: Chat, session: AsyncSession, answer: str, zone: str
) -> None:
    await _to_city(chat, "Нефтесервис")
    await chat.send(HEAD_ID, "Когалым")
    calls = await chat.send(HEAD_ID, "UTC+25")
    assert "Не понял часовой пояс «UTC+25»" in joined(calls)
    await chat.send(HEAD_ID, answer)
    await chat.press(HEAD_ID, "Пропустить")
    await chat.press(HEAD_ID, "Пропустить")
    client = await client_named(session, "Нефтесервис")
    assert (client.city, client.timezone) == ("Когалым", zone)


async def test_new_unknown_city_skipped_says_whose_zone_and_keeps_the_city(
    chat: Chat, session: AsyncSession
) -> None:
    await _to_city(chat, "Нефтесервис")
    await chat.send(HEAD_ID, "Когалым")
    await chat.press(HEAD_ID, "Пропустить")
    await chat.press(HEAD_ID, "Пропустить")
    await chat.press(HEAD_ID, "Пропустить")
    zone = (await member_of(session, HEAD_ID)).timezone
    client = await client_named(session, "Нефтесервис")
    assert (client.city, client.timezone) == ("Когалым", zone)


async def test_new_city_step_refuses_what_is_no_city_and_takes_a_typed_skip(
    chat: Chat, session: AsyncSession
) -> None:
    await _to_city(chat, "Нефтесервис")
    calls = await chat.send(HEAD_ID, "12345")
    assert "Не похоже на город: «12345»" in joined(calls)
    calls = await chat.send(HEAD_ID, "пропустить")
    assert "основного контакта" in joined(calls)
    assert await session.scalar(select(Client.city).where(Client.name == "Нефтесервис")) is None
