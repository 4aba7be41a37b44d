"""/import of a contact history: a sheet of «Дата», «Клиент», «Цель», «Результат», «Менеджер»
made in Excel or another CRM comes in as logged contacts — the card's «Последние касания»,
/stats and the planner's rhythm follow; bad rows are remarks; importing again adds nothing."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Client, Interaction, Member, Touch
from models.enums import Channel, Direction, Outcome, TouchReason, TouchStatus
from services import import_history, planner
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_import import SECOND_MANAGER_ID, send_file
from tests.test_reminders import MANAGER_ID, add_client, add_member
from tests.test_transfer import csv_bytes, settings

__all__ = ["settings"]  # the fixture keeping pending imports in a temporary folder

NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
MOSCOW = ZoneInfo("Europe/Moscow")
HEADER = ["Дата", "Клиент", "Цель", "Результат", "Менеджер", "Канал", "Контакт"]


def moscow(*parts: int) -> datetime:
    """A Moscow wall-clock time as the base stores it (UTC)."""
    return datetime(*parts, tzinfo=MOSCOW).astimezone(UTC)


def wall(*parts: int) -> datetime:
    """A wall-clock time as an Excel cell holds it: no time zone."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)


def history_csv(*rows: list[str], header: list[str] = HEADER) -> bytes:
    """A history as Excel saves it to CSV."""
    return csv_bytes([header, *rows], separator=";", encoding="utf-8")


async def arrange(chat: Chat, session: AsyncSession) -> dict[str, int]:
    """Ольга heads the team; Дмитрий owns Ромашка and Лютик, Сергей owns Василёк; the planner
    has given each its next touch, as in a running bot."""
    chat.user(HEAD_ID, "Ольга")
    await chat.send(HEAD_ID, "/start")
    dmitry = await add_member(session, name="Дмитрий")
    sergey = await add_member(session, telegram_id=SECOND_MANAGER_ID, name="Сергей")
    clients = {
        "Ромашка": await add_client(session, dmitry, "ООО «Ромашка»", "Europe/Moscow"),
        "Лютик": await add_client(
            session, dmitry, "Лютик", "Europe/Moscow", contact="Лютикова Анна"
        ),
        "Василёк": await add_client(session, sergey, "Василёк", "Europe/Moscow"),
    }
    await planner.plan_all(session, NOW)
    await session.commit()
    return {name: client.id for name, client in clients.items()}


async def history_of(session: AsyncSession, client_id: int) -> list[tuple[object, ...]]:
    """The client's interactions, oldest first: when, who, channel, outcome, goal, result."""
    rows = await session.execute(
        select(
            Interaction.happened_at,
            Member.full_name,
            Interaction.channel,
            Interaction.outcome,
            Interaction.goal,
            Interaction.result,
        )
        .join(Member, Member.id == Interaction.member_id)
        .where(Interaction.client_id == client_id)
        .order_by(Interaction.happened_at)
    )
    return [(at.replace(tzinfo=UTC) if at.tzinfo is None else at, *rest) for at, *rest in rows]


async def open_next(session: AsyncSession, client_id: int) -> list[tuple[object, ...]]:
    """The client's open next touches: reason, due date, goal."""
    rows = await session.execute(
        select(Touch.reason, Touch.due_on, Touch.goal).where(
            Touch.client_id == client_id,
            Touch.reason.in_(planner.NEXT_TOUCH_REASONS),
            Touch.status.in_((TouchStatus.PLANNED, TouchStatus.SNOOZED)),
        )
    )
    return [tuple(row) for row in rows]


async def test_a_sheet_from_excel_becomes_the_clients_history(
    chat: Chat, session: AsyncSession
) -> None:
    clients = await arrange(chat, session)
    # Without history the planner knew only when the clients were created: due today.
    assert [row[:2] for row in await open_next(session, clients["Ромашка"])] == [
        (TouchReason.CADENCE, date(2026, 11, 18))
    ]
    await chat.send(HEAD_ID, "/import")
    data = history_csv(
        ["03.11.2026 11:15", "Ромашка", "предложить новый прайс", "не дозвонился", "Дмитрий",
         "звонок", ""],
        ["10.11.2026 15:00", "ООО «Ромашка»", "предложить новый прайс",
         "прайс получили, думают", "Дмитрий", "Встреча", "Петров Иван Сергеевич"],
        ["12.11.2026", "Лютик", "поздравить с юбилеем", "поздравил, передал привет директору",
         "", "WhatsApp", ""],
    )  # fmt: skip
    text = await send_file(chat, HEAD_ID, data, "история.csv")
    assert text.startswith("<b>Импорт истории касаний</b>\nНовых касаний в истории: 3\n")
    assert "Касания войдут в историю клиентов: 2" in text
    assert "Новых клиентов" not in text
    assert "Замечания" not in text
    assert chat.buttons(HEAD_ID) == ["✅ Импортировать касания: 3", "Отмена"]

    text = joined(await chat.press(HEAD_ID, "Импортировать касания"))
    assert text == "✅ В историю добавлено касаний: 3, клиентов: 2."
    session.expire_all()
    assert await history_of(session, clients["Ромашка"]) == [
        (moscow(2026, 11, 3, 11, 15), "Дмитрий", Channel.CALL, Outcome.NO_CONTACT,
         "предложить новый прайс", "не дозвонился"),
        (moscow(2026, 11, 10, 15, 0), "Дмитрий", Channel.MEETING, Outcome.PARTIAL,
         "предложить новый прайс", "прайс получили, думают"),
    ]  # fmt: skip
    # A day without a time is taken at noon; nobody named: the client's owner made it.
    assert await history_of(session, clients["Лютик"]) == [
        (moscow(2026, 11, 12, 12, 0), "Дмитрий", Channel.WHATSAPP, Outcome.ACHIEVED,
         "поздравить с юбилеем", "поздравил, передал привет директору"),
    ]  # fmt: skip
    met = await session.scalar(select(Interaction).where(Interaction.channel == Channel.MEETING))
    assert met is not None
    assert met.contact_id is not None
    assert met.direction is Direction.OUTGOING

    # The card's last contacts, the manager's numbers and the plan all follow.
    card = joined(await chat.send(MANAGER_ID, "/find Ромашка"))
    assert re.search(
        r"Последние касания</b>\n• 10 нояб\., встреча: предложить новый прайс → прайс получили",
        card,
    )
    assert "Частота контактов: редко (2 касания)" in card
    assert "⏭ Следующее касание: пн, 11 января" in card
    stats = joined(await chat.send(HEAD_ID, "/stats Дмитрий ноябрь"))
    assert re.search(r"Касаний всего +3\n", stats)
    # A regular client's next touch is 60 days after its last contact, on a working day after
    # the New Year holidays — not today, as it was before its history was known.
    for name in ("Ромашка", "Лютик"):
        assert [row[:2] for row in await open_next(session, clients[name])] == [
            (TouchReason.CADENCE, date(2027, 1, 11))
        ]


async def test_bad_rows_are_remarks_and_the_rest_comes_in(
    chat: Chat, session: AsyncSession
) -> None:
    clients = await arrange(chat, session)
    await chat.send(HEAD_ID, "/import")
    data = history_csv(
        ["31.02.2026", "Ромашка", "цель", "результат", "", "", ""],
        ["20.12.2026", "Ромашка", "цель", "результат", "", "", ""],
        ["05.11.2026", "Ромашка", "", "результат", "", "", ""],
        ["05.11.2026", "Ромашка", "цель", "", "", "", ""],
        ["05.11.2026", "Рога и копыта", "цель", "результат", "", "", ""],
        ["", "Ромашка", "цель", "результат", "", "", ""],
        ["05.11", "Ромашка", "цель", "результат", "", "", ""],
        ["06.11.2026", "Ромашка", "обсудить счёт", "оплатят в пятницу", "", "Голубиная почта", ""],
        ["06.11.2026", "ромашка", "Обсудить счёт", "оплатят в  пятницу", "", "", ""],
        ["07.11.2026", "Ромашка", "уточнить адрес", "адрес тот же", "Пётр Первый", "", "Сидоров"],
        ["07.11.2026", "", "цель", "результат", "", "", ""],
    )  # fmt: skip
    text = await send_file(chat, HEAD_ID, data, "история.csv")
    assert "Новых касаний в истории: 2\nСтрок истории с ошибками (пропустим): 9\n" in text
    assert "Замечаний (строки всё равно войдут): 2" in text
    assert (
        "<b>Строки, которые не войдут:</b>\n"
        "строка 2: не понял дату «31.02.2026» — касание пропущено\n"
        "строка 3: дата «20.12.2026» ещё не наступила — касание пропущено\n"
        "строка 4: нет цели — касание пропущено: у каждого касания есть цель и результат\n"
        "строка 5: нет результата — касание пропущено: у каждого касания есть цель и результат\n"
        "строка 6: клиента «Рога и копыта» нет в базе — касание пропущено\n"
        "строка 7: нет даты — касание пропущено\n"
        "строка 8: в дате «05.11» нет года — касание пропущено\n"
        "строка 10: повтор строки 9 — касание пропущено\n"
        "строка 12: не указан клиент — касание пропущено\n"
        "\n<b>Замечания (касания войдут):</b>\n"
        "строка 9: не понял канал «Голубиная почта» — касание войдёт как «Другое»\n"
        "строка 11: контакта «Сидоров» у клиента нет — касание войдёт без контакта"
    ) in text
    assert (
        "• менеджера «Пётр Первый» нет в команде — 1 касание запишем на ответственного за клиента"
        in text
    )
    assert "Импортировать касания: 2" in chat.buttons(HEAD_ID)[0]
    await chat.press(HEAD_ID, "Импортировать касания")
    session.expire_all()
    assert [row[1:] for row in await history_of(session, clients["Ромашка"])] == [
        ("Дмитрий", Channel.OTHER, Outcome.PARTIAL, "обсудить счёт", "оплатят в пятницу"),
        ("Дмитрий", Channel.CALL, Outcome.ACHIEVED, "уточнить адрес", "адрес тот же"),
    ]


async def test_importing_the_same_history_again_adds_nothing(
    chat: Chat, session: AsyncSession
) -> None:
    clients = await arrange(chat, session)
    dmitry = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
    assert dmitry is not None
    # A call logged through the bot that the sheet lists too, by its day alone.
    session.add(
        Interaction(
            client_id=clients["Лютик"],
            member_id=dmitry.id,
            channel=Channel.CALL,
            direction=Direction.OUTGOING,
            goal="Согласовать поставку",
            result="Поставка в четверг",
            outcome=Outcome.ACHIEVED,
            happened_at=moscow(2026, 11, 5, 14, 20),
            created_at=moscow(2026, 11, 5, 14, 20),
        )
    )
    await session.commit()
    data = history_csv(
        ["10.11.2026 15:00", "Ромашка", "предложить прайс", "думают", "", "", ""],
        ["12.11.2026", "Ромашка", "перезвонить", "перезвонил, ждут счёт", "", "", ""],
        ["05.11.2026", "Лютик", "согласовать поставку", "поставка в четверг", "", "", ""],
    )
    await chat.send(HEAD_ID, "/import")
    text = await send_file(chat, HEAD_ID, data, "история.csv")
    assert "Новых касаний в истории: 2\nКасаний, которые уже есть в базе (пропустим): 1\n" in text
    await chat.press(HEAD_ID, "Импортировать касания")
    session.expire_all()
    before = await history_of(session, clients["Ромашка"])
    assert len(before) == 2

    await chat.send(HEAD_ID, "/import")
    text = await send_file(chat, HEAD_ID, data, "история.csv")
    assert "Новых касаний в истории: 0\nКасаний, которые уже есть в базе (пропустим): 3\n" in text
    assert "Нового для импорта нет" in text
    assert chat.buttons(HEAD_ID) == ["Отмена"]
    session.expire_all()
    assert await history_of(session, clients["Ромашка"]) == before


async def test_english_headers_and_words(chat: Chat, session: AsyncSession) -> None:
    clients = await arrange(chat, session)
    await chat.send(HEAD_ID, "/import")
    data = csv_bytes(
        [
            ["Date", "Company", "Goal", "Result", "Manager", "Channel", "Direction", "Outcome"],
            ["2026-11-10 15:00", "Romashka LLC", "offer the new price list", "no answer",
             "Сергей", "Phone", "Outgoing", "No answer"],
            ["2026-11-11T09:30:00", "Vasilyok", "confirm the order", "confirmed", "Sergey",
             "E-mail", "Incoming", "Goal achieved"],
        ],
        separator=",",
        encoding="utf-8",
    )  # fmt: skip
    text = await send_file(chat, HEAD_ID, data, "history.csv")
    # Latin names are not the clients' Cyrillic ones: said, not guessed.
    assert "строка 2: клиента «Romashka LLC» нет в базе — касание пропущено" in text
    assert "строка 3: клиента «Vasilyok» нет в базе — касание пропущено" in text
    for name, latin in (("Ромашка", "Romashka"), ("Василёк", "Vasilyok")):
        client = await session.get(Client, clients[name])
        assert client is not None
        client.name = latin
    await session.commit()
    await chat.send(HEAD_ID, "/import")
    text = await send_file(chat, HEAD_ID, data, "history.csv")
    assert "Новых касаний в истории: 2" in text
    assert "менеджера «Sergey» нет в команде — 1 касание" in text
    await chat.press(HEAD_ID, "Импортировать касания")
    session.expire_all()
    assert await history_of(session, clients["Ромашка"]) == [
        (moscow(2026, 11, 10, 15), "Сергей", Channel.CALL, Outcome.NO_CONTACT,
         "offer the new price list", "no answer"),
    ]  # fmt: skip
    incoming = await session.scalar(
        select(Interaction).where(Interaction.client_id == clients["Василёк"])
    )
    assert incoming is not None
    assert (incoming.direction, incoming.channel, incoming.outcome) == (
        Direction.INCOMING,
        Channel.EMAIL,
        Outcome.ACHIEVED,
    )


async def test_a_manager_imports_history_of_their_own_clients_only(
    chat: Chat, session: AsyncSession
) -> None:
    clients = await arrange(chat, session)
    await chat.send(MANAGER_ID, "/import")
    data = history_csv(
        ["10.11.2026 15:00", "Ромашка", "предложить прайс", "думают", "Сергей", "", ""],
        ["10.11.2026 16:00", "Василёк", "предложить прайс", "думают", "Сергей", "", ""],
    )
    text = await send_file(chat, MANAGER_ID, data, "история.csv")
    assert "строка 3: клиент «Василёк» — в базе у коллеги (Сергей), касание пропущено" in text
    assert "• колонку «Менеджер» не учитываю: все касания запишутся на вас" in text
    await chat.press(MANAGER_ID, "Импортировать касания")
    session.expire_all()
    assert [row[1] for row in await history_of(session, clients["Ромашка"])] == ["Дмитрий"]
    assert await history_of(session, clients["Василёк"]) == []


async def test_the_history_sets_the_next_touch_as_if_logged_then(
    chat: Chat, session: AsyncSession
) -> None:
    clients = await arrange(chat, session)
    dmitry = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
    assert dmitry is not None
    lutik_plan = await open_next(session, clients["Лютик"])
    # Лютик was called through the bot after the contact the sheet lists: its plan stands.
    session.add(
        Interaction(
            client_id=clients["Лютик"],
            member_id=dmitry.id,
            channel=Channel.CALL,
            direction=Direction.OUTGOING,
            goal="напомнить об оплате",
            result="оплатят завтра",
            outcome=Outcome.ACHIEVED,
            happened_at=moscow(2026, 11, 15, 11, 0),
            created_at=moscow(2026, 11, 15, 11, 0),
        )
    )
    await session.commit()
    header = [*HEADER[:5], "Следующий шаг", "Следующее касание"]
    data = history_csv(
        ["10.11.2026 15:00", "Ромашка", "предложить прайс", "думают", "", "отправить КП",
         "25.11.2026"],
        ["10.11.2026 15:00", "Лютик", "предложить прайс", "думают", "", "", ""],
        ["01.10.2026 15:00", "Василёк", "предложить прайс", "думают", "", "перезвонить",
         "15.10.2026"],
        header=header,
    )  # fmt: skip
    await chat.send(HEAD_ID, "/import")
    await send_file(chat, HEAD_ID, data, "история.csv")
    await chat.press(HEAD_ID, "Импортировать касания")
    session.expire_all()
    # The next step agreed then, still ahead: the follow-up, instead of the cadence touch.
    assert await open_next(session, clients["Ромашка"]) == [
        (TouchReason.FOLLOW_UP, date(2026, 11, 25), "отправить КП")
    ]
    assert await open_next(session, clients["Лютик"]) == lutik_plan
    # A step agreed for a day gone by is history: the rhythm counts from the contact, 60 days
    # for a regular client.
    assert [row[:2] for row in await open_next(session, clients["Василёк"])] == [
        (TouchReason.CADENCE, date(2026, 11, 30))
    ]
    replaced = await session.scalar(
        select(Touch).where(
            Touch.client_id == clients["Ромашка"], Touch.status == TouchStatus.SKIPPED
        )
    )
    assert replaced is not None
    assert replaced.skip_reason == planner.REPLACED


async def test_clients_and_their_history_from_one_workbook(
    chat: Chat, session: AsyncSession
) -> None:
    clients = await arrange(chat, session)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Клиенты"
    sheet.append(["Компания", "Телефон", "Категория"])
    sheet.append(["ООО «Альбатрос»", "+79120000001", "Ключевой"])
    history = book.create_sheet("История звонков")
    history.append(["Дата", "Клиент", "Цель", "Результат"])
    history.append([wall(2026, 11, 16, 10, 5), "Альбатрос", "знакомство", "прислать КП"])
    history.append([wall(2026, 11, 16, 11, 0), "Ромашка", "предложить прайс", "думают"])
    history.append([wall(2026, 11, 16, 12, 0), "Одуванчик", "знакомство", "не интересно"])
    buffer = io.BytesIO()
    book.save(buffer)
    await chat.send(HEAD_ID, "/import")
    text = await send_file(chat, HEAD_ID, buffer.getvalue(), "база.xlsx")
    assert "Новых клиентов: 1" in text
    assert "Новых касаний в истории: 2" in text
    assert "Войдут: 1 клиент, 1 контакт, 2 касания" in text
    assert (
        "лист «История звонков», строка 4: клиента «Одуванчик» нет ни в файле, ни в базе"
        " — касание пропущено" in text
    )
    text = joined(await chat.press(HEAD_ID, "Импортировать клиентов"))
    assert "Вместе с ними: 1 контакт, 2 касания." in text
    session.expire_all()
    albatros = await session.scalar(select(Client).where(Client.name == "ООО «Альбатрос»"))
    assert albatros is not None
    assert await history_of(session, albatros.id) == [
        (moscow(2026, 11, 16, 10, 5), "Ольга", Channel.CALL, Outcome.ACHIEVED, "знакомство",
         "прислать КП"),
    ]  # fmt: skip
    assert len(await history_of(session, clients["Ромашка"])) == 1
    # A key client reached two days ago is next due a month after that contact.
    assert [row[:2] for row in await open_next(session, albatros.id)] == [
        (TouchReason.CADENCE, date(2026, 12, 16))
    ]


@pytest.mark.parametrize(
    ("rows", "answer"),
    [
        ([HEADER], "В файле только строка заголовков — ни одного касания под ней нет."),
        (
            [["Дата", "Клиент", "Цель"], ["10.11.2026", "Ромашка", "прайс"]],
            "Похоже на историю касаний, но нет колонки «Результат»: у каждого касания есть цель"
            " и результат.",
        ),
    ],
    ids=["header only", "no result column"],
)
async def test_a_history_file_that_gives_nothing_is_said_plainly(
    chat: Chat, session: AsyncSession, rows: list[list[str]], answer: str
) -> None:
    await arrange(chat, session)
    await chat.send(HEAD_ID, "/import")
    data = csv_bytes(rows, separator=";", encoding="utf-8")
    text = await send_file(chat, HEAD_ID, data, "история.csv")
    assert answer in text
    assert "Импортировать" not in " ".join(chat.buttons(HEAD_ID))


@pytest.mark.parametrize(
    ("text", "moment", "timed"),
    [
        ("12.11.2026 10:30", wall(2026, 11, 12, 10, 30), True),
        ("2026-11-12T10:30:00", wall(2026, 11, 12, 10, 30), True),
        ("12 ноября 2026 г., 9.05", wall(2026, 11, 12, 9, 5), True),
        ("12.11.26", wall(2026, 11, 12, 12, 0), False),
        # Today before noon: now.
        ("18.11.2026", wall(2026, 11, 18, 10, 30), False),
    ],
)
def test_moments_of_a_history(text: str, moment: datetime, timed: bool) -> None:
    found = import_history.read_moment(text, MOSCOW, NOW)
    assert found == (moment.replace(tzinfo=MOSCOW).astimezone(UTC), timed, moment.date())


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("вчера", "history_date_invalid"),
        ("12.11", "history_date_no_year"),
        ("12.11.2026 25:00", "history_date_invalid"),
        ("18.11.2026 11:00", "history_date_future"),
        ("19.11.2026", "history_date_future"),
    ],
)
def test_moments_a_history_cannot_have(text: str, code: str) -> None:
    with pytest.raises(import_history.RowRefusedError) as caught:
        import_history.read_moment(text, MOSCOW, NOW)
    assert caught.value.code == code
