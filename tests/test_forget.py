"""/forget erases what names the client outside its own rows: searches in the audit trail,
stored messages (sent or waiting), half-finished dialogues; what names other clients stays."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import AuditEntry, Client, ConversationState, Member, Outbox, Touch
from models.enums import TouchStatus
from scheduler import outbox
from scheduler.jobs import schedule_digests, schedule_reminders
from services import clients, forgetting
from services.clock import ManualClock
from services.touches import close_touch
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_reminders import MANAGER_ID, add_client, add_member, add_touch

Factory = async_sessionmaker[AsyncSession]

ROMASHKA_PHONE = "+79135550142"
LUTIK_PHONE = "+79165550177"


async def arrange(session_factory: Factory, chat: Chat) -> tuple[int, int]:
    """The head; a manager with «ООО «Ромашка»» (Петров, a phone, an e-mail, an INN) and
    «Лютик» (Сидорова), each with a touch due today."""
    await chat.send(HEAD_ID, "/start")
    async with session_factory.begin() as session:
        manager = await add_member(session)
        romashka = await add_client(
            session, manager, "ООО «Ромашка»", "Europe/Moscow", phone=ROMASHKA_PHONE
        )
        romashka.inn = "7701234567"
        romashka.contacts[0].email = "i.petrov@romashka-opt.ru"
        lutik = await add_client(
            session,
            manager,
            "Лютик",
            "Europe/Moscow",
            contact="Сидорова Анна Петровна",
            phone=LUTIK_PHONE,
        )
        today = date(2026, 11, 18)
        await add_touch(session, romashka, today, "Поздравить Петрова")
        await add_touch(session, lutik, today, "Обсудить отгрузку")
        return romashka.id, lutik.id


async def forget(chat: Chat, name: str) -> str:
    assert "Стереть" in joined(await chat.send(HEAD_ID, f"/forget {name}"))
    return joined(await chat.press(HEAD_ID, "Стереть безвозвратно"))


NAMING_ROMASHKA = (
    "Ромашку",  # declined
    "romashka",  # Latin letters
    "Ромошка",  # a typo
    "Петрову",  # its contact, declined
    "913 555",  # a part of its phone
    "8 913 555 01 42",  # its phone as Russians dial it
    "petrov@",  # a part of its contact's e-mail
    "7701234567",  # its INN
)
NAMING_LUTIK = ("Лютик", "Сидорову", "916 555")


async def test_forget_erases_the_searches_that_named_the_client_and_keeps_the_others(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    await arrange(session_factory, chat)
    for query in (*NAMING_ROMASHKA, *NAMING_LUTIK):
        clock.advance(timedelta(minutes=1))
        await chat.send(MANAGER_ID, f"/find {query}")
    # Before: /audit shows what was typed.
    before = joined(await chat.send(HEAD_ID, "/audit поиск"))
    assert "🔎 искал · «Ромашку»" in before
    assert "«7701234567»" in before

    assert "стёрты" in await forget(chat, "Ромашка")

    shown = joined(await chat.send(HEAD_ID, "/audit поиск"))
    lowered = shown.casefold()
    for trace in ("ромашк", "romashka", "ромошка", "петров", "913", "7701234567"):
        assert trace not in lowered, trace
    assert shown.count("🔎 искал · (удалено)") == len(NAMING_ROMASHKA)
    for query in NAMING_LUTIK:
        assert f"🔎 искал · «{query}»" in shown
    # The /forget entry itself names nobody but the client's number.
    everything = joined(await chat.send(HEAD_ID, "/audit"))
    assert "ромашк" not in everything.casefold()
    assert "данные клиента · «#" in everything


async def test_a_search_before_the_client_existed_is_erased_too(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    """«Не нашёл „Василёк“ — создать?»: the query that led to the client names it as well."""
    await arrange(session_factory, chat)
    assert "Не нашёл" in joined(await chat.send(MANAGER_ID, "/find Василёк"))
    async with session_factory.begin() as session:
        manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
        assert manager is not None
        await add_client(session, manager, "Василёк", "Europe/Moscow", phone="+79035550000")
    clock.advance(timedelta(minutes=5))
    await forget(chat, "Василёк")
    shown = joined(await chat.send(HEAD_ID, "/audit поиск"))
    assert "Василёк" not in shown
    assert "(удалено)" in shown


def test_a_query_names_the_client_the_way_the_search_reads_it() -> None:
    trace = clients.ClientTrace(
        client_id=1,
        name="ООО «Ромашка»",
        inn="7701234567",
        contact_names=("Петров Иван Сергеевич",),
        phones=(ROMASHKA_PHONE,),
        emails=("i.petrov@romashka-opt.ru",),
    )
    for query in (*NAMING_ROMASHKA, "ООО Ромашка", "«РОМАШКА»", "+7 913 555-01-42", "Ивану"):
        assert clients.query_names_client(query, trace), query
    for query in (*NAMING_LUTIK, "Ромашка Плюс", "sidorova@", "7701234568", "Василёк"):
        assert not clients.query_names_client(query, trace), query


async def outbox_rows(session_factory: Factory) -> list[Outbox]:
    async with session_factory() as session:
        return list(await session.scalars(select(Outbox).order_by(Outbox.id)))


async def test_forget_erases_stored_messages_naming_the_client(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    romashka_id, _ = await arrange(session_factory, chat)
    async with session_factory.begin() as session:
        manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
        assert manager is not None
        # A notice already sent that named the client, and one about another client.
        for key, text in (
            ("notice:sent:romashka", "🔁 Вам передан клиент ООО «Ромашка»"),
            ("notice:sent:lutik", "🔁 Вам передан клиент «Лютик»"),
            ("notice:waiting", "📞 Петров Иван Сергеевич просил перезвонить"),
        ):
            await outbox.enqueue(
                session,
                outbox.outbox_row(
                    member=manager,
                    kind="notice",
                    dedupe_key=key,
                    payload={"text": text},
                    not_before=clock.now() + timedelta(hours=1),
                    now=clock.now(),
                ),
            )
        await session.flush()
        for row in await session.scalars(select(Outbox).where(Outbox.status == outbox.PENDING)):
            if row.dedupe_key.startswith("notice:sent"):
                row.status = outbox.SENT
    # This morning's digest (both clients) and the reminders are queued, not sent yet.
    await schedule_digests(session_factory, clock.now())
    await schedule_reminders(session_factory, clock.now())
    queued = await outbox_rows(session_factory)
    digest = next(row for row in queued if row.kind == "digest")
    assert "Ромашка" in digest.payload["text"]
    assert "Лютик" in digest.payload["text"]
    assert any(row.kind == "reminder" for row in queued)

    await forget(chat, "Ромашка")

    rows = {row.dedupe_key: row for row in await outbox_rows(session_factory)}
    by_id = {row.id: row for row in rows.values()}
    for row in rows.values():
        assert "ромашк" not in str(row.payload).casefold(), row.dedupe_key
        assert "петров иван" not in str(row.payload).casefold(), row.dedupe_key
        assert "913 555" not in str(row.payload), row.dedupe_key
    assert rows["notice:sent:romashka"].status == outbox.SENT
    assert rows["notice:sent:romashka"].payload["text"] == "—"
    assert rows["notice:sent:lutik"].payload["text"] == "🔁 Вам передан клиент «Лютик»"
    assert rows["notice:waiting"].status == outbox.CANCELLED
    old_digest = by_id[digest.id]
    assert old_digest.status == outbox.CANCELLED
    assert old_digest.dedupe_key != digest.dedupe_key
    reminders = [row for row in rows.values() if row.kind == "reminder"]
    lutik_reminders = [row for row in reminders if "Лютик" in row.payload["text"]]
    assert lutik_reminders
    assert all(row.status == outbox.PENDING for row in lutik_reminders)
    assert all(row.status == outbox.CANCELLED for row in reminders if row not in lutik_reminders)

    # The next scheduler run queues the day's digest again, without the erased client.
    assert await schedule_digests(session_factory, clock.now()) == 1
    fresh = (await outbox_rows(session_factory))[-1]
    assert fresh.kind == "digest"
    assert fresh.dedupe_key == digest.dedupe_key
    assert "Лютик" in fresh.payload["text"]
    assert "Ромашк" not in fresh.payload["text"]
    assert f"#{romashka_id}" not in fresh.payload["text"]


async def test_forget_ends_the_dialogues_about_the_client(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    romashka_id, lutik_id = await arrange(session_factory, chat)
    states = {
        "log:romashka": {"draft": {"client_id": romashka_id, "text": "звонил"}},
        "log:json": {"draft": f'{{"client_id": {romashka_id}, "goal": "прайс"}}'},
        "create:romashka": {"search_prefill": "ООО «Ромашка»"},
        "log:lutik": {"draft": {"client_id": lutik_id, "text": "звонил Сидоровой"}},
        "create:other": {"search_prefill": "Василёк"},
    }
    async with session_factory.begin() as session:
        session.add_all(
            ConversationState(key=key, state="LogForm:confirm", data=data, updated_at=clock.now())
            for key, data in states.items()
        )
    await forget(chat, "Ромашка")
    async with session_factory() as session:
        left = set(await session.scalars(select(ConversationState.key)))
    assert {"log:lutik", "create:other"} <= left
    assert not left & {"log:romashka", "log:json", "create:romashka"}


async def test_a_dialogue_ended_for_mentioning_the_client_gives_its_touch_back(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    """A log of Лютик closed by «✅ Сделано» whose text names Ромашка ends with /forget: its
    touch is not left done with nothing logged."""
    _, lutik_id = await arrange(session_factory, chat)
    async with session_factory.begin() as session:
        touch = await session.scalar(select(Touch).where(Touch.client_id == lutik_id))
        assert touch is not None
        close_touch(touch, TouchStatus.DONE, clock.now())
        draft = {"client_id": lutik_id, "touch_id": touch.id, "text": "как у ООО «Ромашка»"}
        session.add(
            ConversationState(
                key="log:lutik",
                state="LogForm:confirm",
                data={"draft": draft},
                updated_at=clock.now(),
            )
        )
        touch_id = touch.id
    await forget(chat, "Ромашка")
    async with session_factory() as session:
        assert await session.get(ConversationState, "log:lutik") is None
        reopened = await session.get(Touch, touch_id)
        assert reopened is not None
        assert (reopened.status, reopened.closed_at) == (TouchStatus.PLANNED, None)


async def test_erase_searches_leaves_entries_without_a_query(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    """An old search entry without the found ids is matched by its text alone."""
    romashka_id, _ = await arrange(session_factory, chat)
    async with session_factory.begin() as session:
        session.add_all(
            [
                AuditEntry(action="search", details={"query": "Ромашка"}, at=clock.now()),
                AuditEntry(action="search", details={}, at=clock.now()),
            ]
        )
        client = await session.get(Client, romashka_id)
        assert client is not None
        trace = await clients.client_trace(session, client)
        assert await forgetting.erase_searches(session, trace) == 1
        details = [
            entry.details
            for entry in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert {"query": "—", "erased": True} in details
    assert {} in details


def test_stored_messages_are_matched_string_by_string() -> None:
    """A name with ASCII quotes, HTML-escaped in a message or kept in a button, still reads;
    a one-word contact name alone does not (it would match other people's messages)."""
    trace = clients.ClientTrace(
        client_id=1,
        name='ООО "Ромашка & Ко"',
        contact_names=("Анна",),
        phones=(ROMASHKA_PHONE,),
    )
    wanted = forgetting.needles(trace)
    assert forgetting.names_any({"text": 'Клиент <b>ООО "Ромашка &amp; Ко"</b>'}, wanted)
    assert forgetting.names_any({"buttons": [[{"text": 'ооо "ромашка & ко"'}]]}, wanted)
    assert forgetting.names_any({"text": "📞 +7 913 555-01-42"}, wanted)
    assert not forgetting.names_any({"text": "⚠️ Анна открыла 41 карточку за час"}, wanted)
