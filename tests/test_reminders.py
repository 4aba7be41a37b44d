"""Reminders timed to calling windows, the digest's clock, restarts and downtime, the buttons.

A Moscow manager works 09:00–18:00 Monday to Friday; clients sit in Vladivostok, Kaliningrad
and Berlin. The clock is a ManualClock; the clock's jobs and the delivery run as one tick.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from aiogram.methods import SendMessage
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_bot, create_dispatcher
from bot.callbacks import LogCallback, PlanAction, PlanTouchCallback, SnoozeCallback, SnoozeOption
from bot.offline import OFFLINE_TOKEN, RecordingSession
from bot.settings import Settings
from models import Client, Contact, Member, Outbox, Touch
from models.enums import Category, ClientKind, Role, TouchReason, TouchStatus
from scheduler.clock import Ticker
from scheduler.delivery import Deliverer
from scheduler.jobs import planner_jobs, schedule_digests, schedule_reminders
from services.clock import ManualClock
from tests.harness import Chat, joined

Factory = async_sessionmaker[AsyncSession]
MSK = ZoneInfo("Europe/Moscow")
MANAGER_ID = 601
OTHER_MANAGER_ID = 602


class FakeTime:
    """A monotonic clock and a sleep for the deliverer's pacing that only move fake time."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
        self.now += max(seconds, 0.0)


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Moscow wall time as an aware datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=MSK)


def make_ticker(
    bot: Bot, session_factory: Factory, clock: ManualClock, *, with_planning: bool = False
) -> Ticker:
    """The production job list (without the planner's sweep unless asked), then delivery."""
    fake = FakeTime()
    jobs = [
        job for job in planner_jobs(session_factory) if with_planning or job.name != "planning"
    ]
    ticker = Ticker(clock, jobs)
    deliverer = Deliverer(
        bot,
        session_factory,
        worker="test",
        per_chat_interval=0.0,
        monotonic=fake.monotonic,
        sleep=fake.sleep,
    )
    ticker.register("delivery", deliverer.run_job, on_demand=True)
    return ticker


async def run_until(ticker: Ticker, clock: ManualClock, target: datetime, step: timedelta) -> None:
    """Tick every `step` until `target` (inclusive), the way APScheduler would."""
    while clock.now() < target:
        clock.set(min(target, clock.now() + step))
        await ticker.tick()


async def add_member(
    session: AsyncSession,
    *,
    telegram_id: int = MANAGER_ID,
    timezone: str = "Europe/Moscow",
    role: Role = Role.MANAGER,
    name: str = "Дмитрий",
    digest_time: time = time(9, 0),
) -> Member:
    member = Member(
        telegram_id=telegram_id,
        full_name=name,
        role=role,
        is_active=True,
        timezone=timezone,
        work_start=time(9, 0),
        work_end=time(18, 0),
        work_days="01234",
        digest_time=digest_time,
        language="ru",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    session.add(member)
    await session.flush()
    return member


async def add_client(
    session: AsyncSession,
    owner: Member,
    name: str,
    timezone: str,
    window: tuple[time, time] = (time(10), time(18)),
    *,
    contact: str = "Петров Иван Сергеевич",
    phone: str = "+79135550142",
    confirmed: datetime | None = None,
) -> Client:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    client = Client(
        kind=ClientKind.B2B,
        name=name,
        timezone=timezone,
        category=Category.REGULAR,
        owner_id=owner.id,
        window_start=window[0],
        window_end=window[1],
        window_days="01234",
        observe_holidays=True,
        data_confirmed_at=confirmed or datetime(2026, 11, 1, tzinfo=UTC),
        created_at=moment,
        updated_at=moment,
        tags=[],
    )
    client.contacts.append(
        Contact(full_name=contact, phone=phone, is_primary=True, created_at=moment)
    )
    session.add(client)
    await session.flush()
    return client


async def add_touch(
    session: AsyncSession,
    client: Client,
    due_on: date,
    goal: str = "Предложить новый прайс",
    reason: TouchReason = TouchReason.CADENCE,
) -> Touch:
    touch = Touch(
        client_id=client.id,
        member_id=client.owner_id,
        due_on=due_on,
        reason=reason,
        status=TouchStatus.PLANNED,
        goal=goal,
        dedupe_key=f"test:{client.id}:{due_on}:{goal}",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    session.add(touch)
    await session.flush()
    return touch


async def outbox_rows(session_factory: Factory, kind: str | None = None) -> list[Outbox]:
    async with session_factory() as session:
        query = select(Outbox).order_by(Outbox.id)
        if kind is not None:
            query = query.where(Outbox.kind == kind)
        return list(await session.scalars(query))


def sent_texts(recorder: RecordingSession, chat_id: int | None = None) -> list[str]:
    return [
        call.text
        for call in recorder.requests
        if isinstance(call, SendMessage) and (chat_id is None or call.chat_id == chat_id)
    ]


# --- Calling windows ------------------------------------------------------------------------


async def test_vladivostok_wide_window_reminds_at_nine_moscow(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Тихоокеанская логистика", "Asia/Vladivostok")
        await add_touch(session, client, date(2026, 11, 23))
    clock.set(msk(2026, 11, 23, 0, 5))
    await schedule_reminders(session_factory, clock.now())
    [reminder] = await outbox_rows(session_factory, "reminder")
    assert reminder.not_before == msk(2026, 11, 23, 9, 0)
    # 18:00 in Vladivostok is 11:00 in Moscow: the window is open two more hours.
    assert reminder.expires_at == msk(2026, 11, 23, 11, 0)
    assert reminder.dedupe_key.startswith(f"reminder:{reminder.touch_id}:2026-11-23")

    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 8, 55), timedelta(minutes=5))
    assert not any("Пора связаться" in text for text in sent_texts(recorder))
    await run_until(ticker, clock, msk(2026, 11, 23, 9, 0), timedelta(minutes=5))
    reminders = [text for text in sent_texts(recorder, MANAGER_ID) if "Пора связаться" in text]
    assert len(reminders) == 1
    assert "Тихоокеанская логистика" in reminders[0]
    # The window line says when it closes; no second line repeats it.
    assert "окно 03:00–11:00 по вашему времени" in reminders[0]
    assert "до 11:00" not in reminders[0]


@pytest.mark.parametrize(
    ("language", "title", "window", "until"),
    [
        (
            "ru",
            "Пора связаться",
            "окно {} по вашему времени",
            "Сегодня позвонить можно до 18:00 по вашему времени — дальше ваш рабочий день "
            "закончится.",
        ),
        (
            "en",
            "Time to get in touch",
            "window {} your time",
            "Today you can call until 18:00 your time — your working day ends then.",
        ),
    ],
    ids=["ru", "en"],
)
async def test_a_reminder_says_until_when_only_when_the_working_day_ends_first(
    session_factory: Factory,
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
    language: str,
    title: str,
    window: str,
    until: str,
) -> None:
    """A window that closes inside the working day is said once, on the window line; one that
    outlasts it (08:00–20:00 for a 09:00–18:00 day) gets the line with the day's end."""
    async with session_factory.begin() as session:
        manager = await add_member(session)
        manager.language = language
        inside = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        wide = await add_client(session, manager, "Лютик", "Europe/Moscow", (time(8), time(20)))
        await add_touch(session, inside, date(2026, 11, 23))
        await add_touch(session, wide, date(2026, 11, 23))
    clock.set(msk(2026, 11, 23, 8, 0))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 10, 0), timedelta(minutes=15))
    reminders = {
        name: text
        for text in sent_texts(recorder, MANAGER_ID)
        if title in text
        for name in ("Ромашка", "Лютик")
        if name in text
    }
    assert window.format("10:00–18:00") in reminders["Ромашка"]
    assert "18:00" not in reminders["Ромашка"].replace(window.format("10:00–18:00"), "")
    assert window.format("08:00–20:00") in reminders["Лютик"]
    assert until in reminders["Лютик"]


async def test_long_overdue_touches_stay_in_the_digest_without_daily_pushes(
    session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        recent = await add_client(session, manager, "Вчерашний", "Europe/Moscow")
        stale = await add_client(session, manager, "Забытый", "Europe/Moscow")
        recent_touch = await add_touch(session, recent, date(2026, 11, 20))
        await add_touch(session, stale, date(2026, 11, 1))
    clock.set(msk(2026, 11, 23, 0, 5))
    await schedule_reminders(session_factory, clock.now())
    [reminder] = await outbox_rows(session_factory, "reminder")
    assert reminder.touch_id == recent_touch.id


async def test_one_reminder_per_client_carries_its_data_check(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(
            session,
            manager,
            "СтройМонтаж",
            "Europe/Moscow",
            confirmed=datetime(2026, 8, 15, tzinfo=UTC),
        )
        call = await add_touch(session, client, date(2026, 11, 22), "Получить обратную связь")
        check = await add_touch(
            session, client, date(2026, 11, 23), "Проверить данные", reason=TouchReason.STALE_DATA
        )
    clock.set(msk(2026, 11, 23, 0, 5))
    await schedule_reminders(session_factory, clock.now())
    [reminder] = await outbox_rows(session_factory, "reminder")
    assert reminder.touch_id == call.id
    assert "заодно сверьте данные: подтверждены 100 дней назад" in reminder.payload["text"]

    # The call is done without a word on the data: the check gets its own reminder then.
    async with session_factory.begin() as session:
        done = await session.get(Touch, call.id)
        assert done is not None
        done.status = TouchStatus.DONE
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 10, 30), timedelta(minutes=5))
    reminders = await outbox_rows(session_factory, "reminder")
    assert [row.touch_id for row in reminders] == [call.id, check.id]
    assert "заодно" not in reminders[1].payload["text"]
    assert any("Проверить данные" in text for text in sent_texts(recorder, MANAGER_ID))


async def test_one_call_two_touches_is_one_reminder(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    """An agreed step and an invitation of one client due today are one call: one message names
    both; once the step is done, the invitation is reminded on its own."""
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "ТехноПром", "Europe/Moscow")
        step = await add_touch(
            session, client, date(2026, 11, 23), "Согласовать график", TouchReason.FOLLOW_UP
        )
        invitation = await add_touch(
            session, client, date(2026, 11, 23), "Пригласить на «Вебинар»", TouchReason.EVENT
        )
    clock.set(msk(2026, 11, 23, 0, 5))
    await schedule_reminders(session_factory, clock.now())
    await schedule_reminders(session_factory, clock.now())  # a rerun adds nothing
    [reminder] = await outbox_rows(session_factory, "reminder")
    assert reminder.touch_id == step.id
    assert "Согласовать график" in reminder.payload["text"]
    assert "↳ в том же звонке: 📣 Пригласить на «Вебинар»" in reminder.payload["text"]

    async with session_factory.begin() as session:
        done = await session.get(Touch, step.id)
        assert done is not None
        done.status = TouchStatus.DONE
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 10, 30), timedelta(minutes=5))
    reminders = await outbox_rows(session_factory, "reminder")
    assert [row.touch_id for row in reminders] == [step.id, invitation.id]
    assert "в том же звонке" not in reminders[1].payload["text"]
    sent = [text for text in sent_texts(recorder, MANAGER_ID) if "Пора связаться" in text]
    assert len(sent) == 1  # the step's reminder was cancelled when it was done
    assert "Пригласить на «Вебинар»" in sent[0]


async def test_kaliningrad_narrow_window_reminds_at_eleven_moscow(
    session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(
            session, manager, "Янтарная верфь", "Europe/Kaliningrad", (time(10), time(14))
        )
        await add_touch(session, client, date(2026, 11, 23))
    clock.set(msk(2026, 11, 23, 0, 5))
    await schedule_reminders(session_factory, clock.now())
    [reminder] = await outbox_rows(session_factory, "reminder")
    assert reminder.not_before == msk(2026, 11, 23, 11, 0)
    assert reminder.expires_at == msk(2026, 11, 23, 15, 0)


async def test_vladivostok_narrow_window_never_pings_and_the_digest_says_why(
    session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(
            session, manager, "Приморский рыбокомбинат", "Asia/Vladivostok", (time(10), time(14))
        )
        await add_touch(session, client, date(2026, 11, 23))
    for hour in (0, 9, 12, 17):
        clock.set(msk(2026, 11, 23, hour, 5))
        await schedule_reminders(session_factory, clock.now())
        await schedule_digests(session_factory, clock.now())
    assert await outbox_rows(session_factory, "reminder") == []
    [digest] = await outbox_rows(session_factory, "digest")
    assert "Приморский рыбокомбинат" in digest.payload["text"]
    assert (
        "окно клиента 03:00–07:00 по вашему времени — вне ваших рабочих часов"
        in digest.payload["text"]
    )


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        # Berlin is UTC+2 until Sunday 25 October 2026, then UTC+1; Moscow stays UTC+3.
        (date(2026, 10, 23), msk(2026, 10, 23, 11, 0)),
        (date(2026, 10, 26), msk(2026, 10, 26, 12, 0)),
    ],
)
async def test_berlin_client_across_the_dst_change(
    session_factory: Factory, clock: ManualClock, due: date, expected: datetime
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Berlin GmbH", "Europe/Berlin")
        await add_touch(session, client, due)
    clock.set(datetime.combine(due, time(0, 5), tzinfo=MSK))
    await schedule_reminders(session_factory, clock.now())
    [reminder] = await outbox_rows(session_factory, "reminder")
    assert reminder.not_before == expected
    # Berlin's 18:00 is after the manager's day either way: the manager's 18:00 ends it.
    assert reminder.expires_at == datetime.combine(due, time(18), tzinfo=MSK)


async def test_weekend_waits_for_monday(session_factory: Factory, clock: ManualClock) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        await add_touch(session, client, date(2026, 11, 21))  # a Saturday
    for day in (21, 22):
        for hour in (9, 12, 17):
            clock.set(msk(2026, 11, day, hour))
            await schedule_reminders(session_factory, clock.now())
            await schedule_digests(session_factory, clock.now())
    assert await outbox_rows(session_factory) == []
    clock.set(msk(2026, 11, 23, 0, 5))
    await schedule_reminders(session_factory, clock.now())
    [reminder] = await outbox_rows(session_factory, "reminder")
    assert reminder.not_before == msk(2026, 11, 23, 10, 0)


async def test_national_holiday_is_skipped(session_factory: Factory, clock: ManualClock) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        await add_touch(session, client, date(2026, 11, 4))  # Day of National Unity
    for hour in (0, 9, 10, 12, 17):
        clock.set(msk(2026, 11, 4, hour, 5))
        await schedule_reminders(session_factory, clock.now())
        await schedule_digests(session_factory, clock.now())
    assert await outbox_rows(session_factory) == [], "no digest, no reminder on 4 November"
    clock.set(msk(2026, 11, 5, 9, 5))
    await schedule_reminders(session_factory, clock.now())
    await schedule_digests(session_factory, clock.now())
    kinds = [(row.kind, row.not_before) for row in await outbox_rows(session_factory)]
    assert ("reminder", msk(2026, 11, 5, 10, 0)) in kinds
    assert [kind for kind, _ in kinds].count("digest") == 1


# --- The digest's clock -----------------------------------------------------------------------


async def test_novosibirsk_manager_gets_the_digest_at_nine_local(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session, timezone="Asia/Novosibirsk", name="Сергей")
        client = await add_client(session, manager, "Сибирский элеватор", "Asia/Novosibirsk")
        await add_touch(session, client, date(2026, 11, 23))
    novosibirsk = ZoneInfo("Asia/Novosibirsk")
    clock.set(datetime(2026, 11, 23, 8, 0, tzinfo=novosibirsk))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(
        ticker, clock, datetime(2026, 11, 23, 8, 59, tzinfo=novosibirsk), timedelta(minutes=1)
    )
    assert not [t for t in sent_texts(recorder) if "План на" in t]
    await run_until(
        ticker, clock, datetime(2026, 11, 23, 9, 10, tzinfo=novosibirsk), timedelta(minutes=1)
    )
    digests = [t for t in sent_texts(recorder, MANAGER_ID) if "План на" in t]
    assert len(digests) == 1
    assert "Сибирский элеватор" in digests[0]
    [row] = await outbox_rows(session_factory, "digest")
    assert row.sent_at is not None
    assert row.sent_at.astimezone(novosibirsk).time() == time(9, 0)
    assert row.dedupe_key.endswith(":2026-11-23")


async def test_missed_digest_is_sent_once_after_downtime(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        await add_touch(session, client, date(2026, 11, 23))
    clock.set(msk(2026, 11, 23, 7, 0))
    ticker = make_ticker(bot, session_factory, clock)
    await ticker.tick()
    # The bot is down from 07:00 to 13:30: no tick at all.
    clock.set(msk(2026, 11, 23, 13, 30))
    await ticker.tick()
    await run_until(ticker, clock, msk(2026, 11, 23, 14, 0), timedelta(minutes=1))
    digests = [t for t in sent_texts(recorder, MANAGER_ID) if "План на" in t]
    assert len(digests) == 1
    assert "Ромашка" in digests[0]


async def test_digest_after_the_working_day_is_not_sent(
    session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        await add_touch(session, client, date(2026, 11, 23))
    clock.set(msk(2026, 11, 23, 19, 0))
    assert await schedule_digests(session_factory, clock.now()) == 0


async def test_restart_neither_loses_nor_doubles(
    settings: Settings,
    session_factory: Factory,
    clock: ManualClock,
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        for number, (zone, window) in enumerate(
            [
                ("Asia/Vladivostok", (time(10), time(18))),
                ("Europe/Kaliningrad", (time(10), time(14))),
                ("Europe/Moscow", (time(15), time(17))),
            ]
        ):
            client = await add_client(session, manager, f"Клиент {number}", zone, window)
            await add_touch(session, client, date(2026, 11, 23))
    first = RecordingSession()
    clock.set(msk(2026, 11, 23, 8, 0))
    ticker = make_ticker(create_bot(settings, first, OFFLINE_TOKEN), session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 12, 0), timedelta(minutes=5))
    # A restart: new bot, dispatcher, jobs and deliverer over the same database; the new
    # process ticks at start-up and then every minute, at the same moments as the old one.
    second = RecordingSession()
    restarted_bot = create_bot(settings, second, OFFLINE_TOKEN)
    create_dispatcher(settings, session_factory, clock)
    ticker = make_ticker(restarted_bot, session_factory, clock)
    await ticker.tick()
    await run_until(ticker, clock, msk(2026, 11, 23, 18, 0), timedelta(minutes=5))
    before, after = sent_texts(first, MANAGER_ID), sent_texts(second, MANAGER_ID)
    assert sum("План на" in text for text in before + after) == 1
    for number in range(3):
        assert sum(f"Клиент {number}" in t and "Пора связаться" in t for t in before + after) == 1
    assert any("Клиент 2" in text for text in after), "the afternoon reminder came after restart"
    async with session_factory() as session:
        total = await session.scalar(select(func.count()).select_from(Outbox))
    assert total == 4


async def test_reminder_whose_window_closed_during_downtime_folds_into_the_next_digest(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(
            session, manager, "Янтарная верфь", "Europe/Kaliningrad", (time(10), time(14))
        )
        await add_touch(session, client, date(2026, 11, 23))
    clock.set(msk(2026, 11, 23, 0, 5))
    ticker = make_ticker(bot, session_factory, clock)
    await ticker.tick()
    # Down from 00:05 to 16:00: the 11:00–15:00 window closed meanwhile.
    clock.set(msk(2026, 11, 23, 16, 0))
    await ticker.tick()
    assert not any("Пора связаться" in text for text in sent_texts(recorder))
    [reminder] = await outbox_rows(session_factory, "reminder")
    assert reminder.status == "folded"
    await run_until(ticker, clock, msk(2026, 11, 24, 9, 0), timedelta(minutes=30))
    next_morning = [t for t in sent_texts(recorder, MANAGER_ID) if "План на вт" in t]
    assert len(next_morning) == 1
    assert "Янтарная верфь" in next_morning[0]
    assert "напоминание не пришло вовремя" in next_morning[0]
    assert "просрочено на 1 рабочий день — срок был пн 23.11" in next_morning[0]


async def test_nothing_but_the_digest_outside_working_hours(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session, digest_time=time(8, 0))
        for number, zone in enumerate(["Asia/Vladivostok", "America/New_York", "Europe/Moscow"]):
            client = await add_client(session, manager, f"Клиент {number}", zone)
            await add_touch(session, client, date(2026, 11, 23))
    stamps: list[tuple[datetime, str]] = []
    recorder.on_request = lambda method, _: (
        stamps.append((clock.now(), method.text)) if isinstance(method, SendMessage) else None
    )
    clock.set(msk(2026, 11, 22, 23, 0))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 24, 0, 0), timedelta(minutes=15))
    assert stamps
    for moment, text in stamps:
        local = moment.astimezone(MSK).time()
        if "План на" not in text:
            assert time(9) <= local <= time(18), (local, text)
    assert any(
        "План на" in text and moment.astimezone(MSK).time() == time(8) for moment, text in stamps
    )


# --- Buttons ------------------------------------------------------------------------------------


async def deliver_reminder(
    session_factory: Factory, clock: ManualClock, bot: Bot, zone: str = "Europe/Moscow"
) -> tuple[int, int]:
    """A Moscow manager's reminder about Ромашка, delivered at 10:00; (touch id, other's id)."""
    async with session_factory.begin() as session:
        manager = await add_member(session)
        other = await add_member(session, telegram_id=OTHER_MANAGER_ID, name="Анна")
        client = await add_client(session, manager, "Ромашка", zone)
        touch = await add_touch(session, client, date(2026, 11, 23))
        foreign = await add_client(session, other, "Чужой клиент", zone)
        foreign_touch = await add_touch(session, foreign, date(2026, 11, 23))
        touch_id, foreign_id = touch.id, foreign_touch.id
    clock.set(msk(2026, 11, 23, 9, 55))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 10, 0), timedelta(minutes=5))
    return touch_id, foreign_id


async def touch_row(session_factory: Factory, touch_id: int) -> Touch:
    async with session_factory() as session:
        touch = await session.get(Touch, touch_id)
        assert touch is not None
        return touch


async def test_done_closes_the_touch_and_asks_how_it_went(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    touch_id, _ = await deliver_reminder(session_factory, clock, bot)
    clock.set(msk(2026, 11, 23, 10, 20))
    calls = await chat.press(MANAGER_ID, "Сделано")
    assert "Как прошло?" in joined(calls)
    # The logging flow opens at once with its first question, the goal already filled in.
    assert "📞 Звонок" in chat.buttons(MANAGER_ID)
    touch = await touch_row(session_factory, touch_id)
    assert touch.status is TouchStatus.DONE
    assert touch.closed_at == clock.now()
    assert "Сделано" not in chat.buttons(MANAGER_ID)
    again = await chat.press_data(
        MANAGER_ID, PlanTouchCallback(action=PlanAction.DONE, touch_id=touch_id).pack()
    )
    assert "это касание уже сделано" in joined(again)


async def test_queued_reminders_follow_new_working_hours_and_language(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        early = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        morning_only = await add_client(
            session, manager, "Лютик", "Europe/Moscow", (time(9), time(11))
        )
        await add_touch(session, early, date(2026, 11, 23))
        await add_touch(session, morning_only, date(2026, 11, 23), "Узнать про склад")
    clock.set(msk(2026, 11, 23, 8, 0))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 8, 30), timedelta(minutes=15))
    queued = [row.not_before for row in await outbox_rows(session_factory, "reminder")]
    assert sorted(queued) == [msk(2026, 11, 23, 9, 0), msk(2026, 11, 23, 10, 0)]
    await chat.send(MANAGER_ID, "/settings")
    await chat.press(MANAGER_ID, "Часы")
    await chat.send(MANAGER_ID, "12-20")
    await chat.send(MANAGER_ID, "/settings")
    await chat.press(MANAGER_ID, "Language")
    await chat.press(MANAGER_ID, "English")
    rows = await outbox_rows(session_factory, "reminder")
    # Ромашка at the new start of the day, in English; Лютик's 9–11 window misses it.
    assert [row.not_before for row in rows if row.status == "pending"] == [msk(2026, 11, 23, 12)]
    count = len(sent_texts(recorder, MANAGER_ID))
    await run_until(ticker, clock, msk(2026, 11, 23, 13, 0), timedelta(minutes=15))
    sent = [text for text in sent_texts(recorder, MANAGER_ID)[count:] if "Plan for" not in text]
    assert len(sent) == 1
    assert "Ромашка" in sent[0]
    assert "Time to get in touch" in sent[0]


async def test_a_queued_call_keeps_its_touches_when_the_hours_change(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    """The queued reminder of a call carrying an invitation moves to the new start of the day
    and still names the invitation; the invitation is not reminded on its own."""
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        await add_touch(session, client, date(2026, 11, 23))
        await add_touch(
            session, client, date(2026, 11, 23), "Пригласить на «Вебинар»", TouchReason.EVENT
        )
    clock.set(msk(2026, 11, 23, 8, 0))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 8, 30), timedelta(minutes=15))
    await chat.send(MANAGER_ID, "/settings")
    await chat.press(MANAGER_ID, "Часы")
    await chat.send(MANAGER_ID, "12-20")
    [queued] = await outbox_rows(session_factory, "reminder")
    assert queued.not_before == msk(2026, 11, 23, 12)
    assert "↳ в том же звонке: 📣 Пригласить на «Вебинар»" in queued.payload["text"]
    await run_until(ticker, clock, msk(2026, 11, 23, 13, 0), timedelta(minutes=15))
    [reminder] = [t for t in sent_texts(recorder, MANAGER_ID) if "Пора связаться" in t]
    assert "↳ в том же звонке: 📣 Пригласить на «Вебинар»" in reminder


async def test_an_agreed_time_is_kept_shown_and_reminded_shortly_before(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        await add_client(session, manager, "Ромашка", "Europe/Moscow")
    clock.set(msk(2026, 11, 23, 10, 0))
    await chat.send(
        MANAGER_ID,
        "Звонил Петрову из Ромашки, цель — предложить новый прайс, "
        "договорились о встрече в пятницу в 15:00",
    )
    await chat.press(MANAGER_ID, "Сохранить")
    # A later call with its own next step leaves the meeting in the plan.
    await chat.send(
        MANAGER_ID, "звонил в Ромашку, цель — напомнить про оплату, обещали оплатить в четверг"
    )
    await chat.press(MANAGER_ID, "Сохранить")
    week = joined(await chat.send(MANAGER_ID, "/week"))
    assert "⏰ 15:00 — <b>Ромашка</b>" in week
    assert "обещали оплатить" in week
    clock.set(msk(2026, 11, 27, 8, 0))
    ticker = make_ticker(bot, session_factory, clock)
    count = len(sent_texts(recorder, MANAGER_ID))
    await run_until(ticker, clock, msk(2026, 11, 27, 16, 0), timedelta(minutes=5))
    reminders = [
        text for text in sent_texts(recorder, MANAGER_ID)[count:] if "Пора связаться" in text
    ]
    reminders = [text for text in reminders if "встреча" in text]
    assert len(reminders) == 1
    assert "🕐 в 15:00, как договорились" in reminders[0]
    assert "Окно клиента открыто" not in reminders[0]
    async with session_factory() as session:
        times = await session.scalars(
            select(Outbox.not_before).where(Outbox.kind == "reminder", Outbox.status == "sent")
        )
    assert msk(2026, 11, 27, 14, 45) in list(times)


async def test_a_time_agreed_for_a_day_off_is_reminded_and_nothing_else_is(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        romashka = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        meeting = await add_touch(session, romashka, date(2026, 11, 28), "Созвониться по прайсу")
        meeting.reason = TouchReason.FOLLOW_UP
        meeting.due_at = msk(2026, 11, 28, 11, 0)
        # Ordinary touches of the same week-end: one overdue since Friday, one due on Saturday.
        for name, due in (("Лютик", date(2026, 11, 27)), ("Василёк", date(2026, 11, 28))):
            await add_touch(
                session, await add_client(session, manager, name, "Europe/Moscow"), due
            )
    clock.set(msk(2026, 11, 27, 19, 0))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 29, 23, 45), timedelta(minutes=15))

    sent = sent_texts(recorder, MANAGER_ID)
    assert len(sent) == 1, sent
    assert "Ромашка" in sent[0]
    assert "🕐 в 11:00, как договорились" in sent[0]
    async with session_factory() as session:
        times = list(
            await session.scalars(
                select(Outbox.not_before).where(Outbox.kind == "reminder", Outbox.status == "sent")
            )
        )
    assert times == [msk(2026, 11, 28, 10, 45)]


async def test_a_time_agreed_after_hours_is_reminded_even_when_planned_after_hours(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    clock.set(msk(2026, 11, 23, 18, 30))
    async with session_factory.begin() as session:
        manager = await add_member(session)
        romashka = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        call = await add_touch(session, romashka, date(2026, 11, 23), "Перезвонить вечером")
        call.due_at = msk(2026, 11, 23, 20, 0)
        await add_touch(
            session,
            await add_client(session, manager, "Лютик", "Europe/Moscow"),
            date(2026, 11, 23),
        )
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 19, 30), timedelta(minutes=15))
    assert sent_texts(recorder, MANAGER_ID) == []
    await run_until(ticker, clock, msk(2026, 11, 23, 23, 0), timedelta(minutes=15))
    [reminder] = sent_texts(recorder, MANAGER_ID)
    assert "Перезвонить вечером" in reminder
    assert "🕐 в 20:00, как договорились" in reminder


async def test_cancelling_the_log_after_done_puts_the_touch_back(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    touch_id, _ = await deliver_reminder(session_factory, clock, bot)
    await chat.press(MANAGER_ID, "Сделано")
    calls = await chat.press(MANAGER_ID, "Отмена")
    assert "Касание снова в плане: 🎯 Предложить новый прайс" in joined(calls)
    touch = await touch_row(session_factory, touch_id)
    assert (touch.status, touch.closed_at) == (TouchStatus.PLANNED, None)
    today = await chat.send(MANAGER_ID, "/today")
    assert "Ромашка" in joined(today)


async def test_cancelling_a_log_keeps_a_touch_with_its_interaction_closed(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    touch_id, _ = await deliver_reminder(session_factory, clock, bot)
    await chat.press(MANAGER_ID, "Сделано")
    await chat.send(MANAGER_ID, "звонил, договорились об отгрузке 10 декабря")
    await chat.press(MANAGER_ID, "Сохранить")
    assert (await touch_row(session_factory, touch_id)).status is TouchStatus.DONE
    # A second draft for the same touch («📝 Записать касание»), then cancelled.
    await chat.press_data(MANAGER_ID, LogCallback(action="touch", value=str(touch_id)).pack())
    calls = await chat.press(MANAGER_ID, "Отмена")
    assert "Касание снова в плане" not in joined(calls)
    assert (await touch_row(session_factory, touch_id)).status is TouchStatus.DONE


async def test_snooze_one_hour_sends_a_new_reminder(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    touch_id, _ = await deliver_reminder(session_factory, clock, bot)
    await chat.press(MANAGER_ID, "Отложить")
    calls = await chat.press(MANAGER_ID, "на 1 час")
    assert "напомню сегодня, 11:00" in joined(calls)
    touch = await touch_row(session_factory, touch_id)
    assert touch.status is TouchStatus.SNOOZED
    rows = await outbox_rows(session_factory, "reminder")
    snoozed = [row for row in rows if row.dedupe_key.endswith(":z1100")]
    assert len(snoozed) == 1
    assert snoozed[0].not_before == msk(2026, 11, 23, 11, 0)
    ticker = make_ticker(bot, session_factory, clock)
    count = len([t for t in sent_texts(recorder, MANAGER_ID) if "Пора связаться" in t])
    await run_until(ticker, clock, msk(2026, 11, 23, 11, 30), timedelta(minutes=5))
    reminders = [t for t in sent_texts(recorder, MANAGER_ID) if "Пора связаться" in t]
    assert len(reminders) == count + 1


async def test_snoozing_a_call_moves_the_touches_made_on_it(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    """Ромашка's call carries an invitation («↳ в том же звонке»): «на 1 час» moves both, and
    the invitation is not reminded on its own meanwhile."""
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        call = await add_touch(session, client, date(2026, 11, 23))
        invitation = await add_touch(
            session, client, date(2026, 11, 23), "Пригласить на «Вебинар»", TouchReason.EVENT
        )
        call_id, invitation_id = call.id, invitation.id
    clock.set(msk(2026, 11, 23, 9, 55))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 10, 0), timedelta(minutes=5))
    [reminder] = [t for t in sent_texts(recorder, MANAGER_ID) if "Пора связаться" in t]
    assert "↳ в том же звонке: 📣 Пригласить на «Вебинар»" in reminder

    await chat.press(MANAGER_ID, "Отложить")
    calls = await chat.press(MANAGER_ID, "на 1 час")
    assert "напомню сегодня, 11:00" in joined(calls)
    assert "↳ Касание того же звонка перенесено туда же." in joined(calls)
    for touch_id in (call_id, invitation_id):
        touch = await touch_row(session_factory, touch_id)
        assert touch.status is TouchStatus.SNOOZED
        assert touch.snoozed_until is not None
        assert touch.snoozed_until.replace(tzinfo=UTC) == msk(2026, 11, 23, 11, 0)
    await run_until(ticker, clock, msk(2026, 11, 23, 11, 30), timedelta(minutes=5))
    reminders = [t for t in sent_texts(recorder, MANAGER_ID) if "Пора связаться" in t]
    assert len(reminders) == 2  # the first, and the call's at 11:00 with the invitation in it
    assert "↳ в том же звонке: 📣 Пригласить на «Вебинар»" in reminders[1]


async def test_a_logged_call_offers_to_close_the_touches_made_on_it(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    """The call is logged: the invitation listed under it is not pinged a minute later, and
    «✅ Тоже сделано» under what was saved closes it."""
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        call = await add_touch(session, client, date(2026, 11, 23))
        # The call names its person (a logged next step does); the invitation is about the
        # client's main contact — the same person.
        call.contact_id = client.contacts[0].id
        invitation = await add_touch(
            session, client, date(2026, 11, 23), "Пригласить на «Вебинар»", TouchReason.EVENT
        )
        call_id, invitation_id = call.id, invitation.id
    clock.set(msk(2026, 11, 23, 9, 55))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 10, 0), timedelta(minutes=5))
    await chat.press(MANAGER_ID, "Сделано")
    # The clock ticks while the log is being written: no ping about the invitation meanwhile.
    await run_until(ticker, clock, msk(2026, 11, 23, 10, 10), timedelta(minutes=5))
    await chat.send(
        MANAGER_ID, "звонил, договорились об отгрузке 10 декабря, пригласил на вебинар"
    )
    calls = await chat.press(MANAGER_ID, "Сохранить")
    assert "✅ Тоже сделано: Пригласить на «Вебинар»" in chat.buttons(MANAGER_ID)
    assert (await touch_row(session_factory, call_id)).status is TouchStatus.DONE
    assert (await touch_row(session_factory, invitation_id)).status is TouchStatus.PLANNED
    # No reminder of the invitation right after the call: tomorrow's digest still lists it.
    await run_until(ticker, clock, msk(2026, 11, 23, 12, 0), timedelta(minutes=5))
    reminders = [t for t in sent_texts(recorder, MANAGER_ID) if "Пора связаться" in t]
    assert len(reminders) == 1

    calls = await chat.press(MANAGER_ID, "Тоже сделано")
    assert "✅ Сделано: Пригласить на «Вебинар»" in joined(calls)
    assert (await touch_row(session_factory, invitation_id)).status is TouchStatus.DONE
    assert not any("Тоже сделано" in label for label in chat.buttons(MANAGER_ID))
    assert "📇 Карточка" in chat.buttons(MANAGER_ID)
    # A second press (a stale copy) changes nothing.
    forged = LogCallback(action="rider", value=str(invitation_id)).pack()
    calls = await chat.press_data(MANAGER_ID, forged)
    assert "уже закрыто" in joined(calls)


async def test_a_cancelled_log_gives_the_call_its_touches_back(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    """«✅ Сделано» on the call holds the invitation made on it for the day; «✖️ Отмена» puts
    the call back into the plan and lets the invitation go: the call skipped then, the
    invitation is reminded on its own, as if «✅ Сделано» had never been pressed."""
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        await add_touch(session, client, date(2026, 11, 23))
        await add_touch(
            session, client, date(2026, 11, 23), "Пригласить на «Вебинар»", TouchReason.EVENT
        )
    clock.set(msk(2026, 11, 23, 9, 55))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 10, 0), timedelta(minutes=5))
    await chat.press(MANAGER_ID, "Сделано")
    calls = await chat.press(MANAGER_ID, "Отмена")
    assert "снова в плане" in joined(calls)
    # The touch back in the plan comes with its buttons.
    await chat.press(MANAGER_ID, "Пропустить")
    await chat.press(MANAGER_ID, "просил не беспокоить")
    await run_until(ticker, clock, msk(2026, 11, 23, 10, 30), timedelta(minutes=5))
    reminders = [t for t in sent_texts(recorder, MANAGER_ID) if "Пора связаться" in t]
    assert len(reminders) == 2
    assert "\n📣 Пригласить на «Вебинар»\n" in reminders[1]


async def test_snooze_to_tomorrow_moves_the_due_date(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    touch_id, _ = await deliver_reminder(session_factory, clock, bot)
    await chat.press(MANAGER_ID, "Отложить")
    calls = await chat.press(MANAGER_ID, "завтра")
    assert "напомню завтра, 10:00" in joined(calls)
    touch = await touch_row(session_factory, touch_id)
    assert touch.due_on == date(2026, 11, 24)
    tomorrow = [
        row
        for row in await outbox_rows(session_factory, "reminder")
        if row.dedupe_key.startswith(f"reminder:{touch_id}:2026-11-24")
    ]
    assert [row.not_before for row in tomorrow] == [msk(2026, 11, 24, 10, 0)]
    # Tomorrow's run finds the same key: one reminder, not two.
    clock.set(msk(2026, 11, 24, 0, 5))
    await schedule_reminders(session_factory, clock.now())
    keys = [row.dedupe_key for row in await outbox_rows(session_factory, "reminder")]
    assert sum(key.startswith(f"reminder:{touch_id}:2026-11-24") for key in keys) == 1


async def test_snoozing_a_call_moves_the_data_check_it_carries(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(
            session,
            manager,
            "Ромашка",
            "Europe/Moscow",
            confirmed=datetime(2026, 8, 1, tzinfo=UTC),
        )
        call = await add_touch(session, client, date(2026, 11, 23))
        check = await add_touch(
            session, client, date(2026, 11, 23), "Проверить данные", TouchReason.STALE_DATA
        )
        call_id, check_id = call.id, check.id
    clock.set(msk(2026, 11, 23, 9, 55))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 10, 0), timedelta(minutes=5))
    assert "заодно сверьте данные" in sent_texts(recorder, MANAGER_ID)[-1]
    await chat.press(MANAGER_ID, "Отложить")
    calls = await chat.press(MANAGER_ID, "завтра")
    assert "Сверка данных клиента перенесена туда же" in joined(calls)
    for touch_id in (call_id, check_id):
        touch = await touch_row(session_factory, touch_id)
        assert (touch.status, touch.due_on) == (TouchStatus.SNOOZED, date(2026, 11, 24))
    # Nothing about Ромашка for the rest of today; tomorrow one reminder that checks the data.
    count = len(sent_texts(recorder, MANAGER_ID))
    await run_until(ticker, clock, msk(2026, 11, 24, 10, 0), timedelta(minutes=30))
    sent = sent_texts(recorder, MANAGER_ID)[count:]
    reminders = [text for text in sent if "Пора связаться" in text]
    assert len(reminders) == 1
    assert "заодно сверьте данные" in reminders[0]


async def test_a_long_overdue_call_still_carries_todays_data_check_in_the_reminder(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(
            session,
            manager,
            "МеталлТорг",
            "Europe/Moscow",
            confirmed=datetime(2026, 8, 1, tzinfo=UTC),
        )
        # Ten days overdue: past the days an overdue touch is pushed again on its own.
        await add_touch(session, client, date(2026, 11, 13), "Получить обратную связь")
        await add_touch(
            session, client, date(2026, 11, 23), "Проверить данные", TouchReason.STALE_DATA
        )
    clock.set(msk(2026, 11, 23, 9, 55))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 12, 0), timedelta(minutes=15))
    reminders = [text for text in sent_texts(recorder, MANAGER_ID) if "Пора связаться" in text]
    assert len(reminders) == 1
    assert "Получить обратную связь" in reminders[0]
    assert "заодно сверьте данные" in reminders[0]


async def test_snoozing_one_of_two_calls_leaves_the_data_check_with_the_other(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(
            session,
            manager,
            "Ромашка",
            "Europe/Moscow",
            confirmed=datetime(2026, 8, 1, tzinfo=UTC),
        )
        call = await add_touch(session, client, date(2026, 11, 23))
        await add_touch(session, client, date(2026, 11, 20), "Обсудить отгрузку")
        check = await add_touch(
            session, client, date(2026, 11, 23), "Проверить данные", TouchReason.STALE_DATA
        )
        call_id, check_id = call.id, check.id
    clock.set(msk(2026, 11, 23, 10, 0))
    calls = await chat.press_data(
        MANAGER_ID, SnoozeCallback(touch_id=call_id, option=SnoozeOption.TOMORROW).pack()
    )
    assert "Отложено" in joined(calls)
    assert "Сверка данных" not in joined(calls)
    check_row = await touch_row(session_factory, check_id)
    assert (check_row.status, check_row.due_on) == (TouchStatus.PLANNED, date(2026, 11, 23))


@pytest.mark.parametrize(
    ("typed", "shown", "due_on"),
    [
        ("27.11", "27 ноября", date(2026, 11, 27)),
        # The log parser's phrases: 1–8 January and a weekend, back at work on the 11th.
        ("после новогодних праздников", "11 января", date(2027, 1, 11)),
        # A time later today or on a given day is kept; another year is named.
        ("сегодня в 17", "напомню сегодня, 17:00", date(2026, 11, 23)),
        ("через 2 часа", "напомню сегодня, 12:00", date(2026, 11, 23)),
        ("завтра в 15:00", "напомню завтра, 15:00", date(2026, 11, 24)),
        # 1 May is a public holiday: the reminder comes on the 2nd (2030 would be further
        # than a contact is planned: parsing.PLAN_HORIZON_MONTHS).
        ("1 мая 2028", "напомню вт, 2 мая 2028, 10:00", date(2028, 5, 2)),
    ],
)
async def test_snooze_to_a_typed_date(
    chat: Chat,
    session_factory: Factory,
    clock: ManualClock,
    bot: Bot,
    typed: str,
    shown: str,
    due_on: date,
) -> None:
    touch_id, _ = await deliver_reminder(session_factory, clock, bot)
    await chat.press(MANAGER_ID, "Отложить")
    await chat.press(MANAGER_ID, "выбрать дату")
    bad = await chat.send(MANAGER_ID, "вчера вечером когда-то")
    assert "Не понял дату" in joined(bad) or "уже прошло" in joined(bad)
    past = await chat.send(MANAGER_ID, "сегодня в 9")
    assert "Это время уже прошло" in joined(past)
    calls = await chat.send(MANAGER_ID, typed)
    assert "Отложено" in joined(calls)
    assert shown in joined(calls)
    touch = await touch_row(session_factory, touch_id)
    assert touch.due_on == due_on
    assert touch.status is TouchStatus.SNOOZED


async def test_skip_with_a_reason_button_and_with_typed_text(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    touch_id, _ = await deliver_reminder(session_factory, clock, bot)
    await chat.press(MANAGER_ID, "Пропустить")
    calls = await chat.press(MANAGER_ID, "просил не беспокоить")
    assert "Пропущено" in joined(calls)
    touch = await touch_row(session_factory, touch_id)
    assert touch.status is TouchStatus.SKIPPED
    assert touch.skip_reason == "клиент просил не беспокоить"
    assert all(
        row.status != "pending"
        for row in await outbox_rows(session_factory, "reminder")
        if row.touch_id == touch_id
    )


async def test_skip_with_typed_reason(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    touch_id, _ = await deliver_reminder(session_factory, clock, bot)
    await chat.press(MANAGER_ID, "Пропустить")
    await chat.press(MANAGER_ID, "своя причина")
    calls = await chat.send(MANAGER_ID, "Клиент закрылся на <ремонт>")
    assert "Клиент закрылся на &lt;ремонт&gt;" in joined(calls)
    touch = await touch_row(session_factory, touch_id)
    assert touch.status is TouchStatus.SKIPPED
    assert touch.skip_reason == "Клиент закрылся на <ремонт>"


async def test_forged_callback_for_another_managers_touch_is_refused(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    _, foreign_id = await deliver_reminder(session_factory, clock, bot)
    for data in (
        PlanTouchCallback(action=PlanAction.DONE, touch_id=foreign_id).pack(),
        SnoozeCallback(option=SnoozeOption.TOMORROW, touch_id=foreign_id).pack(),
        PlanTouchCallback(action=PlanAction.DONE, touch_id=999_999).pack(),
    ):
        calls = await chat.press_data(MANAGER_ID, data)
        assert "недоступно" in joined(calls)
    foreign = await touch_row(session_factory, foreign_id)
    assert foreign.status is TouchStatus.PLANNED


async def test_head_may_act_on_any_touch(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    _, foreign_id = await deliver_reminder(session_factory, clock, bot)
    async with session_factory.begin() as session:
        await add_member(session, telegram_id=700, role=Role.HEAD, name="Ольга")
    calls = await chat.press_data(
        700, PlanTouchCallback(action=PlanAction.DONE, touch_id=foreign_id).pack()
    )
    assert "Как прошло?" in joined(calls)
    assert (await touch_row(session_factory, foreign_id)).status is TouchStatus.DONE


async def test_blocked_member_is_deactivated_and_heads_are_told(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    from aiogram.exceptions import TelegramForbiddenError

    async with session_factory.begin() as session:
        manager = await add_member(session)
        await add_member(session, telegram_id=700, role=Role.HEAD, name="Ольга")
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        await add_touch(session, client, date(2026, 11, 23))
    clock.set(msk(2026, 11, 23, 9, 0))
    ticker = make_ticker(bot, session_factory, clock)
    recorder.failures.append(
        TelegramForbiddenError(
            method=SendMessage(chat_id=MANAGER_ID, text="x"), message="bot was blocked by the user"
        )
    )
    await ticker.tick()
    await run_until(ticker, clock, msk(2026, 11, 23, 9, 10), timedelta(minutes=1))
    async with session_factory() as session:
        member = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
        assert member is not None
        assert member.is_active is False
    head_messages = sent_texts(recorder, 700)
    assert sum("заблокировал" in text for text in head_messages) == 1


async def test_console_time_travel_runs_the_clock(
    settings: Settings, session_factory: Factory, clock: ManualClock
) -> None:
    from bot.console import CONSOLE_MANAGER_ID, Console
    from bot.offline import UpdateFactory

    async with session_factory.begin() as session:
        manager = await add_member(session, telegram_id=CONSOLE_MANAGER_ID)
        client = await add_client(
            session, manager, "Янтарная верфь", "Europe/Kaliningrad", (time(10), time(14))
        )
        await add_touch(session, client, date(2026, 11, 23))
    clock.set(msk(2026, 11, 23, 8, 0))
    users = {"manager": UpdateFactory.user(CONSOLE_MANAGER_ID, "Дмитрий")}
    console = Console(settings, session_factory, clock, users, "manager")
    await console.handle(":time +2h")
    assert clock.now() == msk(2026, 11, 23, 10, 0)
    assert [t for t in sent_texts(console.recorder) if "План на" in t]
    assert not [t for t in sent_texts(console.recorder) if "Пора связаться" in t]
    await console.handle(":time +1h")
    reminders = [t for t in sent_texts(console.recorder) if "Пора связаться" in t]
    assert len(reminders) == 1
    assert "Янтарная верфь" in reminders[0]
