"""The demo base behind `python -m bot console --demo`: its shape, determinism, idempotence, and
the console run end to end in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import models
from models import (
    AuditEntry,
    CategoryPolicy,
    ChangeLog,
    Client,
    Contact,
    Deal,
    Event,
    Interaction,
    KeyDate,
    Member,
    OwnerHistory,
    Touch,
)
from models.enums import Channel, ClientKind, Outcome, Role, TouchReason, TouchStatus
from models.session import create_engine, create_session_factory
from services import planner, validation
from services.demo import DemoTeam, load_demo
from services.touches import OPEN_STATUSES, policy_for
from tests.harness import Chat, joined

ROOT = Path(__file__).resolve().parent.parent
ZONE = "Europe/Moscow"
# 10:30 Moscow time on a Wednesday, as in conftest.
NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
TODAY = NOW.astimezone(ZoneInfo(ZONE)).date()


async def _load(session: AsyncSession, now: datetime = NOW) -> DemoTeam:
    team = await load_demo(session, now=now, timezone=ZONE)
    await session.commit()
    return team


async def _count(session: AsyncSession, model: type[models.Base]) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


async def _client(session: AsyncSession, name: str) -> Client:
    client = await session.scalar(select(Client).where(Client.name == name))
    assert client is not None, name
    return client


async def test_team_and_clients(session: AsyncSession) -> None:
    team = await _load(session)
    members = {m.telegram_id: m for m in await session.scalars(select(Member))}
    assert set(members) == {1001, 1002, 1003, 1004}
    assert members[1001].role is Role.HEAD
    assert members[1001].full_name == "Ольга Смирнова"
    assert {members[i].role for i in (1002, 1003, 1004)} == {Role.MANAGER}
    assert members[1004].timezone == "Asia/Novosibirsk"
    assert members[1003].timezone == "Europe/Moscow"
    assert all(m.work_start == time(9) and m.work_end == time(18) for m in members.values())
    assert all(m.work_days == "01234" and m.digest_time == time(9) for m in members.values())
    assert team.head_id == members[1001].id
    assert team.console_manager_id == members[1002].id
    assert set(team.manager_ids) == {members[i].id for i in (1002, 1003, 1004)}

    clients = list(await session.scalars(select(Client)))
    assert 55 <= len(clients) <= 65
    owners = Counter(client.owner_id for client in clients)
    assert owners[members[1002].id] >= 25
    assert owners[members[1003].id] >= 5
    assert owners[members[1004].id] >= 5
    assert members[1001].id not in owners
    assert len({client.category for client in clients}) == 5
    assert len({client.stage for client in clients}) == 3
    assert len({client.timezone for client in clients}) >= 6
    assert len({client.industry for client in clients if client.industry}) >= 8
    assert any("Подарить футболку" in client.tags for client in clients)
    assert any("Поздравить" in client.tags for client in clients)
    for client in clients:
        assert client.data_confirmed_at <= NOW
        assert client.created_at <= client.data_confirmed_at
        if client.kind is ClientKind.B2B:
            assert client.inn is not None
            assert validation.validate_inn(client.inn) == client.inn


async def test_contacts_and_the_readme_examples(session: AsyncSession) -> None:
    await _load(session)
    romashka = await _client(session, "ООО «Ромашка»")
    assert romashka.preferences == "берёт синие и серые, партиями по 200"
    contacts = list(await session.scalars(select(Contact)))
    petrov = [c for c in contacts if c.full_name == "Петров Иван Сергеевич"]
    assert len(petrov) == 1
    assert petrov[0].client_id == romashka.id
    assert "закуп" in (petrov[0].position or "")
    petrova = [c for c in contacts if c.full_name.startswith("Петрова ")]
    assert petrova
    assert all(c.client_id != romashka.id for c in petrova)

    b2c = list(await session.scalars(select(Client).where(Client.kind == ClientKind.B2C)))
    assert len(b2c) >= 3
    for client in b2c:
        own = [c for c in contacts if c.client_id == client.id]
        assert [c.full_name for c in own] == [client.name]

    for contact in contacts:
        assert contact.phone is not None
        assert validation.normalize_phone(contact.phone) == contact.phone
        assert all(validation.normalize_phone(p) == p for p in contact.extra_phones)
        assert contact.email is not None
        assert validation.normalize_email(contact.email) == contact.email
    assert len({c.phone for c in contacts}) == len(contacts)
    assert sum(c.telegram is not None for c in contacts) >= 10
    assert sum(c.hobbies is not None for c in contacts) >= 10
    assert sum(c.favourite_team is not None for c in contacts) >= 5
    assert {"главный бухгалтер", "коммерческий директор"} <= {c.position for c in contacts}


async def test_the_calling_window_examples_belong_to_the_console_manager(
    session: AsyncSession,
) -> None:
    team = await _load(session)
    clients = list(
        await session.scalars(select(Client).where(Client.owner_id == team.console_manager_id))
    )
    windows = {(c.timezone, c.window_start, c.window_end) for c in clients}
    assert ("Asia/Vladivostok", time(10), time(18)) in windows
    assert ("Asia/Vladivostok", time(10), time(14)) in windows
    assert ("Europe/Kaliningrad", time(10), time(14)) in windows


async def test_key_dates_today_tomorrow_and_the_leap_day(session: AsyncSession) -> None:
    await _load(session)
    dates = list(await session.scalars(select(KeyDate)))
    tomorrow = TODAY + timedelta(days=1)
    birthdays = [d for d in dates if d.kind == "birthday"]
    assert any((d.day, d.month) == (TODAY.day, TODAY.month) for d in birthdays)
    assert any(
        (d.day, d.month) == (tomorrow.day, tomorrow.month) and d.relation == "жена"
        for d in birthdays
    )
    assert any((d.day, d.month) == (29, 2) for d in birthdays)
    family = [d for d in birthdays if d.relation is not None]
    assert len(family) >= 3
    assert all(d.person_name for d in family)
    assert all(d.contact_id is not None for d in birthdays)
    founding = [d for d in dates if d.kind == "anniversary"]
    assert len(founding) >= 5
    assert all(d.year is not None for d in founding)


async def test_today_is_computed_in_the_team_time_zone(session: AsyncSession) -> None:
    # 22:30 UTC on the 18th is already the 19th in Moscow.
    late = datetime(2026, 11, 18, 22, 30, tzinfo=UTC)
    await _load(session, now=late)
    birthday = await session.scalar(
        select(Touch).where(
            Touch.reason == TouchReason.OCCASION, Touch.due_on == date(2026, 11, 19)
        )
    )
    assert birthday is not None
    key_date = await session.get(KeyDate, birthday.key_date_id)
    assert key_date is not None
    assert (key_date.day, key_date.month, key_date.relation) == (19, 11, None)


async def test_position_history_deals_and_owner_history(session: AsyncSession) -> None:
    await _load(session)
    moves = list(await session.scalars(select(ChangeLog).where(ChangeLog.field == "position")))
    assert any(
        m.entity == "contact"
        and m.old_value == "менеджер по закупкам"
        and m.new_value == "коммерческий директор"
        for m in moves
    )
    for move in moves:
        contact = await session.get(Contact, move.entity_id)
        assert contact is not None
        assert contact.position == move.new_value

    deals = list(await session.scalars(select(Deal)))
    assert len(deals) >= 30
    assert {True, False} <= {deal.is_paid for deal in deals}
    locations = {deal.goods_location for deal in deals}
    assert "на складе в Подольске" in locations
    assert any(location and location.startswith("в пути") for location in locations)
    assert all(deal.amount is not None and deal.amount > 0 for deal in deals)

    clients = await _count(session, Client)
    first_owners = await session.scalar(select(func.count(func.distinct(OwnerHistory.client_id))))
    assert first_owners == clients
    handovers = list(
        await session.scalars(select(OwnerHistory).where(OwnerHistory.from_member_id.is_not(None)))
    )
    assert handovers

    assert await _count(session, CategoryPolicy) == 5


async def test_events_have_a_start_and_their_invitations(session: AsyncSession) -> None:
    team = await _load(session)
    events = {event.title: event for event in await session.scalars(select(Event))}
    assert len(events) == 3
    for event in events.values():
        assert event.created_by_id == team.head_id
        assert event.timezone == "Europe/Moscow"
        assert event.starts_at is not None
        assert event.happens_on.weekday() < 5
        assert event.created_at < NOW
    webinar = events["Вебинар: новинки сезона"]
    assert 7 <= (webinar.happens_on - TODAY).days <= 14
    assert webinar.starts_at == time(11, 0)
    assert webinar.cancelled_at is None
    cancelled = [event for event in events.values() if event.cancelled_at is not None]
    assert len(cancelled) == 1
    assert cancelled[0].happens_on > TODAY

    invitations = list(
        await session.scalars(select(Touch).where(Touch.reason == TouchReason.EVENT))
    )
    by_event = Counter((t.event_id, t.status, t.skip_reason) for t in invitations)
    assert by_event[(webinar.id, TouchStatus.PLANNED, None)] >= 10
    assert by_event[(cancelled[0].id, TouchStatus.SKIPPED, planner.EVENT_CANCELLED)] >= 3
    assert not [
        t
        for t in invitations
        if t.event_id == cancelled[0].id and t.status is not TouchStatus.SKIPPED
    ]
    # The webinar's invitations start today: the first digest has some.
    mine = [t for t in invitations if t.member_id == team.console_manager_id]
    assert any(t.event_id == webinar.id and t.due_on == TODAY for t in mine)
    assert not any(t.status in OPEN_STATUSES and t.due_on < TODAY for t in invitations)
    # Each reader's clock: the Novosibirsk manager's invitations name both times.
    siberian = team.manager_ids[2]
    goals = {t.goal for t in invitations if t.event_id == webinar.id}
    date_text = format_date(webinar.happens_on, "d MMMM", locale="ru")
    assert goals == {
        f"Пригласить на «Вебинар: новинки сезона» {date_text} в 11:00",
        f"Пригласить на «Вебинар: новинки сезона» {date_text} в 11:00 по Москве, у вас 15:00",
    }
    assert all(
        t.goal.endswith("у вас 15:00")
        for t in invitations
        if t.event_id == webinar.id and t.member_id == siberian
    )


async def test_interactions_have_goals_results_and_a_past(session: AsyncSession) -> None:
    await _load(session)
    interactions = list(await session.scalars(select(Interaction)))
    assert 400 <= len(interactions) <= 600
    earliest = NOW - timedelta(days=130)
    for interaction in interactions:
        assert interaction.goal.strip()
        assert interaction.result.strip()
        assert interaction.happened_at.tzinfo is not None
        assert interaction.happened_at < NOW
        assert interaction.happened_at <= interaction.created_at <= NOW
    assert sum(i.happened_at >= earliest for i in interactions) >= 0.95 * len(interactions)
    assert {i.channel for i in interactions} >= {
        Channel.CALL,
        Channel.MEETING,
        Channel.EMAIL,
        Channel.WHATSAPP,
        Channel.TELEGRAM,
    }
    assert {i.outcome for i in interactions} == set(Outcome)
    assert len({i.direction for i in interactions}) == 2
    assert len({i.goal for i in interactions}) >= 10
    assert len({i.client_id for i in interactions}) == await _count(session, Client)

    # Key clients are contacted more often than occasional ones.
    per_client = Counter(i.client_id for i in interactions)
    clients = list(await session.scalars(select(Client)))
    key = [per_client[c.id] for c in clients if c.category.value == "key"]
    occasional = [per_client[c.id] for c in clients if c.category.value == "occasional"]
    assert sum(key) / len(key) > 2 * sum(occasional) / len(occasional)


async def test_stale_and_overdue_records_exist(session: AsyncSession) -> None:
    await _load(session)
    clients = list(await session.scalars(select(Client)))
    stale = []
    for client in clients:
        policy = await policy_for(session, client.category)
        if NOW - client.data_confirmed_at > timedelta(days=policy.reverify_days):
            stale.append(client)
    assert 3 <= len(stale) <= len(clients) // 3

    last_contact = dict(
        (
            await session.execute(
                select(Interaction.client_id, func.max(Interaction.happened_at)).group_by(
                    Interaction.client_id
                )
            )
        ).all()
    )
    overdue = 0
    for client in clients:
        policy = await policy_for(session, client.category)
        last = last_contact[client.id]
        if last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        if NOW - last > timedelta(days=policy.cadence_days):
            overdue += 1
    assert overdue >= 3


async def test_last_month_has_a_plan_to_measure(session: AsyncSession) -> None:
    await _load(session)
    closed = list(await session.scalars(select(Touch).where(Touch.status == TouchStatus.DONE)))
    assert len(closed) >= 60
    on_time = [t for t in closed if t.closed_at is not None and t.closed_at.date() <= t.due_on]
    assert 0.5 < len(on_time) / len(closed) < 0.95
    assert sum(t.reason is TouchReason.OCCASION for t in closed) >= 2
    linked = await session.scalar(
        select(func.count()).select_from(Interaction).where(Interaction.touch_id.is_not(None))
    )
    assert linked == len(closed)


async def test_every_client_has_exactly_one_next_touch(session: AsyncSession) -> None:
    team = await _load(session)
    clients = {c.id: c for c in await session.scalars(select(Client))}
    everything = list(await session.scalars(select(Touch)))
    # Event invitations come on top of a client's next touch, or are it: an invitation
    # replaces the routine call due on its day or later.
    touches = [
        t for t in everything if t.status in OPEN_STATUSES and t.reason is not TouchReason.EVENT
    ]
    invited = {
        t.client_id
        for t in everything
        if t.status in OPEN_STATUSES and t.reason is TouchReason.EVENT
    }
    assert all(t.status is TouchStatus.PLANNED for t in touches)
    without_call = set(clients) - {t.client_id for t in touches}
    assert without_call
    assert without_call <= invited
    assert Counter(t.client_id for t in touches) == Counter(set(clients) - without_call)
    assert len({t.dedupe_key for t in touches}) == len(touches)
    for touch in touches:
        assert touch.member_id == clients[touch.client_id].owner_id
        assert touch.goal.strip()
    reasons = {t.reason for t in touches}
    assert {TouchReason.CADENCE, TouchReason.FOLLOW_UP, TouchReason.OCCASION} <= reasons

    mine = [t for t in touches if t.member_id == team.console_manager_id]
    assert sum(t.due_on == TODAY for t in mine) >= 4
    assert sum(t.due_on < TODAY for t in mine) >= 2
    assert sum(t.due_on > TODAY for t in mine) >= 10
    birthday = [t for t in mine if t.reason is TouchReason.OCCASION and t.due_on == TODAY]
    assert len(birthday) == 1
    assert birthday[0].key_date_id is not None
    assert birthday[0].draft_text
    assert "с днём рождения" in birthday[0].goal

    # A follow-up touch continues the newest interaction's next step.
    for touch in touches:
        if touch.reason is not TouchReason.FOLLOW_UP:
            continue
        newest = await session.scalar(
            select(Interaction)
            .where(Interaction.client_id == touch.client_id)
            .order_by(Interaction.happened_at.desc())
            .limit(1)
        )
        assert newest is not None
        assert newest.next_step == touch.goal
        assert newest.next_touch_on == touch.due_on


async def test_the_audit_log_has_its_last_days(session: AsyncSession) -> None:
    team = await _load(session)
    entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.at)))
    kinds = Counter(entry.action for entry in entries)
    assert kinds["card_view"] >= 15
    assert kinds["export"] == 1
    assert kinds["member_off"] == kinds["member_on"] == 1
    assert kinds["denied"] == 2
    assert kinds["event_created"] == 3
    assert kinds["event_cancelled"] == 1
    assert kinds["policy_change"] == 1
    handovers = await session.scalar(
        select(func.count())
        .select_from(OwnerHistory)
        .where(OwnerHistory.from_member_id.is_not(None))
    )
    assert kinds["handover"] == handovers
    assert all(entry.at < NOW for entry in entries)
    assert sum(entry.at >= NOW - timedelta(hours=24) for entry in entries) >= 3
    # Managers read their own clients' cards only; the head reads anybody's.
    owners = {client.id: client.owner_id for client in await session.scalars(select(Client))}
    views = [entry for entry in entries if entry.action == "card_view"]
    assert {entry.member_id for entry in views} == set(team.member_ids)
    for entry in views:
        assert entry.member_id in {team.head_id, owners[entry.client_id]}
    sergey = team.manager_ids[2]
    switched = [entry for entry in entries if entry.action in {"member_off", "member_on"}]
    assert [entry.action for entry in switched] == ["member_off", "member_on"]
    assert all(entry.details == {"member_id": sergey} for entry in switched)


async def test_audit_shows_the_demo_log_to_the_head(chat: Chat, session: AsyncSession) -> None:
    await _load(session)
    chat.user(1001, "Ольга")
    page = joined(await chat.send(1001, "/audit"))
    assert "Журнал действий</b> (" in page
    assert "<b>Ольга Смирнова</b> · 📤 выгрузила базу" in page
    assert "<b>Ольга Смирнова</b> · 🚫 отключила сотрудника · <b>Сергей Ли</b>" in page
    assert "<b>Дмитрий Орлов</b> · ⛔ отказано в доступе · /audit" in page
    assert "<b>Анна Кузнецова</b> · 👁 открыла карточку" in page
    assert "🔁 передала клиента" in page
    assert "<b>Ольга Смирнова</b> · 📅 создала событие · «Выставка БИОТ: наш стенд»" in page
    assert "<b>Ольга Смирнова</b> · ❌ отменила событие · «День открытых дверей" in page
    assert (
        "<b>Ольга Смирнова</b> · ⚙️ изменила политику · <b>Ключевой</b>: каденция 45 → 30 дн."
        in page
    )
    recent = joined(await chat.send(1001, "/audit 24h"))
    assert "выгрузила базу" in recent
    assert "передала клиента" not in recent
    assert "Сергей Ли" in joined(await chat.send(1001, "/audit Сергей"))


async def _snapshot(session: AsyncSession) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for client in await session.scalars(select(Client).order_by(Client.id)):
        rows.append((client.name, client.category, client.data_confirmed_at, client.tags))
    for contact in await session.scalars(select(Contact).order_by(Contact.id)):
        rows.append((contact.full_name, contact.phone, contact.email))
    for item in await session.scalars(select(Interaction).order_by(Interaction.id)):
        rows.append((item.client_id, item.goal, item.result, item.happened_at))
    for touch in await session.scalars(select(Touch).order_by(Touch.id)):
        rows.append((touch.client_id, touch.due_on, touch.reason, touch.goal))
    return rows


async def test_the_same_now_gives_the_same_base(session: AsyncSession) -> None:
    await _load(session)
    engine = create_engine("sqlite+aiosqlite://")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(models.Base.metadata.create_all)
        async with create_session_factory(engine)() as other:
            await _load(other)
            assert await _snapshot(other) == await _snapshot(session)
    finally:
        await engine.dispose()


async def test_a_second_run_changes_nothing(session: AsyncSession) -> None:
    first = await _load(session)
    counts = [
        await _count(session, model) for model in (Member, Client, Contact, Interaction, Touch)
    ]
    second = await _load(session, now=NOW + timedelta(days=3))
    assert second == first
    assert [
        await _count(session, model) for model in (Member, Client, Contact, Interaction, Touch)
    ] == counts


async def test_a_database_with_another_team_is_refused(session: AsyncSession) -> None:
    session.add(
        Member(
            telegram_id=777,
            full_name="Чужой руководитель",
            role=Role.HEAD,
            timezone=ZONE,
            language="ru",
            created_at=NOW,
        )
    )
    await session.commit()
    with pytest.raises(ValueError, match="empty database"):
        await load_demo(session, now=NOW, timezone=ZONE)


def test_console_demo_runs_end_to_end(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--demo"],
        # The head sets the key clients' cadence: «25» is the value typed, not a button.
        input="/start\n/help\n/policy\n1\n1\n25\n:as manager\n/today\n:say 1\n:quit\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "demo base loaded" in result.stdout
    assert "Здравствуйте, Ольга Смирнова" in result.stdout
    assert "Звонил Петрову из Ромашки" in result.stdout
    assert "✅ Ключевой: каденция 30 → 25 дн." in result.stdout
    assert "(no button" not in result.stdout
    assert "Не нашёл «1»" not in result.stdout  # «:say 1»: too short to search, said so
    assert "«1» — слишком коротко" in result.stdout
    assert (tmp_path / "data" / "demo.db").is_file()
