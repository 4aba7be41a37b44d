"""/export as the head opens it in Excel: words instead of codes, safe cells, local times."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime, time
from decimal import Decimal

from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Member
from models.clients import Client, Contact, Deal, KeyDate
from models.enums import (
    Category,
    Channel,
    Direction,
    Outcome,
    Stage,
    TouchReason,
    TouchStatus,
)
from models.interactions import Interaction
from models.planner import Touch
from tests.conftest import HEAD_ID
from tests.harness import Chat
from tests.test_reminders import add_client, add_member

MOMENT = datetime(2026, 11, 17, 12, 5, 30, 123456, tzinfo=UTC)


def wall(*parts: int) -> datetime:
    """A wall-clock time as an Excel cell holds it: no time zone."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)


async def seed(session: AsyncSession) -> Client:
    """A manager's key B2B client in account management with one of everything."""
    manager = await add_member(session, name="Дмитрий")
    client = await add_client(
        session,
        manager,
        "Ромашка",
        "Asia/Vladivostok",
        phone="+79104620400",
        confirmed=MOMENT,
    )
    client.category = Category.KEY
    client.stage = Stage.ACCOUNT
    client.window_days = "024"
    client.tags = ["Позвонить", "Подарить футболку"]
    client.preferences = "берёт синие и серые, партиями по 200"
    contact = await session.scalar(select(Contact).where(Contact.client_id == client.id))
    assert contact is not None
    contact.preferred_channel = Channel.WHATSAPP
    contact.hobbies = "рыбалка"
    contact.window_start, contact.window_end, contact.window_days = time(11), time(14), "01234"
    contact.channel_schedule = [{"from": "14:00", "channel": "telegram"}]
    contact.work_schedule = "пн–пт 9:00–18:00"
    session.add(
        KeyDate(
            client_id=client.id,
            contact_id=contact.id,
            kind="birthday",
            day=3,
            month=12,
            year=1980,
            created_at=MOMENT,
        )
    )
    session.add(
        Interaction(
            client_id=client.id,
            contact_id=contact.id,
            member_id=manager.id,
            channel=Channel.CALL,
            direction=Direction.OUTGOING,
            goal="предложить прайс",
            result="не взял трубку",
            outcome=Outcome.NO_CONTACT,
            next_touch_on=date(2026, 11, 20),
            happened_at=MOMENT,
            created_at=MOMENT,
        )
    )
    session.add(
        Touch(
            client_id=client.id,
            member_id=manager.id,
            due_on=date(2026, 11, 20),
            reason=TouchReason.CADENCE,
            status=TouchStatus.DONE,
            goal="предложить прайс",
            dedupe_key="cadence:1",
            created_at=MOMENT,
            closed_at=MOMENT,
        )
    )
    session.add(
        Deal(
            client_id=client.id,
            title="Футболки к Новому году",
            stage="invoiced",
            amount=Decimal("125000.50"),
            goods_location="склад в Казани",
            is_paid=False,
            created_at=MOMENT,
            updated_at=MOMENT,
        )
    )
    await session.commit()
    return client


async def export(
    chat: Chat, session: AsyncSession, language: str = "ru", zone: str = "Europe/Moscow"
) -> SendDocument:
    """The head, bootstrapped by /start, in `language` and `zone`, types /export: the file."""
    chat.user(HEAD_ID, "Ольга")
    await chat.send(HEAD_ID, "/start")
    head = await session.scalar(select(Member).where(Member.telegram_id == HEAD_ID))
    assert head is not None
    head.language = language
    head.timezone = zone
    await session.commit()
    calls = await chat.send(HEAD_ID, "/export")
    documents = [call for call in calls if isinstance(call, SendDocument)]
    assert len(documents) == 1
    return documents[0]


def workbook(document: SendDocument) -> Workbook:
    """The sent file, opened as Excel would."""
    assert isinstance(document.document, BufferedInputFile)
    return load_workbook(io.BytesIO(document.document.data))


def cell_of(sheet: Worksheet, header: str, row: int = 2) -> Cell:
    """The cell in `row` under the column titled `header`."""
    titles = [cell.value for cell in sheet[1]]
    found = sheet.cell(row=row, column=titles.index(header) + 1)
    assert isinstance(found, Cell)
    return found


def records(sheet: Worksheet) -> list[dict[str, object]]:
    """The sheet's rows keyed by its header."""
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(name) for name in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


async def test_codes_are_written_as_the_bots_words(chat: Chat, session: AsyncSession) -> None:
    await seed(session)
    book = workbook(await export(chat, session))

    (client,) = records(book["Клиенты"])
    assert client["Тип"] == "Компания"
    assert client["Категория"] == "Ключевой"
    assert client["Этап"] == "Сопровождение"
    assert client["Дни звонков"] == "пн, ср, пт"
    assert client["Активен"] == "Да"
    (contact,) = records(book["Контакты"])
    assert contact["Предпочтительный канал"] == "WhatsApp"
    (key_date,) = records(book["Ключевые даты"])
    assert key_date["Вид"] == "День рождения"
    (interaction,) = records(book["Взаимодействия"])
    # /import ties the contact to its client by the client's ID, as the other sheets do.
    assert interaction["ID клиента"] == client["ID"]
    assert interaction["Канал"] == "Звонок"
    assert interaction["Направление"] == "Исходящий"
    assert interaction["Итог"] == "Не дозвонился"
    (touch,) = records(book["Касания"])
    assert touch["Причина"] == "По графику"
    assert touch["Статус"] == "Сделано"
    codes = {"b2b", "key", "account", "call", "outgoing", "no_contact", "birthday", "cadence"}
    values = {str(v) for s in book for row in s.iter_rows(values_only=True) for v in row}
    assert not codes & values


async def test_an_english_head_gets_english_words_and_headers(
    chat: Chat, session: AsyncSession
) -> None:
    await seed(session)
    book = workbook(await export(chat, session, language="en"))

    (client,) = records(book["Clients"])
    assert client["Type"] == "Company"
    assert client["Stage"] == "Account management"
    assert client["Calling days"] == "Mon, Wed, Fri"
    (interaction,) = records(book["Interactions"])
    assert interaction["Outcome"] == "No answer"
    (touch,) = records(book["Touches"])
    assert (touch["Reason"], touch["Status"]) == ("Cadence", "Done")
    assert book.sheetnames == [
        "Clients", "Contacts", "Key dates", "Interactions", "Touches", "Deals", "Export"
    ]  # fmt: skip
    for sheet in book.worksheets[:-1]:
        header = " ".join(str(cell.value) for cell in sheet[1])
        assert not re.search("[а-яё]", header, re.IGNORECASE), header
    note = {row[0]: row[1] for row in book["Export"].iter_rows(values_only=True)}
    assert note["Exported by"] == "Ольга"
    assert note["Time zone"] == (
        "Europe/Moscow (UTC+3): every date and time in this file is in this zone"
    )


async def test_phones_read_as_typed_and_formulas_stay_text(
    chat: Chat, session: AsyncSession
) -> None:
    client = await seed(session)
    attack = "=cmd|' /C calc'!A0"
    client.notes = attack
    client.name = '=HYPERLINK("http://evil.example","Ромашка")'
    await session.commit()
    document = await export(chat, session)
    book = workbook(document)

    clients = book["Клиенты"]
    (row,) = records(clients)
    assert row["Заметки"] == attack
    assert row["Клиент"] == '=HYPERLINK("http://evil.example","Ромашка")'
    for cell in clients[2]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            assert cell.data_type == "s"
            assert cell.quotePrefix
    contacts = book["Контакты"]
    (contact,) = records(contacts)
    assert contact["Телефон"] == "+79104620400"
    phone = next(cell for cell in contacts[2] if cell.value == "+79104620400")
    assert phone.data_type == "s"
    assert phone.quotePrefix
    # What Excel reads: no sheet of the file holds a single formula.
    assert isinstance(document.document, BufferedInputFile)
    with zipfile.ZipFile(io.BytesIO(document.document.data)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in archive.read(name)
            assert b"<f " not in archive.read(name)


async def test_times_are_the_heads_wall_clock_as_excel_dates(
    chat: Chat, session: AsyncSession
) -> None:
    await seed(session)
    document = await export(chat, session, zone="Asia/Yekaterinburg")
    book = workbook(document)

    # 07:30 UTC on the clock is 12:30 in Yekaterinburg.
    assert document.document.filename == "touchbase-2026-11-18-1230.xlsx"
    # 12:05:30.123456 UTC, stored for the client and the call, is 17:05:30 there.
    confirmed = cell_of(book["Клиенты"], "Данные подтверждены")
    assert confirmed.value == wall(2026, 11, 17, 17, 5, 30)
    assert confirmed.number_format == "dd.mm.yyyy hh:mm"
    happened = cell_of(book["Взаимодействия"], "Когда")
    assert happened.value == wall(2026, 11, 17, 17, 5, 30)
    assert happened.number_format == "dd.mm.yyyy hh:mm"
    due = cell_of(book["Касания"], "Срок")
    assert due.value == wall(2026, 11, 20)
    assert due.number_format == "dd.mm.yyyy"
    note = {row[0]: row[1] for row in book["Выгрузка"].iter_rows(values_only=True)}
    assert note["Когда"] == wall(2026, 11, 18, 12, 30)
    assert note["Часовой пояс"] == (
        "Asia/Yekaterinburg (МСК+2): все даты и время в файле — по этому поясу"
    )
    assert book.properties.title == "Touchbase: выгрузка базы — Ольга, 18.11.2026 12:30"


async def test_every_sheet_is_ready_to_read_and_filter(chat: Chat, session: AsyncSession) -> None:
    client = await seed(session)
    client.notes = "очень длинная заметка " * 20
    await session.commit()
    book = workbook(await export(chat, session))

    for sheet in book.worksheets[:-1]:
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        assert not any(cell.font.bold for cell in sheet[2]), sheet.title
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == sheet.dimensions, sheet.title
        for cell in sheet[1]:
            width = sheet.column_dimensions[cell.column_letter].width
            assert len(str(cell.value)) < width <= 50, (sheet.title, cell.value)
    clients = book["Клиенты"]
    width = {c.value: clients.column_dimensions[c.column_letter].width for c in clients[1]}
    assert width["Заметки"] == 50
    assert width["Клиент"] < width["Данные подтверждены"] < width["Заметки"]


async def test_deals_preferences_markers_and_calling_habits_are_exported(
    chat: Chat, session: AsyncSession
) -> None:
    await seed(session)
    book = workbook(await export(chat, session))

    (client,) = records(book["Клиенты"])
    assert client["Маркеры"] == "Позвонить, Подарить футболку"
    assert client["Предпочтения"] == "берёт синие и серые, партиями по 200"
    assert client["Окно"] == "10:00–18:00"
    assert client["Праздники"] == "Не звонить в праздники"
    (contact,) = records(book["Контакты"])
    assert contact["Хобби"] == "рыбалка"
    assert contact["Канал по времени"] == "с 14:00 — Telegram"
    assert contact["График работы"] == "пн–пт 9:00–18:00"
    assert (contact["Окно контакта"], contact["Дни звонков контакта"]) == ("11:00–14:00", "пн–пт")
    interactions = book["Взаимодействия"]
    assert cell_of(interactions, "Следующее касание").value == wall(2026, 11, 20)
    assert book.sheetnames[-2:] == ["Сделки", "Выгрузка"]
    deals = book["Сделки"]
    (deal,) = records(deals)
    assert deal["Клиент"] == "Ромашка"
    assert deal["Сделка"] == "Футболки к Новому году"
    assert deal["Этап сделки"] == "Счёт выставлен"
    assert deal["Где товар"] == "склад в Казани"
    assert deal["Оплачена"] == "Нет"
    amount = cell_of(deals, "Сумма, ₽")
    assert amount.value == 125000.5
    assert amount.data_type == "n"
    assert amount.number_format == "#,##0.00"
    assert cell_of(deals, "Создана").value == wall(2026, 11, 17, 15, 5, 30)


async def test_rows_of_the_other_sheets_name_their_client_and_contact_by_id(
    chat: Chat, session: AsyncSession
) -> None:
    client = await seed(session)
    contact_id = await session.scalar(select(Contact.id).where(Contact.client_id == client.id))
    book = workbook(await export(chat, session))

    for title in ("Контакты", "Ключевые даты", "Сделки"):
        (row,) = records(book[title])
        assert row["ID клиента"] == client.id, title
    (key_date,) = records(book["Ключевые даты"])
    assert key_date["ID контакта"] == contact_id
    english = workbook(await export(chat, session, language="en"))
    (deal,) = records(english["Deals"])
    assert deal["Client ID"] == client.id
