"""Editing a client card through the dispatcher: fields with history, contacts and their position
history, key dates, deals, bad input that saves nothing, HTML, and forged buttons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import models
from bot.app import create_bot, create_dispatcher
from bot.callbacks import ClientCallback, EditFieldCallback
from bot.offline import OFFLINE_TOKEN, RecordingSession
from bot.settings import Settings
from models import AuditEntry, ChangeLog, Client, Contact, Deal, KeyDate, Member
from models.enums import Category, Channel, ClientKind
from models.session import create_engine, create_session_factory
from services import client_edit
from services.clock import ManualClock
from services.validation import ValidationError
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_onboarding import invite_link

MANAGER_ID = 601
VALID_INN = "7707083893"


async def member_of(session: AsyncSession, telegram_id: int) -> Member:
    member = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
    assert member is not None
    # Detached, so that expiring the session between steps keeps the member readable.
    session.expunge(member)
    return member


async def start_head(chat: Chat, session: AsyncSession) -> Member:
    chat.user(HEAD_ID, "Ольга")
    await chat.send(HEAD_ID, "/start")
    return await member_of(session, HEAD_ID)


async def start_manager(chat: Chat, session: AsyncSession) -> Member:
    chat.user(MANAGER_ID, "Мария")
    code = await invite_link(chat)
    await chat.send(MANAGER_ID, f"/start {code}")
    return await member_of(session, MANAGER_ID)


async def make_client(
    session: AsyncSession,
    chat: Chat,
    owner: Member,
    *,
    name: str = "Ромашка",
    kind: ClientKind = ClientKind.B2B,
    contacts: tuple[tuple[str, str | None], ...] = (("Петров Иван", "менеджер по закупкам"),),
) -> Client:
    now = chat.clock.now()
    client = Client(
        kind=kind,
        name=name,
        timezone="Europe/Moscow",
        owner_id=owner.id,
        tags=[],
        data_confirmed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(client)
    await session.flush()
    for index, (full_name, position) in enumerate(contacts):
        session.add(
            Contact(
                client_id=client.id,
                full_name=full_name,
                position=position,
                extra_phones=[],
                channel_schedule=[],
                is_primary=index == 0,
                created_at=now,
            )
        )
    await session.commit()
    return client


async def open_field(chat: Chat, user_id: int, entity: str, entity_id: int, field: str) -> str:
    data = EditFieldCallback(entity=entity, entity_id=entity_id, field=field).pack()
    return joined(await chat.press_data(user_id, data))


async def section(chat: Chat, user_id: int, action: str, client_id: int) -> str:
    data = ClientCallback(action=action, client_id=client_id).pack()
    return joined(await chat.press_data(user_id, data))


async def changes(session: AsyncSession, client_id: int) -> list[ChangeLog]:
    rows = await session.scalars(
        select(ChangeLog).where(ChangeLog.client_id == client_id).order_by(ChangeLog.id)
    )
    return list(rows)


async def test_edit_name_from_the_menu_keeps_history(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    menu = await chat.press_data(
        HEAD_ID, ClientCallback(action="edit", client_id=client.id).pack()
    )
    assert "Ромашка" in joined(menu)
    assert "К карточке" in " ".join(chat.buttons(HEAD_ID))
    prompt = joined(await chat.press(HEAD_ID, "Название"))
    assert "Сейчас: Ромашка" in prompt
    saved = joined(await chat.send(HEAD_ID, "Ромашка Плюс"))
    assert "Ромашка → Ромашка Плюс" in saved

    rows = await changes(session, client.id)
    assert [(row.field, row.old_value, row.new_value, row.member_id) for row in rows] == [
        ("name", "Ромашка", "Ромашка Плюс", head.id)
    ]
    refreshed = await session.get(Client, client.id, populate_existing=True)
    assert refreshed is not None
    assert refreshed.name == "Ромашка Плюс"
    assert refreshed.updated_at == chat.clock.now().replace(tzinfo=refreshed.updated_at.tzinfo)

    history = joined(
        await chat.press_data(
            HEAD_ID, ClientCallback(action="history", client_id=client.id).pack()
        )
    )
    assert "Ольга" in history
    assert "Название: Ромашка → Ромашка Плюс" in history


async def test_same_value_writes_no_history(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    await open_field(chat, HEAD_ID, "client", client.id, "name")
    answer = joined(await chat.send(HEAD_ID, "Ромашка"))
    assert "ничего не изменилось" in answer
    assert await changes(session, client.id) == []


async def test_position_change_is_shown_as_history(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    await chat.press_data(HEAD_ID, ClientCallback(action="contacts", client_id=client.id).pack())
    await chat.press(HEAD_ID, "Петров Иван")
    await chat.press(HEAD_ID, "Должность")
    chat.clock.advance(timedelta(days=1))
    calls = await chat.send(HEAD_ID, "коммерческий директор")
    assert "коммерческий директор (с 19.11.2026; ранее — менеджер по закупкам)" in joined(calls)
    rows = await changes(session, client.id)
    assert [(row.entity, row.field, row.old_value, row.new_value) for row in rows] == [
        ("contact", "position", "менеджер по закупкам", "коммерческий директор")
    ]


@pytest.mark.parametrize(
    ("entity", "field", "bad", "reason", "good", "stored"),
    [
        ("contact", "phone", "12345", "Не похоже на номер", "8 912 345-67-89", "+79123456789"),
        (
            "contact",
            "email",
            "ivan@",
            "Не похоже на e-mail",
            "Ivan@Romashka.ru",
            "ivan@romashka.ru",
        ),
        ("client", "inn", "1234567890", "не проходит проверку", VALID_INN, VALID_INN),
        (
            "client",
            "window",
            "18:00–09:00",
            "Ночные окна не поддерживаются",
            "10-14",
            "10:00–14:00",
        ),
        ("client", "city", "Неизвестьград", "Не знаю город", "Владивосток", "Владивосток"),
        (
            "contact",
            "telegram",
            "@a!",
            "Не похоже на имя в Telegram",
            "@ivan_petrov",
            "ivan_petrov",
        ),
    ],
)
async def test_bad_input_saves_nothing_and_waits_for_a_retry(
    chat: Chat,
    session: AsyncSession,
    entity: str,
    field: str,
    bad: str,
    reason: str,
    good: str,
    stored: str,
) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    contact = await session.scalar(select(Contact).where(Contact.client_id == client.id))
    assert contact is not None
    entity_id = client.id if entity == "client" else contact.id
    target = Client if entity == "client" else Contact

    await open_field(chat, HEAD_ID, entity, entity_id, field)
    answer = joined(await chat.send(HEAD_ID, bad))
    assert reason in answer
    assert await changes(session, client.id) == []

    # The bot still waits for the value: a good one is saved at once.
    saved = joined(await chat.send(HEAD_ID, good))
    assert "Сохранено" in saved
    row = await session.get(target, entity_id, populate_existing=True)
    assert client_edit.read_value(row, field) == stored


async def test_city_sets_the_time_zone_and_can_be_overridden(
    chat: Chat, session: AsyncSession
) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    await open_field(chat, HEAD_ID, "client", client.id, "city")
    await chat.send(HEAD_ID, "Владивосток")
    await open_field(chat, HEAD_ID, "client", client.id, "city")
    await chat.send(HEAD_ID, "Когалым, UTC+5")
    row = await session.get(Client, client.id, populate_existing=True)
    assert row is not None
    assert (row.city, row.timezone) == ("Когалым", "Etc/GMT-5")
    fields = [(change.field, change.new_value) for change in await changes(session, client.id)]
    assert fields == [
        ("city", "Владивосток"),
        ("timezone", "Asia/Vladivostok"),
        ("city", "Когалым"),
        ("timezone", "Etc/GMT-5"),
    ]


async def test_a_time_zone_reads_as_settings_name_it_not_as_its_iana_key(
    chat: Chat, session: AsyncSession
) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    assert "Часовой пояс: Москва, МСК" in await section(chat, HEAD_ID, "edit", client.id)
    prompt = await open_field(chat, HEAD_ID, "client", client.id, "timezone")
    assert "Сейчас: Москва, МСК" in prompt
    saved = joined(await chat.send(HEAD_ID, "Омск"))
    assert "Москва, МСК → Омск, МСК+3" in saved
    assert "Часовой пояс: Омск, МСК+3" in saved  # the screen that follows
    await open_field(chat, HEAD_ID, "client", client.id, "city")
    saved = joined(await chat.send(HEAD_ID, "Когалым, UTC+5"))
    assert "Омск, МСК+3 → UTC+5, МСК+2" in saved
    history = await section(chat, HEAD_ID, "history", client.id)
    assert "Москва, МСК → Омск, МСК+3" in history
    assert "Europe/Moscow" not in saved + history
    assert "Asia/Omsk" not in saved + history


async def test_ten_thousand_character_notes_are_refused(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    await open_field(chat, HEAD_ID, "client", client.id, "notes")
    answer = joined(await chat.send(HEAD_ID, "очень важно " * 834))
    assert "Слишком длинно" in answer
    assert "4000" in answer
    row = await session.get(Client, client.id, populate_existing=True)
    assert row is not None
    assert row.notes is None
    assert await changes(session, client.id) == []


async def test_html_in_a_value_is_escaped(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    await open_field(chat, HEAD_ID, "client", client.id, "name")
    calls = await chat.send(HEAD_ID, "<b>Ромашка</b> & Co")
    text = joined(calls)
    assert "&lt;b&gt;Ромашка&lt;/b&gt; &amp; Co" in text
    assert "<b>Ромашка</b> & Co" not in text
    row = await session.get(Client, client.id, populate_existing=True)
    assert row is not None
    assert row.name == "<b>Ромашка</b> & Co"


async def test_choices_from_buttons_and_clearing(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    await open_field(chat, HEAD_ID, "client", client.id, "category")
    await chat.press(HEAD_ID, "VIP")
    await open_field(chat, HEAD_ID, "client", client.id, "industry")
    await chat.send(HEAD_ID, "розница")
    await open_field(chat, HEAD_ID, "client", client.id, "industry")
    await chat.press(HEAD_ID, "Очистить")
    fields = [(c.field, c.old_value, c.new_value) for c in await changes(session, client.id)]
    assert fields == [
        ("category", "new", "vip"),
        ("industry", None, "розница"),
        ("industry", "розница", None),
    ]


async def test_channel_by_time_of_day(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    contact = await session.scalar(select(Contact).where(Contact.client_id == client.id))
    assert contact is not None
    await open_field(chat, HEAD_ID, "contact", contact.id, "channel_schedule")
    shown = joined(await chat.send(HEAD_ID, "до 14:00 звонок, после — WhatsApp"))
    assert "с 14:00 — 🟢 WhatsApp" in shown
    row = await session.get(Contact, contact.id, populate_existing=True)
    assert row is not None
    assert row.preferred_channel is Channel.CALL
    assert row.channel_schedule == [{"from": "14:00", "channel": "whatsapp"}]


async def test_key_dates_reject_31_february_and_accept_29_february(
    chat: Chat, session: AsyncSession
) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    await chat.press_data(HEAD_ID, ClientCallback(action="dates", client_id=client.id).pack())
    await chat.press(HEAD_ID, "Добавить дату")
    await chat.press(HEAD_ID, "день рождения", exact=True)
    await chat.press(HEAD_ID, "Петров Иван")
    refused = joined(await chat.send(HEAD_ID, "31.02"))
    assert "Такой даты не бывает" in refused
    assert await session.scalar(select(func.count()).select_from(KeyDate)) == 0
    saved = joined(await chat.send(HEAD_ID, "29.02"))
    assert "Дата добавлена" in saved
    assert "29.02" in saved
    key_date = await session.scalar(select(KeyDate))
    assert key_date is not None
    assert (key_date.kind, key_date.day, key_date.month, key_date.year) == (
        "birthday",
        29,
        2,
        None,
    )


async def test_family_birthday_and_delete(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    await chat.press_data(HEAD_ID, ClientCallback(action="dates", client_id=client.id).pack())
    await chat.press(HEAD_ID, "Добавить дату")
    await chat.press(HEAD_ID, "ДР члена семьи")
    await chat.press(HEAD_ID, "Петров Иван")
    await chat.send(HEAD_ID, "жена")
    await chat.send(HEAD_ID, "Анна")
    listing = joined(await chat.send(HEAD_ID, "15 марта 1985"))
    assert "жена Анна (Петров Иван)" in listing
    await chat.press(HEAD_ID, "🗑 1")
    gone = joined(await chat.press(HEAD_ID, "Да, удалить"))
    assert "Ключевых дат пока нет" in gone
    fields = [(c.entity, c.field) for c in await changes(session, client.id)]
    assert fields == [("key_date", "added"), ("key_date", "removed")]
    history = await section(chat, HEAD_ID, "history", client.id)
    assert "🎂 15.03.1985 жена Анна: удалено" in history


async def test_add_contact_wizard_checks_each_step(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    await chat.press_data(HEAD_ID, ClientCallback(action="contacts", client_id=client.id).pack())
    await chat.press(HEAD_ID, "Добавить контакт")
    await chat.send(HEAD_ID, "Сидорова Анна")
    await chat.send(HEAD_ID, "главный бухгалтер")
    assert "Не похоже на номер" in joined(await chat.send(HEAD_ID, "123"))
    await chat.send(HEAD_ID, "+7 913 555-12-34")
    await chat.press(HEAD_ID, "Пропустить")
    await chat.press(HEAD_ID, "Пропустить")
    done = joined(await chat.press(HEAD_ID, "Пропустить"))
    assert "Сидорова Анна" in done
    contact = await session.scalar(select(Contact).where(Contact.full_name == "Сидорова Анна"))
    assert contact is not None
    assert (contact.position, contact.phone, contact.email, contact.is_primary) == (
        "главный бухгалтер",
        "+79135551234",
        None,
        False,
    )


async def test_person_keeps_their_only_contact(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(
        session,
        chat,
        head,
        name="Анна Смирнова",
        kind=ClientKind.B2C,
        contacts=(("Анна Смирнова", None),),
    )
    contact = await session.scalar(select(Contact).where(Contact.client_id == client.id))
    assert contact is not None
    with pytest.raises(ValidationError) as error:
        await client_edit.remove_contact(session, head, contact.id, now=chat.clock.now())
    assert error.value.code == "b2c_last_contact"
    calls = await chat.press_data(HEAD_ID, f"cec:remove_yes:{client.id}:{contact.id}")
    assert "единственный контакт" in joined(calls)
    assert await session.get(Contact, contact.id, populate_existing=True) is not None


async def test_renaming_a_person_renames_their_contact(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(
        session,
        chat,
        head,
        name="Анна Смирнова",
        kind=ClientKind.B2C,
        contacts=(("Анна Смирнова", None),),
    )
    await open_field(chat, HEAD_ID, "client", client.id, "name")
    await chat.send(HEAD_ID, "Анна Петрова")
    fields = [(c.entity, c.field, c.new_value) for c in await changes(session, client.id)]
    assert fields == [("client", "name", "Анна Петрова"), ("contact", "full_name", "Анна Петрова")]


async def test_another_button_abandons_the_edit(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    await open_field(chat, HEAD_ID, "client", client.id, "name")
    assert "Политики касаний" in joined(await chat.send(HEAD_ID, "/policy"))
    await chat.send(HEAD_ID, "Ромашка Плюс")
    await open_field(chat, HEAD_ID, "client", client.id, "industry")
    assert "Ключевой" in joined(await chat.press(HEAD_ID, "Ключевой"))
    await chat.send(HEAD_ID, "розница")
    assert await changes(session, client.id) == []


async def test_company_with_two_contacts_cannot_become_a_person(
    chat: Chat, session: AsyncSession
) -> None:
    head = await start_head(chat, session)
    client = await make_client(
        session, chat, head, contacts=(("Петров Иван", None), ("Сидорова Анна", None))
    )
    await open_field(chat, HEAD_ID, "client", client.id, "kind")
    calls = await chat.press(HEAD_ID, "Частное лицо")
    assert "контактов: 2" in joined(calls)
    row = await session.get(Client, client.id, populate_existing=True)
    assert row is not None
    assert row.kind is ClientKind.B2B


async def test_deal_added_edited_and_closed(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    await chat.press_data(HEAD_ID, ClientCallback(action="deals", client_id=client.id).pack())
    await chat.press(HEAD_ID, "Новая сделка")
    await chat.send(HEAD_ID, "Поставка плитки")
    assert "Не понял сумму" in joined(await chat.send(HEAD_ID, "много"))
    await chat.send(HEAD_ID, "150 тыс")
    await chat.press(HEAD_ID, "счёт выставлен")
    await chat.send(HEAD_ID, "на складе в Казани")
    screen = joined(await chat.press(HEAD_ID, "Не оплачено"))
    assert "150\u00a0000\u00a0₽" in screen
    await chat.press(HEAD_ID, "Оплата")
    await chat.press(HEAD_ID, "Оплачено")
    await chat.press(HEAD_ID, "Закрыть сделку")
    await chat.press(HEAD_ID, "Успешно")
    deal = await session.scalar(select(Deal))
    assert deal is not None
    assert (deal.title, deal.amount, deal.stage, deal.goods_location, deal.is_paid) == (
        "Поставка плитки",
        Decimal("150000.00"),
        "closed",
        "на складе в Казани",
        True,
    )
    fields = [c.field for c in await changes(session, client.id)]
    assert fields == ["added", "is_paid", "stage"]


async def test_history_is_paginated_newest_first(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    for number in range(12):
        chat.clock.advance(timedelta(minutes=1))
        await client_edit.edit_field(
            session, head, "client", client.id, "name", f"Ромашка {number}", now=chat.clock.now()
        )
    await session.commit()
    first = await client_edit.history(session, head, client.id, 0, now=chat.clock.now())
    assert len(first) == 10
    assert first[0].new == "Ромашка 11"
    assert first[0].member_name == "Ольга"
    page = joined(
        await chat.press_data(
            HEAD_ID, ClientCallback(action="history", client_id=client.id).pack()
        )
    )
    assert "стр. 1/2" in page
    assert "Ромашка 10 → Ромашка 11" in page
    older = joined(await chat.press(HEAD_ID, "Старше"))
    assert "стр. 2/2" in older
    assert "Ромашка → Ромашка 0" in older
    assert "Ромашка 10 → Ромашка 11" not in older


async def test_forged_edit_of_a_colleagues_client_is_refused_and_audited(
    chat: Chat, session: AsyncSession
) -> None:
    head = await start_head(chat, session)
    manager = await start_manager(chat, session)
    client = await make_client(session, chat, head)
    for data in (
        ClientCallback(action="edit", client_id=client.id).pack(),
        EditFieldCallback(entity="client", entity_id=client.id, field="name").pack(),
        f"cev:client:{client.id}:category:vip",
    ):
        calls = await chat.press_data(MANAGER_ID, data)
        assert "недоступен" in joined(calls)
    # No editor was opened: typed text is not taken as a new name.
    await chat.send(MANAGER_ID, "Захвачено")
    row = await session.get(Client, client.id, populate_existing=True)
    assert row is not None
    assert (row.name, row.category.value) == ("Ромашка", "new")
    denied = await session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.member_id == manager.id, AuditEntry.action == "denied")
    )
    assert denied == 3
    assert await changes(session, client.id) == []


async def test_manager_edits_their_own_client(chat: Chat, session: AsyncSession) -> None:
    await start_head(chat, session)
    manager = await start_manager(chat, session)
    client = await make_client(session, chat, manager)
    await open_field(chat, MANAGER_ID, "client", client.id, "window")
    saved = joined(await chat.send(MANAGER_ID, "с 10 до 14"))
    assert "10:00–18:00 → 10:00–14:00" in saved
    rows = await changes(session, client.id)
    assert [row.member_id for row in rows] == [manager.id]


async def test_editing_on_a_file_database(
    tmp_path: Path, settings: Settings, clock: ManualClock, recorder: RecordingSession
) -> None:
    """On a file database the conversation state is written by another connection than the
    update's: every step must settle the state before the update writes."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'touchbase.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(models.Base.metadata.create_all)
    factory = create_session_factory(engine)
    bot = create_bot(settings, session=recorder, token=OFFLINE_TOKEN)
    chat = Chat(create_dispatcher(settings, factory, clock), bot, recorder, clock)
    try:
        async with factory() as session:
            head = await start_head(chat, session)
            client = await make_client(session, chat, head)
        await open_field(chat, HEAD_ID, "client", client.id, "inn")
        assert "не проходит проверку" in joined(await chat.send(HEAD_ID, "123"))
        assert "Сохранено" in joined(await chat.send(HEAD_ID, VALID_INN))
        await open_field(chat, HEAD_ID, "client", client.id, "category")
        await chat.press(HEAD_ID, "VIP")
        await open_field(chat, HEAD_ID, "client", client.id, "inn")
        await chat.press(HEAD_ID, "Очистить")
        await section(chat, HEAD_ID, "deals", client.id)
        await chat.press(HEAD_ID, "Новая сделка")
        await chat.send(HEAD_ID, "Поставка")
        await chat.press(HEAD_ID, "Пропустить")
        await chat.press(HEAD_ID, "новая")
        await chat.press(HEAD_ID, "Пропустить")
        await chat.press(HEAD_ID, "Не оплачено")
        await chat.send(HEAD_ID, "/policy")
        await chat.press(HEAD_ID, "VIP")
        await chat.press(HEAD_ID, "Каденция")
        assert "45 → 40" in joined(await chat.send(HEAD_ID, "40"))
        async with factory() as session:
            fields = [row.field for row in await changes(session, client.id)]
            assert fields == ["inn", "category", "inn", "added"]
            policy_row = await session.get(models.CategoryPolicy, Category.VIP)
            assert policy_row is not None
            assert policy_row.cadence_days == 40
    finally:
        await engine.dispose()


async def test_long_values_never_exceed_telegram_limits(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    people = tuple((f"Сотрудник {n} " + "Я" * 150, "должность " * 19) for n in range(40))
    client = await make_client(session, chat, head, contacts=people)
    for number in range(12):
        notes = f"{number} " + "&<>" * 1300
        await client_edit.edit_field(
            session, head, "client", client.id, "notes", notes, now=chat.clock.now()
        )
    await session.commit()
    screens = [
        await section(chat, HEAD_ID, action, client.id)
        for action in ("edit", "contacts", "history")
    ]
    screens.append(await open_field(chat, HEAD_ID, "client", client.id, "notes"))
    assert all(0 < len(text) <= 4096 for text in screens), [len(t) for t in screens]
    assert "…и ещё" in screens[1]
    assert "&amp;&lt;&gt;" in screens[2]
    assert "<>" not in screens[3]


def test_channel_schedule_parser() -> None:
    assert client_edit.parse_channel_schedule("с 10 до 14 звонок, после — почта") == (
        None,
        [{"from": "10:00", "channel": "call"}, {"from": "14:00", "channel": "email"}],
    )
    assert client_edit.parse_channel_schedule("после 18 Telegram") == (
        None,
        [{"from": "18:00", "channel": "telegram"}],
    )
    with pytest.raises(ValidationError):
        client_edit.parse_channel_schedule("когда удобно")


@pytest.mark.parametrize(
    ("text", "amount"),
    [("150 000", "150000"), ("1,2 млн", "1200000"), ("15к", "15000"), ("99,50 ₽", "99.50")],
)
def test_amounts(text: str, amount: str) -> None:
    assert client_edit.parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["много", "-5", "NaN", "1e20"])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(ValidationError):
        client_edit.parse_amount(text)


async def test_every_screen_renders_in_english(chat: Chat, session: AsyncSession) -> None:
    head = await start_head(chat, session)
    client = await make_client(session, chat, head)
    contact = await session.scalar(select(Contact).where(Contact.client_id == client.id))
    assert contact is not None
    head.language = "en"
    await session.merge(head)
    await session.commit()
    await client_edit.edit_field(
        session,
        head,
        "contact",
        contact.id,
        "channel_schedule",
        "после 18 Telegram",
        now=chat.clock.now(),
    )
    await session.commit()
    assert "editing the card" in await section(chat, HEAD_ID, "edit", client.id)
    assert "Contacts — Ромашка" in await section(chat, HEAD_ID, "contacts", client.id)
    assert "from 18:00 — ✈️ Telegram" in joined(await chat.press(HEAD_ID, "Петров Иван"))
    assert "Now: менеджер по закупкам" in joined(await chat.press(HEAD_ID, "Position"))
    assert "Key dates" in await section(chat, HEAD_ID, "dates", client.id)
    assert "What kind of date?" in joined(await chat.press(HEAD_ID, "Add a date"))
    assert "Deals" in await section(chat, HEAD_ID, "deals", client.id)
    assert "New deal" in joined(await chat.press(HEAD_ID, "New deal"))
    history = await section(chat, HEAD_ID, "history", client.id)
    assert "Channel by time: — → from 18:00 — ✈️ Telegram" in history
    assert "Touch policies" in joined(await chat.send(HEAD_ID, "/policy"))
