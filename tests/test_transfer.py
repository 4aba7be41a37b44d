"""/import and /export: reading files, preview, all-or-nothing write, export safety, the flow."""

from __future__ import annotations

import io
import time as timer
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile, Document
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from models import AuditEntry, Member, Outbox
from models.clients import Client, Contact, KeyDate
from models.enums import Role
from models.planner import Touch
from services import exporter, importer
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_reminders import MANAGER_ID, add_client, add_member

NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
SECOND_HEAD_ID = 501
Factory = async_sessionmaker[AsyncSession]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The suite's settings with pending imports kept in a temporary folder."""
    return Settings(
        _env_file=None,
        bot_token=None,
        database_url="sqlite+aiosqlite://",
        head_ids=(HEAD_ID,),
        default_timezone="Europe/Moscow",
        default_language="ru",
        files_dir=tmp_path / "files",
    )


def pending_files(settings: Settings) -> list[Path]:
    return list(Path(settings.files_dir).glob("import-*"))


def csv_bytes(rows: list[list[str]], *, separator: str, encoding: str) -> bytes:
    return "\n".join(separator.join(row) for row in rows).encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_csv_in_windows_1251_with_semicolons() -> None:
    data = csv_bytes(
        [["Компания", "ФИО", "Телефон"], ["Ромашка", "Петров Иван", "8 912 345 67 89"]],
        separator=";",
        encoding="cp1251",
    )
    table = importer.read_table(data, "base.csv")
    assert table.rows == [
        {"name": "Ромашка", "contact": "Петров Иван", "phone": "8 912 345 67 89"}
    ]
    assert table.numbers == [2]


def test_csv_in_utf8_with_bom_and_commas_and_english_headers() -> None:
    data = b"\xef\xbb\xbf" + csv_bytes(
        [["Name", "Phone", "E-mail", "City"], ["Acme", "+79123456789", "a@acme.ru", "Казань"]],
        separator=",",
        encoding="utf-8",
    )
    table = importer.read_table(data, "BASE.CSV")
    assert table.columns == ["name", "phone", "email", "city"]
    assert table.rows[0]["email"] == "a@acme.ru"


def test_xlsx_with_synonym_headers() -> None:
    data = xlsx_bytes(
        [
            ["Клиент", "Контактное лицо", "Почта", "Дата рождения", "Окно", "Лишнее"],
            ["Лютик", "Сидорова Анна", "anna@lutik.ru", "15.03.1980", "10-14", "x"],
        ]
    )
    table = importer.read_table(data, "base.xlsx")
    assert table.columns == ["name", "contact", "email", "birthday", "window"]
    assert table.rows[0]["birthday"] == "15.03.1980"


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"hello", "base.txt", "bad_format"),
        (b"not a zip", "base.xlsx", "bad_file"),
        (b"", "base.csv", "empty"),
        ("Телефон;Город\n+79123456789;Казань".encode(), "base.csv", "no_name_column"),
        (b"x" * (importer.MAX_FILE_BYTES + 1), "base.csv", "too_big"),
    ],
)
def test_malformed_files_get_a_reason(data: bytes, filename: str, code: str) -> None:
    with pytest.raises(importer.ImportFileError) as caught:
        importer.read_table(data, filename)
    assert caught.value.code == code


async def test_preview_counts_duplicates_and_error_rows(session: AsyncSession) -> None:
    manager = await add_member(session)
    romashka = await add_client(session, manager, "Ромашка", "Europe/Moscow", phone="+79135550142")
    romashka.inn = "7707083893"
    await session.commit()
    data = csv_bytes(
        [
            ["Клиент", "Телефон", "Email", "День рождения", "ИНН"],
            ["Новая фирма", "+79120000001", "new@firm.ru", "15.03"],  # 2: new
            ["Другая фирма", "8 913 555 01 42", "", ""],  # 3: phone in the base
            ["ООО «Ромашка»", "", "", ""],  # 4: the same name in the base
            ["Третья", "12345", "", ""],  # 5: bad phone, imported without it
            ["Четвёртая", "", "", "31.02"],  # 6: no such date, imported without it
            ["", "+79120000009", "", ""],  # 7: no name
            ["Пятая", "", "new@firm.ru", ""],  # 8: e-mail repeats row 2
            ["Шестая", "", "", "", "7707083893"],  # 9: INN in the base
        ],
        separator=";",
        encoding="utf-8",
    )
    table = importer.read_table(data, "base.csv")
    preview = await importer.preview_import(session, manager, table, manager, now=NOW)
    assert [row.name for row in preview.new] == ["Новая фирма", "Третья", "Четвёртая"]
    assert {(d.row, d.code) for d in preview.duplicates} == {
        (3, "phone"),
        (4, "name"),
        (9, "inn"),
        (8, "email"),
    }
    assert {(e.row, e.code) for e in preview.errors} == {(7, "text_empty")}
    # A bad phone or an impossible birthday alone does not lose the client: it comes in
    # without them.
    assert [(w.row, w.code) for w in preview.warnings] == [
        (5, "phone_dropped"),
        (6, "birthday_date_impossible"),
    ]
    await importer.apply_import(session, preview, NOW)
    await session.commit()
    client = await session.scalar(select(Client).where(Client.name == "Новая фирма"))
    assert client is not None
    assert client.owner_id == manager.id
    birthday = await session.scalar(select(KeyDate).where(KeyDate.client_id == client.id))
    assert birthday is not None
    assert (birthday.day, birthday.month) == (15, 3)


async def test_apply_is_all_or_nothing(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = await add_member(session)
    await session.commit()
    rows = [["Клиент", "Телефон"]] + [[f"Фирма {n}", f"+7912{n:07d}"] for n in range(2500)]
    table = importer.read_table(csv_bytes(rows, separator=",", encoding="utf-8"), "b.csv")
    preview = await importer.preview_import(session, manager, table, manager, now=NOW)
    assert len(preview.new) == 2500
    real_insert = importer._insert_batch
    batches = 0

    async def failing_insert(*args: object) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise RuntimeError("disk full")
        await real_insert(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "_insert_batch", failing_insert)
    with pytest.raises(RuntimeError):
        await importer.apply_import(session, preview, NOW)
    await session.commit()
    assert await session.scalar(select(func.count(Client.id))) == 0
    assert await session.scalar(select(func.count(Contact.id))) == 0


async def test_ten_thousand_rows_preview_and_import(session: AsyncSession) -> None:
    manager = await add_member(session)
    await session.commit()
    rows: list[list[object]] = [["Компания", "Контакт", "Телефон", "Email", "Город"]]
    rows += [
        [f"Компания номер {n}", f"Контакт {n}", f"+7912{n:07d}", f"c{n}@firm.ru", "Казань"]
        for n in range(10_000)
    ]
    data = xlsx_bytes(rows)
    started = timer.perf_counter()
    table = importer.read_table(data, "big.xlsx")
    preview = await importer.preview_import(session, manager, table, manager, now=NOW)
    previewed = timer.perf_counter()
    await importer.apply_import(session, preview, NOW)
    await session.commit()
    done = timer.perf_counter()
    print(f"10k rows: read+preview {previewed - started:.2f}s, apply {done - previewed:.2f}s")  # noqa: T201
    assert len(preview.new) == 10_000
    assert await session.scalar(select(func.count(Client.id))) == 10_000
    assert await session.scalar(select(func.count(Contact.id))) == 10_000
    planned = select(func.count(func.distinct(Touch.client_id)))
    assert await session.scalar(planned) == 10_000
    kazan = await session.scalar(select(Client.timezone).limit(1))
    assert kazan == "Europe/Moscow"


async def test_export_sheets_injection_properties_audit_and_notice(session: AsyncSession) -> None:
    head = await add_member(session, telegram_id=HEAD_ID, role=Role.HEAD, name="Ольга")
    other = await add_member(session, telegram_id=SECOND_HEAD_ID, role=Role.HEAD, name="Пётр")
    manager = await add_member(session, name="Дмитрий")
    await add_client(session, manager, '=HYPERLINK("http://evil")', "Europe/Moscow")
    await add_client(session, manager, "@SUM(A1)", "Europe/Moscow", phone="+79135550143")
    await session.commit()

    result = await exporter.export_workbook(session, head, NOW)
    await session.commit()

    book = load_workbook(io.BytesIO(result.content))
    assert book.sheetnames == [
        "Клиенты", "Контакты", "Ключевые даты", "Взаимодействия", "Касания", "Сделки", "Выгрузка"
    ]  # fmt: skip
    names = [row[1] for row in book["Клиенты"].iter_rows(min_row=2, values_only=True)]
    assert names == ['=HYPERLINK("http://evil")', "@SUM(A1)"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
    assert book.properties.creator == "Ольга"
    assert book.properties.title is not None
    assert "Ольга" in book.properties.title
    note = [value for row in book["Выгрузка"].iter_rows(values_only=True) for value in row]
    assert "Ольга" in note
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "export"))
    assert entry is not None
    assert entry.member_id == head.id
    assert [m.id for m in result.heads_to_notify] == [other.id]


async def test_manager_export_is_refused(chat: Chat, session: AsyncSession) -> None:
    await add_member(session)
    await session.commit()
    calls = await chat.send(MANAGER_ID, "/export")
    assert not [call for call in calls if isinstance(call, SendDocument)]
    assert "только руководителю" in joined(calls)


async def test_export_through_the_dispatcher_tells_the_other_head(
    chat: Chat, session: AsyncSession, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await chat.send(HEAD_ID, "/start")
    await add_member(session, telegram_id=SECOND_HEAD_ID, role=Role.HEAD, name="Пётр")
    await session.commit()
    calls = await chat.send(HEAD_ID, "/export")
    documents = [call for call in calls if isinstance(call, SendDocument)]
    assert len(documents) == 1
    assert isinstance(documents[0].document, BufferedInputFile)
    assert not [call for call in calls if getattr(call, "chat_id", None) == SECOND_HEAD_ID]
    notices = [
        call
        for call in await chat.deliver(session_factory)
        if isinstance(call, SendMessage) and call.chat_id == SECOND_HEAD_ID
    ]
    assert len(notices) == 1
    assert "выгрузил" in notices[0].text


async def test_import_flow_with_a_document(
    chat: Chat, session: AsyncSession, settings: Settings
) -> None:
    await add_member(session)
    await session.commit()
    data = csv_bytes(
        [["Клиент", "Телефон"], ["Ромашка", "+79120000001"], ["", "+79120000002"]],
        separator=";",
        encoding="cp1251",
    )
    chat.recorder.files["doc-1"] = data
    assert "xlsx" in joined(await chat.send(MANAGER_ID, "/import"))
    document = Document(
        file_id="doc-1", file_unique_id="doc-1", file_name="base.csv", file_size=len(data)
    )
    calls = await chat.send(MANAGER_ID, document=document)
    text = joined(calls)
    assert "Новых клиентов: 1" in text
    assert "строка 3" in text
    assert await session.scalar(select(func.count(Client.id))) == 0
    _, button = chat.find_button(MANAGER_ID, "Импортировать")
    assert button.callback_data is not None
    calls = await chat.press_data(MANAGER_ID, button.callback_data)
    assert "Импортировано клиентов: 1" in joined(calls)
    session.expire_all()
    owner = await session.scalar(
        select(Member.telegram_id).join(Client, Client.owner_id == Member.id)
    )
    assert owner == MANAGER_ID
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "import"))
    assert entry is not None
    # A second press of the same button finds nothing pending and writes nothing.
    calls = await chat.press_data(MANAGER_ID, button.callback_data)
    assert "не актуален" in joined(calls)
    assert await session.scalar(select(func.count(Client.id))) == 1
    assert not pending_files(settings)


async def test_head_imports_into_a_managers_base(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    await add_member(session, name="Дмитрий")
    await session.commit()
    data = xlsx_bytes([["Company", "Phone"], ["Acme", "+79120000001"]])
    chat.recorder.files["doc-2"] = data
    await chat.send(HEAD_ID, "/import")
    document = Document(file_id="doc-2", file_unique_id="doc-2", file_name="base.xlsx")
    await chat.send(HEAD_ID, document=document)
    calls = await chat.press(HEAD_ID, "Дмитрий")
    assert "Импорт в базу: Дмитрий" in joined(calls)
    calls = await chat.press(HEAD_ID, "Импортировать")
    assert "Импортировано клиентов: 1" in joined(calls)
    owner = await session.scalar(
        select(Member.telegram_id).join(Client, Client.owner_id == Member.id)
    )
    assert owner == MANAGER_ID
    # The manager learns of the clients that appeared in their base.
    notices = list(await session.scalars(select(Outbox).where(Outbox.kind == "notice")))
    assert [row.chat_id for row in notices] == [MANAGER_ID]
    assert "В вашу базу добавлен 1 клиент (импорт:" in notices[0].payload["text"]


async def test_a_bad_file_gets_a_friendly_answer(chat: Chat, session: AsyncSession) -> None:
    await add_member(session)
    await session.commit()
    chat.recorder.files["doc-3"] = b"=cmd|' /C calc'!A0"
    await chat.send(MANAGER_ID, "/import")
    big = Document(file_id="doc-3", file_unique_id="doc-3", file_name="x.csv", file_size=50 << 20)
    assert "больше 10 МБ" in joined(await chat.send(MANAGER_ID, document=big))
    text = Document(file_id="doc-3", file_unique_id="doc-3", file_name="x.txt")
    assert "не .xlsx" in joined(await chat.send(MANAGER_ID, document=text))
    hostile = Document(file_id="doc-3", file_unique_id="doc-3", file_name="x.csv")
    assert "колонку с названием" in joined(await chat.send(MANAGER_ID, document=hostile))
