"""The digest's content and order, its splitting at Telegram's limit, /today and /week."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from aiogram import Bot
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import PlanItemCallback, PlanTouchCallback
from bot.i18n import translator
from bot.keyboards.planner import digest_item_row
from bot.offline import RecordingSession
from models import Client, KeyDate, Member, Touch
from models.enums import TouchReason
from scheduler.jobs import schedule_digests
from services import planner
from services.clock import ManualClock
from services.digest import (
    MAX_ITEMS_PER_PART,
    OVERDUE_SHOWN,
    TELEGRAM_LIMIT,
    OccasionLine,
    build_digest,
    build_digests,
    build_week,
    occasion_line,
    render_digest,
    render_week,
    telegram_length,
)
from tests.harness import Chat, joined
from tests.test_reminders import (
    MANAGER_ID,
    add_client,
    add_member,
    add_touch,
    make_ticker,
    msk,
    outbox_rows,
    run_until,
    sent_texts,
)

Factory = async_sessionmaker[AsyncSession]
MONDAY = date(2026, 11, 23)


async def add_key_date(
    session: AsyncSession,
    client_id: int,
    contact_id: int | None,
    day: date,
    *,
    relation: str | None = None,
    person: str | None = None,
) -> None:
    session.add(
        KeyDate(
            client_id=client_id,
            contact_id=contact_id,
            kind="birthday",
            relation=relation,
            person_name=person,
            day=day.day,
            month=day.month,
            year=1980,
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    await session.flush()


async def arrange_day(session: AsyncSession) -> Member:
    """A Moscow manager's Monday: three windows, an overdue touch, birthdays, a stale record."""
    manager = await add_member(session)
    kaliningrad = await add_client(
        session, manager, "Янтарная верфь", "Europe/Kaliningrad", (time(10), time(14))
    )
    vladivostok = await add_client(session, manager, "Тихоокеанская логистика", "Asia/Vladivostok")
    narrow = await add_client(
        session, manager, "Приморский рыбокомбинат", "Asia/Vladivostok", (time(10), time(14))
    )
    stale = await add_client(
        session,
        manager,
        "СтройМонтаж",
        "Europe/Moscow",
        confirmed=datetime(2026, 8, 15, tzinfo=UTC),
    )
    await add_touch(session, kaliningrad, MONDAY, "Предложить новый прайс")
    await add_touch(session, vladivostok, MONDAY, "Договориться о графике оплаты")
    await add_touch(session, narrow, MONDAY, "Выяснить потребность")
    await add_touch(session, stale, MONDAY - timedelta(days=2), "Получить обратную связь")
    await add_key_date(session, vladivostok.id, vladivostok.contacts[0].id, MONDAY)
    await add_key_date(
        session,
        kaliningrad.id,
        kaliningrad.contacts[0].id,
        MONDAY + timedelta(days=1),
        relation="жена",
        person="Марина",
    )
    await add_key_date(session, narrow.id, narrow.contacts[0].id, MONDAY + timedelta(days=2))
    return manager


async def test_digest_sections_order_and_windows(session: AsyncSession) -> None:
    manager = await arrange_day(session)
    digest = await build_digest(session, manager, msk(2026, 11, 23, 9, 0))
    assert [item.client_name for item in digest.today] == [
        "Тихоокеанская логистика",  # opens 03:00 Moscow and can be called 09:00–11:00
        "Янтарная верфь",  # 11:00–15:00 Moscow
        "Приморский рыбокомбинат",  # never meets the working day: last
    ]
    assert [item.client_name for item in digest.overdue] == ["СтройМонтаж"]
    assert digest.overdue[0].overdue_days == 2
    assert [
        (line.on, line.contact, line.relative, line.relation) for line in digest.occasions
    ] == [
        (MONDAY, "Петров Иван Сергеевич", None, None),
        (MONDAY + timedelta(days=1), "Петров Иван Сергеевич", "Марина", "жена"),
    ]
    assert [line.client_name for line in digest.stale] == ["СтройМонтаж"]
    assert digest.stale[0].days == 100

    [part] = render_digest(digest, "ru", item_row=digest_item_row)
    text = part.text
    assert "окно 03:00–11:00 по вашему времени" in text
    assert "окно 11:00–15:00 по вашему времени" in text
    assert "окно клиента 03:00–07:00 по вашему времени — вне ваших рабочих часов" in text
    assert "+7 913 555-01-42" in text
    assert "📞" not in text.split("Тихоокеанская")[0], "the header carries no item"
    # Due on Saturday: the manager has not worked since; the line says so instead of «2 дня».
    assert "⏳ срок был сб 21.11 — в ваш выходной" in text
    assert "сегодня — день рождения Петрова Ивана Сергеевича (Тихоокеанская логистика)" in text
    assert "завтра — день рождения Марины, жены Петрова Ивана Сергеевича (Янтарная верфь)" in text
    assert "данные подтверждены 100 дней назад" in text
    assert text.index("Тихоокеанская") < text.index("Янтарная") < text.index("Приморский")
    assert len(part.buttons) == 4
    first = part.buttons[0]
    assert first[0]["text"].startswith("📇 1.")
    assert PlanItemCallback.unpack(first[0]["callback_data"]) == PlanItemCallback(
        touch_id=digest.today[0].touch_id, number=1
    )
    assert PlanTouchCallback.unpack(first[1]["callback_data"]).touch_id == digest.today[0].touch_id


async def test_digest_in_english(session: AsyncSession) -> None:
    manager = await arrange_day(session)
    manager.language = "en"
    digest = await build_digest(session, manager, msk(2026, 11, 23, 9, 0))
    [part] = render_digest(digest, "en", item_row=digest_item_row)
    assert "client's window 03:00–07:00 your time — outside your working hours" in part.text
    assert "Plan for Mon, 23 November" in part.text
    assert any("Done" in button["text"] for row in part.buttons for button in row)


async def test_leap_day_birthday_shows_on_28_february(session: AsyncSession) -> None:
    manager = await add_member(session)
    client = await add_client(session, manager, "ЛогистикПро", "Europe/Moscow")
    await add_key_date(session, client.id, client.contacts[0].id, date(2024, 2, 29))
    digest = await build_digest(session, manager, msk(2027, 2, 27, 9, 0))
    assert [line.on for line in digest.occasions] == [date(2027, 2, 28)]


async def test_empty_digest_is_short(session: AsyncSession) -> None:
    manager = await add_member(session)
    digest = await build_digest(session, manager, msk(2026, 11, 23, 9, 0))
    assert digest.is_empty
    [part] = render_digest(digest, "ru")
    assert "касаний нет" in part.text
    assert part.buttons == []


async def test_two_hundred_touches_split_cleanly(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        for number in range(200):
            client = await add_client(
                session,
                manager,
                f"Клиент №{number:03d} с довольно длинным названием компании",
                "Europe/Moscow",
                (time(10 + number % 6), time(18)),
            )
            await add_touch(
                session,
                client,
                MONDAY - timedelta(days=number % 3),
                f"Цель касания номер {number}: обсудить поставку & условия <оплаты>",
            )
        digest = await build_digest(session, manager, msk(2026, 11, 23, 9, 0))
    parts = render_digest(digest, "ru", item_row=digest_item_row)
    assert len(parts) > 2
    numbers: list[int] = []
    for part in parts:
        assert telegram_length(part.text) <= TELEGRAM_LIMIT
        assert len(part.buttons) <= MAX_ITEMS_PER_PART
        found = [int(n) for n in re.findall(r"^(\d+)\. <b>", part.text, flags=re.MULTILINE)]
        # Every item is whole: its name, goal and window lines are in the same part.
        assert len(found) == len(part.buttons) == len(part.touch_ids)
        assert part.text.count("🕐 ") == len(found)
        assert part.text.count("обсудить поставку &amp; условия &lt;оплаты&gt;") == len(found)
        assert [row[0]["text"].split(".")[0] for row in part.buttons] == [f"📇 {n}" for n in found]
        numbers.extend(found)
    # Today's touches all show; of the overdue ones the five most important, the rest counted.
    assert len(digest.today) == 67
    assert numbers == list(range(1, 67 + OVERDUE_SHOWN + 1))
    assert "…и ещё 128 просроченных касаний — /overdue" in parts[-1].text
    assert "(продолжение)" in parts[1].text

    # Through the outbox: one row per part, delivered in order as one digest.
    clock.set(msk(2026, 11, 23, 9, 0))
    assert await schedule_digests(session_factory, clock.now()) == 1
    rows = await outbox_rows(session_factory, "digest")
    assert len(rows) == len(parts)
    assert rows[1].dedupe_key.endswith(":2")
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 9, 2), timedelta(minutes=1))
    delivered = [t for t in sent_texts(recorder, MANAGER_ID) if "План на" in t]
    assert delivered == [part.text for part in parts]


async def test_small_limit_repeats_the_section_heading(session: AsyncSession) -> None:
    manager = await arrange_day(session)
    digest = await build_digest(session, manager, msk(2026, 11, 23, 9, 0))
    parts = render_digest(digest, "ru", limit=400)
    assert len(parts) > 3
    assert all(telegram_length(part.text) <= 400 for part in parts)
    assert any("Сегодня</b> (продолжение)" in part.text for part in parts)
    for part in parts:
        assert not part.text.rstrip().endswith("</b>"), "no heading left alone at the bottom"


async def test_today_command_shows_the_plan_with_buttons(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        await arrange_day(session)
    clock.set(msk(2026, 11, 23, 12, 0))
    calls = await chat.send(MANAGER_ID, "/today")
    text = joined(calls)
    assert "План на пн, 23 ноября" in text
    assert "Янтарная верфь" in text
    # One mark per line: the moon of a window that never meets the day, not «🕐 🌙».
    assert "\n🌙 окно клиента 03:00–07:00 по вашему времени — вне ваших рабочих часов" in text
    assert "🕐 🌙" not in text
    assert "\n🕐 окно 03:00–11:00 по вашему времени" in text
    assert "✅ Сделано" in chat.buttons(MANAGER_ID)
    assert any(label.startswith("📇 1.") for label in chat.buttons(MANAGER_ID))


async def test_week_command_groups_by_day_in_the_members_time(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        manager = await arrange_day(session)
        later = await add_client(session, manager, "Кубань-Агроснаб", "Europe/Samara")
        await add_touch(session, later, MONDAY + timedelta(days=3), "Узнать, кто решает")
        await add_touch(session, later, MONDAY + timedelta(days=9), "За горизонтом недели")
    clock.set(msk(2026, 11, 23, 12, 0))
    calls = await chat.send(MANAGER_ID, "/week")
    text = joined(calls)
    assert text.index("Просрочено") < text.index("пн, 23 ноября") < text.index("чт, 26 ноября")
    thursday = text.split("чт, 26 ноября")[1].split("пт, 27 ноября")[0]
    # Samara is Moscow+1: a 10:00–18:00 window is 09:00–17:00 on the manager's clock.
    assert "09:00–17:00 — <b>Кубань-Агроснаб</b>" in thursday
    assert "За горизонтом" not in text
    assert "(вне ваших часов)" in text
    assert "день рождения" in text.split("ср, 25 ноября")[1].split("чт, 26 ноября")[0]


async def test_week_plan_splits_within_the_limit(session: AsyncSession) -> None:
    manager = await add_member(session)
    for number in range(150):
        client = await add_client(session, manager, f"Клиент {number:03d}", "Europe/Moscow")
        await add_touch(session, client, MONDAY + timedelta(days=number % 7), "Цель " * 20)
    plan = await build_week(session, manager, msk(2026, 11, 23, 9, 0))
    parts = render_week(plan, "ru")
    assert len(parts) > 1
    assert all(telegram_length(part) <= TELEGRAM_LIMIT for part in parts)
    assert sum(part.count("— <b>Клиент") for part in parts) == 150


async def test_stale_data_touch_is_not_listed_twice(session: AsyncSession) -> None:
    manager = await add_member(session)
    client = await add_client(
        session,
        manager,
        "СтройМонтаж",
        "Europe/Moscow",
        confirmed=datetime(2026, 1, 1, tzinfo=UTC),
    )
    await add_touch(session, client, MONDAY, "Проверить данные", reason=TouchReason.STALE_DATA)
    digest = await build_digest(session, manager, msk(2026, 11, 23, 9, 0))
    assert [item.client_name for item in digest.today] == ["СтройМонтаж"]
    assert digest.stale == []


async def arrange_overdue_call_and_data_check(session: AsyncSession) -> tuple[Member, Touch]:
    """An overdue call to СтройМонтаж, whose data check falls due today; Альфа only needs the
    check."""
    manager = await add_member(session)
    confirmed = datetime(2026, 8, 15, tzinfo=UTC)
    client = await add_client(
        session, manager, "СтройМонтаж", "Europe/Moscow", confirmed=confirmed
    )
    call = await add_touch(session, client, MONDAY - timedelta(days=2), "Получить обратную связь")
    await add_touch(session, client, MONDAY, "Проверить данные", reason=TouchReason.STALE_DATA)
    alone = await add_client(session, manager, "Альфа", "Europe/Moscow", confirmed=confirmed)
    await add_touch(session, alone, MONDAY, "Проверить данные", reason=TouchReason.STALE_DATA)
    return manager, call


async def test_data_check_rides_along_with_the_clients_other_touch(
    session: AsyncSession,
) -> None:
    manager, call = await arrange_overdue_call_and_data_check(session)
    now = msk(2026, 11, 23, 9, 0)
    digest = await build_digest(session, manager, now)
    assert [(item.client_name, item.touch_id) for item in digest.overdue] == [
        ("СтройМонтаж", call.id)
    ]
    assert [item.client_name for item in digest.today] == ["Альфа"]
    assert digest.overdue[0].data_age_days == 100
    assert digest.today[0].data_age_days is None
    text = "\n".join(part.text for part in render_digest(digest, "ru"))
    assert text.count("СтройМонтаж") == 1
    assert "🔄 заодно сверьте данные: подтверждены 100 дней назад" in text
    english = "\n".join(part.text for part in render_digest(digest, "en"))
    assert "🔄 also check the data: confirmed 100 days ago" in english

    client = await session.get(Client, call.client_id)
    assert client is not None
    await planner.confirm_data(session, client, manager, now)
    digest = await build_digest(session, manager, now)
    assert [item.data_age_days for item in digest.overdue] == [None]


async def test_week_shows_the_data_check_on_the_same_line(session: AsyncSession) -> None:
    manager, _ = await arrange_overdue_call_and_data_check(session)
    later = await add_client(session, manager, "Вектор", "Europe/Moscow")
    thursday = MONDAY + timedelta(days=3)
    await add_touch(session, later, thursday, "Узнать, кто решает")
    await add_touch(session, later, thursday, "Проверить данные", reason=TouchReason.STALE_DATA)
    plan = await build_week(session, manager, msk(2026, 11, 23, 9, 0))
    assert [item.client_name for item in plan.overdue] == ["СтройМонтаж"]
    assert [item.client_name for item in plan.days[MONDAY]] == ["Альфа"]
    assert [item.goal for item in plan.days[thursday]] == ["Узнать, кто решает"]
    text = "\n".join(render_week(plan, "ru"))
    assert text.count("🔄 + сверить данные") == 2


async def test_sent_digest_reaches_only_its_member(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        await arrange_day(session)
        other = await add_member(session, telegram_id=602, name="Анна")
        client = await add_client(session, other, "Чужой клиент", "Europe/Moscow")
        await add_touch(session, client, MONDAY)
    clock.set(msk(2026, 11, 23, 8, 58))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 9, 1), timedelta(minutes=1))
    mine = [t for t in sent_texts(recorder, MANAGER_ID) if "План на" in t]
    assert len(mine) == 1
    assert "Чужой клиент" not in mine[0]
    sends = [c for c in recorder.requests if isinstance(c, SendMessage)]
    assert {int(c.chat_id) for c in sends} == {MANAGER_ID, 602}


async def test_digests_built_together_keep_each_members_own_today(session: AsyncSession) -> None:
    # 23:30 in Kaliningrad on Monday is already Tuesday in Vladivostok: read together, each
    # digest still shows only what is due on its own member's day.
    west = await add_member(session, telegram_id=7101, timezone="Europe/Kaliningrad", name="Ян")
    east = await add_member(session, telegram_id=7102, timezone="Asia/Vladivostok", name="Ли")
    tuesday = MONDAY + timedelta(days=1)
    for member in (west, east):
        client = await add_client(session, member, f"Клиент {member.full_name}", member.timezone)
        await add_touch(session, client, MONDAY, goal="понедельник")
        await add_touch(session, client, tuesday, goal="вторник")
    await session.commit()
    now = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)
    digests = await build_digests(session, [west, east], now)
    assert [item.goal for item in digests[west.id].today] == ["понедельник"]
    assert digests[west.id].overdue == []
    assert [item.goal for item in digests[east.id].today] == ["вторник"]
    assert [item.goal for item in digests[east.id].overdue] == ["понедельник"]
    assert digests[east.id].local_date == tuesday
    single = await build_digest(session, west, now)
    assert [item.goal for item in single.today] == ["понедельник"]


def _occasion(
    kind: str = "birthday",
    title: str = "День рождения",
    *,
    contact: str | None = "Жуков Михаил Владимирович",
    relative: str | None = None,
    relation: str | None = None,
    client: str = "АО «Уральская металлургическая компания»",
) -> OccasionLine:
    return OccasionLine(
        on=MONDAY,
        kind=kind,
        title=title,
        client_name=client,
        client_id=1,
        contact=contact,
        relative=relative,
        relation=relation,
    )


@pytest.mark.parametrize(
    ("line", "russian", "english"),
    [
        (
            _occasion(title="День рождения (жена)", relative="Марина", relation="жена"),
            "🎂 завтра — день рождения Марины, жены Жукова Михаила Владимировича "
            "(АО «Уральская металлургическая компания»)",
            "🎂 tomorrow — birthday of Марина, wife of Жуков Михаил Владимирович "
            "(АО «Уральская металлургическая компания»)",
        ),
        (
            _occasion(contact="Денисова Екатерина Сергеевна", client="ООО «Север»"),
            "🎂 завтра — день рождения Денисовой Екатерины Сергеевны (ООО «Север»)",
            "🎂 tomorrow — birthday of Денисова Екатерина Сергеевна (ООО «Север»)",
        ),
        (
            _occasion(relation="сын", client="ООО «Север»"),
            "🎂 завтра — день рождения сына Жукова Михаила Владимировича (ООО «Север»)",
            "🎂 tomorrow — birthday of the son of Жуков Михаил Владимирович (ООО «Север»)",
        ),
        (
            # «Саша» is a man's or a woman's name: no case is guessed.
            _occasion(relative="Саша", relation="сын", client="ООО «Север»"),
            "🎂 завтра — день рождения: Саша (сын Жукова М. В.) (ООО «Север»)",
            "🎂 tomorrow — birthday of Саша, son of Жуков Михаил Владимирович (ООО «Север»)",
        ),
        (
            _occasion(contact="John Smith", relative="Mary", relation="wife", client="Acme"),
            "🎂 завтра — день рождения: Mary, wife — John Smith (Acme)",
            "🎂 tomorrow — birthday of Mary, wife of John Smith (Acme)",
        ),
        (
            # A private client's own birthday does not name the client twice.
            _occasion(contact="Лебедева Светлана Олеговна", client="Лебедева Светлана Олеговна"),
            "🎂 завтра — день рождения Лебедевой Светланы Олеговны",
            "🎂 tomorrow — birthday of Лебедева Светлана Олеговна",
        ),
        (
            _occasion("anniversary", "25 лет компании", contact=None, client="ООО «Север»"),
            "💍 завтра — 25 лет компании: ООО «Север»",
            "💍 tomorrow — 25 лет компании: ООО «Север»",
        ),
    ],
)
def test_occasion_lines_read_naturally(line: OccasionLine, russian: str, english: str) -> None:
    assert occasion_line(line, translator("ru"), "завтра") == russian
    assert occasion_line(line, translator("en"), "tomorrow") == english


async def test_week_marks_weekends_and_public_holidays(session: AsyncSession) -> None:
    manager = await add_member(session)
    client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
    # A touch planned on a Saturday still shows, its day marked as a day off.
    await add_touch(session, client, date(2026, 12, 26), "Поздравить с наступающим")
    plan = await build_week(session, manager, msk(2026, 12, 25, 9, 0))
    text = "\n".join(render_week(plan, "ru"))
    assert "<b>сб, 26 декабря</b> — 1 касание · выходной" in text
    assert "<b>вс, 27 декабря</b> — выходной" in text
    assert "<b>пн, 28 декабря</b> — 0 касаний\nсвободно" in text
    assert "<b>чт, 31 декабря</b> — праздник, выходной" in text
    english = "\n".join(render_week(plan, "en"))
    assert "<b>Thu, 31 December</b> — public holiday" in english


async def test_week_shows_the_most_important_overdue_and_counts_the_rest(
    session: AsyncSession,
) -> None:
    manager = await add_member(session)
    for number in range(40):
        client = await add_client(session, manager, f"Клиент {number:03d}", "Europe/Moscow")
        await add_touch(session, client, MONDAY - timedelta(days=1 + number), "Старая цель")
    plan = await build_week(session, manager, msk(2026, 11, 23, 9, 0))
    text = "\n".join(render_week(plan, "ru"))
    overdue = text.split("Просрочено")[1].split("пн, 23 ноября")[0]
    assert overdue.count("<b>Клиент") == OVERDUE_SHOWN
    # The oldest first: the 40-day-old touch leads.
    assert overdue.index("Клиент 039") < overdue.index("Клиент 038")
    assert "…и ещё 35 просроченных касаний — /overdue" in overdue


async def test_friday_digest_names_the_calls_agreed_for_the_weekend(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    friday = date(2026, 11, 27)
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        other = await add_client(session, manager, "Вектор", "Europe/Moscow")
        saturday = await add_touch(session, client, friday + timedelta(days=1), "Созвониться")
        saturday.due_at = msk(2026, 11, 28, 11, 0)
        # A plain touch on Monday and an agreed call next Tuesday are not the weekend's.
        await add_touch(session, other, friday + timedelta(days=3), "Выслать счёт")
        tuesday = await add_touch(session, other, friday + timedelta(days=4), "Встреча")
        tuesday.due_at = msk(2026, 12, 1, 15, 0)
    clock.set(msk(2026, 11, 27, 12, 0))
    text = joined(await chat.send(MANAGER_ID, "/today"))
    assert "🗓 Договорённости на выходные" in text
    assert "• сб, 28 ноября, 11:00 — <b>Ромашка</b>: Созвониться" in text
    assert "Выслать счёт" not in text
    assert "Встреча" not in text
    # On a Monday nothing of the kind: tomorrow is a working day with its own digest.
    clock.set(msk(2026, 11, 30, 12, 0))
    assert "Договорённости" not in joined(await chat.send(MANAGER_ID, "/today"))
