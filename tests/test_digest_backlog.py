"""A digest that stays useful when work piles up: the overdue backlog collapsed within Telegram's
limits and paged by /overdue, reminders counted in working days, stale records with buttons, and
the head's morning word on the team.

Every reply goes through `StrictSession`, which refuses what Telegram refuses (4096 characters,
100 buttons, 64-byte callback data).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from aiogram import Bot
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import ClientCallback
from bot.offline import RecordingSession
from models import Client, Interaction, Member, Touch
from models.enums import Category, Channel, Direction, Outcome, Role, TouchReason, TouchStatus
from scheduler.jobs import schedule_reminders
from services import planner
from services.clock import ManualClock
from services.demo import load_demo
from services.digest import TELEGRAM_LIMIT, build_digests, telegram_length
from services.periods import Period, PeriodKind
from services.stats import team_report
from tests.harness import Chat, joined
from tests.strict_session import MAX_BUTTONS, StrictSession
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
HEAD_TG = 700


@pytest.fixture
def recorder() -> RecordingSession:
    """Telegram's own refusals, not a recorder that takes anything."""
    return StrictSession()


def digests_of(recorder: RecordingSession, chat_id: int) -> list[SendMessage]:
    """The morning digests a chat was sent (in either language)."""
    return [
        call
        for call in recorder.requests
        if isinstance(call, SendMessage)
        and int(call.chat_id) == chat_id
        and ("План на" in call.text or "Plan for" in call.text)
    ]


def button_count(call: SendMessage | EditMessageText) -> int:
    markup = call.reply_markup
    if markup is None or not hasattr(markup, "inline_keyboard"):
        return 0
    return sum(len(row) for row in markup.inline_keyboard)


async def arrange_backlog(session: AsyncSession, language: str) -> None:
    """A manager back after weeks away: 150 overdue touches, two due today. One overdue touch
    has a time agreed with the client, one is a key client's; the rest are ordinary."""
    manager = await add_member(session)
    manager.language = language
    for number in range(2):
        client = await add_client(session, manager, f"Сегодняшний {number}", "Europe/Moscow")
        await add_touch(session, client, MONDAY, f"Сегодняшняя цель {number}")
    for number in range(148):
        client = await add_client(
            session,
            manager,
            f"Клиент №{number:03d} с длинным названием & <скобками>",
            "Europe/Moscow",
        )
        # Overdue from 1 to 60 days; the oldest are numbers 59, 119.
        touch = await add_touch(
            session, client, MONDAY - timedelta(days=1 + number % 60), f"Цель {number}"
        )
        # Long goals make long items (the dedupe key is too short to hold them).
        touch.goal = f"Цель номер {number}: обсудить поставку и условия оплаты " + "подробно " * 20
    key = await add_client(session, manager, "Ключевой клиент", "Europe/Moscow")
    key.category = Category.KEY
    await add_touch(session, key, MONDAY - timedelta(days=2), "Ключевая цель")
    agreed = await add_client(session, manager, "Встреча назначена", "Europe/Moscow")
    meeting = await add_touch(session, agreed, MONDAY - timedelta(days=3), "Обещанная встреча")
    meeting.due_at = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    await session.flush()


@pytest.mark.parametrize(
    ("language", "more", "next_label"),
    [
        ("ru", "…и ещё 145 просроченных касаний — /overdue", "Дальше ▶️"),
        ("en", "…and 145 more overdue touches — /overdue", "Next ▶️"),
    ],
)
async def test_a_backlog_of_150_overdue_touches_collapses_within_telegrams_limits(
    chat: Chat,
    session_factory: Factory,
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
    language: str,
    more: str,
    next_label: str,
) -> None:
    async with session_factory.begin() as session:
        await arrange_backlog(session, language)
    clock.set(msk(2026, 11, 23, 8, 58))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 9, 1), timedelta(minutes=1))
    assert isinstance(recorder, StrictSession)
    assert recorder.refused == []

    # One message: today's two touches in full, then the five most important overdue ones.
    [digest] = digests_of(recorder, MANAGER_ID)
    assert telegram_length(digest.text) <= TELEGRAM_LIMIT
    assert button_count(digest) == 3 * 7 <= MAX_BUTTONS
    assert more in digest.text
    order = [
        digest.text.index(name)
        for name in (
            "Сегодняшний 0",
            "Сегодняшний 1",
            "Встреча назначена",  # a time agreed with the client: someone is waiting
            "Ключевой клиент",  # then key and VIP clients
            "Клиент №059",  # then the oldest, 60 days overdue
            "Клиент №119",
            "Клиент №058",
        )
    ]
    assert order == sorted(order)
    assert "Клиент №000" not in digest.text

    # /today says the same, with the same buttons.
    today = [
        call for call in await chat.send(MANAGER_ID, "/today") if isinstance(call, SendMessage)
    ]
    assert len(today) == 1
    assert more in today[0].text
    assert recorder.refused == []

    # /overdue pages through all 150, most important first, each page within the limits.
    calls = await chat.send(MANAGER_ID, "/overdue")
    pages: list[str] = [call.text for call in calls if isinstance(call, SendMessage)]
    while True:
        try:
            calls = await chat.press(MANAGER_ID, next_label)
        except AssertionError:
            break
        edits = [call for call in calls if isinstance(call, EditMessageText)]
        assert len(edits) == 1, "a page turns in place"
        assert button_count(edits[0]) <= MAX_BUTTONS
        pages.append(edits[0].text)
    assert recorder.refused == []
    assert len(pages) > 10
    numbers = [
        int(line.split(".")[0])
        for page in pages
        for line in page.splitlines()
        if line[:1].isdigit() and ". <b>" in line
    ]
    assert numbers == list(range(1, 151))
    assert pages[0].index("Встреча назначена") < pages[0].index("Ключевой клиент")
    assert all(telegram_length(page) <= TELEGRAM_LIMIT for page in pages)


async def test_a_touch_done_from_overdue_leaves_the_list(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        old = await add_client(session, manager, "Забытый", "Europe/Moscow")
        touch = await add_touch(session, old, MONDAY - timedelta(days=20), "Давняя цель")
    clock.set(msk(2026, 11, 23, 12, 0))
    text = joined(await chat.send(MANAGER_ID, "/overdue"))
    assert "Забытый" in text
    # Twenty days, of which fourteen working ones less 4 November, a public holiday.
    assert "просрочено на 13 рабочих дней — срок был вт 03.11" in text
    await chat.press(MANAGER_ID, "✅ Сделано")
    async with session_factory() as session:
        done = await session.get(Touch, touch.id)
    assert done is not None
    assert done.status is TouchStatus.DONE
    await chat.send(MANAGER_ID, "/cancel")
    async with session_factory.begin() as session:
        reopened = await session.get(Touch, touch.id)
        assert reopened is not None
        reopened.status = TouchStatus.DONE
    assert "Просроченных касаний и устаревших данных нет" in joined(
        await chat.send(MANAGER_ID, "/overdue")
    )


# --- Reminders of overdue touches: working days, never a day off -----------------------------


def reminder_days(rows: list[object]) -> list[str]:
    return [row.dedupe_key.split(":")[2] for row in rows]  # type: ignore[attr-defined]


async def test_a_friday_touch_is_reminded_on_the_next_three_working_days(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        await add_touch(session, client, date(2026, 11, 27), "Предложить новый прайс")
    clock.set(msk(2026, 11, 27, 8, 0))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 12, 4, 17, 0), timedelta(hours=1))
    sent = [row for row in await outbox_rows(session_factory, "reminder") if row.status == "sent"]
    # Friday itself, then Monday to Wednesday; nothing at the week-end, nothing on Thursday.
    assert reminder_days(sent) == ["2026-11-27", "2026-11-30", "2026-12-01", "2026-12-02"]
    assert all(row.sent_at is not None and row.sent_at.weekday() < 5 for row in sent)
    monday = next(t for t in sent_texts(recorder, MANAGER_ID) if "План на пн, 30 ноября" in t)
    assert "⏳ просрочено на 1 рабочий день — срок был пт 27.11" in monday


async def test_the_clients_day_off_gets_no_reminder_and_is_not_counted_away(
    session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        # The client takes calls Tuesday to Saturday; the manager works Monday to Friday.
        client = await add_client(session, manager, "Субботний склад", "Europe/Moscow")
        client.window_days = "12345"
        await add_touch(session, client, date(2026, 11, 27))
    for day in range(27, 34):
        moment = msk(2026, 11, 27, 0, 5) + timedelta(days=day - 27)
        clock.set(moment)
        await schedule_reminders(session_factory, clock.now())
    rows = await outbox_rows(session_factory, "reminder")
    # No Saturday (the manager's day off), no Monday (the client's); Thursday is the fourth
    # working day of the manager since Friday: too late for a push.
    assert reminder_days(rows) == ["2026-11-27", "2026-12-01", "2026-12-02"]


async def test_a_touch_before_the_new_year_holidays_is_reminded_after_them(
    session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        await add_touch(session, client, date(2026, 12, 30))
    day = date(2026, 12, 30)
    while day <= date(2027, 1, 15):
        clock.set(datetime.combine(day, time(0, 5), tzinfo=msk(2026, 1, 1).tzinfo))
        await schedule_reminders(session_factory, clock.now())
        day += timedelta(days=1)
    rows = await outbox_rows(session_factory, "reminder")
    # 31 December and 1–10 January are days off: the three pushes come after them.
    assert reminder_days(rows) == ["2026-12-30", "2027-01-11", "2027-01-12", "2027-01-13"]


# --- Stale records: a way to act from the digest ----------------------------------------------


async def arrange_stale(session: AsyncSession) -> list[Client]:
    manager = await add_member(session)
    clients = []
    for number in range(6):
        clients.append(
            await add_client(
                session,
                manager,
                f"Старые данные {number}",
                "Europe/Moscow",
                confirmed=datetime(2026, 1, 1 + number, tzinfo=UTC),
            )
        )
    key = await add_client(
        session,
        manager,
        "Ключевой устаревший",
        "Europe/Moscow",
        confirmed=datetime(2026, 9, 1, tzinfo=UTC),
    )
    key.category = Category.KEY
    clients.insert(0, key)
    return clients


async def test_stale_records_in_the_digest_have_card_and_confirm_buttons(
    chat: Chat,
    session_factory: Factory,
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> None:
    async with session_factory.begin() as session:
        clients = await arrange_stale(session)
    clock.set(msk(2026, 11, 23, 8, 58))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 9, 1), timedelta(minutes=1))
    [digest] = digests_of(recorder, MANAGER_ID)
    stale = digest.text.split("Устаревшие данные")[1]
    # The key client first, then the oldest; five shown, the rest counted.
    assert stale.index("Ключевой устаревший") < stale.index("Старые данные 0")
    assert "Старые данные 5" not in stale
    assert "…и ещё 2 клиента — /overdue" in stale
    labels = chat.buttons(MANAGER_ID)
    assert labels.count("✅ Данные актуальны") == 5
    assert "📇 Ключевой устаревш…" in labels

    # «Данные актуальны»: confirmed as on the card; the digest stays, its row marked.
    calls = await chat.press(MANAGER_ID, "✅ Данные актуальны")
    assert not [call for call in calls if isinstance(call, SendMessage | EditMessageText)]
    [edit] = [call for call in calls if isinstance(call, EditMessageReplyMarkup)]
    assert edit.reply_markup is not None
    rows = [[button.text for button in row] for row in edit.reply_markup.inline_keyboard]
    assert ["✅ Ключевой устаревш…"] in rows
    [answer] = [call for call in calls if isinstance(call, AnswerCallbackQuery)]
    assert answer.text == "✅ Данные подтверждены: Ключевой устаревший"
    async with session_factory() as session:
        confirmed = await session.get(Client, clients[0].id)
    assert confirmed is not None
    assert confirmed.data_confirmed_at.replace(tzinfo=UTC) == clock.now().astimezone(UTC)

    # The card comes as a new message; the digest is not replaced by it.
    calls = await chat.press(MANAGER_ID, "📇 Старые данные 0")
    assert not [call for call in calls if isinstance(call, EditMessageText)]
    [card] = [call for call in calls if isinstance(call, SendMessage)]
    assert "Старые данные 0" in card.text
    assert "Справочная" in card.text

    # /overdue lists every stale record, each with its buttons.
    text = joined(await chat.send(MANAGER_ID, "/overdue"))
    assert "Старые данные 5" in text
    assert "Ключевой устаревший" not in text
    assert chat.buttons(MANAGER_ID).count("✅ Данные актуальны") == 6
    assert isinstance(recorder, StrictSession)
    assert recorder.refused == []


async def test_confirming_somebody_elses_client_from_a_forged_button_is_refused(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        await add_member(session)
        other = await add_member(session, telegram_id=602, name="Анна")
        theirs = await add_client(
            session, other, "Чужой", "Europe/Moscow", confirmed=datetime(2026, 1, 1, tzinfo=UTC)
        )
    clock.set(msk(2026, 11, 23, 12, 0))
    data = ClientCallback(action="confirm_row", client_id=theirs.id).pack()
    calls = await chat.press_data(MANAGER_ID, data)
    [answer] = [call for call in calls if isinstance(call, AnswerCallbackQuery)]
    assert answer.show_alert
    async with session_factory() as session:
        unchanged = await session.get(Client, theirs.id)
    assert unchanged is not None
    assert unchanged.data_confirmed_at.replace(tzinfo=UTC) == datetime(2026, 1, 1, tzinfo=UTC)


# --- The head's morning word on the team ------------------------------------------------------


async def arrange_team(session: AsyncSession) -> tuple[Member, dict[str, Member]]:
    head = await add_member(session, telegram_id=HEAD_TG, role=Role.HEAD, name="Ольга Смирнова")
    anna = await add_member(session, telegram_id=611, name="Анна Кузнецова")
    boris = await add_member(session, telegram_id=612, name="Борис Лебедев")
    calm = await add_member(session, telegram_id=613, name="Вера Спокойная")
    gone = await add_member(session, telegram_id=614, name="Дмитрий Орлов")
    gone.is_active = False
    for number in range(5):
        client = await add_client(session, anna, f"Клиент Анны {number}", "Europe/Moscow")
        await add_touch(session, client, MONDAY - timedelta(days=3))
    stale = await add_client(
        session,
        boris,
        "Бориса устаревший",
        "Europe/Moscow",
        confirmed=datetime(2026, 1, 1, tzinfo=UTC),
    )
    await add_touch(session, stale, MONDAY - timedelta(days=1))
    key = await add_client(session, boris, "Бориса ключевой", "Europe/Moscow")
    key.category = Category.KEY
    await add_touch(session, key, MONDAY + timedelta(days=3))
    for number in range(2):
        client = await add_client(session, gone, f"Клиент Дмитрия {number}", "Europe/Moscow")
        await add_touch(session, client, MONDAY - timedelta(days=7))
    fine = await add_client(session, calm, "Клиент Веры", "Europe/Moscow")
    await add_touch(session, fine, MONDAY)
    return head, {"anna": anna, "boris": boris, "calm": calm, "gone": gone}


async def test_the_head_hears_about_the_team_worst_first(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        await arrange_team(session)
    clock.set(msk(2026, 11, 23, 8, 58))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 9, 1), timedelta(minutes=1))
    # A head without clients of their own still gets a digest: the team block.
    [digest] = digests_of(recorder, HEAD_TG)
    text = digest.text
    assert "Касаний сегодня" not in text
    assert "👥 Команда: что требует внимания" in text
    lines = [line for line in text.splitlines() if line.startswith("• ")]
    assert lines == [
        "• Анна Кузнецова — 5 просроченных касаний",
        "• Дмитрий Орлов (отключён) — 2 просроченных касания",
        "• Борис Лебедев — 1 просроченное касание, 1 ключевой клиент без касания, "
        "1 устаревшая запись",
    ]
    assert "Вера" not in text
    assert text.rstrip().endswith("Подробнее — /team")
    # A manager hears only about their own work.
    [anna] = digests_of(recorder, 611)
    assert "Команда" not in anna
    assert "Борис" not in anna.text


async def test_a_head_whose_team_is_in_order_gets_no_digest(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        await add_member(session, telegram_id=HEAD_TG, role=Role.HEAD, name="Ольга Смирнова")
        manager = await add_member(session, telegram_id=611, name="Анна Кузнецова")
        client = await add_client(session, manager, "Клиент Анны", "Europe/Moscow")
        await add_touch(session, client, MONDAY)
    clock.set(msk(2026, 11, 23, 8, 58))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 9, 1), timedelta(minutes=1))
    assert digests_of(recorder, HEAD_TG) == []
    assert len(digests_of(recorder, 611)) == 1


async def test_a_head_with_clients_gets_both_and_is_not_in_their_own_team_block(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        head, _ = await arrange_team(session)
        own = await add_client(session, head, "Клиент Ольги", "Europe/Moscow")
        await add_touch(session, own, MONDAY - timedelta(days=1), "Цель Ольги")
    clock.set(msk(2026, 11, 23, 12, 0))
    text = joined(await chat.send(HEAD_TG, "/today"))
    assert "Касаний сегодня: 0 · просрочено: 1" in text
    assert "Цель Ольги" in text
    assert "• Анна Кузнецова — 5 просроченных касаний" in text
    assert "Ольга Смирнова" not in text
    async with session_factory() as session:
        heads = list(await session.scalars(select(Member).where(Member.role == Role.HEAD)))
    assert len(heads) == 1


async def test_key_clients_touched_within_their_cadence_are_not_reported(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        await add_member(session, telegram_id=HEAD_TG, role=Role.HEAD, name="Ольга Смирнова")
        manager = await add_member(session, telegram_id=611, name="Анна Кузнецова")
        for name, called in (("Ключевой на связи", True), ("Ключевой забытый", False)):
            key = await add_client(session, manager, name, "Europe/Moscow")
            key.category = Category.KEY
            await add_touch(session, key, MONDAY + timedelta(days=5))
            if called:
                session.add(
                    Interaction(
                        client_id=key.id,
                        member_id=manager.id,
                        channel=Channel.CALL,
                        direction=Direction.OUTGOING,
                        goal="Узнать, как дела",
                        result="Всё в порядке",
                        outcome=Outcome.ACHIEVED,
                        happened_at=datetime(2026, 11, 16, 9, 0, tzinfo=UTC),
                        created_at=datetime(2026, 11, 16, 9, 0, tzinfo=UTC),
                    )
                )
    clock.set(msk(2026, 11, 23, 8, 58))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 9, 1), timedelta(minutes=1))
    [digest] = digests_of(recorder, HEAD_TG)
    assert "• Анна Кузнецова — 1 ключевой клиент без касания" in digest.text


async def arrange_data_checks(session: AsyncSession) -> None:
    """Анна's overdue work with «проверить данные» checks, some riding along with another touch
    of their client (her digest shows them as one item), one on its own."""
    await add_member(session, telegram_id=HEAD_TG, role=Role.HEAD, name="Ольга Смирнова")
    anna = await add_member(session, telegram_id=611, name="Анна Кузнецова")
    old = datetime(2026, 6, 1, tzinfo=UTC)
    plan = {
        # An overdue call and an overdue check: one overdue item, the call carrying the check.
        "Оба просрочены": [(-5, TouchReason.CADENCE), (-3, TouchReason.STALE_DATA)],
        # An overdue check and a call due today: today's item carries it, nothing overdue.
        "Звонок сегодня": [(0, TouchReason.CADENCE), (-2, TouchReason.STALE_DATA)],
        # The client's next call is weeks away: the check is overdue on its own.
        "Звонок не скоро": [(10, TouchReason.CADENCE), (-4, TouchReason.STALE_DATA)],
        "Просто просрочен": [(-1, TouchReason.CADENCE)],
        # Stale, its check not planned yet: a stale record, not an overdue touch.
        "Давно не сверяли": [(7, TouchReason.CADENCE)],
    }
    for name, touches in plan.items():
        stale = name == "Давно не сверяли" or any(
            reason is TouchReason.STALE_DATA for _, reason in touches
        )
        client = await add_client(
            session, anna, name, "Europe/Moscow", confirmed=old if stale else None
        )
        for days, reason in touches:
            await add_touch(
                session, client, MONDAY + timedelta(days=days), f"Цель {name}", reason=reason
            )


async def test_the_heads_block_and_team_count_the_overdue_touches_the_manager_sees(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        await arrange_data_checks(session)
    clock.set(msk(2026, 11, 23, 8, 58))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 9, 1), timedelta(minutes=1))

    [own] = digests_of(recorder, 611)
    assert "Касаний сегодня: 1 · просрочено: 3" in own.text
    assert own.text.count("🔄 заодно сверьте данные") == 2
    [head] = digests_of(recorder, HEAD_TG)
    assert "• Анна Кузнецова — 3 просроченных касания, 4 устаревшие записи" in head.text
    # /team and /stats say the same: the count the manager sees is the one the head reads.
    team = joined(await chat.send(HEAD_TG, "/team сегодня"))
    assert re.search(r"проср\s+устар\s+Анна К\.\s+3\s+4\b", team), team
    stats = joined(await chat.send(HEAD_TG, "/stats Анна сегодня"))
    assert re.search(r"Просрочено сейчас\s+3\b", stats), stats


async def test_on_the_demo_base_every_members_digest_and_the_team_agree_weeks_later(
    session_factory: Factory,
) -> None:
    # The demo base left three weeks without a single call: the backlog the console showed as
    # «Дмитрий Орлов — 28 просроченных касаний» in the head's block and 23 in his own digest.
    start = datetime(2026, 12, 3, 11, 45, tzinfo=UTC)
    async with session_factory.begin() as session:
        await load_demo(session, now=start, timezone="Europe/Moscow")
    later = datetime(2026, 12, 21, 9, 0, tzinfo=UTC)
    async with session_factory.begin() as session:
        day = start
        while day <= later:
            await planner.plan_all(session, day)
            day += timedelta(days=1)
    async with session_factory() as session:
        members = list(await session.scalars(select(Member).order_by(Member.id)))
        head = next(member for member in members if member.role is Role.HEAD)
        digests = await build_digests(session, members, later)
        report = await team_report(
            session, head, Period(date(2026, 12, 21), date(2026, 12, 21), PeriodKind.DAY), later
        )
    counted = {row.member_id: row.overdue for row in report.rows}
    seen = {member.id: len(digests[member.id].overdue) for member in members}
    folded = sum(
        item.data_age_days is not None
        for digest in digests.values()
        for item in digest.overdue + digest.today
    )
    assert folded, "the base has data checks riding along, or the test proves nothing"
    assert {member_id: counted.get(member_id, 0) for member_id in seen} == seen
    assert max(seen.values()) > 10
    block = {line.member_id: line.overdue for line in digests[head.id].team}
    assert block == {member_id: count for member_id, count in seen.items() if member_id in block}
    assert len(block) == 3
