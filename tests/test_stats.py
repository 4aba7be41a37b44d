"""/team and /stats: periods, every number of a known fixture across time zones, the replies.

Now is Wednesday 18.11.2026 10:30 in Moscow (14:30 in Novosibirsk); «неделя» is Monday 16.11 to
today. Дмитрий works in Moscow and Сергей in Novosibirsk, so the same UTC moment falls on
different days for them: each is counted in his own calendar.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from aiogram.methods import SendMessage, SendPhoto
from aiogram.types import BufferedInputFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.commands import menu
from bot.i18n import Translator
from models import Client, Interaction, Member
from models.enums import Category, Channel, Direction, Outcome, Role, TouchReason, TouchStatus
from services import charts, stats
from services.periods import Period, PeriodError, PeriodKind, parse_period
from services.stats import MemberStats
from tests.conftest import HEAD_ID, START
from tests.harness import Chat, joined
from tests.test_events import base, plan_webinar, team
from tests.test_reminders import MANAGER_ID, OTHER_MANAGER_ID, add_client, add_member, add_touch

Factory = async_sessionmaker[AsyncSession]
TODAY = date(2026, 11, 18)
WEEK = Period(date(2026, 11, 16), TODAY, PeriodKind.WEEK)
INACTIVE_ID = 603


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("", date(2026, 11, 16), TODAY),
        ("week", date(2026, 11, 16), TODAY),
        ("за неделю", date(2026, 11, 16), TODAY),
        ("прошлая неделя", date(2026, 11, 9), date(2026, 11, 15)),
        ("Месяц", date(2026, 11, 1), TODAY),
        ("last month", date(2026, 10, 1), date(2026, 10, 31)),
        # The current month ends today: the days ahead have nothing to count.
        ("2026-11", date(2026, 11, 1), TODAY),
        ("ноябрь", date(2026, 11, 1), TODAY),
        ("november 2025", date(2025, 11, 1), date(2025, 11, 30)),
        ("декабрь", date(2025, 12, 1), date(2025, 12, 31)),
        ("мая", date(2026, 5, 1), date(2026, 5, 31)),
        ("01.11–15.11", date(2026, 11, 1), date(2026, 11, 15)),
        ("01.11-15.11", date(2026, 11, 1), date(2026, 11, 15)),
        ("1.11.2026-15.11.2026", date(2026, 11, 1), date(2026, 11, 15)),
        ("с 01.11 по 15.11", date(2026, 11, 1), date(2026, 11, 15)),
        ("28.12-05.01", date(2025, 12, 28), date(2026, 1, 5)),
        ("2026-11-01..2026-11-10", date(2026, 11, 1), date(2026, 11, 10)),
        ("сегодня", TODAY, TODAY),
        ("today", TODAY, TODAY),
        ("вчера", date(2026, 11, 17), date(2026, 11, 17)),
        ("yesterday", date(2026, 11, 17), date(2026, 11, 17)),
        ("15.11", date(2026, 11, 15), date(2026, 11, 15)),
    ],
)
def test_periods_read_in_russian_and_english(text: str, first: date, last: date) -> None:
    period = parse_period(text, TODAY)
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("blah", "period_bad"),
        ("Мария", "period_bad"),
        ("31.02", "period_bad_date"),
        ("2026-13", "period_bad_date"),
        ("15.11-01.11", "period_reversed"),
        ("2027-01", "period_future"),
        ("01.01.2025-31.12.2026", "period_too_long"),
    ],
)
def test_bad_periods_name_their_reason(text: str, code: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(text, TODAY)
    assert caught.value.code == code


# What QA typed on Thursday 3 December 2026, and the English a head types.
DEC_3 = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("квартал", date(2026, 10, 1), DEC_3),
        ("Q4", date(2026, 10, 1), DEC_3),
        ("4 квартал", date(2026, 10, 1), DEC_3),
        ("4-й квартал", date(2026, 10, 1), DEC_3),
        ("III квартал", date(2026, 7, 1), date(2026, 9, 30)),
        ("прошлый квартал", date(2026, 7, 1), date(2026, 9, 30)),
        ("4 квартал 2025", date(2025, 10, 1), date(2025, 12, 31)),
        ("с 1 по 15 ноября", date(2026, 11, 1), date(2026, 11, 15)),
        ("1-15 ноября", date(2026, 11, 1), date(2026, 11, 15)),
        ("с 1 ноября", date(2026, 11, 1), DEC_3),
        ("последние 30 дней", date(2026, 11, 4), DEC_3),
        ("за последние 30 дней", date(2026, 11, 4), DEC_3),
        ("30 дней", date(2026, 11, 4), DEC_3),
        ("2 недели", date(2026, 11, 20), DEC_3),
        ("2026", date(2026, 1, 1), DEC_3),
        ("2025 год", date(2025, 1, 1), date(2025, 12, 31)),
        ("прошлый год", date(2025, 1, 1), date(2025, 12, 31)),
        ("с начала года", date(2026, 1, 1), DEC_3),
        ("позавчера", date(2026, 12, 1), date(2026, 12, 1)),
        ("октябрь-ноябрь", date(2026, 10, 1), date(2026, 11, 30)),
        ("с октября по ноябрь", date(2026, 10, 1), date(2026, 11, 30)),
        ("октябрь", date(2026, 10, 1), date(2026, 10, 31)),
        ("за ноябрь", date(2026, 11, 1), date(2026, 11, 30)),
        # The current month is clipped to today; a day-month without a year is the latest such
        # day that is not in the future.
        ("декабрь", date(2026, 12, 1), DEC_3),
        ("4.12", date(2025, 12, 4), date(2025, 12, 4)),
        ("3.12", DEC_3, DEC_3),
        ("quarter", date(2026, 10, 1), DEC_3),
        ("last quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("last 30 days", date(2026, 11, 4), DEC_3),
        ("1–15 Nov", date(2026, 11, 1), date(2026, 11, 15)),
        ("Nov 1-15", date(2026, 11, 1), date(2026, 11, 15)),
        ("since Nov 1", date(2026, 11, 1), DEC_3),
        ("from Nov 1 to Nov 15", date(2026, 11, 1), date(2026, 11, 15)),
        ("October", date(2026, 10, 1), date(2026, 10, 31)),
        ("day before yesterday", date(2026, 12, 1), date(2026, 12, 1)),
        ("2026-11-01..2026-11-10", date(2026, 11, 1), date(2026, 11, 10)),
        ("01.11–15.11.2026", date(2026, 11, 1), date(2026, 11, 15)),
    ],
)
def test_periods_a_head_of_sales_types(text: str, first: date, last: date) -> None:
    period = parse_period(text, DEC_3)
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize("text", ["2027", "январь 2027", "Q1 2027", "с 1 января 2027"])
def test_a_period_entirely_ahead_is_refused_with_its_dates(text: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(text, DEC_3)
    assert caught.value.code == "period_future"
    assert caught.value.period is not None
    assert caught.value.period.first.year == 2027


TEAM = [
    Member(id=1, full_name="Анна Кузнецова", username="anna_k"),
    Member(id=2, full_name="Анна Петрова"),
    Member(id=3, full_name="Сергей Ли"),
    Member(id=4, full_name="Дмитрий Орлов"),
]


@pytest.mark.parametrize(
    ("text", "ids", "first", "last"),
    [
        ("Анна Кузнецова месяц", {1}, date(2026, 11, 1), TODAY),
        ("Сергей с 01.11 по 15.11", {3}, date(2026, 11, 1), date(2026, 11, 15)),
        ("Анна Петрова квартал", {2}, date(2026, 10, 1), TODAY),
        ("Сергея квартал", {3}, date(2026, 10, 1), TODAY),
        ("прошлый месяц Сергея", {3}, date(2026, 10, 1), date(2026, 10, 31)),
        ("квартал Кузнецову", {1}, date(2026, 10, 1), TODAY),
        ("Дмитрия Орлова с 1 по 15 ноября", {4}, date(2026, 11, 1), date(2026, 11, 15)),
        ("Дмитри Орлов последние 30 дней", {4}, date(2026, 10, 20), TODAY),
        ("Анну", {1, 2}, date(2026, 11, 16), TODAY),
        ("Анна Кузнецова", {1}, date(2026, 11, 16), TODAY),
        ("месяц", set(), date(2026, 11, 1), TODAY),
    ],
)
def test_a_name_and_a_period_come_apart(text: str, ids: set[int], first: date, last: date) -> None:
    request = stats.read_stats_request(text, TODAY, TEAM)
    assert {person.id for person in request.members} == ids
    assert request.period is not None
    assert (request.period.first, request.period.last) == (first, last)


def test_when_the_name_is_fine_the_period_is_the_problem() -> None:
    request = stats.read_stats_request("Сергей кватрал", TODAY, TEAM)
    assert [person.id for person in request.members] == [3]
    assert request.period is None
    assert request.period_text == "кватрал"
    assert request.error is not None
    assert request.error.code == "period_bad"
    unknown = stats.read_stats_request("Василий квартал", TODAY, TEAM)
    assert (unknown.name, unknown.members) == ("Василий", [])
    assert unknown.period is not None
    impossible = stats.read_stats_request("31.02", TODAY, TEAM)
    assert (impossible.name, impossible.period) == ("", None)
    assert impossible.error is not None
    assert impossible.error.code == "period_bad_date"


def interaction(
    client: Client, at: datetime, channel: Channel, outcome: Outcome, member: Member | None = None
) -> Interaction:
    return Interaction(
        client_id=client.id,
        member_id=(member.id if member else client.owner_id),
        channel=channel,
        direction=Direction.OUTGOING,
        goal="Цель",
        result="Результат",
        outcome=outcome,
        happened_at=at,
        created_at=at,
    )


async def touch(
    session: AsyncSession,
    client: Client,
    due: date,
    closed: datetime | None,
    goal: str,
    *,
    status: TouchStatus = TouchStatus.DONE,
    reason: TouchReason = TouchReason.CADENCE,
) -> None:
    row = await add_touch(session, client, due, goal, reason)
    row.status = status
    row.closed_at = closed


async def arrange(session_factory: Factory) -> dict[str, int]:
    """The fixture: who did what, with the edge of each member's week next to it."""
    async with session_factory.begin() as session:
        head = await add_member(session, telegram_id=HEAD_ID, role=Role.HEAD, name="Ольга")
        dmitry = await add_member(session, name="Дмитрий Орлов")
        sergey = await add_member(
            session, telegram_id=OTHER_MANAGER_ID, timezone="Asia/Novosibirsk", name="Сергей Ли"
        )
        anna = await add_member(session, telegram_id=INACTIVE_ID, name="Анна Кузнецова")
        anna.is_active = False

        romashka = await add_client(session, dmitry, "Ромашка", "Europe/Moscow")
        beryozka = await add_client(
            session, dmitry, "Берёзка", "Europe/Moscow", confirmed=utc(1, 0, month=9)
        )
        yasen = await add_client(session, dmitry, "Ясень", "Europe/Moscow")
        yasen.created_at = utc(17, 10)
        forgotten = await add_client(
            session, dmitry, "#5", "Europe/Moscow", confirmed=utc(1, 0, month=1)
        )
        forgotten.forgotten_at = utc(1, 0)
        sibir = await add_client(session, sergey, "Сибирь", "Asia/Novosibirsk")
        ob = await add_client(
            session, sergey, "Обь", "Asia/Novosibirsk", confirmed=utc(1, 0, month=8)
        )
        # 00:30 on Monday in Novosibirsk, still Sunday in Moscow: new for Сергей this week.
        ob.created_at = utc(15, 17, 30)
        for client in (romashka, beryozka, forgotten, sibir):
            client.category = Category.KEY

        session.add_all(
            [
                # Дмитрий (Moscow, the week starts 15.11 21:00 UTC).
                interaction(romashka, utc(15, 20, 30), Channel.CALL, Outcome.ACHIEVED),  # Sunday
                interaction(romashka, utc(15, 21, 30), Channel.CALL, Outcome.ACHIEVED),
                interaction(romashka, utc(17, 10), Channel.MEETING, Outcome.PARTIAL),
                interaction(yasen, utc(18, 7), Channel.EMAIL, Outcome.NOT_ACHIEVED),
                interaction(romashka, utc(18, 7, 20), Channel.CALL, Outcome.ACHIEVED),
                interaction(beryozka, utc(10, 9, month=10), Channel.CALL, Outcome.PARTIAL),
                # Сергей (Novosibirsk, the week starts 15.11 17:00 UTC).
                interaction(sibir, utc(15, 16, 30), Channel.CALL, Outcome.ACHIEVED),  # Sunday
                interaction(sibir, utc(15, 17, 30), Channel.WHATSAPP, Outcome.ACHIEVED),
                interaction(ob, utc(16, 5), Channel.CALL, Outcome.NO_CONTACT),
            ]
        )
        await touch(session, romashka, date(2026, 11, 16), utc(16, 12), "в срок")
        await touch(session, romashka, date(2026, 11, 16), utc(17, 8), "позже")
        # 00:30 on 18.11 in Moscow (still the 17th in UTC): late.
        await touch(session, beryozka, date(2026, 11, 17), utc(17, 21, 30), "после полуночи")
        await touch(
            session, romashka, TODAY, utc(18, 6), "поздравить", reason=TouchReason.OCCASION
        )
        await touch(session, romashka, date(2026, 11, 16), utc(15, 20), "до недели")
        await touch(
            session, romashka, date(2026, 11, 17), None, "просрочено", status=TouchStatus.PLANNED
        )
        await touch(
            session, yasen, date(2026, 11, 16), None, "отложено", status=TouchStatus.SNOOZED
        )
        await touch(session, yasen, TODAY, None, "сегодня", status=TouchStatus.PLANNED)
        await touch(session, yasen, TODAY, utc(18, 5), "пропущено", status=TouchStatus.SKIPPED)
        await touch(
            session, forgotten, date(2026, 11, 10), None, "стёрт", status=TouchStatus.PLANNED
        )
        # 00:30 on 17.11 in Novosibirsk: late for Сергей, on time by Moscow's calendar.
        await touch(session, sibir, date(2026, 11, 16), utc(16, 17, 30), "поздно в Сибири")
        await touch(session, ob, TODAY, utc(15, 18), "заранее", reason=TouchReason.OCCASION)
        await touch(
            session, sibir, date(2026, 11, 17), None, "просрочено", status=TouchStatus.PLANNED
        )
        return {"head": head.id, "dmitry": dmitry.id, "sergey": sergey.id, "anna": anna.id}


def numbers(row: MemberStats) -> dict[str, object]:
    return {
        "channels": {channel.value: count for channel, count in row.channels.items() if count},
        **{name: getattr(row, name) for name in stats.COUNTERS},
    }


async def report_for(
    session_factory: Factory, viewer_id: int, period: Period, **kwargs: object
) -> stats.TeamReport:
    async with session_factory() as session:
        viewer = await session.get(Member, viewer_id)
        assert viewer is not None
        return await stats.team_report(session, viewer, period, START, **kwargs)  # type: ignore[arg-type]


async def test_every_number_of_the_week_in_each_members_calendar(session_factory: Factory) -> None:
    ids = await arrange(session_factory)
    report = await report_for(session_factory, ids["head"], WEEK)

    # The head has no numbers and Анна is inactive with none: neither is listed.
    assert [row.name for row in report.rows] == ["Дмитрий Орлов", "Сергей Ли"]
    dmitry, sergey = report.rows
    assert numbers(dmitry) == {
        "channels": {"call": 2, "meeting": 1, "email": 1},
        "achieved": 2, "partial": 1, "on_time": 2, "late": 2, "overdue": 2,
        "key_clients": 2, "key_covered": 1, "stale": 1, "new_clients": 1, "occasions": 1,
    }  # fmt: skip
    assert numbers(sergey) == {
        "channels": {"whatsapp": 1, "call": 1},
        "achieved": 1, "partial": 0, "on_time": 1, "late": 1, "overdue": 1,
        "key_clients": 1, "key_covered": 1, "stale": 1, "new_clients": 1, "occasions": 1,
    }  # fmt: skip
    total = report.total
    assert (total.interactions, total.achieved_share, total.partial_share) == (6, 0.5, 1 / 6)
    assert (total.on_time, total.late, total.overdue, total.occasions) == (3, 3, 3, 2)
    assert (total.key_covered, total.key_clients, total.stale, total.new_clients) == (2, 3, 2, 2)
    assert dmitry.coverage == 0.5


async def test_a_past_month_is_measured_at_its_end(session_factory: Factory) -> None:
    ids = await arrange(session_factory)
    october = parse_period("2026-10", TODAY)
    report = await report_for(session_factory, ids["head"], october, member_ids=[ids["dmitry"]])
    (dmitry,) = report.rows
    # Берёзка was contacted on 10.10, within 30 days of 31.10; Ромашка not yet. Ромашка's data
    # are confirmed on 01.11, after the period: only Берёзка (01.09) was stale on 31.10.
    assert numbers(dmitry) == {
        "channels": {"call": 1},
        "achieved": 0, "partial": 1, "on_time": 0, "late": 0, "overdue": 2,
        "key_clients": 2, "key_covered": 1, "stale": 1, "new_clients": 0, "occasions": 0,
    }  # fmt: skip


async def test_a_manager_gets_only_their_own_numbers(session_factory: Factory) -> None:
    ids = await arrange(session_factory)
    own = await report_for(session_factory, ids["dmitry"], WEEK, member_ids=[ids["dmitry"]])
    assert own.total.interactions == 4
    for asked in (None, [ids["sergey"]]):
        with pytest.raises(stats.StatsAccessError):
            await report_for(session_factory, ids["dmitry"], WEEK, member_ids=asked)


def test_members_are_matched_by_name_forms_and_username() -> None:
    team = [
        Member(id=1, full_name="Анна Кузнецова", username="anna_k"),
        Member(id=2, full_name="Анна Петрова"),
        Member(id=3, full_name="Сергей Ли"),
    ]
    assert [m.id for m in stats.match_members("Кузнецову", team)] == [1]
    assert [m.id for m in stats.match_members("@anna_k", team)] == [1]
    assert {m.id for m in stats.match_members("Анна", team)} == {1, 2}
    assert stats.match_members("Ольга", team) == []


def test_a_large_team_splits_into_messages_and_the_chart_stays_small() -> None:
    rows = [
        MemberStats(n, f"Менеджер{n:03d} Фамилия", {Channel.CALL: n, Channel.EMAIL: 1}, achieved=n)
        for n in range(1, 201)
    ]
    total = MemberStats(None, "")
    for row in rows:
        total.add(row)
    report = stats.TeamReport(WEEK, rows, total)
    messages = stats.render_team(report, Translator("ru"), "📊 <b>Команда</b>")
    assert len(messages) > 1
    assert all(len(text) <= stats.TELEGRAM_LIMIT for text in messages)
    assert all(text.count("<pre>") == text.count("</pre>") for text in messages)
    texts = charts.ChartTexts("T", {c: c.value for c in Channel}, "цель {share}", "касаний")
    png = charts.team_chart(rows, texts)
    assert png.startswith(b"\x89PNG")


# ---------------------------------------------------------------------------------------------
# Through the dispatcher


def photos(calls: list[object]) -> list[SendPhoto]:
    return [call for call in calls if isinstance(call, SendPhoto)]


async def test_head_reads_team_week_as_tables_and_a_chart(
    chat: Chat, session_factory: Factory
) -> None:
    await arrange(session_factory)
    calls = await chat.send(HEAD_ID, "/team неделя")
    text = joined(calls)
    assert "Команда · 16–18 ноября 2026" in text
    assert "Дмитрий О." in text
    assert "Сергей Л." in text
    assert "Итого" in text
    # The total line of the goals table: 50% achieved, 17% in part, 3 / 3 / 3.
    assert re.search(r"Итого +50% +17% +3 +3 +3</pre>", text)
    assert "Анна" not in text
    (photo,) = photos(calls)
    assert photo.chat_id == HEAD_ID
    assert isinstance(photo.photo, BufferedInputFile)
    assert photo.photo.data.startswith(b"\x89PNG")
    assert "16–18 ноября 2026" in (photo.caption or "")


async def test_a_manager_is_refused_the_team_and_colleagues(
    chat: Chat, session_factory: Factory
) -> None:
    await arrange(session_factory)
    refused = await chat.send(MANAGER_ID, "/team week")
    assert "только руководителю" in joined(refused)
    assert not photos(refused)
    colleague = await chat.send(MANAGER_ID, "/stats Сергей")
    assert "только своя статистика" in joined(colleague)
    assert "Сибирь" not in joined(colleague)
    assert not photos(colleague)


async def test_a_manager_reads_their_own_stats(chat: Chat, session_factory: Factory) -> None:
    await arrange(session_factory)
    calls = await chat.send(MANAGER_ID, "/stats")
    text = joined(calls)
    assert "Дмитрий Орлов · 16–18 ноября 2026" in text
    assert re.search(r"Касаний всего +4\n", text)
    assert re.search(r"Ключевые в срок +1 из 2 · 50%\n", text)
    assert len(photos(calls)) == 1


async def test_head_reads_one_manager_by_name(chat: Chat, session_factory: Factory) -> None:
    await arrange(session_factory)
    calls = await chat.send(HEAD_ID, "/stats Сергея неделя")
    text = joined(calls)
    assert "Сергей Ли · 16–18 ноября 2026" in text
    assert "WhatsApp" in text
    unknown = joined(await chat.send(HEAD_ID, "/stats Василий"))
    assert "Не нашёл в команде «Василий»" in unknown
    assert "Дмитрий Орлов" in unknown
    quarter = joined(await chat.send(HEAD_ID, "/stats Сергей квартал"))
    assert "Сергей Ли · 1 октября – 18 ноября 2026" in quarter
    assert "Сергей Ли · 16–18 ноября 2026" in joined(
        await chat.send(HEAD_ID, "/stats неделя Сергея")
    )
    typo = joined(await chat.send(HEAD_ID, "/stats Сергея кватрал"))
    assert "Не понял период «кватрал»" in typo
    assert "Не нашёл" not in typo
    unknown_with_period = joined(await chat.send(HEAD_ID, "/stats Василий квартал"))
    assert "Не нашёл в команде «Василий»" in unknown_with_period


async def test_an_english_speaking_head_names_members_in_latin(
    chat: Chat, session_factory: Factory
) -> None:
    ids = await arrange(session_factory)
    async with session_factory.begin() as session:
        head = await session.get(Member, ids["head"])
        assert head is not None
        head.language = "en"
    dmitry = joined(await chat.send(HEAD_ID, "/stats Dmitry quarter"))
    assert "Дмитрий Орлов · 1 October – 18 November 2026" in dmitry
    assert "Дмитрий Орлов" in joined(await chat.send(HEAD_ID, "/stats Dmitriy Orlov"))
    assert "Сергей Ли" in joined(await chat.send(HEAD_ID, "/stats last 30 days Sergei"))
    assert "No «Ivan» on the team" in joined(await chat.send(HEAD_ID, "/stats Ivan"))


def test_latin_spellings_of_a_cyrillic_name() -> None:
    assert "dmitry orlov" in stats.latin_spellings("Дмитрий Орлов")
    assert "dmitriy orlov" in stats.latin_spellings("Дмитрий Орлов")
    assert stats.latin_spellings("Анна") == ["anna"]
    assert [m.id for m in stats.match_members("Anna Kuznetsova", TEAM)] == [1]
    assert {m.id for m in stats.match_members("Anna", TEAM)} == {1, 2}


async def test_bad_and_empty_periods_get_a_friendly_answer(
    chat: Chat, session_factory: Factory
) -> None:
    await arrange(session_factory)
    bad = joined(await chat.send(HEAD_ID, "/team 31.02"))
    assert "несуществующая дата" in bad
    assert "<code>/team 01.11–15.11</code>" in bad
    assert "Не понял период «когда-нибудь»" in joined(
        await chat.send(HEAD_ID, "/team когда-нибудь")
    )
    assert "Не понял период" in joined(await chat.send(MANAGER_ID, "/stats когда-нибудь"))
    empty = await chat.send(HEAD_ID, "/team 2026-03")
    assert "нет активности" in joined(empty)
    assert not photos(empty)
    assert all(isinstance(call, SendMessage) for call in empty)


async def test_an_empty_period_still_shows_what_is_open_now(
    chat: Chat, session_factory: Factory
) -> None:
    await arrange(session_factory)
    # March had nothing; today Дмитрий has 2 overdue touches and 1 stale record, Сергей 1 and 1.
    text = joined(await chat.send(HEAD_ID, "/team 2026-03"))
    assert "За март 2026 у команды нет активности" in text
    assert "Открыто сейчас" in text
    assert re.search(r"Дмитрий О\. +2 +1\n", text)
    assert re.search(r"Сергей Л\. +1 +1\n", text)
    assert re.search(r"Итого +3 +2</pre>", text)
    one = joined(await chat.send(HEAD_ID, "/stats Сергея 2026-03"))
    assert "Сергей Ли: за март 2026 нет активности" in one
    assert re.search(r"Просрочено сейчас +1\n", one)
    assert re.search(r"Устаревшие данные +1</pre>", one)


async def test_an_empty_period_with_nothing_open_is_one_line(
    chat: Chat, session_factory: Factory
) -> None:
    async with session_factory.begin() as session:
        await add_member(session, telegram_id=HEAD_ID, role=Role.HEAD, name="Ольга")
        await add_member(session, name="Дмитрий Орлов")
    calls = await chat.send(HEAD_ID, "/team сегодня")
    assert len(calls) == 1
    assert "нет активности" in joined(calls)
    assert "Открыто сейчас" not in joined(calls)


async def test_the_header_names_the_days_counted(chat: Chat, session_factory: Factory) -> None:
    await arrange(session_factory)
    # «квартал» on 18.11.2026: from 1 October to today, not the whole quarter.
    quarter = joined(await chat.send(HEAD_ID, "/team квартал"))
    assert "Команда · 1 октября – 18 ноября 2026" in quarter
    # «19.11» is still ahead this year: the latest 19 November is last year's, and says so.
    last_year = joined(await chat.send(HEAD_ID, "/team 19.11"))
    assert "19 ноября 2025" in last_year
    ahead = joined(await chat.send(HEAD_ID, "/team январь 2027"))
    assert "Период «январь 2027» (январь 2027) ещё не наступил: сегодня 18 ноября 2026." in ahead
    assert "<code>/team квартал</code>" in ahead


async def test_help_gives_period_examples_to_each_role(
    chat: Chat, session_factory: Factory
) -> None:
    await arrange(session_factory)
    head = joined(await chat.send(HEAD_ID, "/help"))
    assert "<code>/team прошлый месяц</code>" in head
    assert "<code>/stats Анна квартал</code>" in head
    manager = joined(await chat.send(MANAGER_ID, "/help"))
    assert "<code>/stats прошлый квартал</code>" in manager
    assert "/team" not in manager


def test_the_command_menu_offers_team_to_heads_only() -> None:
    assert "team" in {command.command for command in menu(Role.HEAD, "ru")}
    managers = {command.command for command in menu(Role.MANAGER, "ru")}
    assert "team" not in managers
    assert "stats" in managers


async def test_invitations_of_a_cancelled_event_are_not_the_managers_overdue(
    chat: Chat, session: AsyncSession, session_factory: Factory
) -> None:
    """The head cancels an event: its open invitations are closed as skipped for the event's
    sake; neither /stats nor /team counts them against the manager, whose own overdue touch
    still counts."""
    head, manager = await team(chat, session)
    await base(session, head, manager)
    own = await session.scalar(select(Client).where(Client.owner_id == manager.id).limit(1))
    assert own is not None
    await add_touch(session, own, date(2026, 11, 19), "Сверить прайс")
    await session.commit()
    await plan_webinar(chat)
    # Monday 23 November: the invitations of 19 and 20 November are overdue.
    chat.clock.set(datetime(2026, 11, 23, 7, 30, tzinfo=UTC))
    week = parse_period("неделя", date(2026, 11, 23))

    async def numbers_now() -> dict[str, object]:
        async with session_factory() as fresh:
            viewer = await fresh.get(Member, head.id)
            assert viewer is not None
            report = await stats.team_report(
                fresh, viewer, week, chat.clock.now(), member_ids=[manager.id]
            )
        return numbers(report.rows[0])

    before = await numbers_now()
    assert isinstance(before["overdue"], int)
    assert before["overdue"] > 1

    await chat.send(HEAD_ID, "/event")
    await chat.press(HEAD_ID, "Отменить: Вебинар")
    await chat.press(HEAD_ID, "Да, отменить событие")

    after = await numbers_now()
    assert after == {**before, "overdue": 1}
    assert after["on_time"] == after["late"] == 0
    own_stats = joined(await chat.send(MANAGER_ID, "/stats"))
    assert re.search(r"Просрочено сейчас\s+1\b", own_stats), own_stats


async def test_a_heads_bare_stats_points_to_the_managers(
    chat: Chat, session_factory: Factory
) -> None:
    await arrange(session_factory)
    text = joined(await chat.send(HEAD_ID, "/stats 2026-03"))
    assert "У вас лично за март 2026 нет активности" in text
    assert "<code>/stats Дмитрий</code>, <code>/stats Сергей</code>" in text
    assert "<code>/stats Дмитрий прошлый месяц</code>" in text
    # Named, the member's own (empty) numbers come as before; a manager's bare /stats too.
    one = joined(await chat.send(HEAD_ID, "/stats Сергея 2026-03"))
    assert "Сергей Ли: за март 2026 нет активности" in one
    mine = joined(await chat.send(MANAGER_ID, "/stats 2026-03"))
    assert "нет активности" in mine
    assert "У вас лично" not in mine
