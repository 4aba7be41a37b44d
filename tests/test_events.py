"""/event through the dispatcher: a head plans a company event and its invitations."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiogram.methods import SendDocument, SendMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import (
    EventAction,
    EventCallback,
    HandoverCallback,
    SkipCallback,
    SkipReason,
)
from handlers.events import parse_event_day, split_event_time
from models import Client, Event, Interaction, Member, Outbox, Touch
from models.enums import (
    Category,
    Channel,
    ClientKind,
    Direction,
    Outcome,
    Role,
    TouchReason,
    TouchStatus,
)
from scheduler.outbox import outbox_row
from services import handover, planner
from services.clock import ManualClock
from services.touches import close_touch, plan_touch
from tests.conftest import HEAD_ID, START
from tests.harness import Chat, joined
from tests.test_export import records, workbook
from tests.test_onboarding import MANAGER_ID, invite_link
from tests.test_plan_list import data_of, rows

SECOND_HEAD_ID = 502


async def team(chat: Chat, session: AsyncSession) -> tuple[Member, Member]:
    """The bootstrapped head and one invited manager."""
    await chat.send(HEAD_ID, "/start")
    await chat.send(MANAGER_ID, f"/start {await invite_link(chat)}")
    head = await session.scalar(select(Member).where(Member.telegram_id == HEAD_ID))
    manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
    assert head is not None
    assert manager is not None
    return head, manager


def make_client(owner: Member, category: Category, number: int, tags: list[str]) -> Client:
    created = START - timedelta(days=400)
    return Client(
        kind=ClientKind.B2B,
        name=f"ООО «Клиент {number}»",
        timezone="Europe/Moscow",
        category=category,
        owner_id=owner.id,
        tags=tags,
        data_confirmed_at=START,
        created_at=created,
        updated_at=created,
    )


async def base(session: AsyncSession, head: Member, manager: Member) -> Client:
    """40 key clients of the manager, 5 of the head, 10 regular ones; returns a key client
    that has already had its 12 touches this year."""
    clients = [make_client(manager, Category.KEY, n, ["опт"]) for n in range(40)]
    clients += [make_client(head, Category.KEY, 100 + n, []) for n in range(5)]
    clients += [make_client(manager, Category.REGULAR, 200 + n, ["розница"]) for n in range(10)]
    at_ceiling = make_client(head, Category.KEY, 300, [])
    session.add_all([*clients, at_ceiling])
    await session.flush()
    for month in range(12):
        moment = datetime.combine(date(2026, 1, 5) + timedelta(days=25 * month), time(9), UTC)
        session.add(
            Interaction(
                client_id=at_ceiling.id,
                member_id=head.id,
                channel=Channel.CALL,
                direction=Direction.OUTGOING,
                goal="Звонок",
                result="Поговорили",
                outcome=Outcome.ACHIEVED,
                happened_at=moment,
                created_at=moment,
            )
        )
    await session.commit()
    return at_ceiling


async def test_head_creates_an_event_and_invitations_are_spread(
    chat: Chat, session: AsyncSession
) -> None:
    head, manager = await team(chat, session)
    at_ceiling = await base(session, head, manager)

    assert "называется" in joined(await chat.send(HEAD_ID, "/event"))
    assert "Когда пройдёт" in joined(await chat.send(HEAD_ID, "Вебинар: новая коллекция"))
    assert "Кого приглашаем" in joined(await chat.send(HEAD_ID, "10.12.2026"))
    await chat.press(HEAD_ID, "По категориям")
    await chat.press(HEAD_ID, "ключевые")
    assert "✅ ключевые" in chat.buttons(HEAD_ID)
    preview = joined(await chat.press(HEAD_ID, "Готово"))
    assert "46 клиентов, у 2 менеджеров" in preview
    assert "потолке касаний за год: 1" in preview

    done = joined(await chat.press(HEAD_ID, "Сохранить"))
    assert "Запланировано приглашений: 45" in done
    assert "Пропущено 1" in done

    event = await session.scalar(select(Event))
    assert event is not None
    assert event.happens_on == date(2026, 12, 10)
    assert event.audience["categories"] == ["key"]
    touches = list(await session.scalars(select(Touch).where(Touch.event_id == event.id)))
    assert len(touches) == 45
    assert {t.reason for t in touches} == {TouchReason.EVENT}
    assert at_ceiling.id not in {t.client_id for t in touches}
    owners = {c.id: c.owner_id for c in await session.scalars(select(Client))}
    assert all(t.member_id == owners[t.client_id] for t in touches)
    assert touches[0].goal == "Пригласить на «Вебинар: новая коллекция» 10 декабря"
    # Working days from tomorrow to two days before: 19 November – 8 December, 14 of them.
    days = {t.due_on for t in touches}
    assert min(days) == date(2026, 11, 19)
    assert max(days) == date(2026, 12, 8)
    assert all(day.weekday() < 5 for day in days)
    per_manager_day = Counter((t.member_id, t.due_on) for t in touches)
    assert max(per_manager_day.values()) <= 3  # 40 invitations over 14 days
    assert len({day for member_id, day in per_manager_day if member_id == manager.id}) == 14


async def test_audience_by_typed_markers(chat: Chat, session: AsyncSession) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "Распродажа")
    await chat.send(HEAD_ID, "15 декабря 2026")
    await chat.press(HEAD_ID, "По меткам")
    preview = joined(await chat.send(HEAD_ID, "Розница"))
    assert "10 клиентов, у 1 менеджера" in preview
    await chat.press(HEAD_ID, "Сохранить")
    touches = list(await session.scalars(select(Touch).where(Touch.reason == TouchReason.EVENT)))
    assert len(touches) == 10
    assert {t.member_id for t in touches} == {manager.id}


async def test_manager_is_refused(chat: Chat, session: AsyncSession) -> None:
    await team(chat, session)
    assert "только руководителю" in joined(await chat.send(MANAGER_ID, "/event"))
    forged = EventCallback(action=EventAction.SAVE).pack()
    assert "только руководителю" in joined(await chat.press_data(MANAGER_ID, forged))
    assert await session.scalar(select(Event)) is None


async def test_past_date_is_refused(chat: Chat, session: AsyncSession) -> None:
    await team(chat, session)
    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "Конференция")
    assert "1 ноября 2026 уже прошло" in joined(await chat.send(HEAD_ID, "01.11.2026"))
    assert "17 ноября 2026 уже прошло" in joined(await chat.send(HEAD_ID, "вчера"))
    assert "18 ноября 2026 — это сегодня" in joined(await chat.send(HEAD_ID, "сегодня"))
    assert "Не понял дату" in joined(await chat.send(HEAD_ID, "когда-нибудь потом"))
    far = joined(await chat.send(HEAD_ID, "15.12.2031"))
    assert "15 декабря 2031 — это дальше чем через два года" in far
    assert "Кого приглашаем" in joined(await chat.send(HEAD_ID, "через 2 недели"))
    calls = await chat.press(HEAD_ID, "Отмена")
    assert "Отменено" in joined(calls)
    assert await session.scalar(select(Event)) is None


async def test_stale_button_after_cancel(chat: Chat, session: AsyncSession) -> None:
    await team(chat, session)
    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "Конференция")
    await chat.send(HEAD_ID, "20.12.2026")
    await chat.press(HEAD_ID, "Отмена")
    calls = await chat.press_data(HEAD_ID, EventCallback(action=EventAction.ALL).pack())
    assert "устарела" in joined(calls)


async def test_audience_by_industry_buttons(chat: Chat, session: AsyncSession) -> None:
    _head, manager = await team(chat, session)
    for number, industry in enumerate(("Строительство", "Строительство", "Торговля", None)):
        client = make_client(manager, Category.REGULAR, number, [])
        client.industry = industry
        session.add(client)
    await session.commit()
    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "День открытых дверей")
    await chat.send(HEAD_ID, "18.12.2026")
    await chat.press(HEAD_ID, "По отраслям")
    assert "Отметьте хотя бы один" in joined(await chat.press(HEAD_ID, "Готово"))
    await chat.press(HEAD_ID, "Строительство")
    preview = joined(await chat.press(HEAD_ID, "Готово"))
    assert "2 клиента, у 1 менеджера" in preview
    assert "отрасли: Строительство" in preview
    await chat.press(HEAD_ID, "Сохранить")
    touches = list(await session.scalars(select(Touch).where(Touch.reason == TouchReason.EVENT)))
    assert len(touches) == 2


async def plan_webinar(chat: Chat, title: str = "Вебинар: новая коллекция") -> list[Any]:
    """/event through to «Сохранить»: every client, 10 December 2026; the last reply."""
    await chat.send(HEAD_ID, "/event")
    if "Новое событие" in " ".join(chat.buttons(HEAD_ID)):
        await chat.press(HEAD_ID, "Новое событие")
    await chat.send(HEAD_ID, title)
    await chat.send(HEAD_ID, "10.12.2026")
    await chat.press(HEAD_ID, "Всех клиентов")
    return await chat.press(HEAD_ID, "Сохранить")


async def test_the_same_event_twice_invites_nobody_twice(
    chat: Chat, session: AsyncSession
) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    assert "Запланировано приглашений: 55" in joined(await plan_webinar(chat))

    listing = joined(await chat.send(HEAD_ID, "/event"))
    assert "Предстоящие события" in listing
    assert "Вебинар: новая коллекция" in listing
    assert "приглашений: 55" in listing
    # Under the list, typing a title starts a new event (no need for «➕ Новое событие»).
    assert "Когда пройдёт" in joined(await chat.send(HEAD_ID, "вебинар:  Новая коллекция"))
    again = joined(await chat.send(HEAD_ID, "10 декабря"))
    assert "уже есть" in again
    assert "Второй раз клиентов не приглашаю" in again
    assert "Кого приглашаем" not in again
    # Another date is another event.
    assert "Кого приглашаем" in joined(await chat.send(HEAD_ID, "17.12.2026"))

    assert len(list(await session.scalars(select(Event)))) == 1
    touches = list(await session.scalars(select(Touch).where(Touch.reason == TouchReason.EVENT)))
    assert len(touches) == 55
    assert len({t.client_id for t in touches}) == 55


async def test_a_duplicate_found_only_at_saving_is_refused(
    chat: Chat, session: AsyncSession
) -> None:
    """Two conversations for the same event (two heads, or two windows): the later save
    finds the first event and plans nothing."""
    head, manager = await team(chat, session)
    await base(session, head, manager)
    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "Вебинар: новая коллекция")
    await chat.send(HEAD_ID, "10.12.2026")
    await chat.press(HEAD_ID, "Всех клиентов")
    await planner.create_event(
        session,
        by=head,
        title="Вебинар: новая коллекция",
        happens_on=date(2026, 12, 10),
        audience=planner.Audience(),
        now=START,
    )
    await session.commit()
    assert "уже есть" in joined(await chat.press(HEAD_ID, "Сохранить"))
    assert len(list(await session.scalars(select(Event)))) == 1
    touches = list(await session.scalars(select(Touch).where(Touch.reason == TouchReason.EVENT)))
    assert len(touches) == 55


async def test_head_cancels_an_upcoming_event(
    chat: Chat, session: AsyncSession, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    await plan_webinar(chat)
    touches = list(
        await session.scalars(
            select(Touch).where(Touch.reason == TouchReason.EVENT).order_by(Touch.id)
        )
    )
    done = next(t for t in touches if t.member_id == manager.id)
    close_touch(done, TouchStatus.DONE, START)
    reminded = next(t for t in touches if t.member_id == manager.id and t is not done)
    session.add(
        Outbox(
            **outbox_row(
                member=manager,
                kind="reminder",
                dedupe_key=f"reminder:{reminded.id}:test",
                payload={"text": "Пора пригласить"},
                not_before=START + timedelta(days=1),
                now=START,
                touch_id=reminded.id,
            )
        )
    )
    await session.commit()

    listing = await chat.send(HEAD_ID, "/event")
    assert "приглашений: 55, из них ещё не сделано: 54" in joined(listing)
    asked = joined(await chat.press(HEAD_ID, "Отменить: Вебинар"))
    assert "Открытые приглашения (54) закроются" in asked
    calls = await chat.press(HEAD_ID, "Да, отменить событие")
    assert "Закрыто приглашений: 54" in joined(calls)
    delivered = await chat.deliver(session_factory)
    notices = [c for c in delivered if isinstance(c, SendMessage) and c.chat_id == MANAGER_ID]
    assert len(notices) == 1
    assert "отменено" in notices[0].text
    assert "сняты с вашего плана: 49" in notices[0].text
    # The head cancelled it: no separate message to the head about their own invitations.
    assert not [
        c
        for c in delivered
        if isinstance(c, SendMessage) and c.chat_id == HEAD_ID and "отмен" in c.text
    ]

    session.expire_all()
    event = await session.scalar(select(Event))
    assert event is not None
    assert event.cancelled_at is not None
    statuses = Counter(
        (t.status, t.skip_reason)
        for t in await session.scalars(select(Touch).where(Touch.event_id == event.id))
    )
    assert statuses == {
        (TouchStatus.SKIPPED, planner.EVENT_CANCELLED): 54,
        (TouchStatus.DONE, None): 1,
    }
    reminder = await session.scalar(select(Outbox).where(Outbox.touch_id == reminded.id))
    assert reminder is not None
    assert reminder.status == "cancelled"
    # Nothing upcoming any more: /event asks for a new one; the old button is refused.
    assert "называется" in joined(await chat.send(HEAD_ID, "/event"))
    stale = EventCallback(action=EventAction.DROP_YES, value=str(event.id)).pack()
    assert "уже нет в списке" in joined(await chat.press_data(HEAD_ID, stale))
    # Cancelled, the same event may be planned again.
    assert "Запланировано приглашений: 55" in joined(await plan_webinar(chat))


async def test_cancelled_invitations_read_as_cancelled_not_skipped(
    chat: Chat, session: AsyncSession
) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    await plan_webinar(chat)
    invitations = list(
        await session.scalars(
            select(Touch)
            .where(Touch.reason == TouchReason.EVENT, Touch.member_id == manager.id)
            .order_by(Touch.id)
        )
    )
    today_one, skipped = invitations[:2]
    today_one.due_on = START.date()
    close_touch(skipped, TouchStatus.SKIPPED, START, "дубль")
    await session.commit()
    await chat.send(MANAGER_ID, "/today")
    listed, _ = chat.find_button(MANAGER_ID, "📇 1.")
    await chat.send(HEAD_ID, "/event")
    await chat.press(HEAD_ID, "Отменить: Вебинар")
    await chat.press(HEAD_ID, "Да, отменить событие")

    # «Сделано» on the list the manager still has open: the event is gone, nobody skipped it.
    calls = await chat.press_data(MANAGER_ID, data_of(listed, "Сделано"), on=listed)
    assert "приглашение снято — событие отменено" in joined(calls)
    (row,) = rows(listed)[0]
    assert row.startswith("🚫 1. ")
    assert row.endswith(" — событие отменено")

    statuses = Counter(
        row["Статус"]
        for row in records(workbook(await export_as_head(chat))["Касания"])
        if row["Причина"] == "Событие компании"
    )
    assert statuses == {"Отменено — событие отменено": 54, "Пропущено": 1}
    head.language = "en"
    await session.commit()
    statuses = Counter(
        row["Status"]
        for row in records(workbook(await export_as_head(chat))["Touches"])
        if row["Reason"] == "Company event"
    )
    assert statuses == {"Cancelled — the event was cancelled": 54, "Skipped": 1}


async def export_as_head(chat: Chat) -> SendDocument:
    """The file the head's /export sends."""
    documents = [c for c in await chat.send(HEAD_ID, "/export") if isinstance(c, SendDocument)]
    assert len(documents) == 1
    return documents[0]


async def test_manager_cannot_cancel_an_event(chat: Chat, session: AsyncSession) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    await plan_webinar(chat)
    event = await session.scalar(select(Event))
    assert event is not None
    forged = EventCallback(action=EventAction.DROP_YES, value=str(event.id)).pack()
    assert "только руководителю" in joined(await chat.press_data(MANAGER_ID, forged))
    session.expire_all()
    assert (await session.scalar(select(Event))).cancelled_at is None  # type: ignore[union-attr]


async def test_a_far_event_is_invited_to_in_its_last_three_weeks(
    chat: Chat, session: AsyncSession
) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "Новогодний вебинар")
    await chat.send(HEAD_ID, "31.12.2027")
    preview = joined(await chat.press(HEAD_ID, "Всех клиентов"))
    # Three weeks before (10 December 2027) to two days before; the year shown: it's not this one.
    assert "с 10 декабря 2027 по 29 декабря 2027" in preview
    assert "⚠️" not in preview
    await chat.press(HEAD_ID, "Сохранить")
    days = {
        t.due_on for t in await session.scalars(select(Touch).where(Touch.event_id.isnot(None)))
    }
    assert min(days) >= date(2027, 12, 10)
    assert max(days) <= date(2027, 12, 29)


async def test_an_event_tomorrow_is_invited_to_today_with_a_load_warning(
    chat: Chat, session: AsyncSession
) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "Распродажа")
    await chat.send(HEAD_ID, "завтра")
    preview = joined(await chat.press(HEAD_ID, "Всех клиентов"))
    # START is 18 November 2026: the only day before the event is today, said once.
    assert "Приглашения — по рабочим дням 18 ноября," in preview
    assert "по 18 ноября" not in preview
    assert "⚠️ Tester: до 50 приглашений в день (18 ноября)" in preview
    assert "разумно не больше 10" in preview
    # The head's own five clients are no overload.
    assert preview.count("⚠️") == 1
    await chat.press(HEAD_ID, "Сохранить")
    days = {
        t.due_on for t in await session.scalars(select(Touch).where(Touch.event_id.isnot(None)))
    }
    assert days == {date(2026, 11, 18)}


async def test_the_event_time_is_kept_and_shown(chat: Chat, session: AsyncSession) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "Вебинар")
    assert "Не понял время" in joined(await chat.send(HEAD_ID, "10.12 в 25:00"))
    asked = joined(await chat.send(HEAD_ID, "10.12 в 11:00"))
    assert "«Вебинар», 10 декабря 2026 в 11:00. Кого приглашаем?" in asked
    preview = joined(await chat.press(HEAD_ID, "Всех клиентов"))
    assert "<b>Вебинар</b>, 10 декабря 2026 в 11:00" in preview
    assert "Вебинар» (10 декабря 2026 в 11:00) сохранено" in joined(
        await chat.press(HEAD_ID, "Сохранить")
    )
    event = await session.scalar(select(Event))
    assert event is not None
    assert event.starts_at == time(11, 0)
    goals = {
        t.goal for t in await session.scalars(select(Touch).where(Touch.event_id == event.id))
    }
    assert goals == {"Пригласить на «Вебинар» 10 декабря в 11:00"}
    assert event.timezone == "Europe/Moscow"


async def plan_timed_webinar(
    chat: Chat, session: AsyncSession, manager_zone: str, when: str = "10.12 в 11:00"
) -> tuple[Member, Member]:
    """A Moscow head plans «Вебинар» for everyone; the manager lives in `manager_zone`."""
    head, manager = await team(chat, session)
    await base(session, head, manager)
    manager.timezone = manager_zone
    await session.commit()
    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "Вебинар")
    await chat.send(HEAD_ID, when)
    await chat.press(HEAD_ID, "Всех клиентов")
    await chat.press(HEAD_ID, "Сохранить")
    return head, manager


async def goals_of(session: AsyncSession, member: Member | int) -> set[str]:
    member_id = member if isinstance(member, int) else member.id
    touches = await session.scalars(
        select(Touch).where(Touch.reason == TouchReason.EVENT, Touch.member_id == member_id)
    )
    return {touch.goal for touch in touches}


async def test_an_invitation_names_the_events_zone_and_the_owners_time(
    chat: Chat, session: AsyncSession
) -> None:
    head, manager = await plan_timed_webinar(chat, session, "Asia/Novosibirsk")
    assert await goals_of(session, manager) == {
        "Пригласить на «Вебинар» 10 декабря в 11:00 по Москве, у вас 15:00"
    }
    # The head's own clients: the head's own clock, nothing to add.
    assert await goals_of(session, head) == {"Пригласить на «Вебинар» 10 декабря в 11:00"}
    # The manager's plan shows the goal as saved.
    assert "в 11:00 по Москве, у вас 15:00" in joined(await chat.send(MANAGER_ID, "/week"))


async def test_an_evening_event_falls_on_the_next_day_far_east(
    chat: Chat, session: AsyncSession
) -> None:
    _, manager = await plan_timed_webinar(chat, session, "Asia/Vladivostok", "10.12 в 23:00")
    assert await goals_of(session, manager) == {
        "Пригласить на «Вебинар» 10 декабря в 23:00 по Москве, у вас 11 декабря в 06:00"
    }


async def test_an_english_reader_gets_the_zone_in_english(
    chat: Chat, session: AsyncSession
) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    manager.timezone, manager.language = "Europe/Kaliningrad", "en"
    await session.commit()
    await plan_webinar(chat, "Webinar")
    assert await goals_of(session, manager) == {"Invite to “Webinar” on 10 December"}
    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "Демо")
    await chat.send(HEAD_ID, "12.12 в 11:00")
    await chat.press(HEAD_ID, "Всех клиентов")
    await chat.press(HEAD_ID, "Сохранить")
    assert "Invite to “Демо” on 12 December at 11:00 Moscow time, 10:00 your time" in (
        await goals_of(session, manager)
    )


async def test_the_event_list_and_the_cancel_notice_show_each_readers_clock(
    chat: Chat, session: AsyncSession, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await plan_timed_webinar(chat, session, "Asia/Novosibirsk")
    far_head = Member(
        telegram_id=SECOND_HEAD_ID,
        full_name="Пётр",
        role=Role.HEAD,
        is_active=True,
        timezone="Asia/Vladivostok",
        work_start=time(9),
        work_end=time(18),
        work_days="01234",
        digest_time=time(9),
        language="ru",
        created_at=START,
    )
    session.add(far_head)
    await session.commit()

    # The head who typed it reads it as typed; a head in Vladivostok on his own clock too.
    assert "10 декабря 2026 в 11:00 — <b>Вебинар</b>" in joined(await chat.send(HEAD_ID, "/event"))
    listing = joined(await chat.send(SECOND_HEAD_ID, "/event"))
    assert "10 декабря 2026 в 11:00 по Москве, у вас 18:00 — <b>Вебинар</b>" in listing

    await chat.press(HEAD_ID, "Отменить: Вебинар")
    await chat.press(HEAD_ID, "Да, отменить событие")
    told = [
        c.text
        for c in await chat.deliver(session_factory)
        if isinstance(c, SendMessage) and c.chat_id == MANAGER_ID
    ]
    assert len(told) == 1
    assert "(10 декабря 2026 в 11:00 по Москве, у вас 15:00) отменено" in told[0]


FAR_MANAGER_ID = 503


async def far_manager(session: AsyncSession) -> int:
    """Пётр, a manager in Vladivostok (Moscow + 7); returns his id."""
    member = Member(
        telegram_id=FAR_MANAGER_ID,
        full_name="Пётр",
        role=Role.MANAGER,
        is_active=True,
        timezone="Asia/Vladivostok",
        work_start=time(9),
        work_end=time(18),
        work_days="01234",
        digest_time=time(9),
        language="ru",
        created_at=START,
    )
    session.add(member)
    await session.flush()
    member_id = member.id
    await session.commit()
    return member_id


async def first_invitation(session: AsyncSession, member_id: int) -> Touch:
    """The member's invitation due first."""
    touch = await session.scalar(
        select(Touch)
        .where(Touch.reason == TouchReason.EVENT, Touch.member_id == member_id)
        .order_by(Touch.due_on, Touch.id)
        .limit(1)
    )
    assert touch is not None
    return touch


async def test_a_handed_over_invitation_reads_on_the_new_owners_clock(
    chat: Chat, session: AsyncSession
) -> None:
    _, manager = await plan_timed_webinar(chat, session, "Asia/Novosibirsk")
    manager_id = manager.id
    peter_id = await far_manager(session)
    touch = await first_invitation(session, manager_id)
    touch_id, client_id = touch.id, touch.client_id
    assert touch.goal.endswith("по Москве, у вас 15:00")
    # Due today: the handover queues today's reminder for the new owner at once.
    touch.due_on = START.date()
    await session.commit()

    await chat.press_data(HEAD_ID, HandoverCallback(action="start", client_id=client_id).pack())
    await chat.press(HEAD_ID, "Пётр")
    await chat.press(HEAD_ID, chat.buttons(HEAD_ID)[0])
    await chat.press(HEAD_ID, "Без заметки")
    assert "передан" in joined(await chat.press(HEAD_ID, "Передать"))

    # Пётр's plan speaks of his clock; the invitations Дмитрий kept still speak of his.
    week = joined(await chat.send(FAR_MANAGER_ID, "/week"))
    assert "Пригласить на «Вебинар» 10 декабря в 11:00 по Москве, у вас 18:00" in week
    assert "у вас 15:00" not in week
    session.expire_all()
    moved = await session.get(Touch, touch_id)
    assert moved is not None
    assert moved.member_id == peter_id
    assert await goals_of(session, peter_id) == {
        "Пригласить на «Вебинар» 10 декабря в 11:00 по Москве, у вас 18:00"
    }
    assert await goals_of(session, manager_id) == {
        "Пригласить на «Вебинар» 10 декабря в 11:00 по Москве, у вас 15:00"
    }
    (reminder,) = await session.scalars(
        select(Outbox).where(Outbox.touch_id == touch_id, Outbox.member_id == peter_id)
    )
    assert "в 11:00 по Москве, у вас 18:00" in reminder.payload["text"]


async def test_a_whole_base_handed_over_brings_its_invitations_to_the_new_clock(
    chat: Chat, session: AsyncSession
) -> None:
    head, _ = await plan_timed_webinar(chat, session, "Asia/Novosibirsk")
    head_id = head.id
    peter_id = await far_manager(session)
    await chat.send(HEAD_ID, "/members")
    await chat.press(HEAD_ID, "Отключить Tester")
    await chat.press(HEAD_ID, "Да, отключить")
    await chat.press(HEAD_ID, "Пётр")
    assert "Передано клиентов: 50" in joined(await chat.press(HEAD_ID, "Передать всех"))
    session.expire_all()
    assert await goals_of(session, peter_id) == {
        "Пригласить на «Вебинар» 10 декабря в 11:00 по Москве, у вас 18:00"
    }
    # The head's own invitations were never the manager's: untouched.
    assert await goals_of(session, head_id) == {"Пригласить на «Вебинар» 10 декабря в 11:00"}


async def test_a_new_zone_or_language_rewords_the_open_invitations(
    chat: Chat, session: AsyncSession
) -> None:
    _, manager = await plan_timed_webinar(chat, session, "Asia/Novosibirsk")
    manager_id = manager.id
    done = await first_invitation(session, manager_id)
    close_touch(done, TouchStatus.DONE, START)
    done_id = done.id
    await session.commit()

    await chat.send(MANAGER_ID, "/settings")
    await chat.press(MANAGER_ID, "Часовой пояс")
    await chat.press(MANAGER_ID, "Владивосток")
    assert "у вас 18:00" in joined(await chat.send(MANAGER_ID, "/week"))
    await chat.press(MANAGER_ID, "Язык")
    await chat.press(MANAGER_ID, "English")
    week = joined(await chat.send(MANAGER_ID, "/week"))
    assert "Invite to “Вебинар” on 10 December at 11:00 Moscow time, 18:00 your time" in week

    session.expire_all()
    open_goals = {
        touch.goal
        for touch in await session.scalars(
            select(Touch).where(
                Touch.reason == TouchReason.EVENT,
                Touch.member_id == manager_id,
                Touch.status == TouchStatus.PLANNED,
            )
        )
    }
    assert open_goals == {
        "Invite to “Вебинар” on 10 December at 11:00 Moscow time, 18:00 your time"
    }
    # A done invitation is history: it keeps the words it was done with.
    kept = await session.get(Touch, done_id)
    assert kept is not None
    assert kept.goal == "Пригласить на «Вебинар» 10 декабря в 11:00 по Москве, у вас 15:00"


def test_event_day_and_time_forms() -> None:
    today = date(2026, 12, 3)
    cases = {
        "15.12 в 11:00": (date(2026, 12, 15), time(11, 0)),
        "15 декабря 11:00": (date(2026, 12, 15), time(11, 0)),
        "15 декабря 2026, 9.30": (date(2026, 12, 15), time(9, 30)),
        "15.12 в 11": (date(2026, 12, 15), time(11, 0)),
        "15.12": (date(2026, 12, 15), None),
        "15.12.2026": (date(2026, 12, 15), None),
    }
    for text, expected in cases.items():
        day_text, starts_at = split_event_time(text)
        assert (parse_event_day(day_text, today), starts_at) == expected, text


async def test_clients_of_a_deactivated_member_are_flagged_and_follow_the_handover(
    chat: Chat, session: AsyncSession
) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    manager.is_active = False
    manager.deactivated_at = START
    await session.commit()

    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "Вебинар")
    await chat.send(HEAD_ID, "10.12.2026")
    preview = joined(await chat.press(HEAD_ID, "Всех клиентов"))
    assert "⚠️ Клиенты отключённых сотрудников: Tester — 50 клиентов." in preview
    assert "Сначала передайте их в /members" in preview
    saved = joined(await chat.press(HEAD_ID, "Сохранить"))
    assert "Tester — 50 клиентов" in saved

    # Planned for the deactivated owner, the invitations move with the clients.
    head_id = head.id
    await handover.hand_over_base(session, head, manager.id, head_id, START)
    await session.commit()
    session.expire_all()
    owners = Counter(
        t.member_id for t in await session.scalars(select(Touch).where(Touch.event_id.isnot(None)))
    )
    assert owners == {head_id: 55}
    # Nothing is waiting any more.
    await chat.send(HEAD_ID, "/event")
    await chat.press(HEAD_ID, "Новое событие")
    await chat.send(HEAD_ID, "Распродажа")
    await chat.send(HEAD_ID, "15.12.2026")
    assert "отключённых" not in joined(await chat.press(HEAD_ID, "Всех клиентов"))


async def test_changing_the_audience_keeps_the_ticked_categories(
    chat: Chat, session: AsyncSession
) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "Вебинар")
    await chat.send(HEAD_ID, "10.12.2026")
    await chat.press(HEAD_ID, "По категориям")
    await chat.press(HEAD_ID, "ключевые")
    assert "46 клиентов" in joined(await chat.press(HEAD_ID, "Готово"))
    await chat.press(HEAD_ID, "Изменить аудиторию")
    await chat.press(HEAD_ID, "По категориям")
    assert "✅ ключевые" in chat.buttons(HEAD_ID)
    assert "▫️ постоянные" in chat.buttons(HEAD_ID)
    await chat.press(HEAD_ID, "постоянные")
    preview = joined(await chat.press(HEAD_ID, "Готово"))
    assert "категории: ключевые, постоянные" in preview
    assert "56 клиентов" in preview


async def test_markers_are_offered_as_buttons_and_typed_ones_join_them(
    chat: Chat, session: AsyncSession
) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    await chat.send(HEAD_ID, "/event")
    await chat.send(HEAD_ID, "Распродажа")
    await chat.send(HEAD_ID, "15.12.2026")
    await chat.press(HEAD_ID, "По меткам")
    # The base's markers, the most common first.
    assert chat.buttons(HEAD_ID)[:2] == ["▫️ опт", "▫️ розница"]
    await chat.press(HEAD_ID, "опт")
    preview = joined(await chat.press(HEAD_ID, "Готово"))
    assert "метки: опт" in preview
    assert "40 клиентов, у 1 менеджера" in preview
    await chat.press(HEAD_ID, "Изменить аудиторию")
    await chat.press(HEAD_ID, "По меткам")
    assert "✅ опт" in chat.buttons(HEAD_ID)
    preview = joined(await chat.send(HEAD_ID, "Розница"))
    assert "метки: опт, Розница" in preview
    assert "50 клиентов, у 1 менеджера" in preview
    await chat.press(HEAD_ID, "Сохранить")
    event = await session.scalar(select(Event))
    assert event is not None
    assert event.audience["tags"] == ["опт", "Розница"]


def test_a_quoted_title_nests_its_quotes_in_the_invitation() -> None:
    goal = planner.event_goal("Выставка «Иннопром»", date(2026, 12, 15), "ru", time(11, 0))
    assert goal == "Пригласить на «Выставка „Иннопром“» 15 декабря в 11:00"
    english = planner.event_goal("Выставка «Иннопром»", date(2026, 12, 15), "en")
    assert english == "Invite to “Выставка «Иннопром»” on 15 December"


async def _routine_calls(session: AsyncSession, manager: Member) -> list[int]:
    """Four clients of the manager, each with its next touch: a routine call on 25 November
    (inside the invitation days of a 10 December event), one on 20 December (after it), an
    agreed next step on 25 November and a call with a time agreed on 25 November; their ids."""
    clients = [make_client(manager, Category.REGULAR, n, []) for n in range(4)]
    session.add_all(clients)
    await session.flush()
    plans = [
        (date(2026, 11, 25), TouchReason.CADENCE, "Узнать, как дела"),
        (date(2026, 12, 20), TouchReason.CADENCE, "Узнать, как дела"),
        (date(2026, 11, 25), TouchReason.FOLLOW_UP, "Согласовать спецификацию"),
        (date(2026, 11, 25), TouchReason.CADENCE, "Созвониться в 15:00"),
    ]
    for client, (day, reason, goal) in zip(clients, plans, strict=True):
        touch = await plan_touch(
            session,
            client=client,
            due_on=day,
            reason=reason,
            goal=goal,
            dedupe_key=f"test:{client.id}",
            now=START,
        )
        if goal.endswith("15:00"):
            touch.due_at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    ids = [client.id for client in clients]
    await session.commit()
    return ids


async def test_an_invitation_is_made_on_the_call_already_planned(
    chat: Chat, session: AsyncSession, clock: ManualClock
) -> None:
    _, manager = await team(chat, session)
    on_call, later_call, agreed_step, agreed_time = await _routine_calls(session, manager)
    saved = joined(await plan_webinar(chat))
    assert "Запланировано приглашений: 4" in saved
    assert "3 приглашения — в дни уже запланированных звонков: один звонок вместо двух" in saved

    session.expire_all()
    touches = {
        (t.client_id, t.reason): t for t in await session.scalars(select(Touch).order_by(Touch.id))
    }
    # Invited on the call already due inside the invitation days; the call is replaced.
    assert touches[on_call, TouchReason.EVENT].due_on == date(2026, 11, 25)
    replaced = touches[on_call, TouchReason.CADENCE]
    assert (replaced.status, replaced.skip_reason) == (TouchStatus.SKIPPED, planner.REPLACED)
    # A routine call after the invitation is replaced too: the invitation is the next contact.
    assert touches[later_call, TouchReason.CADENCE].status is TouchStatus.SKIPPED
    # An agreed next step and a time agreed with the client stay, and the invitation is made
    # on that call too, not on a day of its own.
    assert touches[agreed_step, TouchReason.FOLLOW_UP].status is TouchStatus.PLANNED
    assert touches[agreed_time, TouchReason.CADENCE].status is TouchStatus.PLANNED
    for client_id in (agreed_step, agreed_time):
        assert touches[client_id, TouchReason.EVENT].due_on == date(2026, 11, 25)

    # On 25 November the manager has one item for the first client, not two.
    clock.set(datetime(2026, 11, 25, 7, 0, tzinfo=UTC))
    today = joined(await chat.send(MANAGER_ID, "/today"))
    assert today.count("ООО «Клиент 0»") == 1
    assert "Пригласить на «Вебинар: новая коллекция»" in today
    # The agreed step's client: its invitation is listed under it, made on the same call.
    assert today.count("ООО «Клиент 2»") == 1
    step = today.index("Согласовать спецификацию")
    assert today.index("↳ в том же звонке: 📣 Пригласить на «Вебинар", step) > step

    # A planning sweep brings no call back beside the invitation.
    await planner.plan_all(session, clock.now())
    await session.commit()
    open_calls = await session.scalars(
        select(Touch.client_id).where(
            Touch.reason == TouchReason.CADENCE, Touch.status == TouchStatus.PLANNED
        )
    )
    assert set(open_calls) == {agreed_time}


async def test_a_second_event_invites_on_the_day_of_the_first_ones_invitation(
    chat: Chat, session: AsyncSession
) -> None:
    """Two events the same month: each client is called once and invited to both, not on two
    days of one week."""
    _, manager = await team(chat, session)
    session.add_all(make_client(manager, Category.REGULAR, n, []) for n in range(6))
    await session.commit()
    first = joined(await plan_webinar(chat, "Вебинар: новая коллекция"))
    assert "в дни уже запланированных" not in first
    second = joined(await plan_webinar(chat, "Выставка БИОТ"))
    assert "6 приглашений — в дни уже запланированных звонков" in second

    session.expire_all()
    days: dict[int, set[date]] = defaultdict(set)
    for touch in await session.scalars(select(Touch).where(Touch.reason == TouchReason.EVENT)):
        days[touch.client_id].add(touch.due_on)
    assert len(days) == 6
    assert all(len(client_days) == 1 for client_days in days.values())
    assert len(set().union(*days.values())) > 1  # still spread over the days, client by client
    # /week lists the second invitation under the first: one line per call.
    week = joined(await chat.send(MANAGER_ID, "/week"))
    assert "↳ в том же звонке: Пригласить на «Выставка БИОТ»" in week


async def test_cancelling_the_event_brings_the_replaced_calls_back(
    chat: Chat, session: AsyncSession
) -> None:
    _, manager = await team(chat, session)
    on_call, later_call, *_ = await _routine_calls(session, manager)
    await plan_webinar(chat)
    # Meanwhile a contact with the second client planned its next step.
    session.add(
        Touch(
            client_id=later_call,
            member_id=manager.id,
            due_on=date(2026, 11, 30),
            reason=TouchReason.FOLLOW_UP,
            status=TouchStatus.PLANNED,
            goal="Выслать договор",
            dedupe_key="test:follow-up",
            created_at=START,
        )
    )
    await session.commit()

    await chat.send(HEAD_ID, "/event")
    await chat.press(HEAD_ID, "Отменить: Вебинар")
    assert "Закрыто приглашений: 4" in joined(await chat.press(HEAD_ID, "Да, отменить событие"))

    session.expire_all()
    open_touches = [
        (t.client_id, t.due_on, t.goal)
        for t in await session.scalars(
            select(Touch).where(
                Touch.status == TouchStatus.PLANNED,
                Touch.client_id.in_([on_call, later_call]),
            )
        )
    ]
    # The call is back as it was planned; the client with a newer plan keeps only that.
    assert sorted(open_touches) == [
        (on_call, date(2026, 11, 25), "Узнать, как дела"),
        (later_call, date(2026, 11, 30), "Выслать договор"),
    ]


async def test_a_skipped_invitation_gives_the_call_back(chat: Chat, session: AsyncSession) -> None:
    _, manager = await team(chat, session)
    on_call, later_call, *_ = await _routine_calls(session, manager)
    await plan_webinar(chat)
    invitation = await session.scalar(
        select(Touch).where(Touch.client_id == later_call, Touch.reason == TouchReason.EVENT)
    )
    assert invitation is not None
    skip = SkipCallback(reason=SkipReason.IRRELEVANT, touch_id=invitation.id).pack()
    assert "пропущено" in joined(await chat.press_data(MANAGER_ID, skip)).lower()

    session.expire_all()
    open_touches = [
        (t.client_id, t.reason, t.due_on)
        for t in await session.scalars(
            select(Touch).where(
                Touch.status == TouchStatus.PLANNED,
                Touch.client_id.in_([on_call, later_call]),
            )
        )
    ]
    # The skipped invitation's client has its call back; the other keeps its invitation.
    assert sorted(open_touches) == [
        (on_call, TouchReason.EVENT, date(2026, 11, 25)),
        (later_call, TouchReason.CADENCE, date(2026, 12, 20)),
    ]
