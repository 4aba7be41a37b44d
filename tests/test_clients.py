"""The client base through the dispatcher: /new, duplicates, shared contacts, search, the card,
«Данные актуальны», markers, visibility and bad input; plus the pure card rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, SetMyCommands
from aiogram.types import Contact as TelegramContact
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ClientCallback
from bot.offline import RecordingSession
from models import (
    AuditEntry,
    ChangeLog,
    Client,
    Contact,
    Deal,
    Interaction,
    KeyDate,
    Member,
    Touch,
)
from models.enums import (
    Category,
    Channel,
    ClientKind,
    Direction,
    Outcome,
    TouchReason,
    TouchStatus,
)
from services import clients, touches, validation
from services.client_card import (
    Frequency,
    contact_frequency,
    next_occurrence,
    page_bounds,
    paginate_lines,
    split_pages,
    window_in_zone,
    years_at,
)
from tests.conftest import HEAD_ID, START
from tests.harness import Chat, joined, texts
from tests.test_onboarding import invite_link

MANAGER_ID = 601
OTHER_MANAGER_ID = 602
VALID_INN = "7707083893"


# ---------------------------------------------------------------------------------------------
# Helpers


async def join(chat: Chat, user_id: int, name: str = "Tester") -> None:
    """Make `user_id` a manager through an invite link."""
    code = await invite_link(chat)
    chat.user(user_id, name)
    await chat.send(user_id, f"/start {code}")


async def member_of(session: AsyncSession, telegram_id: int) -> Member:
    session.expire_all()
    member = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
    assert member is not None
    return member


async def add_client(
    session: AsyncSession,
    owner_telegram_id: int,
    name: str,
    *,
    kind: ClientKind = ClientKind.B2B,
    contact: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    inn: str | None = None,
) -> int:
    """Arrange a client directly through the service, committed."""
    owner = await member_of(session, owner_telegram_id)
    client = await clients.create_client(
        session,
        owner=owner,
        draft=clients.ClientDraft(
            kind=kind, name=name, contact_name=contact, phone=phone, email=email, inn=inn
        ),
        now=START,
    )
    await session.commit()
    return client.id


async def count_clients(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Client)) or 0


async def client_named(session: AsyncSession, name: str) -> Client:
    session.expire_all()
    client = await session.scalar(select(Client).where(Client.name == name))
    assert client is not None
    return client


def card_texts(calls: list[object]) -> list[str]:
    return [text for text in texts(calls) if "Справочная" in text]  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# /new


async def test_new_b2b_happy_path(chat: Chat, session: AsyncSession) -> None:
    assert "компания или частное лицо" in joined(await chat.send(HEAD_ID, "/new"))
    await chat.press(HEAD_ID, "Компания")
    assert "Категория" in joined(await chat.send(HEAD_ID, "ООО «Ромашка»"))
    await chat.press(HEAD_ID, "Ключевой")
    assert "основного контакта" in joined(await chat.send(HEAD_ID, "в Новосибирске"))
    assert "Телефон" in joined(await chat.send(HEAD_ID, "Иван Петров, директор"))
    calls = await chat.send(HEAD_ID, "8 (912) 345-67-89")
    text = joined(calls)
    assert "создан" in text
    assert "📇 <b>Справочная</b>" in text
    assert "Новосибирск" in text
    assert "у вас: 06:00–14:00" in text  # 10–18 in Novosibirsk is 06–14 in Moscow
    client = await client_named(session, "ООО «Ромашка»")
    assert client.kind is ClientKind.B2B
    assert client.category is Category.KEY
    assert client.timezone == "Asia/Novosibirsk"
    contact = await session.scalar(select(Contact).where(Contact.client_id == client.id))
    assert contact is not None
    assert (contact.full_name, contact.position, contact.phone) == (
        "Иван Петров",
        "директор",
        "+79123456789",
    )
    assert contact.is_primary
    touch = await session.scalar(select(Touch).where(Touch.client_id == client.id))
    assert touch is not None  # the planner's first touch comes with the client
    # A new client is first called today while its window is open (before, a whole cadence later).
    assert "⏭ Первый контакт: сегодня, ср, 18 ноября" in text
    assert await chat.press(HEAD_ID, "Изменить")  # the editing journey's button is there


async def test_new_b2c_happy_path(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/new")
    await chat.press(HEAD_ID, "Частное лицо")
    await chat.send(HEAD_ID, "Анна Смирнова")
    await chat.press(HEAD_ID, "Новый")
    calls = await chat.press(HEAD_ID, "Владивосток")
    assert "основного контакта" not in joined(calls)  # a person is their own contact
    calls = await chat.send(HEAD_ID, "Anna@Example.COM")
    assert "создан" in joined(calls)
    client = await client_named(session, "Анна Смирнова")
    assert client.kind is ClientKind.B2C
    assert client.timezone == "Asia/Vladivostok"
    contacts = list(await session.scalars(select(Contact).where(Contact.client_id == client.id)))
    assert [(c.full_name, c.email) for c in contacts] == [("Анна Смирнова", "anna@example.com")]


async def test_skipping_city_keeps_the_members_zone(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/new Лютик")  # the name comes with the command
    await chat.press(HEAD_ID, "Компания")
    await chat.press(HEAD_ID, "Разовый")
    await chat.press(HEAD_ID, "Пропустить")
    await chat.press(HEAD_ID, "Пропустить")
    calls = await chat.press(HEAD_ID, "Пропустить")
    assert "создан" in joined(calls)
    client = await client_named(session, "Лютик")
    assert (client.timezone, client.city, client.category) == (
        "Europe/Moscow",
        None,
        Category.OCCASIONAL,
    )
    assert await session.scalar(select(func.count()).select_from(Contact)) == 0


async def walk_to_phone(chat: Chat, user_id: int, name: str) -> None:
    await chat.send(user_id, "/new")
    await chat.press(user_id, "Компания")
    await chat.send(user_id, name)
    await chat.press(user_id, "Постоянный")
    await chat.press(user_id, "Пропустить")  # city
    await chat.press(user_id, "Пропустить")  # main contact


async def test_duplicate_phone_with_8_and_plus_7(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    existing = await add_client(session, HEAD_ID, "Ромашка", contact="Иван", phone="+79123456789")
    await walk_to_phone(chat, HEAD_ID, "Лютик")
    calls = await chat.send(HEAD_ID, "8 912 345 67 89")
    text = joined(calls)
    assert "Похоже, такой клиент уже есть" in text
    assert "Ромашка" in text
    assert "тот же телефон" in text
    assert {"Открыть «Ромашка»", "Всё равно создать", "Отмена"} <= set(chat.buttons(HEAD_ID))
    assert await count_clients(session) == 1
    _, button = chat.find_button(HEAD_ID, "Открыть")
    assert button.callback_data == ClientCallback(action="open", client_id=existing).pack()
    calls = await chat.press(HEAD_ID, "Открыть")
    assert "Ромашка" in card_texts(calls)[0]
    assert await count_clients(session) == 1
    # Opening the existing client ends the flow: the next text is a lookup again.
    assert "Не нашёл «Лютик»" in joined(await chat.send(HEAD_ID, "Лютик"))


async def test_duplicate_can_be_created_anyway_or_cancelled(
    chat: Chat, session: AsyncSession
) -> None:
    await chat.send(HEAD_ID, "/start")
    await add_client(session, HEAD_ID, "Ромашка", contact="Иван", email="ivan@romashka.ru")
    await walk_to_phone(chat, HEAD_ID, "Лютик")
    text = joined(await chat.send(HEAD_ID, "IVAN@Romashka.ru"))
    assert "тот же e-mail" in text
    await chat.press(HEAD_ID, "Отмена")
    assert await count_clients(session) == 1
    await walk_to_phone(chat, HEAD_ID, "Лютик")
    await chat.send(HEAD_ID, "ivan@romashka.ru")
    calls = await chat.press(HEAD_ID, "Всё равно создать")
    assert "создан" in joined(calls)
    assert await count_clients(session) == 2


async def test_duplicate_near_identical_name(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    await add_client(session, HEAD_ID, "Ромашка")
    await walk_to_phone(chat, HEAD_ID, "ООО «Ромашка»")
    text = joined(await chat.press(HEAD_ID, "Пропустить"))
    assert "почти то же название" in text
    assert await count_clients(session) == 1


async def test_find_duplicates_by_inn_and_names(session: AsyncSession, chat: Chat) -> None:
    await chat.send(HEAD_ID, "/start")
    head = await member_of(session, HEAD_ID)
    first = await add_client(session, HEAD_ID, "Ромашка", inn=VALID_INN)
    found = await clients.find_duplicates(session, head, inn=VALID_INN)
    assert [(d.client_id, d.reason, d.visible) for d in found] == [(first, "inn", True)]
    assert await clients.find_duplicates(session, head, name="ООО Ромашка")
    assert await clients.find_duplicates(session, head, name="ромашки")
    assert not await clients.find_duplicates(session, head, name="Ромашка Плюс")
    assert not await clients.find_duplicates(session, head, name="Лютик")
    assert not await clients.find_duplicates(session, head, phone="not a phone")


async def test_colleagues_duplicate_is_named_without_data(
    chat: Chat, session: AsyncSession
) -> None:
    await join(chat, MANAGER_ID, "Мария")
    await join(chat, OTHER_MANAGER_ID, "Олег")
    await add_client(
        session, OTHER_MANAGER_ID, "Секретный Клиент", contact="Пётр", phone="+79123456789"
    )
    await walk_to_phone(chat, MANAGER_ID, "Лютик")
    text = joined(await chat.send(MANAGER_ID, "+7 912 345-67-89"))
    assert "уже есть в базе у коллеги Олег" in text
    assert "Секретный" not in text
    assert not any(label.startswith("Открыть") for label in chat.buttons(MANAGER_ID))


# ---------------------------------------------------------------------------------------------
# Shared contacts


def shared(phone: str = "79123456789") -> TelegramContact:
    return TelegramContact(phone_number=phone, first_name="Иван", last_name="Петров", user_id=77)


async def test_shared_contact_creates_a_client(chat: Chat, session: AsyncSession) -> None:
    text = joined(await chat.send(HEAD_ID, contact=shared()))
    assert "Иван Петров" in text
    assert "+7 912 345-67-89" in text
    await chat.press(HEAD_ID, "Создать нового клиента")
    await chat.press(HEAD_ID, "Частное лицо")
    await chat.press(HEAD_ID, "VIP")
    calls = await chat.send(HEAD_ID, "Казань")
    assert "создан" in joined(calls)  # the phone came with the contact
    client = await client_named(session, "Иван Петров")
    contact = await session.scalar(select(Contact).where(Contact.client_id == client.id))
    assert contact is not None
    assert contact.phone == "+79123456789"


async def test_shared_contact_joins_an_existing_company(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    company = await add_client(session, HEAD_ID, "ООО Ромашка", contact="Мария Иванова")
    await add_client(session, HEAD_ID, "Лютик")
    await chat.send(HEAD_ID, contact=shared("+7 (913) 555-00-11"))
    await chat.press(HEAD_ID, "Добавить контакт")
    calls = await chat.send(HEAD_ID, "ромашку")
    assert "Выберите клиента" in joined(calls)
    calls = await chat.press(HEAD_ID, "Ромашка")
    assert "добавлен" in joined(calls)
    session.expire_all()
    names = set(
        await session.scalars(select(Contact.full_name).where(Contact.client_id == company))
    )
    assert names == {"Мария Иванова", "Иван Петров"}
    phone = await session.scalar(select(Contact.phone).where(Contact.full_name == "Иван Петров"))
    assert phone == "+79135550011"


async def test_shared_contact_with_a_known_phone_warns(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    await add_client(session, HEAD_ID, "Ромашка", contact="Иван", phone="89123456789")
    text = joined(await chat.send(HEAD_ID, contact=shared()))
    assert "Похоже, такой клиент уже есть" in text
    assert "Ромашка" in text


# ---------------------------------------------------------------------------------------------
# Search


async def arrange_base(chat: Chat, session: AsyncSession) -> dict[str, int]:
    await chat.send(HEAD_ID, "/start")
    return {
        "romashka": await add_client(
            session, HEAD_ID, "ООО «Ромашка»", contact="Иван Петров", phone="+79123456789"
        ),
        "lyutik": await add_client(
            session, HEAD_ID, "Лютик", contact="Сергей Петров", phone="+79135550011"
        ),
        "techno": await add_client(
            session, HEAD_ID, "ТехноПром", contact="Анна Сидорова", phone="+74951234567"
        ),
    }


@pytest.mark.parametrize(
    "query", ["из Ромашки", "ромашка", "ромашк", "Ромашку", "8912", "+7 912 345", "912 345"]
)
async def test_one_strong_hit_opens_the_card(
    chat: Chat, session: AsyncSession, query: str
) -> None:
    await arrange_base(chat, session)
    calls = await chat.send(HEAD_ID, query)
    assert len(card_texts(calls)) == 1, joined(calls)
    assert "Ромашка" in card_texts(calls)[0]


async def test_inflected_surname_gives_buttons(chat: Chat, session: AsyncSession) -> None:
    await arrange_base(chat, session)
    calls = await chat.send(HEAD_ID, "Петрову")
    assert "Нашёл 2 клиента — выберите:" in joined(calls)
    assert set(chat.buttons(HEAD_ID)) == {"Лютик · Сергей Петров", "ООО «Ромашка» · Иван Петров"}
    calls = await chat.press(HEAD_ID, "Лютик")
    assert "Лютик" in card_texts(calls)[0]


async def test_one_look_alike_is_offered_as_a_guess_not_counted(
    chat: Chat, session: AsyncSession
) -> None:
    await arrange_base(chat, session)
    calls = await chat.send(HEAD_ID, "Ромошка")
    assert "Нашёл похожего клиента:" in joined(calls)
    assert "Нашёл (1)" not in joined(calls)
    assert chat.buttons(HEAD_ID) == ["ООО «Ромашка»"]


async def test_find_command_and_contact_name(chat: Chat, session: AsyncSession) -> None:
    await arrange_base(chat, session)
    calls = await chat.send(HEAD_ID, "/find Сидоровой")
    assert "ТехноПром" in card_texts(calls)[0]
    assert "Кого найти" in joined(await chat.send(HEAD_ID, "/find"))
    calls = await chat.send(HEAD_ID, "технопрома")
    assert "ТехноПром" in card_texts(calls)[0]


async def test_not_found_offers_new_client_with_the_name(
    chat: Chat, session: AsyncSession
) -> None:
    await arrange_base(chat, session)
    calls = await chat.send(HEAD_ID, "Зорбакс")
    assert "Не нашёл «Зорбакс»" in joined(calls)
    await chat.press(HEAD_ID, "Создать клиента")
    calls = await chat.press(HEAD_ID, "Компания")
    assert "Категория клиента «Зорбакс»" in joined(calls)


async def test_a_name_without_a_letter_or_digit_is_refused_and_asked_again(
    chat: Chat, session: AsyncSession
) -> None:
    await arrange_base(chat, session)
    calls = await chat.send(HEAD_ID, "/new ???")
    assert "«???» — в названии нет ни буквы, ни цифры" in joined(calls)
    await chat.send(HEAD_ID, "/new")
    await chat.press(HEAD_ID, "Частное лицо")
    for typed in ("???", "— —", "🙂"):
        calls = await chat.send(HEAD_ID, typed)
        assert "в названии нет ни буквы, ни цифры" in joined(calls), typed
        assert "Категория клиента" not in joined(calls)
    calls = await chat.send(HEAD_ID, "Иванов Иван")
    assert "Категория клиента «Иванов Иван»" in joined(calls)
    await chat.send(HEAD_ID, "/cancel")
    count = await session.scalar(select(func.count()).select_from(Client))
    calls = await chat.send(HEAD_ID, "Ромашка")
    await chat.press(HEAD_ID, "Изменить")
    await chat.press(HEAD_ID, "Название")
    calls = await chat.send(HEAD_ID, "...")
    assert "в названии нет ни буквы, ни цифры" in joined(calls)
    assert await session.scalar(select(Client.name).where(Client.name == "...")) is None
    assert await session.scalar(select(func.count()).select_from(Client)) == count


async def test_a_too_short_query_asks_for_more_instead_of_offering_a_client(
    chat: Chat, session: AsyncSession
) -> None:
    await arrange_base(chat, session)
    for text in ("/find Зб", "Зб"):
        calls = await chat.send(HEAD_ID, text)
        assert "слишком коротко" in joined(calls), text
        assert "Создать клиента" not in str(calls)


async def test_log_messages_are_not_taken_for_lookups(chat: Chat, session: AsyncSession) -> None:
    await arrange_base(chat, session)
    calls = await chat.send(
        HEAD_ID, "Звонил Петрову из Ромашки, цель — предложить прайс, договорились о встрече"
    )
    assert not card_texts(calls)
    assert "Нашёл" not in joined(calls)


async def test_search_sees_only_own_clients(chat: Chat, session: AsyncSession) -> None:
    await join(chat, MANAGER_ID, "Мария")
    await add_client(session, HEAD_ID, "Ромашка", contact="Иван Петров", phone="+79123456789")
    mine = await add_client(session, MANAGER_ID, "Ромашка Юг", contact="Олег")
    manager = await member_of(session, MANAGER_ID)
    hits = await clients.search_clients(session, manager, "ромашка")
    assert [hit.client_id for hit in hits] == [mine]
    assert not await clients.search_clients(session, manager, "8912")
    head = await member_of(session, HEAD_ID)
    assert len(await clients.search_clients(session, head, "ромашка")) == 2


# ---------------------------------------------------------------------------------------------
# The card


async def test_card_escapes_html_in_names(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    client_id = await add_client(session, HEAD_ID, "<b>Ромашка</b> & Co", contact="<i>Иван</i>")
    calls = await chat.press_data(
        HEAD_ID, ClientCallback(action="open", client_id=client_id).pack()
    )
    text = card_texts(calls)[0]
    assert "&lt;b&gt;Ромашка&lt;/b&gt; &amp; Co" in text
    assert "<b>Ромашка</b>" not in text
    assert "&lt;i&gt;Иван&lt;/i&gt;" in text


async def test_card_shows_the_three_blocks(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    client_id = await add_client(session, HEAD_ID, "Ромашка", contact="Иван Петров", inn=VALID_INN)
    client = await session.get(Client, client_id)
    assert client is not None
    client.preferences = "Футболки XL, синие"
    client.tags = ["Позвонить"]
    contact = await session.scalar(select(Contact).where(Contact.client_id == client_id))
    assert contact is not None
    contact.hobbies = "рыбалка"
    contact.favourite_team = "Спартак"
    contact.preferred_channel = Channel.WHATSAPP
    session.add(
        Deal(
            client_id=client_id,
            title="Партия футболок",
            stage="negotiation",
            amount=Decimal("120000"),
            goods_location="склад в Москве",
            is_paid=False,
            created_at=START,
            updated_at=START,
        )
    )
    session.add(
        KeyDate(
            client_id=client_id,
            contact_id=contact.id,
            kind="birthday",
            day=25,
            month=11,
            year=1980,
            created_at=START,
        )
    )
    for days_ago in (5, 30, 60, 90):
        session.add(
            Interaction(
                client_id=client_id,
                member_id=client.owner_id,
                channel=Channel.CALL,
                direction=Direction.OUTGOING,
                goal=f"цель {days_ago}",
                result=f"итог {days_ago}",
                outcome=Outcome.ACHIEVED,
                happened_at=START - timedelta(days=days_ago),
                created_at=START,
            )
        )
    await session.commit()
    calls = await chat.send(HEAD_ID, "/find Ромашка")
    text = card_texts(calls)[0]
    for expected in (
        "📇 <b>Справочная</b>",
        "🤝 <b>Взаимодействие</b>",
        "❤️ <b>Отношения</b>",
        f"ИНН {VALID_INN}",
        "Партия футболок — переговоры, 120\u00a0000 ₽, товар: склад в Москве, не оплачено",
        "регулярно (4 касания)",
        "цель 5 → итог 5",
        "Футболки XL, синие",
        "25 ноября, через 7 дней (46 лет)",
        "рыбалка",
        "Спартак",
        "Маркеры: Позвонить",
        "Канал: WhatsApp",
    ):
        assert expected in text, expected
    assert "цель 90" not in text  # only the last three touches
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "card_view"))
    assert entry is not None
    assert entry.client_id == client_id


async def test_long_card_is_paginated(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    # 200 characters that escape to almost 1000: the title must still fit every page.
    long_name = "Ромашка & <Co>" + "&" * 186
    client_id = await add_client(session, HEAD_ID, long_name, contact="Директор")
    client = await session.get(Client, client_id)
    assert client is not None
    client.notes = ("Заметка & <тег> " * 700)[:10_000]
    for number in range(29):
        session.add(
            Contact(
                client_id=client_id,
                full_name=f"Сотрудник {number} <{number}>",
                position="менеджер по закупкам & логистике",
                phone=f"+7912000{number:04d}",
                email=f"person{number}@romashka.ru",
                hobbies="рыбалка, " * 20,
                extra_phones=[],
                channel_schedule=[],
                created_at=START,
            )
        )
    await session.commit()
    data = ClientCallback(action="open", client_id=client_id).pack()
    calls = await chat.press_data(HEAD_ID, data)
    pages = [call for call in calls if isinstance(call, SendMessage | EditMessageText)]
    first = pages[-1]
    assert len(first.text) <= 4096
    assert "стр. 1/" in first.text
    total = int(first.text.split("стр. 1/")[1].split("\n")[0])
    assert total >= 3
    seen = [first.text]
    for page in range(1, total):
        calls = await chat.press(HEAD_ID, "▶️")
        text = texts(calls)[-1]
        assert len(text) <= 4096
        assert f"стр. {page + 1}/{total}" in text
        seen.append(text)
    everything = "\n".join(seen)
    assert everything.count("Заметка") == client.notes.count("Заметка")
    assert "Сотрудник 28 &lt;28&gt;" in everything
    assert "❤️ <b>Отношения</b>" in everything
    assert "📇 <b>Справочная</b> (продолжение)" in seen[1]
    assert "Данные подтверждены сегодня" in seen[-1]
    for text in seen:  # no entity is cut in half at a page break
        assert text.count("&") == text.count("&amp;") + text.count("&lt;") + text.count("&gt;")
    calls = await chat.press(HEAD_ID, "◀️")
    assert f"стр. {total - 1}/{total}" in texts(calls)[-1]
    views = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "card_view")
    )
    assert views == 1  # turning pages is not opening the card again


async def test_a_press_is_answered_once_and_a_refused_answer_keeps_what_it_did(
    chat: Chat, session: AsyncSession, recorder: RecordingSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await chat.send(HEAD_ID, "/start")
    await add_client(session, HEAD_ID, "Ромашка")
    chat.clock.advance(timedelta(days=70))
    await chat.send(HEAD_ID, "ромашка")
    calls = await chat.press(HEAD_ID, "Данные актуальны")
    # The handler's alert, and not the callback middleware's empty answer after it.
    assert [c.text for c in calls if isinstance(c, AnswerCallbackQuery)] == ["Данные подтверждены"]

    # Telegram refuses the answer (the press waited past its deadline): the change still holds.
    answer_for_real = recorder.make_request

    async def refuse_answers(bot: Any, method: Any, timeout: int | None = None) -> Any:
        if isinstance(method, AnswerCallbackQuery):
            raise TelegramBadRequest(method, "Bad Request: query is too old")
        return await answer_for_real(bot, method, timeout)

    monkeypatch.setattr(recorder, "make_request", refuse_answers)
    chat.clock.advance(timedelta(days=3))
    calls = await chat.press(HEAD_ID, "Данные актуальны")
    assert "Данные подтверждены сегодня" in joined(calls)
    assert "Что-то пошло не так" not in joined(calls)
    client = await client_named(session, "Ромашка")
    assert client.data_confirmed_at == chat.clock.now()


async def test_data_confirmed_button(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    client_id = await add_client(session, HEAD_ID, "Ромашка")
    chat.clock.advance(timedelta(days=70))  # «new» clients must be re-verified every 30 days
    client = await session.get(Client, client_id)
    assert client is not None
    stale_touch = (
        await touches.plan_touch(
            session,
            client=client,
            due_on=chat.clock.now().date(),
            reason=TouchReason.STALE_DATA,
            goal="Проверить данные",
            dedupe_key=f"stale:{client_id}",
            now=chat.clock.now(),
        )
    ).id
    await session.commit()
    calls = await chat.send(HEAD_ID, "ромашка")
    assert "⚠️ Данные подтверждены 70 дней назад" in joined(calls)
    calls = await chat.press(HEAD_ID, "Данные актуальны")
    alerts = [c.text for c in calls if isinstance(c, AnswerCallbackQuery) and c.text]
    assert alerts == ["Данные подтверждены"]
    assert "Данные подтверждены сегодня" in joined(calls)
    client = await client_named(session, "Ромашка")
    assert client.data_confirmed_at == chat.clock.now()
    log = await session.scalar(select(ChangeLog).where(ChangeLog.client_id == client_id))
    assert log is not None
    assert log.field == "data_confirmed_at"
    assert log.new_value == chat.clock.now().isoformat()
    session.expire_all()
    check = await session.get(Touch, stale_touch)
    assert check is not None
    assert check.status is TouchStatus.DONE


async def test_markers(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    await add_client(session, HEAD_ID, "Ромашка")
    await chat.send(HEAD_ID, "ромашка")
    await chat.press(HEAD_ID, "Маркеры")
    assert "▫️ Подарить футболку" in chat.buttons(HEAD_ID)
    await chat.press(HEAD_ID, "Позвонить")
    await chat.press(HEAD_ID, "Подарить футболку")
    assert "✅ Позвонить" in chat.buttons(HEAD_ID)
    await chat.press(HEAD_ID, "Позвонить")
    await chat.press(HEAD_ID, "Свой маркер")
    too_long = joined(await chat.send(HEAD_ID, "x" * 41))
    assert "Слишком длинно" in too_long
    await chat.send(HEAD_ID, "Прислать <каталог>")
    client = await client_named(session, "Ромашка")
    assert client.tags == ["Подарить футболку", "Прислать <каталог>"]
    await chat.press(HEAD_ID, "Прислать")  # pressing an own marker removes it
    client = await client_named(session, "Ромашка")
    assert client.tags == ["Подарить футболку"]
    changes = await session.scalar(
        select(func.count()).select_from(ChangeLog).where(ChangeLog.field == "tags")
    )
    assert changes == 5
    calls = await chat.press(HEAD_ID, "К карточке")
    assert "Маркеры: Подарить футболку" in joined(calls)


# ---------------------------------------------------------------------------------------------
# Visibility


async def test_forged_callback_for_someone_elses_client(chat: Chat, session: AsyncSession) -> None:
    await join(chat, MANAGER_ID, "Мария")
    await join(chat, OTHER_MANAGER_ID, "Олег")
    secret = await add_client(session, OTHER_MANAGER_ID, "Секретный Клиент", contact="Пётр")
    for action in ("open", "confirm", "tags"):
        calls = await chat.press_data(
            MANAGER_ID, ClientCallback(action=action, client_id=secret).pack()
        )
        text = joined(calls)
        assert "недоступен" in text
        assert "Секретный" not in text
        assert "Traceback" not in text
    calls = await chat.press_data(MANAGER_ID, f"cm:p:{secret}:0")
    assert "недоступен" in joined(calls)
    denied = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "denied")))
    assert len(denied) == 4
    assert denied[0].details == {"target": secret}
    client = await client_named(session, "Секретный Клиент")
    assert client.tags == []
    calls = await chat.press_data(HEAD_ID, ClientCallback(action="open", client_id=secret).pack())
    assert "Секретный Клиент" in card_texts(calls)[0]


async def test_missing_client_is_refused_politely(chat: Chat) -> None:
    await chat.send(HEAD_ID, "/start")
    calls = await chat.press_data(HEAD_ID, "cl:open:99999:0")
    assert "недоступен" in joined(calls)


# ---------------------------------------------------------------------------------------------
# Bad input


async def test_bad_inputs_get_clear_answers_and_save_nothing(
    chat: Chat, session: AsyncSession
) -> None:
    await chat.send(HEAD_ID, "/new")
    assert "кнопкой" in joined(await chat.send(HEAD_ID, "компания"))
    await chat.press(HEAD_ID, "Компания")
    assert "Пустое значение" in joined(await chat.send(HEAD_ID, "   "))
    assert "Слишком длинно: 300 символов" in joined(await chat.send(HEAD_ID, "Я" * 300))
    await chat.send(HEAD_ID, "<script>Ромашка</script>")
    await chat.press(HEAD_ID, "Новый")
    text = joined(await chat.send(HEAD_ID, "Урюпинск"))
    # A city the bot does not list: its zone is asked, never taken for Moscow silently.
    assert "Не знаю, какой часовой пояс в городе «Урюпинск»" in text
    assert "Пропустить »" in chat.buttons(HEAD_ID)
    assert "МСК · Москва" in chat.buttons(HEAD_ID)
    await chat.press(HEAD_ID, "МСК+1 · Самара")
    await chat.press(HEAD_ID, "Пропустить")
    assert "Не похоже на номер телефона" in joined(await chat.send(HEAD_ID, "12345"))
    assert "Не похоже на e-mail" in joined(await chat.send(HEAD_ID, "ivan@"))
    assert await count_clients(session) == 0
    # A command in the middle of the flow is a command, not an answer.
    assert "Кого найти" in joined(await chat.send(HEAD_ID, "/find"))
    assert "Отменено" in joined(await chat.send(HEAD_ID, "/cancel"))
    await chat.send(HEAD_ID, "/new")
    assert "ничего не сохранено" in joined(await chat.send(HEAD_ID, "/cancel"))
    assert await count_clients(session) == 0
    # After /cancel plain text is a lookup again, not an answer to the flow.
    assert "Не нашёл" in joined(await chat.send(HEAD_ID, "+7 912 345-67-89"))


async def test_cancel_button_and_stale_create_anyway(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/new")
    assert "ничего не сохранено" in joined(await chat.press(HEAD_ID, "Отмена"))
    calls = await chat.press_data(HEAD_ID, "cn:force:")
    assert "устарела" in joined(calls)
    assert await count_clients(session) == 0


async def test_create_client_is_all_or_nothing(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    head = await member_of(session, HEAD_ID)
    bad_drafts = [
        clients.ClientDraft(kind=ClientKind.B2B, name="Ромашка", inn="7707083894"),
        clients.ClientDraft(kind=ClientKind.B2B, name="Ромашка", phone="12"),
        clients.ClientDraft(kind=ClientKind.B2B, name="Ромашка", email="no"),
        clients.ClientDraft(kind=ClientKind.B2B, name=""),
        clients.ClientDraft(kind=ClientKind.B2B, name="Ромашка", contact_name="Я" * 201),
    ]
    codes = []
    for draft in bad_drafts:
        with pytest.raises(validation.ValidationError) as error:
            await clients.create_client(session, owner=head, draft=draft, now=START)
        codes.append(error.value.code)
    assert codes == [
        "inn_invalid",
        "phone_invalid",
        "email_invalid",
        "text_empty",
        "text_too_long",
    ]
    assert await count_clients(session) == 0


# ---------------------------------------------------------------------------------------------
# Menu


async def test_new_and_find_are_in_the_menus(chat: Chat) -> None:
    code = await invite_link(chat)
    calls = await chat.send(MANAGER_ID, f"/start {code}")
    menu = [c for c in calls if isinstance(c, SetMyCommands)][-1]
    assert {"new", "find"} <= {command.command for command in menu.commands}
    help_text = joined(await chat.send(MANAGER_ID, "/help"))
    assert "/new — Новый клиент" in help_text
    assert "/find — Найти клиента" in help_text


# ---------------------------------------------------------------------------------------------
# Pure rules


def test_contact_frequency() -> None:
    now = datetime(2026, 11, 18, tzinfo=UTC)
    assert contact_frequency([], now) is Frequency.NONE
    assert contact_frequency([now - timedelta(days=400)], now) is Frequency.ONE_OFF
    monthly = [now - timedelta(days=days) for days in (10, 40, 70, 100)]
    assert contact_frequency(monthly, now) is Frequency.REGULAR
    gone_quiet = [now - timedelta(days=days) for days in (90, 100, 110)]
    assert contact_frequency(gone_quiet, now) is Frequency.RARE
    two = [now - timedelta(days=days) for days in (10, 200)]
    assert contact_frequency(two, now) is Frequency.RARE


def test_key_date_calendar() -> None:
    assert next_occurrence(29, 2, date(2026, 11, 18)) == date(2027, 2, 28)
    assert next_occurrence(29, 2, date(2027, 11, 18)) == date(2028, 2, 29)
    assert next_occurrence(18, 11, date(2026, 11, 18)) == date(2026, 11, 18)
    assert next_occurrence(17, 11, date(2026, 11, 18)) == date(2027, 11, 17)
    assert years_at(1980, date(2026, 11, 25)) == 46
    assert years_at(None, date(2026, 11, 25)) is None
    assert years_at(2030, date(2026, 11, 25)) is None


def test_window_in_another_zone() -> None:
    moscow, vladivostok = ZoneInfo("Europe/Moscow"), ZoneInfo("Asia/Vladivostok")
    on = date(2026, 11, 18)
    assert window_in_zone(time(10), time(18), vladivostok, moscow, on) == (time(3), time(11))
    kaliningrad = ZoneInfo("Europe/Kaliningrad")
    assert window_in_zone(time(10), time(14), kaliningrad, moscow, on) == (time(11), time(15))


def test_pages_never_cut_entities_or_exceed_the_size() -> None:
    text = "a&amp;b " * 500
    for size in (50, 77, 101):
        pieces = split_pages(text, size)
        assert all(len(piece) <= size for piece in pieces)
        assert all(p.count("&") == p.count("&amp;") for p in pieces)
    unbroken = "&lt;" * 100
    pieces = split_pages(unbroken, 30)
    assert all(len(piece) <= 30 and piece.count("&") == piece.count("&lt;") for piece in pieces)
    assert "".join(pieces) == unbroken
    lines = ["<b>title</b>", "x" * 90, "short", "y" * 250]
    pages = paginate_lines(lines, 100)
    assert all(len(page) <= 100 for page in pages)
    assert "".join(pages).count("y") == 250
    assert paginate_lines([], 100) == [""]
    assert paginate_lines(["a" * 60, "", "b" * 60], 100) == ["a" * 60, "b" * 60]
    assert page_bounds(25, 5, 10) == (20, 25, 2)


@given(
    lines=st.lists(
        st.lists(st.sampled_from(["слово", "&amp;", "&lt;b&gt;", "x" * 30, " ", "\n"])).map(
            "".join
        ),
        max_size=30,
    ),
    size=st.integers(min_value=40, max_value=300),
)
@settings(max_examples=200, deadline=None)
def test_pagination_keeps_every_word_within_the_size(lines: list[str], size: int) -> None:
    pages = paginate_lines(lines, size)
    assert all(len(page) <= size for page in pages)
    for page in pages:
        assert page.count("&") == page.count("&amp;") + page.count("&lt;") + page.count("&gt;")
    assert "".join("".join(pages).split()) == "".join("".join(lines).split())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("79123456789", "+79123456789"),
        ("+7 912 345-67-89", "+79123456789"),
        ("89123456789", "+79123456789"),
        ("9123456789", "+79123456789"),
        ("380441234567", "+380441234567"),
    ],
)
def test_shared_contact_phones(text: str, expected: str) -> None:
    assert clients.phone_from_shared(text) == expected


def test_phone_query_digits() -> None:
    assert clients.phone_query_digits("8 912") == "8912"
    assert clients.phone_query_digits("+7 (912) 345") == "7912345"
    assert clients.phone_query_digits("91") is None
    assert clients.phone_query_digits("Ромашка 912") is None
