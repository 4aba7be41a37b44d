"""The words of our own /export read back: sheet titles, column titles and cell values in both
languages, so that an exported workbook imports into another base as it was."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import LANGUAGES, translator
from models.enums import Category, Channel, ClientKind, Direction, Outcome, Stage
from services import validation
from services.exporter import Labels

# Sheets of the export, in its order; the importer reads all but the planned touches and the
# note (whose time zone it reads the interactions' times in).
SHEETS = ("clients", "contacts", "dates", "interactions", "touches", "deals", "note")
RELATED = ("contacts", "dates", "deals")

# Export column key → the importer's field, per sheet. A key missing here (the client's
# «Создан», a deal's dates) is history of the other base, not data to carry over.
CLIENT_COLUMNS = {
    "id": "id", "client": "name", "kind": "kind", "inn": "inn", "city": "city",
    "timezone": "timezone", "industry": "industry", "category": "category", "stage": "stage",
    "owner": "owner", "tags": "tags", "preferences": "preferences", "window": "window",
    "days": "days", "holidays": "holidays", "notes": "notes", "confirmed": "confirmed",
    "active": "active",
}  # fmt: skip
RELATED_COLUMNS: dict[str, dict[str, str]] = {
    "contacts": {
        "id": "id", "client_id": "client_id", "client": "client", "full_name": "full_name",
        "position": "position", "phone": "phone", "extra_phones": "extra_phones",
        "email": "email", "telegram": "telegram", "whatsapp": "whatsapp",
        "preferred_channel": "channel", "channel_schedule": "channel_schedule",
        "work_schedule": "work_schedule", "contact_window": "window", "contact_days": "days",
        "hobbies": "hobbies", "favourite_team": "favourite_team", "notes": "notes",
        "primary": "primary",
    },
    "dates": {
        "client_id": "client_id", "client": "client", "contact_id": "contact_id",
        "contact": "contact", "date_kind": "kind", "relation": "relation", "person": "person",
        "title": "title", "day": "day", "month": "month", "year": "year",
    },
    "deals": {
        "client_id": "client_id", "client": "client", "deal": "title", "deal_stage": "stage",
        "amount": "amount", "goods_location": "goods_location", "paid": "paid",
    },
    "interactions": {
        "when": "when", "client_id": "client_id", "client": "client", "contact": "contact",
        "member": "member", "channel": "channel", "direction": "direction", "goal": "goal",
        "result": "result", "outcome": "outcome", "notes": "notes", "next_step": "next_step",
        "next_touch": "next_touch",
    },
}  # fmt: skip
# Without these a sheet's rows can't be read: the client they belong to and what they are. An
# interaction is never saved without its goal and result, so a sheet lacking either column
# gives nothing.
REQUIRED = {
    "contacts": ("full_name",),
    "dates": ("day", "month"),
    "deals": ("title",),
    "interactions": ("when", "goal", "result"),
}
# Headers of a contact history made by hand, in Excel or by another CRM (amoCRM, Bitrix24),
# compared by word_key; our export's own titles are read too (`history_headers`).
HISTORY_HEADERS: dict[str, tuple[str, ...]] = {
    "when": (
        "дата", "когда", "дата касания", "дата контакта", "дата звонка", "дата и время",
        "дата время", "дата события", "date", "when", "date time", "datetime", "contact date",
        "date of contact",
    ),
    "client_id": ("id клиента", "client id"),
    "client": (
        "клиент", "компания", "организация", "контрагент", "client", "company",
        "account", "organization", "organisation",
    ),
    "contact": ("контакт", "контактное лицо", "фио", "contact", "contact name", "person"),
    "member": (
        "менеджер", "ответственный", "сотрудник", "кто", "автор", "manager", "owner",
        "responsible", "employee", "author", "user",
    ),
    "channel": (
        "канал", "тип касания", "тип контакта", "способ связи", "вид связи", "channel",
        "contact type", "type",
    ),
    "direction": ("направление", "входящий исходящий", "direction"),
    "goal": ("цель", "цель касания", "цель звонка", "задача", "тема", "goal", "purpose",
             "subject", "topic"),
    "result": ("результат", "итог разговора", "чем закончилось", "result", "summary"),
    "outcome": ("итог", "цель достигнута", "outcome", "goal achieved"),
    "notes": ("заметки", "комментарий", "примечание", "notes", "comment", "comments"),
    "next_step": ("следующий шаг", "next step"),
    "next_touch": (
        "следующее касание", "дата следующего касания", "следующий контакт", "next touch",
        "next contact", "follow up date",
    ),
}  # fmt: skip

MAX_AMOUNT = Decimal("999999999999.99")


def word_key(text: str) -> str:
    """A header or a value as compared: case, «ё», punctuation and extra spaces don't count."""
    return " ".join(re.sub(r"[^\w ]", " ", text.casefold().replace("ё", "е")).split())


@cache
def sheet_titles() -> dict[str, tuple[str, str]]:
    """A sheet title of the export (compared by word_key) → (sheet, language)."""
    titles: dict[str, tuple[str, str]] = {}
    for language in LANGUAGES:
        tr = translator(language)
        for sheet in SHEETS:
            titles.setdefault(word_key(tr(f"export.sheet_{sheet}")), (sheet, language))
    return titles


def note_zone(rows: Iterable[list[str]]) -> str | None:
    """The time zone named on the export's note sheet («Часовой пояс | Europe/Moscow (UTC+3):
    все даты и время в файле — по этому поясу»); None when it names none we know."""
    titles = {word_key(translator(language)("export.note_zone")) for language in LANGUAGES}
    for row in rows:
        if len(row) < 2 or word_key(row[0]) not in titles or not row[1].split():
            continue
        zone = row[1].split()[0]
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return None
        return zone
    return None


def sheet_title(sheet: str, language: str) -> str:
    """The title the export gives `sheet` in `language`: «Контакты»."""
    return translator(language)(f"export.sheet_{sheet}")


def column_title(column: str, sheet: str, language: str) -> str:
    """The title of the export's column holding the importer's `column` of `sheet`."""
    columns = CLIENT_COLUMNS if sheet == "clients" else RELATED_COLUMNS[sheet]
    key = next(key for key, field in columns.items() if field == column)
    return translator(language)(f"export.col_{key}")


@cache
def client_headers() -> dict[str, str]:
    """Column titles of the export's clients sheet (both languages) → the importer's field."""
    return _headers(CLIENT_COLUMNS)


@cache
def related_headers(sheet: str) -> dict[str, str]:
    """Column titles of a contacts, dates or deals sheet (both languages) → the field."""
    return _headers(RELATED_COLUMNS[sheet])


@cache
def history_headers() -> dict[str, str]:
    """Headers of a contact history, ours and hand-made, in both languages → the field."""
    found = _headers(RELATED_COLUMNS["interactions"])
    for column, synonyms in HISTORY_HEADERS.items():
        for synonym in synonyms:
            found.setdefault(word_key(synonym), column)
    return found


def is_history(header: Iterable[str | None]) -> bool:
    """Whether a sheet's columns (as `history_headers` reads them) are a contact history: when,
    with whom, and what it was for or how it ended. A client list has none of these."""
    columns = set(header)
    return (
        "when" in columns
        and bool({"goal", "result"} & columns)
        and bool({"client", "client_id"} & columns)
    )


def _headers(columns: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for language in LANGUAGES:
        tr = translator(language)
        for key, field in columns.items():
            found.setdefault(word_key(tr(f"export.col_{key}")), field)
    return found


def _index(values: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {word_key(text): value for text, value in values}


def _enum_words(members: Iterable[Enum], label: Any) -> list[tuple[str, Any]]:
    """Each member by its code and by the export's word for it in every language."""
    words: list[tuple[str, Any]] = []
    for language in LANGUAGES:
        labels = Labels(translator(language))
        words += [(label(labels, member), member) for member in members]
    return words + [(str(member.value), member) for member in members]


@cache
def _words() -> dict[str, dict[str, Any]]:
    yes_no: list[tuple[str, bool]] = []
    holidays: list[tuple[str, bool]] = []
    date_kinds: list[tuple[str, str]] = []
    deal_stages: list[tuple[str, str]] = []
    for language in LANGUAGES:
        labels = Labels(translator(language))
        yes_no += [(labels.yes_no(True), True), (labels.yes_no(False), False)]
        holidays += [(labels.holidays(True), True), (labels.holidays(False), False)]
        # A family member's birthday is stored as a birthday with a relation.
        date_kinds += [(labels.date_kind(kind), kind) for kind in _DATE_KINDS]
        date_kinds.append((labels.date_kind("family"), "birthday"))
        deal_stages += [(labels.deal_stage(stage), stage) for stage in _DEAL_STAGES]
    return {
        "stage": _index(_enum_words(Stage, Labels.stage)),
        "category": _index(_enum_words(Category, Labels.category)),
        "kind": _index(_enum_words(ClientKind, Labels.kind)),
        "channel": _index([*_enum_words(Channel, Labels.channel), *_CHANNEL_WORDS]),
        "direction": _index(_enum_words(Direction, Labels.direction)),
        # «Цель достигнута?» answered «Да» / «Нет» in a hand-made sheet.
        "outcome": _index(
            [
                *_enum_words(Outcome, Labels.outcome),
                *_OUTCOME_WORDS,
                *(
                    (word, Outcome.ACHIEVED if value else Outcome.NOT_ACHIEVED)
                    for word, value in yes_no
                ),
            ]
        ),
        "yes_no": _index([*yes_no, ("yes", True), ("no", False), ("да", True), ("нет", False)]),
        "holidays": _index(holidays),
        "date_kind": _index([*date_kinds, *((kind, kind) for kind in _DATE_KINDS)]),
        "deal_stage": _index([*deal_stages, *((stage, stage) for stage in _DEAL_STAGES)]),
    }


_DATE_KINDS = ("birthday", "anniversary", "professional", "other")
# What other CRMs and people write for a channel, besides the bot's own words.
_CHANNEL_WORDS = (
    ("телефон", Channel.CALL), ("исходящий звонок", Channel.CALL),
    ("входящий звонок", Channel.CALL), ("phone", Channel.CALL), ("phone call", Channel.CALL),
    ("визит", Channel.MEETING), ("visit", Channel.MEETING), ("письмо", Channel.EMAIL),
    ("почта", Channel.EMAIL), ("mail", Channel.EMAIL), ("смс", Channel.SMS),
    ("ватсап", Channel.WHATSAPP), ("вотсап", Channel.WHATSAPP), ("whats app", Channel.WHATSAPP),
    ("телеграм", Channel.TELEGRAM), ("телеграмм", Channel.TELEGRAM),
)  # fmt: skip
# What other CRMs and people write for an outcome, besides the bot's own words.
_OUTCOME_WORDS = (
    ("достигнута", Outcome.ACHIEVED), ("успешно", Outcome.ACHIEVED),
    ("частично достигнута", Outcome.PARTIAL), ("не дозвонились", Outcome.NO_CONTACT),
    ("нет ответа", Outcome.NO_CONTACT), ("недозвон", Outcome.NO_CONTACT),
    ("не ответил", Outcome.NO_CONTACT), ("no contact", Outcome.NO_CONTACT),
    ("not achieved", Outcome.NOT_ACHIEVED), ("achieved", Outcome.ACHIEVED),
    ("partial", Outcome.PARTIAL), ("partly achieved", Outcome.PARTIAL),
)  # fmt: skip
_DEAL_STAGES = ("new", "negotiation", "invoiced", "paid", "shipped", "closed", "lost")


def stage(text: str) -> Stage | None:
    """«Сопровождение», «Account management», «sale» → the stage; None when unknown."""
    found = _words()["stage"].get(word_key(text))
    return found if isinstance(found, Stage) else None


def category(text: str) -> Category | None:
    """The export's category word in either language; None when unknown."""
    found = _words()["category"].get(word_key(text))
    return found if isinstance(found, Category) else None


def kind(text: str) -> ClientKind | None:
    """«Компания», «Private person» → the kind; None when unknown."""
    found = _words()["kind"].get(word_key(text))
    return found if isinstance(found, ClientKind) else None


def channel(text: str) -> Channel | None:
    """«Звонок», «E-mail», «whatsapp» → the channel; None when unknown."""
    found = _words()["channel"].get(word_key(text))
    return found if isinstance(found, Channel) else None


def direction(text: str) -> Direction | None:
    """«Входящий», «outgoing» → the direction; None when unknown."""
    found = _words()["direction"].get(word_key(text))
    return found if isinstance(found, Direction) else None


def outcome(text: str) -> Outcome | None:
    """«Цель достигнута», «Не дозвонился», «no_contact», «Да» → the outcome; None when unknown."""
    found = _words()["outcome"].get(word_key(text))
    return found if isinstance(found, Outcome) else None


def yes_no(text: str) -> bool | None:
    """«Да» / «Нет» / «Yes» / «No»; None when it is neither."""
    found = _words()["yes_no"].get(word_key(text))
    return found if isinstance(found, bool) else None


def holidays(text: str) -> bool | None:
    """«Не звонить в праздники» → True, «Звонить и в праздники» → False; None when unknown."""
    found = _words()["holidays"].get(word_key(text))
    if isinstance(found, bool):
        return found
    return yes_no(text)


def date_kind(text: str) -> str | None:
    """«День рождения», «Годовщина», «ДР члена семьи»… → the stored kind; None when unknown."""
    found = _words()["date_kind"].get(word_key(text))
    return found if isinstance(found, str) else None


def deal_stage(text: str) -> str | None:
    """«Счёт выставлен», «shipped»… → the stored stage; None when unknown."""
    found = _words()["deal_stage"].get(word_key(text))
    return found if isinstance(found, str) else None


_CHANNEL_FROM = re.compile(
    r"^\s*(?:с|from)?\s*(?P<time>\d{1,2}[:.]\d{2})\s*[—–-]\s*(?P<ch>.+?)\s*$"
)


def channel_schedule(text: str) -> list[dict[str, Any]] | None:
    """«с 14:00 — WhatsApp; с 18:00 — Telegram» → the stored schedule; None when unreadable."""
    entries = []
    for part in re.split(r"[;\n]", text):
        if not part.strip():
            continue
        match = _CHANNEL_FROM.match(part.casefold())
        found = channel(match["ch"]) if match else None
        if match is None or found is None:
            return None
        hour, minute = re.split(r"[:.]", match["time"])
        if int(hour) > 23 or int(minute) > 59:
            return None
        entries.append({"from": f"{int(hour):02d}:{minute}", "channel": found.value})
    return entries or None


def amount(text: str) -> Decimal | None:
    """«125000.5», «125 000,50 ₽» → the amount; None when it is no sum of money."""
    cleaned = re.sub(r"[\s\u00a0₽]|руб\.?|rub", "", text.casefold()).replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        return None
    return value.quantize(Decimal("0.01"))


# «1980-05-12», and «1980-05-12 00:00:00» as a spreadsheet saved to CSV writes a date.
_ISO_DATE = re.compile(
    r"^\s*(?P<y>\d{4})[-./](?P<m>\d{1,2})[-./](?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*$"
)
# «12.05.1975 г.», «12 мая 1975 года».
_YEAR_WORD = re.compile(r"\s*(?:г\.?|года?)\s*$")


def sheet_day(text: str) -> tuple[int, int, int | None]:
    """A day as sheets write it — «12.05.1980», «1980-05-12», «12 мая 1980 г.», «1 марта» — as
    (day, month, year or None); validation.ValidationError when it is none."""
    cleaned = _YEAR_WORD.sub("", text.strip().casefold())
    iso = _ISO_DATE.match(cleaned)
    if iso is not None:
        cleaned = f"{iso['d']}.{iso['m']}.{iso['y']}"
    return validation.parse_day_month(cleaned)
