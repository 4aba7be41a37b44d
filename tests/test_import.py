"""/import as the QA pass found it: damaged files, companies and people, dates, duplicates,
the preview, a file sent without the command and the manager's notice."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from aiogram.types import Document
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Member, Outbox
from models.clients import Client, Contact, KeyDate
from models.enums import Category, ClientKind, Role
from services import importer
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_reminders import MANAGER_ID, add_client, add_member
from tests.test_transfer import csv_bytes, settings, xlsx_bytes

__all__ = ["settings"]  # the fixture keeping pending imports in a temporary folder

NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
SECOND_MANAGER_ID = 502


def random_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


async def send_file(chat: Chat, user_id: int, data: bytes, filename: str) -> str:
    """Attach `data` as a document named `filename`; the bot's answers as one text."""
    file_id = f"doc-{len(chat.recorder.files)}"
    chat.recorder.files[file_id] = data
    document = Document(
        file_id=file_id, file_unique_id=file_id, file_name=filename, file_size=len(data)
    )
    return joined(await chat.send(user_id, document=document))


@pytest.mark.parametrize("seed", range(20))
def test_binary_junk_named_csv_is_a_damaged_file(seed: int) -> None:
    with pytest.raises(importer.ImportFileError) as caught:
        importer.read_table(random_bytes(3000, seed), "base.csv")
    assert caught.value.code == "bad_file"


@pytest.mark.parametrize(
    ("data", "code", "params"),
    [
        (b"", "empty", {}),
        (b"\n \n;;\n", "empty", {}),
        ("Клиент;Телефон\n".encode(), "only_header", {}),
        ("Клиент;Телефон\n;\n".encode("cp1251"), "only_header", {}),
        # A quote opened on row 3 and never closed swallows the rest of the file into one cell.
        (
            'Клиент;Телефон\nА;1\n"Б;2\n'.encode() + b"x" * 200_000 + b"\n",
            "cell_too_long",
            {"row": 4},
        ),
    ],
    ids=["empty", "blank rows", "header only", "header and an empty row", "open quote"],
)
def test_empty_header_only_and_runaway_cells(
    data: bytes, code: str, params: dict[str, object]
) -> None:
    with pytest.raises(importer.ImportFileError) as caught:
        importer.read_table(data, "base.csv")
    assert (caught.value.code, caught.value.params) == (code, params)


def test_text_with_a_few_control_characters_is_still_a_table() -> None:
    # Excel leaves a stray form feed or vertical tab in copied cells now and then.
    data = csv_bytes(
        [["Клиент", "Заметки"], ["Ромашка", "звонить\x0bпосле обеда"], ["Лютик", "\x0c"]],
        separator=";",
        encoding="utf-8",
    )
    assert [row["name"] for row in importer.read_table(data, "base.csv").rows] == [
        "Ромашка",
        "Лютик",
    ]


async def test_damaged_files_get_the_same_friendly_answer(
    chat: Chat, session: AsyncSession
) -> None:
    await add_member(session)
    await session.commit()
    await chat.send(MANAGER_ID, "/import")
    for data, name in [(random_bytes(3000, 1), "junk.csv"), (random_bytes(3000, 1), "junk.xlsx")]:
        text = await send_file(chat, MANAGER_ID, data, name)
        assert "повреждён или это не таблица" in text
        assert "пошло не так" not in text
    assert "только строка заголовков" in await send_file(
        chat, MANAGER_ID, "Клиент;Телефон\n".encode(), "header.csv"
    )
    assert "Файл пустой" in await send_file(chat, MANAGER_ID, b"", "empty.csv")
    runaway = 'Клиент\n"Ромашка\n'.encode() + b"x" * 200_000
    assert "Строка 3: ячейка длиннее" in await send_file(chat, MANAGER_ID, runaway, "q.csv")


async def imported(session: AsyncSession, rows: list[list[str]]) -> importer.ImportPreview:
    """Preview and apply a CSV into the manager's base, as the confirmation does."""
    manager = await add_member(session)
    await session.commit()
    table = importer.read_table(csv_bytes(rows, separator=";", encoding="utf-8"), "b.csv")
    preview = await importer.preview_import(session, manager, table, manager, now=NOW)
    await importer.apply_import(session, preview, NOW)
    await session.commit()
    return preview


async def clients_by_name(session: AsyncSession) -> dict[str, tuple[ClientKind, list[str]]]:
    """Each client's kind and its contacts' names."""
    found: dict[str, tuple[ClientKind, list[str]]] = {}
    for client in await session.scalars(select(Client).order_by(Client.id)):
        people = await session.scalars(
            select(Contact.full_name).where(Contact.client_id == client.id).order_by(Contact.id)
        )
        found[client.name] = (client.kind, list(people))
    return found


async def birthdays(session: AsyncSession) -> dict[str, str | None]:
    """Client name → the name of the contact its birthday is attached to."""
    rows = await session.execute(
        select(Client.name, Contact.full_name)
        .join(KeyDate, KeyDate.client_id == Client.id)
        .outerjoin(Contact, Contact.id == KeyDate.contact_id)
    )
    return dict(rows.all())


async def test_legal_forms_inn_and_contact_make_a_company(session: AsyncSession) -> None:
    preview = await imported(
        session,
        [
            ["Клиент", "ИНН", "Контактное лицо", "Телефон", "День рождения"],
            ["ООО «Альбатрос»", "", "", "+7 916 111-22-33", "12.05.1975"],
            ["ИП Сидоров Пётр Ильич", "", "", "89161112234", ""],
            ["Acme, Ltd.", "", "", "", ""],
            ["Ромашка", "7707083893", "", "", ""],
            ["Лютик", "", "Сидорова Анна", "+79120000005", "15.03.1980"],
            ["Иванов Иван", "", "", "+79120000006", "01.02.1990"],
            ["Петров Пётр", "", "Петров Пётр", "", ""],
            ["Гарант-ООО", "", "", "", ""],
        ],
    )
    assert await clients_by_name(session) == {
        # The company's number is kept on a row named like it, as /new keeps it: no person.
        "ООО «Альбатрос»": (ClientKind.B2B, ["ООО «Альбатрос»"]),
        "ИП Сидоров Пётр Ильич": (ClientKind.B2B, ["ИП Сидоров Пётр Ильич"]),
        "Acme, Ltd.": (ClientKind.B2B, []),
        "Ромашка": (ClientKind.B2B, []),
        "Лютик": (ClientKind.B2B, ["Сидорова Анна"]),
        "Иванов Иван": (ClientKind.B2C, ["Иванов Иван"]),
        "Петров Пётр": (ClientKind.B2C, ["Петров Пётр"]),
        "Гарант-ООО": (ClientKind.B2B, []),
    }
    assert await birthdays(session) == {"Лютик": "Сидорова Анна", "Иванов Иван": "Иванов Иван"}
    assert [(w.row, w.code, w.value) for w in preview.warnings] == [
        (2, "birthday_no_person", "12.05.1975")
    ]


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("b2b", ClientKind.B2B),
        ("B2C", ClientKind.B2C),
        ("Компания", ClientKind.B2B),
        ("юрлицо", ClientKind.B2B),
        ("Юр. лицо", ClientKind.B2B),
        ("🏢 Компания (B2B)", ClientKind.B2B),
        ("частное лицо", ClientKind.B2C),
        ("Физлицо", ClientKind.B2C),
        ("физ. лицо", ClientKind.B2C),
        ("👤 Частное лицо (B2C)", ClientKind.B2C),
        ("company", ClientKind.B2B),
        ("person", ClientKind.B2C),
    ],
)
async def test_the_type_column_decides(
    session: AsyncSession, typed: str, kind: ClientKind
) -> None:
    # The name says the opposite of the column each time: the column wins.
    name = "Иванов Иван" if kind is ClientKind.B2B else "ООО Иванов"
    await imported(session, [["Тип", "Клиент", "Телефон"], [typed, name, "+79120000001"]])
    stored = "Иванов Иван" if kind is ClientKind.B2B else "ООО «Иванов»"
    assert (await clients_by_name(session))[stored][0] is kind


async def test_a_company_birthday_goes_to_its_person(chat: Chat, session: AsyncSession) -> None:
    await add_member(session)
    await session.commit()
    await chat.send(MANAGER_ID, "/import")
    data = csv_bytes(
        [
            ["Клиент", "Тип", "ФИО", "Должность", "Телефон", "День рождения"],
            ["ООО «Альбатрос»", "компания", "Орлова Мария", "директор", "+79161112233", "12.05"],
            ["ООО «Вектор»", "компания", "", "", "+79161112234", "01.03"],
        ],
        separator=";",
        encoding="utf-8",
    )
    text = await send_file(chat, MANAGER_ID, data, "base.csv")
    assert "строка 3: день рождения «01.03» не записан" in text
    await chat.press(MANAGER_ID, "Импортировать")
    session.expire_all()
    assert await clients_by_name(session) == {
        "ООО «Альбатрос»": (ClientKind.B2B, ["Орлова Мария"]),
        "ООО «Вектор»": (ClientKind.B2B, ["ООО «Вектор»"]),
    }
    assert await birthdays(session) == {"ООО «Альбатрос»": "Орлова Мария"}
    card = joined(await chat.send(MANAGER_ID, "/find Альбатрос"))
    assert "Частное лицо" not in card
    assert "Орлова Мария" in card


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1980-05-12", (12, 5, 1980)),
        ("1980-05-12 00:00:00", (12, 5, 1980)),
        ("12.05.1980", (12, 5, 1980)),
        ("12.05.1980 г.", (12, 5, 1980)),
        ("12/05/1980", (12, 5, 1980)),
        ("12-05-80", (12, 5, 1980)),
        ("12 мая 1980", (12, 5, 1980)),
        ("12 мая 1980 года", (12, 5, 1980)),
        ("12 мая", (12, 5, None)),
        ("1 марта", (1, 3, None)),
        ("29.02", (29, 2, None)),
    ],
)
async def test_iso_and_russian_birthdays_are_read(
    session: AsyncSession, typed: str, stored: tuple[int, int, int | None]
) -> None:
    preview = await imported(session, [["Клиент", "День рождения"], ["Иванов Иван", typed]])
    assert preview.warnings == []
    key_date = await session.scalar(select(KeyDate))
    assert key_date is not None
    assert (key_date.day, key_date.month, key_date.year) == stored


async def test_a_bad_or_future_birthday_keeps_the_client(
    chat: Chat, session: AsyncSession
) -> None:
    await add_member(session)
    await session.commit()
    await chat.send(MANAGER_ID, "/import")
    data = csv_bytes(
        [
            ["Клиент", "Телефон", "День рождения"],
            ["Плохая дата", "+79990000012", "31.02.1980"],
            ["Плохая дата 2", "+79990000013", "1980-13-01"],
            ["Будущая дата", "+79990000014", "01.01.2030"],
            ["Непонятная", "+79990000015", "весной"],
            ["Сегодняшняя", "+79990000016", "18.11.2026"],
        ],
        separator=";",
        encoding="utf-8",
    )
    text = await send_file(chat, MANAGER_ID, data, "base.csv")
    assert "Новых клиентов: 5" in text
    assert "Строк с ошибками (пропустим): 0" in text
    assert "строка 2: такой даты рождения не бывает: «31.02.1980»" in text
    assert "строка 3: такой даты рождения не бывает: «1980-13-01»" in text
    assert "строка 4: дата рождения «01.01.2030» ещё не наступила" in text
    assert "строка 5: не понял дату рождения «весной»" in text
    assert "строка 6" not in text
    await chat.press(MANAGER_ID, "Импортировать")
    session.expire_all()
    assert await birthdays(session) == {"Сегодняшняя": "Сегодняшняя"}
    assert len(await clients_by_name(session)) == 5


async def test_an_unknown_category_or_type_is_a_remark(chat: Chat, session: AsyncSession) -> None:
    await add_member(session)
    await session.commit()
    await chat.send(MANAGER_ID, "/import")
    data = csv_bytes(
        [
            ["Клиент", "Категория", "Тип"],
            ["ООО «Альбатрос»", "Ключевой", ""],
            ["ИП Сидоров", "Постоянный", ""],
            ["ООО Вектор", "VIP", "что-то"],
            ["Бета", "неизвестная", ""],
        ],
        separator=";",
        encoding="utf-8",
    )
    text = await send_file(chat, MANAGER_ID, data, "base.csv")
    assert "Новых клиентов: 4" in text
    assert "строка 5: категории «неизвестная» нет — клиент войдёт как «Новый»" in text
    assert "строка 4: не понял тип «что-то»" in text
    assert "строка 2" not in text
    assert "строка 3" not in text
    await chat.press(MANAGER_ID, "Импортировать")
    session.expire_all()
    categories = dict((await session.execute(select(Client.name, Client.category))).all())
    assert categories == {
        "ООО «Альбатрос»": Category.KEY,
        "ИП Сидоров": Category.REGULAR,
        "ООО «Вектор»": Category.VIP,
        "Бета": Category.NEW,
    }
    kind = await session.scalar(select(Client.kind).where(Client.name == "ООО «Вектор»"))
    assert kind is ClientKind.B2B


DUPLICATES = [
    ["Клиент", "Телефон", "Email"],
    ["Ромашка", "+7 910 462-04-00", ""],  # 2: the manager's client's phone
    ['ООО "Лютик"', "", ""],  # 3: the colleague's client's name
    ["Новый Клиент", "+7 999 000-00-01", "a@b.ru"],  # 4: new
    ["Новый Клиент", "+7 999 000-00-01", "a@b.ru"],  # 5: repeats row 4
    ["Новый клиент 2", "8 999 000-00-01", ""],  # 6: repeats row 4's phone
    ["Третий", "", "A@B.RU"],  # 7: repeats row 4's e-mail
]


async def test_duplicates_name_the_row_or_the_client(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    manager = await add_member(session)
    colleague = await add_member(session, telegram_id=SECOND_MANAGER_ID, name="Анна")
    await add_client(session, manager, "Ромашка опт", "Europe/Moscow", phone="+79104620400")
    await add_client(session, colleague, "Лютик", "Europe/Moscow", phone="+79135550143")
    await session.commit()
    data = csv_bytes(DUPLICATES, separator=";", encoding="utf-8")

    await chat.send(MANAGER_ID, "/import")
    text = await send_file(chat, MANAGER_ID, data, "dups.csv")
    assert "Новых клиентов: 1" in text
    assert "строка 2: уже есть клиент «Ромашка опт»: тот же телефон +7 910 462-04-00" in text
    # A colleague's client stays unnamed for a manager: only whose it is.
    # The name as it will be stored: its quotes made whole, nested in the remark's own.
    assert "строка 3: уже есть в базе у коллеги (Анна): то же название «ООО „Лютик“»" in text
    assert "«Лютик»" not in text
    assert "строка 5: повтор строки 4: тот же телефон +7 999 000-00-01" in text
    assert "строка 6: повтор строки 4: тот же телефон +7 999 000-00-01" in text
    assert "строка 7: повтор строки 4: тот же e-mail a@b.ru" in text

    await chat.send(HEAD_ID, "/import")
    text = await send_file(chat, HEAD_ID, data, "dups.csv")
    assert "строка 2: уже есть клиент «Ромашка опт» (база: Дмитрий): тот же телефон" in text
    assert "строка 3: уже есть клиент «Лютик» (база: Анна): то же название" in text


async def test_preview_names_new_clients_and_counts_what_it_cuts(
    chat: Chat, session: AsyncSession
) -> None:
    await add_member(session)
    await session.commit()
    rows = [["Клиент", "Телефон"]]
    rows += [[f"Фирма {n}", f"+7912000000{n}"] for n in range(1, 8)]
    # Rows without a name are left out; a bad phone no longer loses the client (see below).
    rows += [["", f"+7913{n:07d}"] for n in range(60)]
    await chat.send(MANAGER_ID, "/import")
    text = await send_file(
        chat, MANAGER_ID, csv_bytes(rows, separator=";", encoding="utf-8"), "b.csv"
    )
    assert "Новые: Фирма 1, Фирма 2, Фирма 3, Фирма 4, Фирма 5 и ещё 2" in text
    assert text.count("нет названия клиента") == 20
    assert "…и ещё 40" in text
    assert "Импортировать клиентов: 7" in " ".join(chat.buttons(MANAGER_ID))


async def test_a_name_without_a_letter_or_digit_is_a_row_left_out(
    chat: Chat, session: AsyncSession
) -> None:
    await add_member(session)
    await session.commit()
    rows = [["Клиент", "Телефон"], ["Фирма 1", "+79120000001"], ["---", "+79120000002"]]
    await chat.send(MANAGER_ID, "/import")
    text = await send_file(
        chat, MANAGER_ID, csv_bytes(rows, separator=";", encoding="utf-8"), "b.csv"
    )
    assert "строка 3: в названии клиента «---» нет ни буквы, ни цифры" in text
    assert "Импортировать клиентов: 1" in " ".join(chat.buttons(MANAGER_ID))


async def test_nothing_new_offers_no_import(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    manager = await add_member(session)
    await add_client(session, manager, "Ромашка", "Europe/Moscow", phone="+79104620400")
    await session.commit()
    rows = [["Клиент", "Телефон"], ["Ромашка", "+79104620400"], ["", "+79120000009"]]
    await chat.send(HEAD_ID, "/import")
    text = await send_file(
        chat, HEAD_ID, csv_bytes(rows, separator=";", encoding="utf-8"), "b.csv"
    )
    assert "Нового для импорта нет" in text
    assert chat.buttons(HEAD_ID) == ["Отмена"]
    assert "Импортировано" not in joined(await chat.press(HEAD_ID, "Отмена"))


async def test_a_table_sent_without_import_starts_one(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    await add_member(session)
    await session.commit()
    data = csv_bytes(
        [["Клиент", "Телефон"], ["Ромашка", "+79120000001"]], separator=";", encoding="utf-8"
    )
    text = await send_file(chat, MANAGER_ID, data, "base.csv")
    assert "Не к чему прикрепить" not in text
    assert "Импорт в базу: Дмитрий" in text
    await chat.press(MANAGER_ID, "Импортировать")
    session.expire_all()
    assert await session.scalar(select(Client.name)) == "Ромашка"
    # Imported into their own base: nobody needs telling.
    assert await session.scalar(select(Outbox.id).where(Outbox.kind == "notice")) is None
    # A head still picks whose base.
    data = csv_bytes([["Клиент"], ["Лютик"]], separator=";", encoding="utf-8")
    assert "Импорт в базу:" in await send_file(chat, HEAD_ID, data, "base.xlsx.csv")
    assert "В базу: Дмитрий" in " ".join(chat.buttons(HEAD_ID))
    # Any other file still goes to the touch log.
    assert "Не к чему прикрепить" in await send_file(chat, MANAGER_ID, b"%PDF", "offer.pdf")


async def test_a_bad_phone_or_email_is_a_remark_not_a_lost_client(
    chat: Chat, session: AsyncSession
) -> None:
    await add_member(session)
    await session.commit()
    data = csv_bytes(
        [
            ["Клиент", "Контакт", "Телефон", "Email", "ИНН", "Окно", "Дни звонков"],
            ["ООО «Альфа»", "Орлова Мария", "+79161112233", "m@alfa.ru", "", "", ""],
            ["ООО «Бета»", "Сидоров Пётр", "+79161112234", "", "", "", "пн, ср"],
            ["ООО «Гамма»", "", "", "", "1234567890", "", ""],
            ["ООО «Дельта»", "", "", "", "", "с утра", ""],
            ["Иванов Иван", "", "+79161112235", "", "", "", "по будням"],
            ["ООО «Вектор»", "Кузнецов Олег", "12345", "oleg@", "", "", ""],
        ],
        separator=";",
        encoding="utf-8",
    )
    await chat.send(MANAGER_ID, "/import")
    text = await send_file(chat, MANAGER_ID, data, "base.csv")
    assert "Новых клиентов: 6" in text
    assert "Строк с ошибками (пропустим): 0" in text
    assert "строка 7: телефон «12345» не похож на номер — клиент войдёт без него" in text
    assert "строка 7: e-mail «oleg@» не похож на адрес — клиент войдёт без него" in text
    assert "строка 4: ИНН «1234567890» не проходит проверку — клиент войдёт без него" in text
    assert "строка 5: не понял окно звонков «с утра» — клиент войдёт с окном 10:00–18:00" in text
    assert "строка 6: не понял дни звонков «по будням» — клиент войдёт с пн–пт" in text
    await chat.press(MANAGER_ID, "Импортировать")
    session.expire_all()
    vector = await session.scalar(select(Client).where(Client.name == "ООО «Вектор»"))
    assert vector is not None
    person = await session.scalar(select(Contact).where(Contact.client_id == vector.id))
    assert person is not None
    assert (person.full_name, person.phone, person.email) == ("Кузнецов Олег", None, None)
    assert await session.scalar(select(Client.inn).where(Client.name == "ООО «Гамма»")) is None
    days = dict((await session.execute(select(Client.name, Client.window_days))).all())
    assert (days["ООО «Бета»"], days["Иванов Иван"]) == ("02", "01234")


def test_blank_rows_neither_cut_clients_nor_shift_row_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    rows: list[list[object]] = [["Клиент"], ["Ромашка"], [], [], ["Лютик"], [], ["Василёк"]]
    table = importer.read_table(xlsx_bytes(rows), "base.xlsx")
    # Row numbers are the spreadsheet's own, so a remark points at the row the member sees.
    assert [(n, row["name"]) for n, row in zip(table.numbers, table.rows, strict=True)] == [
        (2, "Ромашка"),
        (5, "Лютик"),
        (7, "Василёк"),
    ]
    with pytest.raises(importer.ImportFileError) as caught:
        importer.read_table(xlsx_bytes([*rows, [], ["Мак"]]), "base.xlsx")
    assert caught.value.code == "too_many_rows"


async def test_names_come_in_with_their_quotes_made_whole_as_new_makes_them(
    chat: Chat, session: AsyncSession
) -> None:
    await chat.send(HEAD_ID, "/start")
    manager = await add_member(session)
    await add_client(session, manager, "ООО «Гамма»", "Europe/Moscow")
    await session.commit()
    rows = [
        ["Клиент"],
        ['ООО "Вектор"'],  # 2
        ["«ООО «Альфа»»"],  # 3: quoted as a whole
        ["ООО «Бета»»"],  # 4: a stray closing quote
        ["ООО «Дельта"],  # 5: a missing one
        ["ООО «Вектор»»"],  # 6: row 2 in other quotes
        ['ООО ""Гамма""'],  # 7: the base's client in other quotes
    ]
    await chat.send(MANAGER_ID, "/import")
    text = await send_file(
        chat, MANAGER_ID, csv_bytes(rows, separator=";", encoding="utf-8"), "q.csv"
    )
    assert "строка 6: повтор строки 2: то же название «ООО „Вектор“»" in text
    assert "строка 7: уже есть клиент «ООО „Гамма“»: то же название «ООО „Гамма“»" in text
    await chat.press(MANAGER_ID, "Импортировать")
    session.expire_all()
    stored = set(await session.scalars(select(Client.name)))
    assert stored == {"ООО «Гамма»", "ООО «Вектор»", "ООО «Альфа»", "ООО «Бета»", "ООО «Дельта»"}


def _member(name: str, number: int) -> Member:
    return Member(id=number, telegram_id=number, full_name=name, role=Role.MANAGER)


TEAM = [
    _member("Дмитрий Орлов", 1),
    _member("Анна Кузнецова", 2),
    _member("Анна Смирнова", 3),
    _member("Иван Петренко", 4),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # A first name, a surname, a start, an everyday form, an initial, a typo, Latin.
        ("Дмитрий", ["Дмитрий Орлов"]),
        ("Орлов", ["Дмитрий Орлов"]),
        ("Дмит", ["Дмитрий Орлов"]),
        ("Дима", ["Дмитрий Орлов"]),
        ("Орлов Д.", ["Дмитрий Орлов"]),
        ("орлов дмитрий", ["Дмитрий Орлов"]),
        ("Дмитрий Орлв", ["Дмитрий Орлов"]),
        ("Dmitry Orlov", ["Дмитрий Орлов"]),
        ("Кузнецова", ["Анна Кузнецова"]),
        ("Анна", ["Анна Кузнецова", "Анна Смирнова"]),
        ("Анна К.", ["Анна Кузнецова"]),
        # Somebody else: another surname, a wrong initial, more words than the name has.
        ("Иван Петров", []),
        ("Петров", []),
        ("Орлов С.", []),
        ("Дмитрий Орлов Сергеевич", []),
        ("Дм", []),
        ("", []),
    ],
)
def test_owner_names_fit_one_member_or_say_whom(typed: str, expected: list[str]) -> None:
    assert [member.full_name for member in importer.owner_matches(typed, TEAM)] == expected


OWNERS = [
    ["Клиент", "Ответственный"],
    ["Ромашка", "Дмитрий"],  # 2
    ["Лютик", "Анна"],  # 3: two Анны on the team
    ["Василёк", "Дмитрий"],  # 4
    ["Вектор", "Орлов Д."],  # 5
    ["Гранит", "Пётр Сидоров"],  # 6: nobody
    ["Рассвет", "Анна Кузнецова"],  # 7: exactly
]


async def test_a_head_import_takes_an_owner_named_in_part_and_asks_about_the_rest(
    chat: Chat, session: AsyncSession
) -> None:
    await chat.send(HEAD_ID, "/start")
    dmitry = await add_member(session, name="Дмитрий Орлов")
    anna = await add_member(session, telegram_id=SECOND_MANAGER_ID, name="Анна Кузнецова")
    await add_member(session, telegram_id=503, name="Анна Смирнова")
    await session.commit()
    dmitry_id, anna_id = dmitry.id, anna.id
    await chat.send(HEAD_ID, "/import")
    text = await send_file(
        chat, HEAD_ID, csv_bytes(OWNERS, separator=";", encoding="utf-8"), "owners.csv"
    )
    assert "строка 2 и ещё 1: «Дмитрий» — это Дмитрий Орлов" in text
    assert "строка 5: «Орлов Д.» — это Дмитрий Орлов" in text
    assert (
        "строка 3: «Анна» — в команде несколько: Анна Кузнецова, Анна Смирнова; "
        "1 клиент войдёт в базу: " in text
    )
    assert "ответственного «Пётр Сидоров» нет в команде" in text
    assert "«Анна Кузнецова» —" not in text  # named exactly: nothing to say
    await chat.press(HEAD_ID, "Импортировать")
    session.expire_all()
    owned = dict((await session.execute(select(Client.name, Client.owner_id))).all())
    head = await session.scalar(select(Member.id).where(Member.telegram_id == HEAD_ID))
    assert owned == {
        "Ромашка": dmitry_id,
        "Василёк": dmitry_id,
        "Вектор": dmitry_id,
        "Лютик": head,
        "Гранит": head,
        "Рассвет": anna_id,
    }
