"""Typed values people send: times, windows, days, dates, phones, e-mails, INN, cities, zones."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services import geo, validation
from services.validation import ValidationError


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9", time(9)), ("9:30", time(9, 30)), ("8.30", time(8, 30)), ("18-00", time(18))],
)
def test_times(text: str, expected: time) -> None:
    assert validation.parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "9:75", "утром", ""])
def test_bad_times(text: str) -> None:
    with pytest.raises(ValidationError) as error:
        validation.parse_time(text)
    assert error.value.code == "time_invalid"


def test_windows() -> None:
    assert validation.parse_time_window("9:00–18:00") == (time(9), time(18))
    assert validation.parse_time_window("с 10 до 14") == (time(10), time(14))
    with pytest.raises(ValidationError) as error:
        validation.parse_time_window("18:00-09:00")
    assert error.value.code == "window_reversed"
    assert error.value.params == {"start": "18:00", "end": "09:00"}
    with pytest.raises(ValidationError):
        validation.parse_time_window("весь день")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("пн-пт", {0, 1, 2, 3, 4}),
        ("пн - пт", {0, 1, 2, 3, 4}),
        ("пн, ср, пт", {0, 2, 4}),
        ("Mon–Sat", {0, 1, 2, 3, 4, 5}),
        ("пт-пн", {4, 5, 6, 0}),
        ("ежедневно", set(range(7))),
    ],
)
def test_weekdays(text: str, expected: set[int]) -> None:
    assert validation.parse_weekdays(text) == frozenset(expected)


def test_weekdays_round_trip_and_errors() -> None:
    assert validation.format_weekdays(frozenset(range(5)), "ru") == "пн–пт"
    assert validation.format_weekdays("024", "en") == "Mon, Wed, Fri"
    assert validation.days_code(frozenset({4, 0, 2})) == "024"
    with pytest.raises(ValidationError):
        validation.parse_weekdays("по будням иногда")


def test_day_month() -> None:
    assert validation.parse_day_month("29.02") == (29, 2, None)
    assert validation.parse_day_month("15 марта 1980") == (15, 3, 1980)
    assert validation.parse_day_month("5.6.85") == (5, 6, 1985)
    for impossible in ("31.02", "29.02.2027", "32.01"):
        with pytest.raises(ValidationError) as error:
            validation.parse_day_month(impossible)
        assert error.value.code == "date_impossible"
    with pytest.raises(ValidationError) as error:
        validation.parse_day_month("в прошлый четверг")
    assert error.value.code == "date_invalid"


def test_phones_share_one_form() -> None:
    assert validation.normalize_phone("8 (912) 345-67-89") == "+79123456789"
    assert validation.normalize_phone("+7 912 345 67 89") == "+79123456789"
    assert validation.format_phone("+79123456789") == "+7 912 345-67-89"
    for bad in ("12345", "позвоните мне", "+7 000 000 00 00"):
        with pytest.raises(ValidationError):
            validation.normalize_phone(bad)


@given(digits=st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_the_quick_layout_of_russian_mobiles_is_what_phonenumbers_gives(digits: str) -> None:
    e164 = f"+79{digits}"
    number = phonenumbers.parse(e164, None)
    expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    assert validation.format_phone(e164) == expected
    # Other numbers still go through phonenumbers.
    assert validation.format_phone("+74951234567") == "+7 495 123-45-67"
    assert validation.format_phone("+442079460958") == "+44 20 7946 0958"


def test_emails() -> None:
    assert validation.normalize_email(" Ivan@Romashka.RU ") == "ivan@romashka.ru"
    for bad in ("ivan@", "ivan romashka.ru", "a@b"):
        with pytest.raises(ValidationError):
            validation.normalize_email(bad)


def test_inn_checksums() -> None:
    assert validation.validate_inn("7707083893") == "7707083893"  # a well-known company INN
    assert validation.validate_inn("500100732259") == "500100732259"
    for bad in ("7707083894", "12345", "50010073225X"):
        with pytest.raises(ValidationError):
            validation.validate_inn(bad)


def test_clean_text() -> None:
    assert validation.clean_text("  Ромашка\x00 ", max_length=10) == "Ромашка"
    with pytest.raises(ValidationError) as error:
        validation.clean_text("   ", max_length=10)
    assert error.value.code == "text_empty"
    with pytest.raises(ValidationError) as error:
        validation.clean_text("x" * 11, max_length=10)
    assert error.value.params == {"limit": 10, "length": 11}


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Казань", "Europe/Moscow"),
        ("в Казани", "Europe/Moscow"),
        ("из Екатеринбурга", "Asia/Yekaterinburg"),
        ("Владивостоке", "Asia/Vladivostok"),
        ("питер", "Europe/Moscow"),
        ("Kaliningrad", "Europe/Kaliningrad"),
        ("UTC+7", "Etc/GMT-7"),
        ("МСК+4", "Etc/GMT-7"),
        ("utc-3", "Etc/GMT+3"),
        ("Asia/Vladivostok", "Asia/Vladivostok"),
        ("Сургут", "Asia/Yekaterinburg"),
        ("из Нижнего Тагила", "Asia/Yekaterinburg"),
        ("в Набережных Челнах", "Europe/Moscow"),
        ("в Комсомольске-на-Амуре", "Asia/Vladivostok"),
        ("Новом Уренгое", "Asia/Yekaterinburg"),
        ("Улан-Удэ", "Asia/Irkutsk"),
        ("Ульяновск", "Europe/Ulyanovsk"),
        ("Орел", "Europe/Moscow"),
    ],
)
def test_zones(text: str, zone: str) -> None:
    resolved = geo.resolve_timezone(text)
    assert resolved is not None
    assert resolved.key == zone


@pytest.mark.parametrize(
    "text", ["Атлантида", "Нижний Ломов", "UTC+20", "UTC+5:30", "", "Mars/Olympus"]
)
def test_unknown_zones(text: str) -> None:
    assert geo.resolve_timezone(text) is None


def test_offsets_are_described_per_language() -> None:
    now = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
    assert geo.describe_offset(ZoneInfo("Asia/Vladivostok"), now, "ru") == "МСК+7"
    assert geo.describe_offset(ZoneInfo("Europe/Kaliningrad"), now, "ru") == "МСК−1"
    assert geo.describe_offset(ZoneInfo("Europe/Moscow"), now, "ru") == "МСК"
    assert geo.describe_offset(ZoneInfo("Asia/Vladivostok"), now, "en") == "UTC+10"
    assert all(geo.has_city(key) for key in geo.POPULAR_CITIES)
    assert geo.zone_name("Etc/GMT-7") == "UTC+7"
    assert geo.zone_name("Etc/GMT+5") == "UTC−5"
    assert geo.zone_name("Etc/UTC") == "UTC"
    assert geo.zone_name("Asia/Novosibirsk") == "Asia/Novosibirsk"
    assert not geo.has_city("atlantis")


def test_a_zone_is_labelled_by_its_city_and_offset() -> None:
    now = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
    assert geo.zone_label("Europe/Moscow", now, "ru") == "Москва, МСК"
    # Khabarovsk comes first in the list, but the zone is read by Vladivostok («по Владивостоку»).
    assert geo.zone_label("Asia/Vladivostok", now, "ru") == "Владивосток, МСК+7"
    assert geo.zone_label("Asia/Vladivostok", now, "en") == "Vladivostok, UTC+10"
    assert geo.zone_label("Etc/GMT-7", now, "ru") == "UTC+7, МСК+4"
    assert geo.zone_label("Asia/Famagusta", now, "en") == "Asia/Famagusta, UTC+2"
