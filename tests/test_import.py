"""/import as the QA pass found it: damaged files, companies and people, dates, duplicates,
the preview, a file sent without the command and the manager's notice."""

from __future__ import annotations

import random

import pytest
from aiogram.types import Document
from sqlalchemy.ext.asyncio import AsyncSession

from services import importer
from tests.harness import Chat, joined
from tests.test_reminders import MANAGER_ID, add_member
from tests.test_transfer import csv_bytes, settings

__all__ = ["settings"]  # the fixture keeping pending imports in a temporary folder


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
