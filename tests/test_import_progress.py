"""A big /import says what it is doing: «⏳ Читаю файл…» while a big file is read, and after
«Импортировать» the press is answered at once and the message shows the step the import is
on until the result replaces it. A small import answers as before, in one message."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers import transfer
from models import AuditEntry, Outbox, Touch
from models.clients import Client, Contact
from services import importer
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_import import send_file
from tests.test_import_history import arrange, history_csv, history_of
from tests.test_reminders import MANAGER_ID, add_member
from tests.test_transfer import csv_bytes, pending_files, settings

__all__ = ["settings"]  # the fixture keeping pending imports in a temporary folder

CLIENTS = 2500


def big_csv(count: int) -> bytes:
    rows = [["Клиент", "Контакт", "Телефон", "Email", "Город", "Заметки"]]
    rows += [
        [
            f"ООО «Фирма номер {n}»",
            f"Контакт {n}",
            f"+7912{n:07d}",
            f"client{n}@firm.ru",
            "Казань",
            "Пришёл с выставки, просил перезвонить после праздников",
        ]
        for n in range(count)
    ]
    return csv_bytes(rows, separator=";", encoding="utf-8")


def _texts(calls: list[Any]) -> list[str]:
    return [call.text for call in calls if isinstance(call, SendMessage | EditMessageText)]


async def test_a_big_import_shows_its_steps(chat: Chat, session: AsyncSession) -> None:
    await add_member(session)
    await session.commit()
    data = big_csv(CLIENTS)
    assert len(data) >= transfer.LONG_FILE_BYTES
    await chat.send(MANAGER_ID, "/import")
    start = len(chat.recorder.requests)
    await send_file(chat, MANAGER_ID, data, "base.csv")
    calls = chat.recorder.requests[start:]
    # At once a word that the file is being read; the preview then takes its place.
    assert isinstance(calls[0], SendMessage)
    assert calls[0].text == "⏳ Читаю файл…"
    edits = [call for call in calls if isinstance(call, EditMessageText)]
    assert len(edits) == 1
    assert edits[0].message_id is not None
    assert "Новых клиентов: 2500" in edits[0].text
    assert edits[0].reply_markup is not None
    calls = await chat.press(MANAGER_ID, "Импортировать")
    # The press is answered first, the buttons go with the first step.
    assert isinstance(calls[0], AnswerCallbackQuery)
    steps = _texts(calls)
    assert steps[:3] == [
        "⏳ Импортирую клиентов: 2\xa0500. Большой файл — это может занять минуту, сообщение "
        f"обновится само.\nШаг {number} из 3: {step}"
        for number, step in (
            (1, "проверяю файл ещё раз по базе…"),
            (2, "записываю в базу…"),
            (3, "планирую касания…"),
        )
    ]
    assert all(call.reply_markup is None for call in calls[1:4])
    assert "✅ Импортировано клиентов: 2500" in steps[-1]
    assert len(steps) == 4
    assert await session.scalar(select(func.count(Client.id))) == CLIENTS
    assert await session.scalar(select(func.count(Contact.id))) == CLIENTS


async def test_a_refused_progress_edit_costs_nothing(
    chat: Chat, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer, "LONG_IMPORT_ROWS", 2)
    await add_member(session)
    await session.commit()
    await chat.send(MANAGER_ID, "/import")
    await send_file(chat, MANAGER_ID, big_csv(3), "base.csv")

    def refuse(method: Any, _result: Any) -> None:
        if isinstance(method, EditMessageText) and "Шаг 2 из 3" in method.text:
            raise TelegramBadRequest(method=method, message="Bad Request: message can't be edited")

    chat.recorder.on_request = refuse
    calls = await chat.press(MANAGER_ID, "Импортировать")
    chat.recorder.on_request = None
    assert "✅ Импортировано клиентов: 3" in joined(calls)
    assert await session.scalar(select(func.count(Client.id))) == 3


async def _fail_while_planning(*_args: Any, **_kwargs: Any) -> None:
    """The import's last write step, after the clients, contacts and first touches are in."""
    raise RuntimeError("the database went away")


async def nothing_stored(session: AsyncSession) -> None:
    for model in (Client, Contact, Touch, AuditEntry, Outbox):
        assert await session.scalar(select(func.count()).select_from(model)) == 0, model


async def test_a_big_import_that_fails_says_so_and_stores_nothing(
    chat: Chat, session: AsyncSession, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setattr(transfer, "LONG_IMPORT_ROWS", 2)
    await add_member(session)
    await session.commit()
    await chat.send(MANAGER_ID, "/import")
    await send_file(chat, MANAGER_ID, big_csv(5), "base.csv")
    monkeypatch.setattr(importer.planner, "plan_all", _fail_while_planning)
    sent, button = chat.find_button(MANAGER_ID, "Импортировать")
    assert button.callback_data is not None
    steps = _texts(await chat.press_data(MANAGER_ID, button.callback_data, on=sent))
    # The steps ran, then the progress message itself says the import failed: no message is
    # left claiming work in progress (the press was answered already, so no alert shows).
    assert "Шаг 3 из 3" in steps[-2]
    assert steps[-1] == (
        "❌ Импорт не выполнен — ничего не записано. Попробуйте ещё раз: /import — а если "
        "повторится, напишите руководителю."
    )
    await nothing_stored(session)
    assert not pending_files(settings)
    # The pending import is gone with it: a fresh /import starts over and works.
    again = await chat.press_data(MANAGER_ID, button.callback_data, on=sent)
    assert "уже не актуален" in joined(again)
    monkeypatch.undo()
    monkeypatch.setattr(transfer, "LONG_IMPORT_ROWS", 2)
    await chat.send(MANAGER_ID, "/import")
    await send_file(chat, MANAGER_ID, big_csv(5), "base.csv")
    assert "✅ Импортировано клиентов: 5" in joined(await chat.press(MANAGER_ID, "Импортировать"))


async def test_a_small_import_that_fails_says_so_in_place_of_the_preview(
    chat: Chat, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_member(session)
    await session.commit()
    await chat.send(MANAGER_ID, "/settings")
    await chat.press(MANAGER_ID, "Язык")
    await chat.press(MANAGER_ID, "English")
    await chat.send(MANAGER_ID, "/import")
    await send_file(chat, MANAGER_ID, big_csv(3), "base.csv")
    monkeypatch.setattr(importer.planner, "plan_all", _fail_while_planning)
    calls = await chat.press(MANAGER_ID, "Import")
    assert _texts(calls) == [
        "❌ The import failed — nothing was written. Try again: /import — and if it happens "
        "again, tell your head of sales."
    ]
    [edit] = [call for call in calls if isinstance(call, EditMessageText)]
    assert edit.reply_markup is None
    await nothing_stored(session)


async def test_a_small_import_answers_in_one_message(chat: Chat, session: AsyncSession) -> None:
    await add_member(session)
    await session.commit()
    await chat.send(MANAGER_ID, "/import")
    answer = await send_file(chat, MANAGER_ID, big_csv(3), "base.csv")
    assert "⏳" not in answer
    calls = await chat.press(MANAGER_ID, "Импортировать")
    texts = _texts(calls)
    assert len(texts) == 1
    assert texts[0].startswith("✅ Импортировано клиентов: 3")


async def test_a_long_history_import_counts_its_contacts(
    chat: Chat, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer, "LONG_IMPORT_ROWS", 2)
    clients = await arrange(chat, session)
    await chat.send(HEAD_ID, "/import")
    data = history_csv(
        ["03.11.2026 11:15", "Ромашка", "предложить новый прайс", "не дозвонился", "", "", ""],
        ["12.11.2026", "Лютик", "поздравить с юбилеем", "поздравил", "", "", ""],
    )
    await send_file(chat, HEAD_ID, data, "история.csv")
    steps = _texts(await chat.press(HEAD_ID, "Импортировать касания"))
    assert [text.split("\n") for text in steps[:3]] == [
        [
            "⏳ Импортирую касания: 2. Большой файл — это может занять минуту, сообщение "
            "обновится само.",
            step,
        ]
        for step in (
            "Шаг 1 из 3: проверяю файл ещё раз по базе…",
            "Шаг 2 из 3: записываю в базу…",
            "Шаг 3 из 3: планирую касания…",
        )
    ]
    assert steps[3] == "✅ В историю добавлено касаний: 2, клиентов: 2."
    session.expire_all()
    assert await history_of(session, clients["Ромашка"])
