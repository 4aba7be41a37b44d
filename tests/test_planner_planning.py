"""The planner's planning half, at the service level: cadence, ceiling, follow-ups, occasions,
stale data, the nightly sweep and the working-day shift."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Client, Contact, Interaction, KeyDate, Member, Touch
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
from services import planner
from services.access import AccessDeniedError
from services.touches import close_touch, plan_touch
from tests.conftest import START

_ids = count(1000)


async def add_member(
    session: AsyncSession, *, language: str = "ru", role: Role = Role.MANAGER
) -> Member:
    member = Member(
        telegram_id=next(_ids),
        full_name="Дмитрий Орлов",
        role=role,
        timezone="Europe/Moscow",
        language=language,
        created_at=START - timedelta(days=800),
    )
    session.add(member)
    await session.flush()
    return member


async def add_client(
    session: AsyncSession,
    owner: Member,
    *,
    category: Category = Category.REGULAR,
    contact: str | None = "Иванов Иван Сергеевич",
    industry: str | None = None,
    window_days: str = "01234",
    observe_holidays: bool = True,
    confirmed_days_ago: int = 1,
    timezone: str = "Europe/Moscow",
) -> Client:
    created = START - timedelta(days=700)
    client = Client(
        kind=ClientKind.B2B,
        name=f"ООО «Клиент {next(_ids)}»",
        timezone=timezone,
        category=category,
        owner_id=owner.id,
        industry=industry,
        window_days=window_days,
        observe_holidays=observe_holidays,
        data_confirmed_at=START - timedelta(days=confirmed_days_ago),
        created_at=created,
        updated_at=created,
    )
    session.add(client)
    await session.flush()
    if contact:
        session.add(
            Contact(client_id=client.id, full_name=contact, is_primary=True, created_at=created)
        )
        await session.flush()
    return client


async def add_interaction(
    session: AsyncSession,
    client: Client,
    on: date,
    *,
    direction: Direction = Direction.OUTGOING,
    outcome: Outcome = Outcome.ACHIEVED,
    next_touch_on: date | None = None,
    next_step: str | None = None,
) -> Interaction:
    interaction = Interaction(
        client_id=client.id,
        member_id=client.owner_id,
        channel=Channel.CALL,
        direction=direction,
        goal="Узнать потребности",
        result="Поговорили",
        outcome=outcome,
        next_step=next_step,
        next_touch_on=next_touch_on,
        happened_at=datetime.combine(on, time(9, 0), tzinfo=UTC),
        created_at=datetime.combine(on, time(9, 0), tzinfo=UTC),
    )
    session.add(interaction)
    await session.flush()
    return interaction


async def open_touches(
    session: AsyncSession, client: Client, reason: TouchReason | None = None
) -> list[Touch]:
    query = select(Touch).where(
        Touch.client_id == client.id, Touch.status.in_((TouchStatus.PLANNED, TouchStatus.SNOOZED))
    )
    if reason is not None:
        query = query.where(Touch.reason == reason)
    return list(await session.scalars(query.order_by(Touch.due_on)))


def at(day: date, hour: int = 7) -> datetime:
    """A UTC moment on a day (10:00 Moscow at the default hour)."""
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


# Cadence.


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        (Category.KEY, date(2026, 12, 10)),
        (Category.VIP, date(2026, 12, 25)),
        # 60 days land on Saturday 9 January 2027, a New Year holiday week-end: Monday 11th.
        (Category.REGULAR, date(2027, 1, 11)),
        (Category.OCCASIONAL, date(2027, 3, 10)),
        (Category.NEW, date(2026, 11, 24)),
    ],
)
async def test_cadence_follows_the_category(
    session: AsyncSession, category: Category, expected: date
) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, category=category)
    await add_interaction(session, client, date(2026, 11, 10))
    planned = await planner.replan_client(session, client, START)
    cadence = [touch for touch in planned if touch.reason is TouchReason.CADENCE]
    assert [touch.due_on for touch in cadence] == [expected]
    assert cadence[0].member_id == owner.id
    assert cadence[0].goal == planner.CADENCE_GOALS["ru"][category]
    assert "потребност" in cadence[0].goal


async def test_overdue_cadence_is_due_today_and_in_the_owners_language(
    session: AsyncSession,
) -> None:
    owner = await add_member(session, language="en")
    client = await add_client(session, owner, category=Category.KEY)
    await add_interaction(session, client, date(2026, 8, 1))
    await planner.replan_client(session, client, START)
    (touch,) = await open_touches(session, client, TouchReason.CADENCE)
    assert touch.due_on == date(2026, 11, 18)
    assert touch.goal.startswith("Planned touch")


async def test_a_birthday_call_due_the_same_day_is_the_cadence_touch(
    session: AsyncSession,
) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, category=Category.KEY)
    await add_interaction(session, client, date(2026, 8, 1))
    birthday = await plan_touch(
        session,
        client=client,
        due_on=date(2026, 11, 18),
        reason=TouchReason.OCCASION,
        goal="Поздравить Ивана Сергеевича с днём рождения",
        dedupe_key="birthday:test",
        now=START,
    )
    await planner.replan_client(session, client, START)
    # One call that day, not two items: the cadence waits for the birthday call's log.
    assert await open_touches(session, client, TouchReason.CADENCE) == []

    close_touch(birthday, TouchStatus.DONE, START)
    await planner.replan_client(session, client, START + timedelta(hours=1))
    assert len(await open_touches(session, client, TouchReason.CADENCE)) == 1


@pytest.mark.parametrize(
    ("reason", "due_on", "cadence_planned"),
    [
        # An overdue birthday call (the cadence is overdue too: due today) is the contact...
        (TouchReason.OCCASION, date(2026, 11, 10), False),
        # ...and so is an invitation due by the cadence date.
        (TouchReason.EVENT, date(2026, 11, 18), False),
        # A data check rides along with the cadence call instead (the digest folds it in).
        (TouchReason.STALE_DATA, date(2026, 11, 16), True),
        # A greeting due after the cadence date does not stand for it.
        (TouchReason.OCCASION, date(2026, 11, 25), True),
    ],
)
async def test_an_open_touch_due_by_the_cadence_date_is_the_planned_contact(
    session: AsyncSession, reason: TouchReason, due_on: date, cadence_planned: bool
) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, category=Category.KEY)
    await add_interaction(session, client, date(2026, 8, 1))  # cadence overdue: due today
    await plan_touch(
        session,
        client=client,
        due_on=due_on,
        reason=reason,
        goal="Поздравить Ивана Сергеевича с днём рождения",
        dedupe_key="open:test",
        now=START,
    )
    for days in (0, 1, 7):
        await planner.plan_all(session, START + timedelta(days=days))
        cadence = await open_touches(session, client, TouchReason.CADENCE)
        assert bool(cadence) is cadence_planned
        if cadence_planned:
            break


async def test_never_two_open_cadence_touches(session: AsyncSession) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner)
    await add_interaction(session, client, date(2026, 11, 2))
    await planner.replan_client(session, client, START)
    second = await planner.replan_client(session, client, START + timedelta(days=3))
    report = await planner.plan_all(session, START + timedelta(days=5))
    assert [t for t in second if t.reason is TouchReason.CADENCE] == []
    assert report.cadence == 0
    assert len(await open_touches(session, client, TouchReason.CADENCE)) == 1


async def test_a_skipped_cadence_touch_is_followed_by_a_later_one(session: AsyncSession) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, category=Category.KEY)
    await add_interaction(session, client, date(2026, 9, 1))
    (touch,) = [
        t
        for t in await planner.replan_client(session, client, START)
        if t.reason is TouchReason.CADENCE
    ]
    assert touch.due_on == date(2026, 11, 18)
    touch.status, touch.closed_at = TouchStatus.SKIPPED, START
    await planner.replan_client(session, client, START + timedelta(hours=1))
    (next_touch,) = await open_touches(session, client, TouchReason.CADENCE)
    # Counted from the skip, not «overdue again today».
    assert next_touch.due_on == date(2026, 12, 18)


async def test_ceiling_moves_the_touch_until_the_oldest_contact_leaves_the_year(
    session: AsyncSession,
) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, category=Category.REGULAR)  # 60 days, 6 a year
    for day in (
        date(2026, 1, 20),
        date(2026, 3, 2),
        date(2026, 5, 5),
        date(2026, 7, 1),
        date(2026, 9, 1),
        date(2026, 11, 10),
    ):
        await add_interaction(session, client, day)
    await planner.replan_client(session, client, START)
    (touch,) = await open_touches(session, client, TouchReason.CADENCE)
    # 10 Nov + 60 days = 9 Jan 2027, but six contacts are within the year until 20 Jan 2027.
    assert touch.due_on == date(2027, 1, 21)


async def test_client_initiated_contacts_do_not_count_against_the_ceiling(
    session: AsyncSession,
) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, category=Category.REGULAR)
    await add_interaction(session, client, date(2026, 1, 20), direction=Direction.INCOMING)
    for day in (date(2026, 3, 2), date(2026, 5, 5), date(2026, 7, 1), date(2026, 9, 1)):
        await add_interaction(session, client, day)
    await add_interaction(session, client, date(2026, 11, 10))
    await planner.replan_client(session, client, START)
    (touch,) = await open_touches(session, client, TouchReason.CADENCE)
    assert touch.due_on == date(2027, 1, 11)


def test_ceiling_release_rule() -> None:
    contacts = [date(2026, 1, 1), date(2026, 6, 1), date(2026, 9, 1)]
    assert planner.ceiling_release(date(2026, 10, 1), contacts, 4) == date(2026, 10, 1)
    assert planner.ceiling_release(date(2026, 10, 1), contacts, 3) == date(2027, 1, 2)
    assert planner.ceiling_release(date(2026, 10, 1), contacts, 2) == date(2027, 6, 2)


# Follow-ups.


async def test_follow_up_replaces_the_cadence_touch(session: AsyncSession) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, category=Category.KEY)
    await add_interaction(session, client, date(2026, 11, 2))
    await planner.replan_client(session, client, START)
    (cadence,) = await open_touches(session, client, TouchReason.CADENCE)
    interaction = await add_interaction(
        session,
        client,
        date(2026, 11, 18),
        next_touch_on=date(2026, 12, 25),
        next_step="Отправить КП на новую коллекцию",
    )
    result = await planner.plan_follow_up(session, client, interaction, START)
    assert result.touch.reason is TouchReason.FOLLOW_UP
    assert result.touch.goal == "Отправить КП на новую коллекцию"
    assert result.touch.due_on == date(2026, 12, 25)
    assert (result.too_soon, result.over_ceiling) == (False, False)
    await session.refresh(cadence)
    assert cadence.status is TouchStatus.SKIPPED
    assert cadence.skip_reason == planner.REPLACED
    open_next = [
        t for t in await open_touches(session, client) if t.reason in planner.NEXT_TOUCH_REASONS
    ]
    assert open_next == [result.touch]
    # The sweep respects the follow-up as the one next touch.
    assert (await planner.plan_all(session, START + timedelta(hours=1))).cadence == 0


async def test_follow_up_too_soon_and_over_ceiling_flags(session: AsyncSession) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, category=Category.REGULAR)
    first = await add_interaction(
        session, client, date(2026, 11, 1), next_touch_on=date(2026, 11, 18), next_step="Встреча"
    )
    # The next step agreed on the call itself is not "too often"...
    assert (await planner.plan_follow_up(session, client, first, START)).too_soon is False
    interaction = await add_interaction(
        session, client, date(2026, 11, 18), next_touch_on=date(2026, 12, 2), next_step="Звонок"
    )
    # ...a third contact within one cadence period (60 days for regular clients) is.
    soon = await planner.plan_follow_up(session, client, interaction, START)
    assert soon.too_soon is True
    assert soon.over_ceiling is False

    later = await add_interaction(
        session, client, date(2026, 11, 18), next_touch_on=date(2027, 2, 1), next_step="Звонок"
    )
    assert (await planner.plan_follow_up(session, client, later, START)).too_soon is False

    for day in (date(2026, 3, 2), date(2026, 5, 5), date(2026, 7, 1), date(2026, 9, 1)):
        await add_interaction(session, client, day)
    full = await add_interaction(
        session, client, date(2026, 11, 18), next_touch_on=date(2027, 2, 1), next_step="Звонок"
    )
    assert (await planner.plan_follow_up(session, client, full, START)).over_ceiling is True


async def test_unanswered_call_is_not_a_contact_for_the_too_soon_warning(
    session: AsyncSession,
) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, category=Category.REGULAR)
    await add_interaction(session, client, date(2026, 8, 1))
    missed = await add_interaction(
        session,
        client,
        date(2026, 11, 18),
        outcome=Outcome.NO_CONTACT,
        next_touch_on=date(2026, 11, 19),
        next_step="Перезвонить",
    )
    assert (await planner.plan_follow_up(session, client, missed, START)).too_soon is False


async def test_interaction_without_next_step_rebases_the_cadence(session: AsyncSession) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, category=Category.KEY)
    await add_interaction(session, client, date(2026, 11, 2))
    await planner.replan_client(session, client, START)
    interaction = await add_interaction(session, client, date(2026, 11, 18))
    result = await planner.plan_follow_up(session, client, interaction, START)
    assert result.touch.reason is TouchReason.CADENCE
    assert result.touch.due_on == date(2026, 12, 18)
    assert len(await open_touches(session, client, TouchReason.CADENCE)) == 1


# Occasions.


async def test_birthday_touch_on_the_day_with_goal_and_draft(session: AsyncSession) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner)
    (contact,) = await session.scalars(select(Contact).where(Contact.client_id == client.id))
    session.add(
        KeyDate(
            client_id=client.id,
            contact_id=contact.id,
            kind="birthday",
            day=22,
            month=11,
            year=1976,
            created_at=START,
        )
    )
    session.add(
        KeyDate(
            client_id=client.id,
            contact_id=contact.id,
            kind="birthday",
            relation="жена",
            person_name="Марина",
            day=19,
            month=11,
            created_at=START,
        )
    )
    await session.flush()
    planned = await planner.plan_occasions(session, client, START)
    by_day = {touch.due_on: touch for touch in planned}
    # Sunday 22 November is greeted on Friday 20th, the last working day before it.
    assert set(by_day) == {date(2026, 11, 19), date(2026, 11, 20)}
    own = by_day[date(2026, 11, 20)]
    assert own.goal == "Поздравить Ивана Сергеевича с днём рождения"
    assert own.draft_text is not None
    assert own.draft_text.startswith("Иван Сергеевич")
    assert own.contact_id == contact.id
    wife = by_day[date(2026, 11, 19)]
    assert wife.goal == "Поздравить Ивана Сергеевича с днём рождения жены Марины"
    # Planning again (and the sweep) never doubles an occasion.
    assert await planner.plan_occasions(session, client, START + timedelta(hours=2)) == []
    assert (await planner.plan_all(session, START + timedelta(hours=3))).occasions == 0


@pytest.mark.parametrize(
    ("now", "expected"),
    # 28 February 2027 is a Sunday: Friday 26th; 29 February 2028 is a Tuesday.
    [(at(date(2027, 2, 22)), date(2027, 2, 26)), (at(date(2028, 2, 25)), date(2028, 2, 29))],
)
async def test_leap_day_birthday(session: AsyncSession, now: datetime, expected: date) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner)
    session.add(KeyDate(client_id=client.id, kind="birthday", day=29, month=2, created_at=START))
    await session.flush()
    planned = await planner.plan_occasions(session, client, now)
    assert [t.due_on for t in planned if t.key_date_id is not None] == [expected]


async def test_23_february_for_men_and_8_march_for_women(session: AsyncSession) -> None:
    owner = await add_member(session)
    man = await add_client(session, owner, contact="Иванов Иван Сергеевич")
    woman = await add_client(session, owner, contact="Петрова Мария Ивановна")
    keys: dict[int, set[str | None]] = {man.id: set(), woman.id: set()}
    for day in (date(2027, 2, 20), date(2027, 3, 4)):
        await planner.plan_all(session, at(day))
        for client in (man, woman):
            keys[client.id] |= {t.occasion_key for t in await open_touches(session, client)}
    assert "defender_day" in keys[man.id]
    assert "womens_day" not in keys[man.id]
    assert "womens_day" in keys[woman.id]
    assert "defender_day" not in keys[woman.id]
    (greeting,) = [t for t in await open_touches(session, woman) if t.occasion_key == "womens_day"]
    # Monday 8 March is a day off: the greeting comes on Friday 5 March.
    assert greeting.due_on == date(2027, 3, 5)
    assert greeting.goal == "Поздравить Марию Ивановну с 8 Марта"
    assert greeting.draft_text is not None
    assert "Мария Ивановна" in greeting.draft_text


async def test_professional_day_for_a_construction_client(session: AsyncSession) -> None:
    owner = await add_member(session)
    builder = await add_client(session, owner, industry="Строительство и ремонт")
    shop = await add_client(session, owner, industry="Стоматология")
    await planner.plan_all(session, at(date(2027, 8, 4)))
    builder_days = [
        t for t in await open_touches(session, builder, TouchReason.OCCASION)
        if t.occasion_key == "builder_day" or "строител" in t.goal
    ]  # fmt: skip
    # The second Sunday of August (8th) is greeted on Friday 6th.
    assert [t.due_on for t in builder_days] == [date(2027, 8, 6)]
    assert builder_days[0].goal == "Поздравить Ивана Сергеевича с Днём строителя"
    assert not [t for t in await open_touches(session, shop) if "строител" in t.goal]


async def test_holiday_greetings_yield_to_the_ceiling(session: AsyncSession) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, category=Category.OCCASIONAL)  # 3 a year
    quiet = await add_client(session, owner, category=Category.OCCASIONAL)
    for day in (date(2026, 12, 1), date(2026, 12, 10), date(2026, 12, 20)):
        await add_interaction(session, client, day)
    await planner.plan_all(session, at(date(2026, 12, 28)))
    assert not [t for t in await open_touches(session, client) if t.occasion_key == "new_year"]
    (new_year,) = [t for t in await open_touches(session, quiet) if t.occasion_key == "new_year"]
    # 31 December 2026 is a day off too: the last working day of the year is the 30th.
    assert new_year.due_on == date(2026, 12, 30)
    assert new_year.goal == "Поздравить Ивана Сергеевича с Новым годом"


async def test_holiday_greetings_come_on_the_last_working_day_before_the_holiday(
    session: AsyncSession,
) -> None:
    owner = await add_member(session)
    man = await add_client(session, owner, contact="Иванов Иван Сергеевич")
    woman = await add_client(session, owner, contact="Петрова Мария Ивановна")
    # On Monday 21 December the New Year greeting (Wednesday 30th) is beyond the week.
    await planner.plan_all(session, at(date(2026, 12, 21)))
    assert not [t for t in await open_touches(session, man) if t.occasion_key == "new_year"]
    due: dict[tuple[int, str | None], date] = {}
    for day in (date(2026, 12, 24), date(2027, 2, 15), date(2027, 3, 1)):
        await planner.plan_all(session, at(day))
        for client in (man, woman):
            for t in await open_touches(session, client, TouchReason.OCCASION):
                due[client.id, t.occasion_key] = t.due_on
    # 31 December 2026 is a day off; 23 February is a Tuesday after a Monday off;
    # 8 March is a Monday.
    assert due[man.id, "new_year"] == date(2026, 12, 30)
    assert due[man.id, "defender_day"] == date(2027, 2, 19)
    assert due[woman.id, "womens_day"] == date(2027, 3, 5)
    greeting = await session.scalar(
        select(Touch).where(Touch.client_id == man.id, Touch.occasion_key == "new_year")
    )
    assert greeting is not None
    assert greeting.goal == "Поздравить Ивана Сергеевича с Новым годом"
    assert greeting.occasion_on == date(2027, 1, 1)


async def test_a_key_date_in_the_new_year_holidays_is_greeted_before_them(
    session: AsyncSession,
) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner)
    session.add(KeyDate(client_id=client.id, kind="birthday", day=5, month=1, created_at=START))
    await session.flush()
    # 5 January is eight days after the last working day of 2026, further than the week
    # the sweep plans ahead, and still planned in time.
    await planner.plan_all(session, at(date(2026, 12, 24)))
    (touch,) = [t for t in await open_touches(session, client) if t.key_date_id is not None]
    assert touch.due_on == date(2026, 12, 30)
    assert (await planner.plan_all(session, at(date(2026, 12, 30)))).occasions == 0


@pytest.mark.parametrize(
    ("client_days", "owner_days", "expected"),
    [
        # Sunday 22 November 2026: Friday for a Monday-to-Friday client and owner...
        ("01234", "01234", date(2026, 11, 20)),
        # ...Thursday for a client that takes no calls on Fridays...
        ("0123", "01234", date(2026, 11, 19)),
        # ...and Saturday when both work on Saturdays.
        ("012345", "012345", date(2026, 11, 21)),
        ("012345", "01234", date(2026, 11, 20)),
    ],
)
async def test_a_week_end_birthday_comes_on_a_working_day_of_client_and_owner(
    session: AsyncSession, client_days: str, owner_days: str, expected: date
) -> None:
    owner = await add_member(session)
    owner.work_days = owner_days
    client = await add_client(session, owner, window_days=client_days)
    session.add(KeyDate(client_id=client.id, kind="birthday", day=22, month=11, created_at=START))
    await session.flush()
    await planner.plan_all(session, START)
    (touch,) = [t for t in await open_touches(session, client) if t.key_date_id is not None]
    assert touch.due_on == expected


def test_greeting_day_rule() -> None:
    schedule = planner.client_schedule(
        planner.ClientFacts(
            id=1,
            name="x",
            owner_id=1,
            timezone="Europe/Moscow",
            category=Category.REGULAR,
            industry=None,
            window_start=time(10),
            window_end=time(18),
            window_days="01234",
            observe_holidays=True,
            data_confirmed_at=START,
            created_at=START,
        )
    )
    sunday = date(2026, 11, 22)
    assert planner.greeting_day(sunday, date(2026, 11, 18), [schedule]) == date(2026, 11, 20)
    assert planner.greeting_day(date(2026, 11, 19), date(2026, 11, 18), [schedule]) == date(
        2026, 11, 19
    )
    # The working day before has passed: the day itself, not a day in the past.
    assert planner.greeting_day(sunday, date(2026, 11, 21), [schedule]) == sunday


async def test_a_greeting_not_made_in_time_is_closed_and_a_late_one_says_so(
    session: AsyncSession,
) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner)
    (contact,) = await session.scalars(select(Contact).where(Contact.client_id == client.id))
    for day, month in ((22, 11), (25, 11)):
        session.add(
            KeyDate(
                client_id=client.id,
                contact_id=contact.id,
                kind="birthday",
                day=day,
                month=month,
                created_at=START,
            )
        )
    await session.flush()
    await planner.plan_all(session, START)
    early, late = await open_touches(session, client, TouchReason.OCCASION)
    assert (early.occasion_on, early.due_on) == (date(2026, 11, 22), date(2026, 11, 20))
    assert early.draft_text is not None
    assert early.draft_text.startswith("Иван Сергеевич, с днём рождения!")

    # Tuesday 24th: two days after Sunday's birthday, the greeting is still worth making.
    await planner.plan_all(session, at(date(2026, 11, 24)))
    assert early.status is TouchStatus.PLANNED
    assert early.draft_text.startswith("Иван Сергеевич, с прошедшим днём рождения!")
    assert late.draft_text is not None
    assert late.draft_text.startswith("Иван Сергеевич, с днём рождения!")
    # Up to three days after it...
    await planner.plan_all(session, at(date(2026, 11, 25)))
    assert early.status is TouchStatus.PLANNED
    # ...and closed on the fourth, once, whatever the sweep's reruns.
    for hour in (7, 8):
        await planner.plan_all(session, at(date(2026, 11, 26), hour))
    assert early.status is TouchStatus.SKIPPED
    assert early.skip_reason == planner.OCCASION_PASSED
    assert early.closed_at == at(date(2026, 11, 26))
    assert late.status is TouchStatus.PLANNED
    # The birthday is not planned again for this year.
    assert [t.id for t in await open_touches(session, client, TouchReason.OCCASION)] == [late.id]


async def test_a_late_holiday_greeting_in_english(session: AsyncSession) -> None:
    owner = await add_member(session, language="en")
    client = await add_client(session, owner, contact="Петрова Мария Ивановна")
    await planner.plan_all(session, at(date(2027, 3, 1)))
    (touch,) = [t for t in await open_touches(session, client) if t.occasion_key == "womens_day"]
    await planner.plan_all(session, at(date(2027, 3, 9)))
    assert touch.draft_text is not None
    assert touch.draft_text.startswith("Мария Ивановна, belated International Women's Day")


# Stale data.


async def test_stale_data_touch_and_its_reset(session: AsyncSession) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, category=Category.REGULAR, confirmed_days_ago=100)
    await add_interaction(session, client, date(2026, 11, 2))
    await planner.replan_client(session, client, START)
    (stale,) = await open_touches(session, client, TouchReason.STALE_DATA)
    assert stale.due_on == date(2026, 11, 18)
    assert stale.goal.startswith("Проверить данные")
    await planner.replan_client(session, client, START + timedelta(days=1))
    assert len(await open_touches(session, client, TouchReason.STALE_DATA)) == 1

    closed = await planner.confirm_data(session, client, owner, START + timedelta(days=1))
    assert closed == [stale]
    assert stale.status is TouchStatus.DONE
    await planner.replan_client(session, client, START + timedelta(days=2))
    assert await open_touches(session, client, TouchReason.STALE_DATA) == []
    # 90 days after the confirmation the record is stale again: a new check is planned.
    later = START + timedelta(days=93)
    await planner.replan_client(session, client, later)
    (again,) = await open_touches(session, client, TouchReason.STALE_DATA)
    assert again.id != stale.id
    assert again.due_on == date(2027, 2, 19)


async def test_stale_touch_waits_for_the_clients_working_day(session: AsyncSession) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, confirmed_days_ago=200)
    saturday = at(date(2026, 11, 21))
    await planner.replan_client(session, client, saturday)
    (stale,) = await open_touches(session, client, TouchReason.STALE_DATA)
    assert stale.due_on == date(2026, 11, 23)


# The sweep.


async def test_plan_all_is_idempotent_and_respects_owners(session: AsyncSession) -> None:
    first, second = await add_member(session), await add_member(session)
    clients = [
        await add_client(session, owner, category=category, confirmed_days_ago=days)
        for owner, category, days in (
            (first, Category.KEY, 10),
            (first, Category.VIP, 200),
            (second, Category.REGULAR, 5),
            (second, Category.NEW, 100),
        )
    ]
    inactive = await add_client(session, first)
    inactive.is_active = False
    await add_interaction(session, clients[0], date(2026, 11, 1))
    report = await planner.plan_all(session, START, chunk_size=2)
    assert report.clients == 4
    assert report.cadence == 4
    assert report.stale == 2
    total = await session.scalar(select(func.count()).select_from(Touch))
    assert (await planner.plan_all(session, START, chunk_size=3)).planned == 0
    assert (await planner.plan_all(session, START + timedelta(hours=5))).planned == 0
    assert await session.scalar(select(func.count()).select_from(Touch)) == total
    for client in clients:
        touches = await open_touches(session, client)
        assert touches
        assert {t.member_id for t in touches} == {client.owner_id}
    assert await open_touches(session, inactive) == []


# Week-ends and holidays.


@pytest.mark.parametrize(
    ("days", "observe", "expected"),
    [
        ("01234", True, date(2027, 1, 11)),
        ("012345", True, date(2027, 1, 9)),
        ("01234", False, date(2027, 1, 1)),
    ],
)
async def test_cadence_on_new_year_moves_to_the_next_working_day(
    session: AsyncSession, days: str, observe: bool, expected: date
) -> None:
    owner = await add_member(session)
    client = await add_client(
        session, owner, category=Category.KEY, window_days=days, observe_holidays=observe
    )
    await add_interaction(session, client, date(2026, 12, 2))  # + 30 days = 1 January 2027
    await planner.replan_client(session, client, START)
    (touch,) = await open_touches(session, client, TouchReason.CADENCE)
    assert touch.due_on == expected


async def test_dates_are_the_clients_own(session: AsyncSession) -> None:
    owner = await add_member(session)
    client = await add_client(session, owner, confirmed_days_ago=200, timezone="Asia/Vladivostok")
    # 23:30 Moscow on Friday is Saturday morning in Vladivostok: the check waits for Monday.
    friday_night = datetime(2026, 11, 20, 20, 30, tzinfo=UTC)
    await planner.replan_client(session, client, friday_night)
    (stale,) = await open_touches(session, client, TouchReason.STALE_DATA)
    assert stale.due_on == date(2026, 11, 23)


async def test_confirming_somebody_elses_client_is_refused(session: AsyncSession) -> None:
    owner, stranger = await add_member(session), await add_member(session)
    client = await add_client(session, owner, confirmed_days_ago=200)
    await planner.replan_client(session, client, START)
    with pytest.raises(AccessDeniedError):
        await planner.confirm_data(session, client, stranger, START)
    assert len(await open_touches(session, client, TouchReason.STALE_DATA)) == 1
