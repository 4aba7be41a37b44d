"""/export → /import: the demo base's workbook, made by the real exporter, comes back whole into
another base through the dispatcher, its contact history too; into the same base it is all
known; a bad value is a remark, not a lost client; a damaged export gets a plain word and
changes nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import models
from models import AuditEntry, Interaction, Member, Outbox
from models.clients import Client, Contact, Deal, KeyDate
from models.enums import ClientKind, Role
from models.session import create_engine, create_session_factory
from services import exporter, importer
from services.demo import load_demo
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_export import seed
from tests.test_import import send_file
from tests.test_reminders import MANAGER_ID, add_member
from tests.test_transfer import settings

__all__ = ["settings"]  # the fixture keeping pending imports in a temporary folder

NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
MOSCOW = ZoneInfo("Europe/Moscow")


class Facts(NamedTuple):
    """What a round trip must keep of a client: its fields, people, dates and deals."""

    client: tuple[Any, ...]
    people: list[tuple[Any, ...]]
    dates: list[tuple[Any, ...]]
    deals: list[tuple[Any, ...]]


Fingerprint = dict[str, Facts]


async def fingerprint(session: AsyncSession) -> Fingerprint:
    """Every client by name with its facts."""
    found: Fingerprint = {}
    clients = await session.scalars(select(Client).order_by(Client.id))
    for c in clients:
        people = list(await session.scalars(select(Contact).where(Contact.client_id == c.id)))
        names = {p.id: p.full_name for p in people}
        dates = await session.scalars(select(KeyDate).where(KeyDate.client_id == c.id))
        deals = await session.scalars(select(Deal).where(Deal.client_id == c.id))
        found[c.name] = Facts(
            (c.kind, c.inn, c.city, c.timezone, c.industry, c.category, c.stage, c.tags,
             c.preferences, c.notes, c.window_start, c.window_end, c.window_days,
             c.observe_holidays, c.data_confirmed_at.astimezone(MOSCOW).date()),
            sorted(
                (p.full_name, p.is_primary, p.position, p.phone, p.extra_phones, p.email,
                 p.telegram, p.whatsapp, p.preferred_channel, p.channel_schedule,
                 p.work_schedule, p.window_start, p.window_end, p.window_days, p.hobbies,
                 p.favourite_team, p.notes)
                for p in people
            ),
            sorted(
                (names.get(d.contact_id or 0, ""), d.kind, d.relation or "", d.person_name or "",
                 d.title or "", d.day, d.month, d.year or 0)
                for d in dates
            ),
            sorted((d.title, d.stage, d.amount, d.goods_location, d.is_paid) for d in deals),
        )  # fmt: skip
    return found


async def owners(session: AsyncSession) -> dict[str, str]:
    """Client name → its owner's name."""
    rows = await session.execute(
        select(Client.name, Member.full_name).join(Member, Member.id == Client.owner_id)
    )
    return dict(rows.all())


async def timeline(session: AsyncSession) -> list[tuple[Any, ...]]:
    """Every interaction as a round trip keeps it: client, minute, person, maker and the rest."""
    rows = await session.execute(
        select(Interaction, Client.name, Contact.full_name, Member.full_name)
        .join(Client, Client.id == Interaction.client_id)
        .outerjoin(Contact, Contact.id == Interaction.contact_id)
        .join(Member, Member.id == Interaction.member_id)
    )
    found = []
    for i, client, contact, maker in rows:
        moment = (
            i.happened_at.replace(tzinfo=UTC) if i.happened_at.tzinfo is None else i.happened_at
        )
        found.append(
            (client, moment.replace(second=0, microsecond=0), contact or "", maker, i.channel,
             i.direction, i.goal, i.result, i.outcome, i.notes, i.next_step, i.next_touch_on)
        )  # fmt: skip
    return sorted(found, key=repr)


async def counts(session: AsyncSession) -> tuple[int, int, int, int]:
    """Clients, contacts, key dates, deals in the base."""
    found = []
    for model in (Client, Contact, KeyDate, Deal):
        found.append(await session.scalar(select(func.count()).select_from(model)) or 0)
    return found[0], found[1], found[2], found[3]


@dataclass
class DemoBase:
    """The demo team's base in a database of its own (another team, another bot): its export,
    its clients' facts and owners."""

    content: bytes
    prints: Fingerprint
    owners: dict[str, str]
    history: list[tuple[Any, ...]]


async def demo_base(language: str = "ru") -> DemoBase:
    """Load the demo into a fresh in-memory database and export it as its head would."""
    engine = create_engine("sqlite+aiosqlite://")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(models.Base.metadata.create_all)
        async with create_session_factory(engine)() as session:
            await load_demo(session, now=NOW, timezone="Europe/Moscow")
            head = await session.scalar(select(Member).where(Member.role == Role.HEAD))
            assert head is not None
            head.language = language
            result = await exporter.export_workbook(session, head, NOW)
            await session.commit()
            return DemoBase(
                result.content,
                await fingerprint(session),
                await owners(session),
                await timeline(session),
            )
    finally:
        await engine.dispose()


def edited(content: bytes, change: Callable[[Workbook], None]) -> bytes:
    """The workbook as somebody changed it in Excel."""
    book = load_workbook(io.BytesIO(content))
    change(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def as_head(chat: Chat, session: AsyncSession) -> Member:
    """Ольга, the head of the base the file is imported into."""
    chat.user(HEAD_ID, "Ольга")
    await chat.send(HEAD_ID, "/start")
    head = await session.scalar(select(Member).where(Member.telegram_id == HEAD_ID))
    assert head is not None
    return head


async def test_the_demo_export_comes_back_whole_into_another_base(
    chat: Chat, session: AsyncSession
) -> None:
    demo = await demo_base()
    await as_head(chat, session)
    # The other team has one of the demo's managers, by the same name.
    await add_member(session, name="Анна Кузнецова")
    await session.commit()
    facts = demo.prints.values()
    assert (
        len(demo.prints),
        sum(len(f.people) for f in facts),
        sum(len(f.dates) for f in facts),
        sum(len(f.deals) for f in facts),
    ) == (60, 114, 97, 72)

    await chat.send(HEAD_ID, "/import")
    text = await send_file(chat, HEAD_ID, demo.content, "touchbase-2026-11-18-1030.xlsx")
    assert "Импорт по ответственным из файла" in text
    assert "Без ответственного или не из команды — в базу: Ольга" in text
    assert "Новых клиентов: 60" in text
    assert "Новых касаний в истории: 481" in text
    assert "Войдут: 60 клиентов, 114 контактов, 97 ключевых дат, 72 сделки, 481 касание" in text
    assert (
        "Запланированные касания из файла не переносятся: бот запланирует свои — по истории и"
        " ритму клиентов." in text
    )
    kept = {name: sum(o == name for o in demo.owners.values()) for name in demo.owners.values()}
    assert (
        f"ответственного «Дмитрий Орлов» нет в команде — {kept['Дмитрий Орлов']} клиентов "
        "войдут в базу: Ольга" in text
    )
    made = {name: sum(row[3] == name for row in demo.history) for name in kept}
    assert (
        f"менеджера «Дмитрий Орлов» нет в команде — {made['Дмитрий Орлов']} касания запишем на"
        " ответственных за клиентов" in text
    )
    assert "Анна Кузнецова» нет" not in text
    assert "Замечания (клиенты войдут)" not in text
    assert "Строк с ошибками (пропустим): 0" in text

    text = joined(await chat.press(HEAD_ID, "Импортировать"))
    assert f"Анна Кузнецова — {kept['Анна Кузнецова']}" in text
    assert "Вместе с ними: 114 контактов, 97 ключевых дат, 72 сделки, 481 касание." in text
    session.expire_all()
    assert await fingerprint(session) == demo.prints
    # The history comes back as it was; Анна's contacts stay hers, those of people the team
    # does not have go to the client's owner here.
    imported = await owners(session)
    assert await timeline(session) == sorted(
        (
            (*row[:3], row[3] if row[3] == "Анна Кузнецова" else imported[row[0]], *row[4:])
            for row in demo.history
        ),
        key=repr,
    )
    assert await owners(session) == {
        name: owner if owner == "Анна Кузнецова" else "Ольга"
        for name, owner in demo.owners.items()
    }
    # Анна learns of the clients that appeared in her base.
    notice = await session.scalar(select(Outbox).where(Outbox.kind == "notice"))
    assert notice is not None
    assert notice.chat_id == MANAGER_ID
    assert f"добавлено {kept['Анна Кузнецова']} клиентов" in notice.payload["text"]
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "import"))
    assert entry is not None
    assert (entry.details["clients"], entry.details["contacts"]) == (60, 114)
    assert entry.details["interactions"] == 481

    # The same file again: every client and every contact of the history is known.
    await chat.send(HEAD_ID, "/import")
    text = await send_file(chat, HEAD_ID, demo.content, "touchbase-2026-11-18-1030.xlsx")
    assert "Новых клиентов: 0\nДубликатов (пропустим): 60" in text
    assert "Новых касаний в истории: 0\nКасаний, которые уже есть в базе (пропустим): 481" in text
    assert chat.buttons(HEAD_ID) == ["Отмена"]


async def test_an_english_export_reads_the_same(chat: Chat, session: AsyncSession) -> None:
    demo = await demo_base("en")
    await as_head(chat, session)
    await chat.send(HEAD_ID, "/import")
    text = await send_file(chat, HEAD_ID, demo.content, "touchbase.xlsx")
    assert "Войдут: 60 клиентов, 114 контактов, 97 ключевых дат, 72 сделки, 481 касание" in text
    assert "Замечания (клиенты войдут)" not in text
    await chat.press(HEAD_ID, "Импортировать")
    session.expire_all()
    assert await fingerprint(session) == demo.prints
    assert [row[:3] + row[4:] for row in await timeline(session)] == [
        row[:3] + row[4:] for row in demo.history
    ]


async def test_a_head_may_put_every_client_into_one_base(
    chat: Chat, session: AsyncSession
) -> None:
    demo = await demo_base()
    await as_head(chat, session)
    await add_member(session, name="Анна Кузнецова")
    await session.commit()
    await chat.send(HEAD_ID, "/import")
    await send_file(chat, HEAD_ID, demo.content, "touchbase.xlsx")
    text = joined(await chat.press(HEAD_ID, "Всех в базу: Анна Кузнецова"))
    assert "Импорт в базу: Анна Кузнецова" in text
    assert "ответственного «" not in text
    assert "По ответственным из файла" in " ".join(chat.buttons(HEAD_ID))
    text = joined(await chat.press(HEAD_ID, "По ответственным из файла"))
    assert "Импорт по ответственным из файла" in text
    await chat.press(HEAD_ID, "Всех в базу: Анна Кузнецова")
    assert "в базу: Анна Кузнецова" in joined(await chat.press(HEAD_ID, "Импортировать"))
    session.expire_all()
    assert set((await owners(session)).values()) == {"Анна Кузнецова"}


async def test_a_manager_imports_an_export_into_their_own_base(
    chat: Chat, session: AsyncSession
) -> None:
    demo = await demo_base()
    await as_head(chat, session)
    await add_member(session, name="Анна Кузнецова")
    await session.commit()
    await chat.send(MANAGER_ID, "/import")
    text = await send_file(chat, MANAGER_ID, demo.content, "touchbase.xlsx")
    assert "Импорт в базу: Анна Кузнецова" in text
    assert "Колонку «Ответственный» не учитываю: все клиенты войдут в вашу базу." in text
    await chat.press(MANAGER_ID, "Импортировать")
    session.expire_all()
    assert set((await owners(session)).values()) == {"Анна Кузнецова"}


async def test_our_own_export_into_the_same_base_is_all_known(
    chat: Chat, session: AsyncSession
) -> None:
    await seed(session)
    await as_head(chat, session)
    calls = await chat.send(HEAD_ID, "/export")
    (document,) = [call for call in calls if isinstance(call, SendDocument)]
    assert isinstance(document.document, BufferedInputFile)
    before = (await counts(session), await fingerprint(session))

    await chat.send(HEAD_ID, "/import")
    filename = document.document.filename or "touchbase.xlsx"
    text = await send_file(chat, HEAD_ID, document.document.data, filename)
    assert "Новых клиентов: 0" in text
    assert "Дубликатов (пропустим): 1" in text
    assert "строка 2: уже есть клиент «Ромашка» (база: Дмитрий): то же название" in text
    assert "Касаний, которые уже есть в базе (пропустим): 1" in text
    assert "Клиентов, которые уже есть в базе, не меняем" in text
    assert chat.buttons(HEAD_ID) == ["Отмена"]
    session.expire_all()
    assert (await counts(session), await fingerprint(session)) == before


def _drop(title: str) -> Callable[[Workbook], None]:
    def change(book: Workbook) -> None:
        book.remove(book[title])

    return change


def _clear(title: str, *, keep_header: bool) -> Callable[[Workbook], None]:
    def change(book: Workbook) -> None:
        sheet = book[title]
        sheet.delete_rows(2 if keep_header else 1, sheet.max_row)

    return change


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (
            _drop("Клиенты"),
            "Это выгрузка Touchbase без листа «Клиенты» — без него не из чего создать клиентов",
        ),
        (
            _clear("Клиенты", keep_header=True),
            "На листе «Клиенты» только строка заголовков — ни одного клиента под ней нет.",
        ),
        (
            _clear("Клиенты", keep_header=False),
            "На листе «Клиенты» нет ни одной строки с данными",
        ),
    ],
    ids=["clients sheet removed", "clients sheet with only headers", "clients sheet empty"],
)
async def test_an_export_without_clients_is_refused_and_changes_nothing(
    chat: Chat, session: AsyncSession, change: Callable[[Workbook], None], refusal: str
) -> None:
    demo = await demo_base()
    await seed(session)
    await as_head(chat, session)
    before = (await counts(session), await fingerprint(session))
    await chat.send(HEAD_ID, "/import")
    text = await send_file(chat, HEAD_ID, edited(demo.content, change), "touchbase.xlsx")
    assert refusal in text
    assert "Импортировать" not in " ".join(chat.buttons(HEAD_ID))
    session.expire_all()
    assert (await counts(session), await fingerprint(session)) == before


async def test_a_missing_contacts_sheet_is_said_and_the_clients_come_in(
    chat: Chat, session: AsyncSession
) -> None:
    demo = await demo_base()
    await as_head(chat, session)
    await chat.send(HEAD_ID, "/import")
    content = edited(demo.content, _drop("Контакты"))
    text = await send_file(chat, HEAD_ID, content, "touchbase.xlsx")
    assert "Новых клиентов: 60" in text
    assert "• нет листа «Контакты» — клиенты войдут без контактов" in text
    # Birthdays of people who are not in the file now: said once, none misplaced.
    assert (
        "• 80 дат с листа «Ключевые даты» принадлежат людям с листа контактов, которого нет,"
        " — пропущены" in text
    )
    assert "дата пропущена" not in text
    await chat.press(HEAD_ID, "Импортировать")
    session.expire_all()
    # A private client is their own person, as /new makes them, with their dates; a company
    # keeps only the dates of nobody in particular (its anniversary).
    expected = {}
    for name, facts in demo.prints.items():
        private = facts.client[0] is ClientKind.B2C
        dates = [d for d in facts.dates if d[0] == "" or (private and d[0] == name)]
        expected[name] = ([(name, True)] if private else [], dates)
    imported = await fingerprint(session)
    assert {
        name: ([person[:2] for person in facts.people], facts.dates)
        for name, facts in imported.items()
    } == expected
    assert any(people for people, _ in expected.values())


async def test_stray_rows_and_empty_sheets_get_a_remark(chat: Chat, session: AsyncSession) -> None:
    demo = await demo_base()

    def change(book: Workbook) -> None:
        contacts = book["Контакты"]
        contacts.append([9999, 9999, "ООО «Лютик»", "Сидорова Анна", "директор", "12345"])
        book["Сделки"].delete_rows(2, book["Сделки"].max_row)
        dates = book["Ключевые даты"]
        dates.cell(row=1, column=9).value = "Число"  # «День» renamed: the sheet can't be read

    await as_head(chat, session)
    await chat.send(HEAD_ID, "/import")
    text = await send_file(chat, HEAD_ID, edited(demo.content, change), "touchbase.xlsx")
    assert (
        "лист «Контакты», строка 116: клиента «ООО „Лютик“» нет среди клиентов этого файла"
        " — строка пропущена" in text
    )
    assert "• на листе «Сделки» ни одной сделки — клиенты войдут без сделок" in text
    assert (
        "• на листе «Ключевые даты» нет колонки «День» — лист не прочитан, из него ничего"
        " не войдёт" in text
    )
    assert "Войдут: 60 клиентов, 114 контактов" in text
    await chat.press(HEAD_ID, "Импортировать")
    session.expire_all()
    assert await counts(session) == (60, 114, 0, 0)


async def test_an_export_is_read_with_its_other_sheets(session: AsyncSession) -> None:
    await seed(session)
    head = await add_member(session, telegram_id=HEAD_ID, role=Role.HEAD, name="Ольга")
    result = await exporter.export_workbook(session, head, NOW)
    table = importer.read_table(result.content, result.filename)
    assert (table.export, table.touches, table.zone, table.remarks) == (
        True,
        True,
        "Europe/Moscow",
        [],
    )
    assert set(table.related) == {"contacts", "dates", "deals"}
    assert table.interactions is not None
    assert table.interactions.rows[0]["goal"] == "предложить прайс"
    assert table.related["dates"].sheet == "Ключевые даты"
    # A workbook of one sheet, or of sheets not ours, is a plain table as before.
    plain = Workbook()
    sheet = plain.active
    assert sheet is not None
    sheet.title = "Контакты 2026"
    sheet.append(["Клиент", "Телефон"])
    sheet.append(["Ромашка", "+79120000001"])
    plain.create_sheet("Лист2")
    buffer = io.BytesIO()
    plain.save(buffer)
    table = importer.read_table(buffer.getvalue(), "base.xlsx")
    assert (table.export, table.sheet, table.rows) == (
        False,
        "Контакты 2026",
        [{"name": "Ромашка", "phone": "+79120000001"}],
    )


async def test_times_come_back_in_the_zone_the_export_was_made_in(session: AsyncSession) -> None:
    engine = create_engine("sqlite+aiosqlite://")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(models.Base.metadata.create_all)
        async with create_session_factory(engine)() as other:
            await seed(other)
            head = await add_member(
                other,
                telegram_id=HEAD_ID,
                role=Role.HEAD,
                name="Ольга",
                timezone="Asia/Vladivostok",
            )
            result = await exporter.export_workbook(other, head, NOW)
    finally:
        await engine.dispose()
    # The importing head lives in Moscow; the file's wall times are Vladivostok's.
    head = await add_member(session, telegram_id=HEAD_ID, role=Role.HEAD, name="Ольга")
    table = importer.read_table(result.content, result.filename)
    assert table.zone == "Asia/Vladivostok"
    preview = await importer.preview_import(session, head, table, head, now=NOW)
    await importer.apply_import(session, preview, NOW)
    happened = await session.scalar(select(Interaction.happened_at))
    assert happened is not None
    assert happened.replace(tzinfo=UTC) == datetime(2026, 11, 17, 12, 5, tzinfo=UTC)
