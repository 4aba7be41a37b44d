"""Calling windows: PRODUCT.md's time-zone examples, weekends, Russian holidays and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.windows import (
    Schedule,
    common_interval,
    common_intervals,
    first_common_interval,
    first_common_moment,
    is_working_day,
    overlaps_ever,
    window_in_zone,
)

MOSCOW = ZoneInfo("Europe/Moscow")
VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")
KALININGRAD = ZoneInfo("Europe/Kaliningrad")
BERLIN = ZoneInfo("Europe/Berlin")
NOVOSIBIRSK = ZoneInfo("Asia/Novosibirsk")
WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))

MANAGER = Schedule(MOSCOW, time(9), time(18), WEEKDAYS)
# 16 March 2026 is an ordinary Monday.
MONDAY = date(2026, 3, 16)


def client(
    zone: ZoneInfo,
    start: int,
    end: int,
    *,
    weekdays: frozenset[int] = WEEKDAYS,
    observe_holidays: bool = True,
) -> Schedule:
    """A client calling window from whole hours, Monday to Friday unless told otherwise."""
    return Schedule(zone, time(start), time(end), weekdays, observe_holidays)


def at(zone: ZoneInfo, day: date, hour: int, minute: int = 0) -> datetime:
    """An aware moment in a zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def msk(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Moscow wall-clock moment; aware datetimes compare by instant, whatever their zone."""
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


def in_moscow(moment: datetime | None) -> datetime | None:
    """The moment in Moscow time, so a failing assertion reads as the manager sees it."""
    return None if moment is None else moment.astimezone(MOSCOW)


# --- PRODUCT.md, «What a manager's day looks like» ----------------------------------------


def test_vladivostok_client_10_18_is_reminded_at_0900_moscow_with_two_hours_left() -> None:
    vladivostok = client(VLADIVOSTOK, 10, 18)
    interval = first_common_interval(at(MOSCOW, MONDAY, 0), vladivostok, MANAGER)
    assert interval is not None
    start, end = interval
    assert start.tzinfo == UTC
    assert in_moscow(start) == msk(2026, 3, 16, 9, 0)
    assert in_moscow(end) == msk(2026, 3, 16, 11, 0)
    assert window_in_zone(vladivostok, MOSCOW, MONDAY) == (time(3), time(11), 0)


def test_kaliningrad_client_10_14_is_reminded_at_1100_moscow() -> None:
    kaliningrad = client(KALININGRAD, 10, 14)
    moment = first_common_moment(at(MOSCOW, MONDAY, 0), kaliningrad, MANAGER)
    assert in_moscow(moment) == msk(2026, 3, 16, 11, 0)
    assert window_in_zone(kaliningrad, MOSCOW, MONDAY) == (time(11), time(15), 0)


def test_vladivostok_client_10_14_never_meets_a_moscow_day() -> None:
    vladivostok = client(VLADIVOSTOK, 10, 14)
    assert first_common_moment(at(MOSCOW, MONDAY, 0), vladivostok, MANAGER) is None
    assert common_interval(MONDAY, vladivostok, MANAGER) is None
    assert not overlaps_ever(vladivostok, MANAGER)
    # The digest shows the window in the manager's time instead: 03:00–07:00.
    assert window_in_zone(vladivostok, MOSCOW, MONDAY) == (time(3), time(7), 0)


def test_overlaps_ever_for_the_clients_that_can_be_reminded() -> None:
    assert overlaps_ever(client(VLADIVOSTOK, 10, 18), MANAGER)
    assert overlaps_ever(client(KALININGRAD, 10, 14), MANAGER)


# --- not_before and the day's flow ---------------------------------------------------------


def test_not_before_inside_the_window_is_the_moment_itself() -> None:
    kaliningrad = client(KALININGRAD, 10, 14)
    due = at(MOSCOW, MONDAY, 12, 37)
    interval = first_common_interval(due, kaliningrad, MANAGER)
    assert interval is not None
    assert interval[0] == due
    assert in_moscow(interval[1]) == msk(2026, 3, 16, 15, 0)


def test_not_before_after_todays_window_moves_to_the_next_working_day() -> None:
    kaliningrad = client(KALININGRAD, 10, 14)
    moment = first_common_moment(at(MOSCOW, MONDAY, 16), kaliningrad, MANAGER)
    assert in_moscow(moment) == msk(2026, 3, 17, 11, 0)


def test_friday_evening_moves_over_the_weekend_to_monday() -> None:
    friday = date(2026, 3, 20)
    moment = first_common_moment(at(MOSCOW, friday, 19), client(MOSCOW, 10, 18), MANAGER)
    assert in_moscow(moment) == msk(2026, 3, 23, 10, 0)


def test_a_short_horizon_gives_up() -> None:
    friday = date(2026, 3, 20)
    due = at(MOSCOW, friday, 19)
    assert first_common_moment(due, client(MOSCOW, 10, 18), MANAGER, horizon_days=1) is None
    assert first_common_moment(due, client(MOSCOW, 10, 18), MANAGER, horizon_days=3) is not None


def test_a_client_working_saturdays_is_still_reminded_on_the_managers_days() -> None:
    saturday_shop = client(MOSCOW, 10, 18, weekdays=frozenset(range(6)))
    saturday = date(2026, 3, 21)
    assert is_working_day(saturday, saturday_shop)
    assert not is_working_day(saturday, MANAGER)
    moment = first_common_moment(at(MOSCOW, saturday, 8), saturday_shop, MANAGER)
    assert in_moscow(moment) == msk(2026, 3, 23, 10, 0)
    weekend_manager = Schedule(MOSCOW, time(9), time(18), EVERY_DAY)
    moment = first_common_moment(at(MOSCOW, saturday, 8), saturday_shop, weekend_manager)
    assert in_moscow(moment) == msk(2026, 3, 21, 10, 0)


def test_the_client_working_day_is_judged_in_the_clients_zone() -> None:
    # Monday 07:00 in Vladivostok is still Sunday in Moscow: a manager working every day
    # must not be reminded on Sunday evening, when the client's Monday has not begun.
    vladivostok = client(VLADIVOSTOK, 10, 18)
    weekend_manager = Schedule(MOSCOW, time(0), time(23, 59), EVERY_DAY)
    sunday = date(2026, 3, 15)
    moment = first_common_moment(at(MOSCOW, sunday, 12), vladivostok, weekend_manager)
    assert in_moscow(moment) == msk(2026, 3, 16, 3, 0)


def test_a_novosibirsk_manager_and_a_moscow_client() -> None:
    manager = Schedule(NOVOSIBIRSK, time(9), time(18), WEEKDAYS)
    moscow_client = client(MOSCOW, 10, 18)
    interval = common_interval(MONDAY, moscow_client, manager)
    assert interval is not None
    # 10:00 Moscow is 14:00 in Novosibirsk; the manager's day ends at 18:00 there.
    assert [moment.astimezone(NOVOSIBIRSK).time() for moment in interval] == [time(14), time(18)]
    assert window_in_zone(moscow_client, NOVOSIBIRSK, MONDAY) == (time(14), time(22), 0)


def test_common_interval_is_none_on_the_members_day_off() -> None:
    assert common_interval(date(2026, 3, 21), client(MOSCOW, 10, 18), MANAGER) is None
    assert common_intervals(date(2026, 3, 22), client(MOSCOW, 10, 18), MANAGER) == []


def test_common_intervals_of_a_long_day_can_be_two() -> None:
    # A manager on duty all day meets both the end of one client day and the start of the next.
    manager = Schedule(MOSCOW, time(0, 30), time(23, 30), EVERY_DAY)
    night_client = Schedule(ZoneInfo("Asia/Yekaterinburg"), time(1), time(3), EVERY_DAY, False)
    intervals = common_intervals(MONDAY, night_client, manager)
    assert [(in_moscow(start), in_moscow(end)) for start, end in intervals] == [
        (msk(2026, 3, 16, 0, 30), msk(2026, 3, 16, 1, 0)),
        (msk(2026, 3, 16, 23, 0), msk(2026, 3, 16, 23, 30)),
    ]
    assert common_interval(MONDAY, night_client, manager) == intervals[0]


# --- windows crossing midnight in another zone -----------------------------------------------


def test_window_in_zone_reports_the_day_offset_and_midnight_crossing() -> None:
    moscow_client = client(MOSCOW, 9, 18)
    # 09:00–18:00 in Moscow is 16:00–01:00 in Vladivostok: same day opening, crosses midnight.
    assert window_in_zone(moscow_client, VLADIVOSTOK, MONDAY) == (time(16), time(1), 0)
    early = client(VLADIVOSTOK, 7, 9)
    assert window_in_zone(early, KALININGRAD, MONDAY) == (time(23), time(1), -1)
    late = client(KALININGRAD, 17, 20)
    assert window_in_zone(late, VLADIVOSTOK, MONDAY) == (time(1), time(4), 1)


# --- invalid windows -------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [(18, 9), (10, 10)])
def test_a_window_ending_before_it_starts_is_empty(start: int, end: int) -> None:
    inverted = client(MOSCOW, start, end)
    assert inverted.is_empty
    assert first_common_moment(at(MOSCOW, MONDAY, 0), inverted, MANAGER) is None
    assert first_common_moment(at(MOSCOW, MONDAY, 0), MANAGER, inverted) is None
    assert common_interval(MONDAY, inverted, MANAGER) is None
    assert not overlaps_ever(inverted, MANAGER)


def test_no_weekdays_is_empty() -> None:
    nobody = Schedule(MOSCOW, time(9), time(18), frozenset())
    assert nobody.is_empty
    assert first_common_moment(at(MOSCOW, MONDAY, 0), client(MOSCOW, 10, 18), nobody) is None


def test_naive_not_before_is_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        first_common_moment(datetime(2026, 3, 16, 9), client(MOSCOW, 10, 18), MANAGER)  # noqa: DTZ001


# --- Russian public holidays -----------------------------------------------------------------

NATIONAL_HOLIDAYS = [
    *[(1, day) for day in range(1, 9)],
    (2, 23),
    (3, 8),
    (5, 1),
    (5, 9),
    (6, 12),
    (11, 4),
]


@pytest.mark.parametrize("year", [2025, 2026, 2027, 2028])
@pytest.mark.parametrize(("month", "day"), NATIONAL_HOLIDAYS)
def test_russian_holidays_are_days_off(year: int, month: int, day: int) -> None:
    holiday = date(year, month, day)
    every_day = Schedule(MOSCOW, time(9), time(18), EVERY_DAY)
    assert not is_working_day(holiday, every_day)
    assert is_working_day(holiday, Schedule(MOSCOW, time(9), time(18), EVERY_DAY, False))


def test_ordinary_days_are_working_days() -> None:
    every_day = Schedule(MOSCOW, time(9), time(18), EVERY_DAY)
    for ordinary in (date(2026, 3, 16), date(2026, 7, 1), date(2027, 10, 13), date(2026, 1, 12)):
        assert is_working_day(ordinary, every_day)


@pytest.mark.parametrize(
    ("holiday", "expected"),
    [
        # 1–8 January plus 9 January (moved from 3 January) and the weekend after.
        (date(2026, 1, 1), msk(2026, 1, 12, 10, 0)),
        (date(2026, 2, 23), msk(2026, 2, 24, 10, 0)),
        # 8 March 2026 is a Sunday: Monday 9 March is off instead.
        (date(2026, 3, 6), msk(2026, 3, 6, 10, 0)),
        (date(2026, 3, 8), msk(2026, 3, 10, 10, 0)),
        (date(2026, 5, 1), msk(2026, 5, 4, 10, 0)),
        (date(2027, 5, 10), msk(2027, 5, 11, 10, 0)),
        (date(2026, 6, 12), msk(2026, 6, 15, 10, 0)),
        (date(2026, 11, 4), msk(2026, 11, 5, 10, 0)),
    ],
)
def test_holidays_push_reminders_to_the_next_working_day(
    holiday: date, expected: datetime
) -> None:
    moment = first_common_moment(at(MOSCOW, holiday, 0), client(MOSCOW, 10, 18), MANAGER)
    assert in_moscow(moment) == expected


def test_a_client_ignoring_holidays_still_waits_for_the_manager() -> None:
    open_on_holidays = client(MOSCOW, 10, 18, observe_holidays=False)
    holiday = date(2026, 2, 23)
    assert is_working_day(holiday, open_on_holidays)
    moment = first_common_moment(at(MOSCOW, holiday, 0), open_on_holidays, MANAGER)
    assert in_moscow(moment) == msk(2026, 2, 24, 10, 0)
    manager_on_duty = Schedule(MOSCOW, time(9), time(18), WEEKDAYS, observe_holidays=False)
    moment = first_common_moment(at(MOSCOW, holiday, 0), open_on_holidays, manager_on_duty)
    assert in_moscow(moment) == msk(2026, 2, 23, 10, 0)


def test_holidays_are_judged_by_the_clients_local_date() -> None:
    # 23 February 17:00 in Moscow is already midnight of the 24th in Vladivostok: the client's
    # holiday is over while the manager's is not.
    vladivostok = client(VLADIVOSTOK, 0, 23)
    manager_on_duty = Schedule(MOSCOW, time(9), time(18), EVERY_DAY, observe_holidays=False)
    moment = first_common_moment(at(MOSCOW, date(2026, 2, 23), 9), vladivostok, manager_on_duty)
    assert in_moscow(moment) == msk(2026, 2, 23, 17, 0)


# --- daylight saving time ---------------------------------------------------------------------


def test_a_berlin_client_moves_an_hour_later_in_moscow_after_the_october_change() -> None:
    berlin = client(BERLIN, 10, 14)
    friday, monday = date(2026, 10, 23), date(2026, 10, 26)  # clocks go back on 25 October
    before = first_common_moment(at(MOSCOW, friday, 0), berlin, MANAGER)
    after = first_common_moment(at(MOSCOW, monday, 0), berlin, MANAGER)
    assert in_moscow(before) == msk(2026, 10, 23, 11)
    assert in_moscow(after) == msk(2026, 10, 26, 12)
    assert window_in_zone(berlin, MOSCOW, friday) == (time(11), time(15), 0)
    assert window_in_zone(berlin, MOSCOW, monday) == (time(12), time(16), 0)


def test_a_berlin_early_window_meets_moscow_only_in_winter() -> None:
    # 07:00–08:00 Berlin is 08:00–09:00 Moscow in summer (no overlap), 09:00–10:00 in winter.
    berlin = client(BERLIN, 7, 8)
    friday = date(2026, 10, 23)
    moment = first_common_moment(at(MOSCOW, friday, 0), berlin, MANAGER)
    assert in_moscow(moment) == msk(2026, 10, 26, 9, 0)
    assert not overlaps_ever(berlin, MANAGER, on=date(2026, 7, 6))
    assert overlaps_ever(berlin, MANAGER, on=date(2026, 1, 5))
    assert overlaps_ever(berlin, MANAGER)


def test_a_window_in_the_spring_forward_gap_is_shorter() -> None:
    # On 29 March 2026 Berlin skips 02:00–03:00: a 02:00–04:00 window lasts one real hour.
    night = Schedule(BERLIN, time(2), time(4), EVERY_DAY, observe_holidays=False)
    interval = common_interval(date(2026, 3, 29), night, night)
    assert interval is not None
    assert interval[1] - interval[0] == timedelta(hours=1)
    normal = common_interval(date(2026, 3, 28), night, night)
    assert normal is not None
    assert normal[1] - normal[0] == timedelta(hours=2)


# --- a brute-force cross-check ----------------------------------------------------------------

ZONES = [MOSCOW, VLADIVOSTOK, KALININGRAD, BERLIN, NOVOSIBIRSK, ZoneInfo("Asia/Kathmandu")]
STEP = timedelta(minutes=15)


def _inside(moment: datetime, schedule: Schedule) -> bool:
    local = moment.astimezone(schedule.zone)
    return is_working_day(local.date(), schedule) and schedule.start <= local.time() < schedule.end


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    """A random whole-hour window on random week days in one of a few zones."""
    start = draw(st.integers(0, 22))
    end = draw(st.integers(start + 1, 23))
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    zone = draw(st.sampled_from(ZONES))
    return Schedule(zone, time(start), time(end), days, draw(st.booleans()))


@settings(max_examples=200, deadline=None)
@given(
    client_schedule=schedules(),
    member_schedule=schedules(),
    quarter=st.integers(0, 4 * 24 * 400),
)
def test_first_common_moment_matches_a_minute_by_minute_scan(
    client_schedule: Schedule, member_schedule: Schedule, quarter: int
) -> None:
    not_before = datetime(2025, 12, 1, tzinfo=UTC) + quarter * STEP
    horizon = 7
    found = first_common_moment(not_before, client_schedule, member_schedule, horizon_days=horizon)
    expected = None
    moment = not_before
    while moment < not_before + timedelta(days=horizon):
        if _inside(moment, client_schedule) and _inside(moment, member_schedule):
            expected = moment
            break
        moment += STEP
    assert found == expected
