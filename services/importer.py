"""Import of a client base from .xlsx or .csv: reading, a preview, an all-or-nothing write.

A workbook made by our own /export comes back whole: its clients sheet, then its contacts, key
dates, deals and interactions sheets, each row attached to its client from the same file. A
value a client can do without (a phone that is no number, an unknown category) is a remark,
never a lost client. A contact history — our interactions sheet, or a sheet of «Дата», «Клиент»,
«Цель», «Результат» made anywhere, alone or next to the clients — comes in as logged contacts
of the file's new clients and of the clients already in the base (services/import_history).
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import lru_cache
from itertools import permutations
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from rapidfuzz import fuzz
from sqlalchemy import Table as SqlTable
from sqlalchemy import insert, select
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from bot.i18n import translator
from models import Member
from models.clients import Client, Contact, Deal, KeyDate, OwnerHistory
from models.enums import Category, Channel, ClientKind, Role, Stage
from scheduler import outbox
from services import (
    first_touches,
    geo,
    import_history,
    import_words,
    names,
    planner,
    stats,
    team,
    validation,
)

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
# Contacts, dates, deals and interactions of MAX_ROWS clients: a few each.
MAX_RELATED_ROWS = 5 * MAX_ROWS
BATCH = 1000

# Canonical column → header synonyms, compared case-folded without punctuation. Our own
# export's titles (both languages) are read too, from its catalogs: see import_words.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("клиент", "компания", "название", "организация", "name", "client", "company"),
    "kind": ("тип", "тип клиента", "вид клиента", "type", "client type", "kind"),
    "inn": ("инн", "inn", "tax id"),
    "city": ("город", "city", "town"),
    "industry": ("отрасль", "industry", "сфера"),
    "category": ("категория", "category"),
    "contact": ("контакт", "фио", "контактное лицо", "contact", "contact name", "person"),
    "position": ("должность", "position", "title", "job title"),
    "phone": ("телефон", "тел", "phone", "mobile", "мобильный"),
    "email": ("email", "e mail", "почта", "эл почта", "электронная почта", "mail"),
    "birthday": ("день рождения", "др", "birthday", "birth date", "дата рождения"),
    "notes": ("заметки", "примечание", "комментарий", "notes", "comment"),
    "tags": ("теги", "метки", "маркеры", "tags", "markers"),
    "window": ("окно", "окно звонков", "window", "calling window"),
    "owner": ("ответственный", "ответственный менеджер", "owner"),
    "stage": ("этап", "stage"),
    "timezone": ("часовой пояс", "time zone", "timezone"),
    "days": ("дни звонков", "calling days"),
    "preferences": ("предпочтения", "preferences"),
}
_CATEGORIES = {
    "ключевой": Category.KEY, "key": Category.KEY, "vip": Category.VIP,
    "обычный": Category.REGULAR, "постоянный": Category.REGULAR, "regular": Category.REGULAR,
    "вип": Category.VIP,
    "разовый": Category.OCCASIONAL, "occasional": Category.OCCASIONAL,
    "новый": Category.NEW, "new": Category.NEW,
}  # fmt: skip
# «Тип» values, compared like headers: what /export writes (b2b, b2c), the card's own labels
# («🏢 Компания (B2B)») and what people type.
_KINDS = {
    "b2b": ClientKind.B2B, "компания": ClientKind.B2B, "компания b2b": ClientKind.B2B,
    "юрлицо": ClientKind.B2B, "юр лицо": ClientKind.B2B, "юридическое лицо": ClientKind.B2B,
    "организация": ClientKind.B2B, "ип": ClientKind.B2B, "company": ClientKind.B2B,
    "business": ClientKind.B2B, "legal entity": ClientKind.B2B,
    "b2c": ClientKind.B2C, "частное лицо": ClientKind.B2C, "частное лицо b2c": ClientKind.B2C,
    "физлицо": ClientKind.B2C, "физ лицо": ClientKind.B2C, "физическое лицо": ClientKind.B2C,
    "частный клиент": ClientKind.B2C, "person": ClientKind.B2C, "private": ClientKind.B2C,
    "private person": ClientKind.B2C, "individual": ClientKind.B2C,
}  # fmt: skip
# A legal form as a word of the name: «ООО «Альбатрос»», «ИП Сидоров», «Acme, Ltd».
_LEGAL_FORM = re.compile(
    r"(?<!\w)(ооо|оао|зао|пао|ао|ип|нко|ано|гуп|муп|фгуп|тоо|llc|ltd|inc|gmbh|corp|jsc|llp|plc)"
    r"(?!\w)"
)


# «01.12.2026 12:05» as a date cell saved to CSV writes a moment: the day is what counts.
_TIME_TAIL = re.compile(r"\s+\d{1,2}:\d{2}(?::\d{2})?\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Where a remark's row is: the clients sheet (or the only one), then the export's other sheets.
PARTS = {"contacts": 1, "dates": 2, "deals": 3, "interactions": 4}
_T = TypeVar("_T")


class ImportFileError(Exception):
    """The file cannot be imported at all; `code` names the reason for the member's language."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class FileRemark:
    """A remark on the file as a whole: a sheet missing or unreadable, an owner not on the team;
    `code` names the text, `params` fill it."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Table:
    """Rows of the file keyed by canonical column; `numbers` are the rows' numbers in the file.

    For a workbook of several sheets `sheet` names the one the clients were read from; for our
    own export `related` holds its contacts, dates and deals sheets read the same way. A contact
    history is `interactions`; a file that is one alone has no client rows.
    """

    columns: list[str]
    rows: list[dict[str, str]]
    numbers: list[int]
    sheet: str = ""
    related: dict[str, Table] = field(default_factory=dict)
    remarks: list[FileRemark] = field(default_factory=list)
    export: bool = False
    interactions: Table | None = None
    # The export's sheet of planned touches: the other base's plan, not carried over.
    touches: bool = False
    # The time zone of the export's dates and times, from its note sheet.
    zone: str | None = None


@dataclass(frozen=True, order=True)
class RowError:
    """A remark on a row of the file: why it is left out, or what was left out of it."""

    row: int
    code: str
    value: str = ""
    # A duplicate: the earlier row of the file it repeats, or the client in the base it matches.
    repeat_of: int | None = None
    client: str = ""
    owner: str = ""
    # False: a colleague's client, which the importing manager may learn only the owner of.
    visible: bool = True
    # A row of the export's contacts, dates or deals sheet: its title and PARTS rank.
    sheet: str = ""
    part: int = 0


def remark_order(error: RowError) -> tuple[int, int, str]:
    """Remarks as the file reads: the clients sheet first, then each other sheet by row."""
    return error.part, error.row, error.code


@dataclass
class ImportContact:
    """A person of an imported client."""

    full_name: str
    position: str | None = None
    phone: str | None = None
    email: str | None = None
    extra_phones: list[str] = field(default_factory=list)
    telegram: str | None = None
    whatsapp: str | None = None
    channel: Channel | None = None
    channel_schedule: list[dict[str, Any]] = field(default_factory=list)
    work_schedule: str | None = None
    window: tuple[time, time] | None = None
    days: str | None = None
    hobbies: str | None = None
    favourite_team: str | None = None
    notes: str | None = None
    is_primary: bool = False
    # The contact's ID in the file, which key dates name it by.
    file_id: str | None = None


@dataclass
class ImportDate:
    """A key date of an imported client; `contact` is the index of its person, if any."""

    kind: str
    day: int
    month: int
    year: int | None
    contact: int | None = None
    relation: str | None = None
    person_name: str | None = None
    title: str | None = None


@dataclass
class ImportDeal:
    """A deal of an imported client."""

    title: str
    stage: str = "new"
    amount: Decimal | None = None
    goods_location: str | None = None
    is_paid: bool = False


@dataclass
class ImportRow:
    """A checked client row ready to be written, with what the other sheets attached to it."""

    row: int
    kind: ClientKind
    name: str
    inn: str | None
    city: str | None
    timezone: str
    industry: str | None
    category: Category
    notes: str | None
    tags: list[str]
    window: tuple[time, time] | None
    stage: Stage = Stage.ACQUISITION
    preferences: str | None = None
    days: str | None = None
    observe_holidays: bool = True
    confirmed_on: date | None = None
    # The owner the file names, and the member it resolved to (None: the preview's owner).
    owner: str | None = None
    owner_id: int | None = None
    file_id: str | None = None
    contacts: list[ImportContact] = field(default_factory=list)
    dates: list[ImportDate] = field(default_factory=list)
    deals: list[ImportDeal] = field(default_factory=list)
    # Remarks on the other sheets' rows of this client: shown only if the client comes in.
    remarks: list[RowError] = field(default_factory=list)
    # Given when written: the client's id and its contacts' ids, for its history.
    client_id: int | None = None
    contact_ids: list[int] = field(default_factory=list)


@dataclass
class ImportInteraction:
    """A contact of the history bound for a new client of the file or a client of the base."""

    entry: import_history.HistoryEntry
    client: ImportRow | int
    member_id: int
    # The person: an index of the new client's contacts, or a contact id in the base.
    contact: int | None


@dataclass
class ImportPreview:
    """What the import would do: new clients, duplicates skipped, rows with errors."""

    owner_id: int
    new: list[ImportRow] = field(default_factory=list)
    duplicates: list[RowError] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Rows imported all the same, with what was left out of them or assumed.
    warnings: list[RowError] = field(default_factory=list)
    remarks: list[FileRemark] = field(default_factory=list)
    export: bool = False
    touches: bool = False
    # The file names owners; `by_file`: they are followed (a head's import).
    file_owners: bool = False
    by_file: bool = False
    # The file holds clients; a history; the history's new contacts, those already in the
    # base, and its rows left out.
    has_clients: bool = True
    has_history: bool = False
    interactions: list[ImportInteraction] = field(default_factory=list)
    history_present: int = 0
    history_errors: list[RowError] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        """What comes in: clients, contacts, key dates, deals, interactions."""
        return {
            "clients": len(self.new),
            "contacts": sum(len(row.contacts) for row in self.new),
            "dates": sum(len(row.dates) for row in self.new),
            "deals": sum(len(row.deals) for row in self.new),
            "interactions": len(self.interactions),
        }

    def history_clients(self) -> int:
        """How many clients the history's new contacts go to."""
        return len(
            {
                ("new", item.client.row) if isinstance(item.client, ImportRow) else item.client
                for item in self.interactions
            }
        )

    def history_to_base(self) -> int:
        """New contacts of the history going to clients already in the base."""
        return sum(not isinstance(item.client, ImportRow) for item in self.interactions)

    def by_owner(self) -> dict[int, int]:
        """Member id → how many of the new clients go into their base."""
        counts: dict[int, int] = {}
        for row in self.new:
            owner_id = row.owner_id or self.owner_id
            counts[owner_id] = counts.get(owner_id, 0) + 1
        return counts


def _header_key(text: str) -> str:
    return re.sub(r"[^\w ]", " ", text.casefold().replace("ё", "е")).strip()


def _canonical(header: str) -> str | None:
    key = " ".join(_header_key(header).split())
    for column, synonyms in HEADERS.items():
        if key in synonyms:
            return column
    return import_words.client_headers().get(key)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM) or Windows-1251; anything else is not a table."""
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            text = data[3:].decode("utf-8")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                # Windows-1251 maps all bytes but one, so binary junk usually decodes here too.
                text = data.decode("cp1251")
    except UnicodeDecodeError:
        raise ImportFileError("bad_file") from None
    # Text never carries NUL or many control characters; a photo or an archive renamed .csv does.
    controls = len(_CONTROL.findall(text))
    if "\x00" in text or controls > max(2, len(text) // 100):
        raise ImportFileError("bad_file")
    return text


def _csv_rows(data: bytes) -> list[list[str]]:
    text = _decode(data)
    # The header line decides: csv.Sniffer guesses wrong on ragged rows.
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";,\t", key=header_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return list(reader)
    except csv.Error as error:
        if "field limit" in str(error):
            # One cell over 128 KB: usually a quote left open, which swallows the rest.
            raise ImportFileError("cell_too_long", row=reader.line_num) from None
        # A bare carriage return inside a cell and the like.
        raise ImportFileError("bad_file") from None


def _sheet_rows(sheet: ReadOnlyWorksheet, limit: int) -> list[list[str]]:
    rows = []
    filled = 0
    for values in sheet.iter_rows(values_only=True):
        cells = ["" if value is None else _cell_text(value) for value in values]
        rows.append(cells)
        # Blank rows don't count: stopping at so many rows of any kind cut the last clients
        # of a sheet with gaps without a word.
        filled += any(cell.strip() for cell in cells)
        if filled > limit + 1:
            break
    return rows


def _cell_text(value: object) -> str:
    if isinstance(value, datetime):
        # A contact's time counts; a birthday's midnight is no time.
        if value.time() != time(0):
            return value.strftime("%d.%m.%Y %H:%M")
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, filename: str) -> Table:
    """Read the clients (the first sheet, the CSV, or our export's clients sheet with its
    contacts, key dates and deals) into rows keyed by recognised columns.

    Raises ImportFileError for a file too big, of the wrong kind, empty, without a name column
    or with too many rows, and for an export whose clients sheet is gone.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError("too_big", limit=MAX_FILE_BYTES // (1024 * 1024))
    lowered = filename.lower()
    if not lowered.endswith((".xlsx", ".csv")):
        raise ImportFileError("bad_format")
    # The limits are part of the key: what was cut at one limit is not the table at another.
    suffix = ".xlsx" if lowered.endswith(".xlsx") else ".csv"
    return _parsed(data, suffix, (MAX_ROWS, MAX_RELATED_ROWS))


# The last file read, kept: the preview on arrival and the confirmation seconds later read the
# same bytes (2.7 s of openpyxl for 20,000 rows). One file only — a big one is tens of MB
# parsed — and the table is never changed after reading, so sharing it is safe.
@lru_cache(maxsize=1)
def _parsed(data: bytes, suffix: str, _limits: tuple[int, int]) -> Table:
    """The table of a file's bytes read as .xlsx or .csv (see `read_table`)."""
    if suffix == ".xlsx":
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise ImportFileError("bad_file") from None
        try:
            return _workbook_table(book)
        finally:
            book.close()
    rows = _csv_rows(data)
    return _history_only(rows) or _client_table(rows)


def _workbook_table(book: Workbook) -> Table:
    """The clients sheet, and our export's other sheets when the workbook is one; or a contact
    history alone."""
    sheets = [sheet for sheet in book.worksheets if isinstance(sheet, ReadOnlyWorksheet)]
    if not sheets:
        raise ImportFileError("bad_file")
    titles = import_words.sheet_titles()
    found: dict[str, ReadOnlyWorksheet] = {}
    language = ""
    for sheet in sheets:
        kind = titles.get(import_words.word_key(sheet.title))
        if kind is not None and kind[0] not in found:
            found[kind[0]] = sheet
            language = language or kind[1]
    clients = found.get("clients")
    first_rows: list[list[str]] | None = None
    if clients is None and not any(name in found for name in import_words.RELATED):
        # No export that lost its clients: perhaps a history alone — our interactions sheet,
        # or a first sheet of «Дата», «Клиент», «Цель», «Результат».
        candidate = found.get("interactions", sheets[0])
        first_rows = _sheet_rows(candidate, MAX_RELATED_ROWS)
        history = _history_only(first_rows, candidate.title if len(sheets) > 1 else "")
        if history is not None:
            history.zone = _note_zone(found.get("note"))
            return history
        if candidate is not sheets[0]:
            first_rows = None
    if clients is None and sheets[0].title not in {sheet.title for sheet in found.values()}:
        clients = sheets[0]
    if clients is None:
        # The first sheet is the export's contacts or deals: read as clients, it would make a
        # client of every contact.
        raise ImportFileError(
            "export_no_clients", sheet=import_words.sheet_title("clients", language)
        )
    if first_rows is None or clients is not sheets[0]:
        first_rows = _sheet_rows(clients, MAX_ROWS)
    table = _client_table(first_rows, sheet=clients.title if len(sheets) > 1 else "")
    ours = [name for name in found if name != "clients"]
    if not ours:
        table.interactions = _history_beside(sheets, clients)
        return table
    table.export = True
    language = language or "ru"
    for name in (*import_words.RELATED, "interactions"):
        sheet = found.get(name)
        if sheet is None:
            if name != "interactions":
                title = import_words.sheet_title(name, language)
                table.remarks.append(FileRemark(f"no_sheet_{name}", {"sheet": title}))
            continue
        related = _related_table(
            name, sheet.title, _sheet_rows(sheet, MAX_RELATED_ROWS), language, table.remarks
        )
        if related is None:
            continue
        if name == "interactions":
            table.interactions = related
        else:
            table.related[name] = related
    table.touches = "touches" in found
    table.zone = _note_zone(found.get("note"))
    return table


def _history_beside(sheets: list[ReadOnlyWorksheet], clients: ReadOnlyWorksheet) -> Table | None:
    """A hand-made workbook's contact history next to its clients: the first other sheet whose
    header reads as one."""
    vocabulary = import_words.history_headers()
    for sheet in sheets:
        if sheet is clients:
            continue
        header = next(
            (row for row in sheet.iter_rows(values_only=True) if any(cell for cell in row)), ()
        )
        columns = [
            vocabulary.get(import_words.word_key(_cell_text(cell)))
            for cell in header
            if cell is not None
        ]
        if import_words.is_history(columns):
            history = _history_only(_sheet_rows(sheet, MAX_RELATED_ROWS), sheet.title)
            return None if history is None else history.interactions
    return None


def _note_zone(sheet: ReadOnlyWorksheet | None) -> str | None:
    """The time zone the export's note sheet gives its dates and times in."""
    if sheet is None:
        return None
    return import_words.note_zone(_sheet_rows(sheet, 20))


def _history_only(raw_rows: list[list[str]], sheet: str = "") -> Table | None:
    """A sheet that is a contact history, as a table of no clients; None for any other sheet.

    Raises ImportFileError for a history without its goal or result column (no contact is
    saved without them), with too many rows or with only its header.
    """
    raw = _numbered(raw_rows)
    if not raw:
        return None
    vocabulary = import_words.history_headers()
    header = [vocabulary.get(import_words.word_key(cell)) for cell in raw[0][1]]
    if not import_words.is_history(header):
        return None
    for column in ("goal", "result"):
        if column not in header:
            raise ImportFileError(f"history_no_{column}")
    if len(raw) - 1 > MAX_RELATED_ROWS:
        raise _refusal("too_many_rows", sheet, limit=MAX_RELATED_ROWS)
    rows, numbers = _keyed_rows(raw, header)
    if not rows:
        raise ImportFileError("history_only_header")
    columns = [column for column in header if column is not None]
    history = Table(columns=columns, rows=rows, numbers=numbers, sheet=sheet)
    return Table(columns=[], rows=[], numbers=[], sheet=sheet, interactions=history)


def _refusal(code: str, sheet: str, **params: object) -> ImportFileError:
    # A workbook of several sheets names the sheet it means.
    if sheet:
        return ImportFileError(f"sheet_{code}", sheet=sheet, **params)
    return ImportFileError(code, **params)


def _keyed_rows(
    raw: list[tuple[int, list[str]]], header: list[str | None]
) -> tuple[list[dict[str, str]], list[int]]:
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    for number, cells in raw[1:]:
        row = {
            column: text
            for index, column in enumerate(header)
            if column is not None and index < len(cells) and (text := cells[index].strip())
        }
        rows.append(row)
        numbers.append(number)
    return rows, numbers


def _numbered(raw: list[list[str]]) -> list[tuple[int, list[str]]]:
    """Non-blank rows with their numbers in the file."""
    return [
        (number, row)
        for number, row in enumerate(raw, start=1)
        if any(cell.strip() for cell in row)
    ]


def _client_table(raw_rows: list[list[str]], sheet: str = "") -> Table:
    raw = _numbered(raw_rows)
    if not raw:
        raise _refusal("empty", sheet)
    header = [_canonical(cell) for cell in raw[0][1]]
    if "name" not in header:
        raise _refusal("no_name_column", sheet)
    if len(raw) - 1 > MAX_ROWS:
        raise _refusal("too_many_rows", sheet, limit=MAX_ROWS)
    # Rows keep their numbers in the file, blank rows counted, as the spreadsheet shows them.
    rows, numbers = _keyed_rows(raw, header)
    if not rows:
        raise _refusal("only_header", sheet)
    columns = [column for column in header if column is not None]
    return Table(columns=columns, rows=rows, numbers=numbers, sheet=sheet)


def _related_table(
    name: str, title: str, raw_rows: list[list[str]], language: str, remarks: list[FileRemark]
) -> Table | None:
    """An export's contacts, dates, deals or interactions sheet; None, with a remark, when it
    gives nothing."""
    raw = _numbered(raw_rows)
    if not raw:
        remarks.append(FileRemark(f"empty_{name}", {"sheet": title}))
        return None
    if len(raw) - 1 > MAX_RELATED_ROWS:
        raise ImportFileError("sheet_too_many_rows", sheet=title, limit=MAX_RELATED_ROWS)
    vocabulary = (
        import_words.history_headers()
        if name == "interactions"
        else import_words.related_headers(name)
    )
    header = [vocabulary.get(import_words.word_key(cell)) for cell in raw[0][1]]
    missing = next(
        (column for column in import_words.REQUIRED[name] if column not in header), None
    )
    if "client" not in header and "client_id" not in header:
        missing = "client"
    if missing is not None:
        column = import_words.column_title(missing, name, language)
        remarks.append(FileRemark("sheet_unreadable", {"sheet": title, "column": column}))
        return None
    rows, numbers = _keyed_rows(raw, header)
    if not rows:
        remarks.append(FileRemark(f"empty_{name}", {"sheet": title}))
        return None
    columns = [column for column in header if column is not None]
    return Table(columns=columns, rows=rows, numbers=numbers, sheet=title)


def _birthday(
    number: int, text: str | None, today: date, warnings: list[RowError]
) -> tuple[int, int, int | None] | None:
    """The day, month and year if any; an unreadable, impossible or future date is left out
    with a warning: a bad birthday is no reason to lose the client."""
    if not text:
        return None
    try:
        day, month, year = import_words.sheet_day(text)
    except validation.ValidationError as error:
        warnings.append(RowError(number, f"birthday_{error.code}", text[:40]))
        return None
    if year is not None and date(year, month, day) > today:
        warnings.append(RowError(number, "birthday_future", text[:40]))
        return None
    return day, month, year


def _confirmed(
    number: int, text: str | None, today: date, warnings: list[RowError]
) -> date | None:
    """The day the client's data was last confirmed in the other base: imported data is no
    fresher than it was there."""
    if not text:
        return None
    try:
        day, month, year = import_words.sheet_day(_TIME_TAIL.sub("", text))
    except validation.ValidationError:
        year = None
    if year is None or date(year, month, day) > today:
        warnings.append(RowError(number, "confirmed_invalid", text[:40]))
        return None
    return date(year, month, day)


def _optional(
    number: int,
    text: str | None,
    check: Callable[[str], _T],
    code: str,
    warnings: list[RowError],
    **where: Any,
) -> _T | None:
    """A value the client can do without: a bad one is left out with a remark on the row."""
    if not text:
        return None
    try:
        return check(text)
    except validation.ValidationError:
        warnings.append(RowError(number, code, text[:40], **where))
        return None


def _known(
    number: int,
    text: str | None,
    read: Callable[[str], _T | None],
    code: str,
    warnings: list[RowError],
    default: _T,
) -> _T:
    """A value the file gives in words: an unknown one is a remark, and the default stands."""
    if not text:
        return default
    found = read(text)
    if found is None:
        warnings.append(RowError(number, code, text[:40]))
        return default
    return found


def _days(text: str) -> str:
    return validation.days_code(validation.parse_weekdays(text))


def _zone_key(text: str) -> str | None:
    zone = geo.resolve_timezone(text)
    return None if zone is None else zone.key


def _category(text: str) -> Category | None:
    return _CATEGORIES.get(" ".join(_header_key(text).split())) or import_words.category(text)


def _check_row(
    number: int,
    row: dict[str, str],
    default_timezone: str,
    today: date,
    warnings: list[RowError],
    *,
    person_sheet: bool = False,
) -> ImportRow:
    """Raises validation.ValidationError with a code when the row has no usable name (or is
    marked inactive); any other value the client can do without is left out with a line added
    to `warnings`.

    `person_sheet`: the people come from our export's contacts sheet, so a private client is
    not given a contact of their own name here (the sheet has it).
    """
    # The name as /new stores it: `ООО "Вектор"` and «ООО «Вектор»»» are ООО «Вектор».
    name = validation.client_name(row.get("name"), max_length=200)
    if row.get("active") and import_words.yes_no(row["active"]) is False:
        raise validation.ValidationError("inactive", text=row["active"])
    phone = _optional(
        number, row.get("phone"), validation.normalize_phone, "phone_dropped", warnings
    )
    email = _optional(
        number, row.get("email"), validation.normalize_email, "email_dropped", warnings
    )
    inn = _optional(number, row.get("inn"), validation.validate_inn, "inn_dropped", warnings)
    birthday = _birthday(number, row.get("birthday"), today, warnings)
    window = _optional(
        number, row.get("window"), validation.parse_time_window, "window_dropped", warnings
    )
    days = _optional(number, row.get("days"), _days, "days_dropped", warnings)
    city = row.get("city")
    found = geo.find_city(city) if city else None
    timezone = _known(
        number,
        row.get("timezone"),
        _zone_key,
        "timezone_unknown",
        warnings,
        found.tz if found is not None else default_timezone,
    )
    category = _known(
        number, row.get("category"), _category, "category_unknown", warnings, Category.NEW
    )
    stage = _known(
        number, row.get("stage"), import_words.stage, "stage_unknown", warnings, Stage.ACQUISITION
    )
    observe_holidays = _known(
        number, row.get("holidays"), import_words.holidays, "holidays_unknown", warnings, True
    )
    contact = _short_text(row.get("contact"), 200)
    person_given = contact is not None or phone is not None or email is not None
    kind = _kind(row.get("kind"), name, inn, contact)
    if row.get("kind") and _typed_kind(row["kind"]) is None:
        warnings.append(RowError(number, "kind_unknown", row["kind"][:40]))
    if kind is ClientKind.B2C:
        # A private client is their own and only contact (as /new makes them).
        contact = name
    elif contact is None and birthday is not None:
        # A birthday is a person's; a company's switchboard has none.
        warnings.append(RowError(number, "birthday_no_person", row["birthday"]))
        birthday = None
    tags = [tag.strip() for tag in re.split(r"[,;]", row.get("tags", "")) if tag.strip()]
    item = ImportRow(
        row=number,
        kind=kind,
        name=name,
        inn=inn,
        city=city[:100] if city else None,
        timezone=timezone,
        industry=row.get("industry", "")[:100] or None,
        category=category,
        notes=row.get("notes") or None,
        tags=tags,
        window=window,
        stage=stage,
        preferences=row.get("preferences") or None,
        days=days,
        observe_holidays=observe_holidays,
        confirmed_on=_confirmed(number, row.get("confirmed"), today, warnings),
        owner=_short_text(row.get("owner"), 200),
        file_id=row.get("id"),
    )
    if person_given or (contact is not None and not person_sheet):
        # A company without a named person: its number still needs a row, as /new keeps it.
        item.contacts.append(
            ImportContact(
                full_name=contact or name,
                position=_short_text(row.get("position"), 200),
                phone=phone,
                email=email,
                is_primary=True,
            )
        )
    if birthday is not None:
        item.dates.append(ImportDate("birthday", *birthday, contact=0))
    return item


def _short_text(text: str | None, max_length: int) -> str | None:
    # Cut rather than refuse: a long position or contact name is no reason to drop the client.
    cleaned = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text or "").strip()[:max_length].strip()
    return cleaned or None


def _typed_kind(typed: str) -> ClientKind | None:
    return _KINDS.get(" ".join(_header_key(typed).split())) or import_words.kind(typed)


def _kind(typed: str | None, name: str, inn: str | None, contact: str | None) -> ClientKind:
    """A company when «Тип» says so; without it, when the name carries a legal form, an INN is
    given or a contact person other than the client is named."""
    kind = _typed_kind(typed) if typed else None
    if kind is not None:
        return kind
    if _LEGAL_FORM.search(name.casefold().replace(".", " ")):
        return ClientKind.B2B
    if inn:
        return ClientKind.B2B
    if contact and names.normalize_text(contact) != names.normalize_text(name):
        return ClientKind.B2B
    return ClientKind.B2C


def _link_key(text: str) -> str:
    # The export writes the same string on every sheet; case and spacing may have been touched.
    return " ".join(text.casefold().replace("ё", "е").split())


class _Links:
    """The clients sheet's rows by the file's client ID and by name, for the other sheets."""

    def __init__(self, table: Table) -> None:
        self.ids: dict[str, int] = {}
        self.names: dict[str, list[int]] = {}
        for number, row in zip(table.numbers, table.rows, strict=True):
            if row.get("id"):
                self.ids.setdefault(row["id"], number)
            if row.get("name"):
                self.names.setdefault(_link_key(row["name"]), []).append(number)

    def find(self, row: dict[str, str]) -> tuple[int | None, str, str]:
        """The clients sheet's row number a row of another sheet belongs to, or None with the
        remark's code and value."""
        client = row.get("client", "")
        if self.ids and row.get("client_id"):
            number = self.ids.get(row["client_id"])
            if number is None:
                return None, "client_missing", client or row["client_id"]
            return number, "", ""
        if not client:
            return None, "client_empty", ""
        found = self.names.get(_link_key(client), [])
        if len(found) == 1:
            return found[0], "", ""
        return None, "client_missing" if not found else "client_ambiguous", client


def _attach_related(table: Table, checked: dict[int, ImportRow], warnings: list[RowError]) -> None:
    """Put each contact, date and deal of the export on its client's row; a row whose client
    is not in the file is a remark, a row whose client is left out goes with it silently."""
    links = _Links(table)
    for name in import_words.RELATED:
        if name == "dates":
            # Dates name people: a private client is their own person even without the sheet.
            _settle_contacts(checked)
        related = table.related.get(name)
        if related is None:
            continue
        where: dict[str, Any] = {"sheet": related.sheet, "part": PARTS[name]}
        for number, row in zip(related.numbers, related.rows, strict=True):
            target, code, value = links.find(row)
            if target is None:
                warnings.append(RowError(number, code, value[:60], **where))
                continue
            item = checked.get(target)
            if item is None:
                continue
            if name == "contacts":
                _add_contact(number, row, item, where)
            elif name == "dates":
                _add_date(number, row, item, where)
            else:
                _add_deal(number, row, item, where)


def _settle_contacts(checked: dict[int, ImportRow]) -> None:
    """A private client left without people gets themself, as /new makes them; each client
    has one primary person, as the card expects: the first marked, else the first."""
    for item in checked.values():
        if not item.contacts and item.kind is ClientKind.B2C:
            item.contacts.append(ImportContact(full_name=item.name))
        primary = next((c for c in item.contacts if c.is_primary), None)
        for contact in item.contacts:
            contact.is_primary = False
        if item.contacts:
            (primary or item.contacts[0]).is_primary = True


def _add_contact(number: int, row: dict[str, str], item: ImportRow, where: dict[str, Any]) -> None:
    remarks = item.remarks
    full_name = _short_text(row.get("full_name"), 200)
    if full_name is None:
        remarks.append(RowError(number, "contact_no_name", **where))
        return
    extra_phones: list[str] = []
    for text in re.split(r"[,;]", row.get("extra_phones", "")):
        phone = _optional(
            number,
            text.strip(),
            validation.normalize_phone,
            "contact_phone_dropped",
            remarks,
            **where,
        )
        if phone is not None and phone not in extra_phones:
            extra_phones.append(phone)
    channel = import_words.channel(row["channel"]) if row.get("channel") else None
    if row.get("channel") and channel is None:
        remarks.append(RowError(number, "contact_channel_unknown", row["channel"][:40], **where))
    schedule = (
        import_words.channel_schedule(row["channel_schedule"])
        if row.get("channel_schedule")
        else None
    )
    if row.get("channel_schedule") and schedule is None:
        remarks.append(
            RowError(number, "contact_schedule_unknown", row["channel_schedule"][:40], **where)
        )
    primary = import_words.yes_no(row["primary"]) if row.get("primary") else None
    item.contacts.append(
        ImportContact(
            full_name=full_name,
            position=_short_text(row.get("position"), 200),
            phone=_optional(
                number,
                row.get("phone"),
                validation.normalize_phone,
                "contact_phone_dropped",
                remarks,
                **where,
            ),
            email=_optional(
                number,
                row.get("email"),
                validation.normalize_email,
                "contact_email_dropped",
                remarks,
                **where,
            ),
            extra_phones=extra_phones,
            telegram=_short_text(row.get("telegram"), 64),
            whatsapp=_optional(
                number,
                row.get("whatsapp"),
                validation.normalize_phone,
                "contact_whatsapp_dropped",
                remarks,
                **where,
            ),
            channel=channel,
            channel_schedule=schedule or [],
            work_schedule=_short_text(row.get("work_schedule"), 200),
            window=_optional(
                number,
                row.get("window"),
                validation.parse_time_window,
                "contact_window_dropped",
                remarks,
                **where,
            ),
            days=_optional(
                number, row.get("days"), _days, "contact_days_dropped", remarks, **where
            ),
            hobbies=row.get("hobbies") or None,
            favourite_team=_short_text(row.get("favourite_team"), 200),
            notes=row.get("notes") or None,
            is_primary=bool(primary),
            file_id=row.get("id"),
        )
    )


def _whole(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _add_date(number: int, row: dict[str, str], item: ImportRow, where: dict[str, Any]) -> None:
    remarks = item.remarks
    day, month, year = _whole(row.get("day")), _whole(row.get("month")), _whole(row.get("year"))
    shown = ".".join(row.get(part, "?") for part in ("day", "month", "year") if row.get(part))
    try:
        # A date without a year must exist in some year: 29 February does.
        if day is None or month is None or (row.get("year") and year is None):
            raise ValueError
        date(year or 2024, month, day)
    except ValueError:
        remarks.append(RowError(number, "date_dropped", shown[:40], **where))
        return
    contact: int | None = None
    if row.get("contact_id") and any(person.file_id for person in item.contacts):
        contact = next(
            (i for i, person in enumerate(item.contacts) if person.file_id == row["contact_id"]),
            None,
        )
    elif row.get("contact"):
        wanted = _link_key(row["contact"])
        contact = next(
            (i for i, person in enumerate(item.contacts) if _link_key(person.full_name) == wanted),
            None,
        )
    if contact is None and (row.get("contact_id") or row.get("contact")):
        value = row.get("contact") or row.get("contact_id", "")
        remarks.append(RowError(number, "date_contact_missing", value[:60], **where))
        return
    kind = import_words.date_kind(row["kind"]) if row.get("kind") else None
    if kind is None:
        kind = "other"
        if row.get("kind"):
            remarks.append(RowError(number, "date_kind_unknown", row["kind"][:40], **where))
    item.dates.append(
        ImportDate(
            kind=kind,
            day=day,
            month=month,
            year=year,
            contact=contact,
            relation=_short_text(row.get("relation"), 64),
            person_name=_short_text(row.get("person"), 200),
            title=_short_text(row.get("title"), 200),
        )
    )


def _add_deal(number: int, row: dict[str, str], item: ImportRow, where: dict[str, Any]) -> None:
    remarks = item.remarks
    title = _short_text(row.get("title"), 200)
    if title is None:
        remarks.append(RowError(number, "deal_no_title", **where))
        return
    stage = import_words.deal_stage(row["stage"]) if row.get("stage") else "new"
    if stage is None:
        remarks.append(RowError(number, "deal_stage_unknown", row["stage"][:40], **where))
        stage = "new"
    amount = import_words.amount(row["amount"]) if row.get("amount") else None
    if row.get("amount") and amount is None:
        remarks.append(RowError(number, "deal_amount_dropped", row["amount"][:40], **where))
    paid = import_words.yes_no(row["paid"]) if row.get("paid") else None
    item.deals.append(
        ImportDeal(
            title=title,
            stage=stage,
            amount=amount,
            goods_location=_short_text(row.get("goods_location"), 200),
            is_paid=bool(paid),
        )
    )


async def _base_keys(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Key → client id in the base: phones and e-mails of contacts, INNs, active names."""
    return {
        "phone": {
            phone: client_id
            for phone, client_id in await session.execute(
                select(Contact.phone, Contact.client_id).where(Contact.phone.is_not(None))
            )
            if phone
        },
        "email": {
            email.lower(): client_id
            for email, client_id in await session.execute(
                select(Contact.email, Contact.client_id).where(Contact.email.is_not(None))
            )
            if email
        },
        "inn": {
            inn: client_id
            for inn, client_id in await session.execute(
                select(Client.inn, Client.id).where(Client.inn.is_not(None))
            )
            if inn
        },
        "name": {
            names.normalize_text(name): client_id
            for name, client_id in await session.execute(
                select(Client.name, Client.id).where(
                    Client.is_active.is_(True), Client.forgotten_at.is_(None)
                )
            )
        },
    }


def _keys(item: ImportRow, export: bool) -> list[tuple[str, str, str, bool]]:
    """(kind, key, value shown, looked for in the file too) for a row, in the order checked.

    Our own export names a client by its INN and name first; several of its clients may share
    a contact's phone (a switchboard), so within it a phone or an e-mail makes no repeat.
    """
    contacts: list[tuple[str, str, str, bool]] = [
        ("phone", contact.phone, contact.phone, not export)
        for contact in item.contacts
        if contact.phone
    ]
    contacts += [
        ("email", contact.email, contact.email, not export)
        for contact in item.contacts
        if contact.email
    ]
    client = [("inn", item.inn, item.inn, True)] if item.inn else []
    client.append(("name", names.normalize_text(item.name), item.name, True))
    return [*client, *contacts] if export else [*contacts, *client]


async def preview_import(
    session: AsyncSession,
    member: Member,
    table: Table,
    owner: Member,
    *,
    now: datetime,
    owners_from_file: bool = True,
) -> ImportPreview:
    """Check every row and find duplicates against the whole team's base and within the file.

    `owner` takes the new clients; when a head imports a file naming owners and
    `owners_from_file` holds, each client goes to the member the file names instead, if there
    is one on the team.
    """
    # A birthday later than today is a typo; «today» is the owner's, whose clients they become.
    today = now.astimezone(ZoneInfo(owner.timezone)).date()
    in_base = await _base_keys(session)
    # Key → the first row of the file carrying it.
    in_file: dict[str, dict[str, int]] = {key: {} for key in in_base}
    preview = ImportPreview(
        owner_id=owner.id,
        remarks=list(table.remarks),
        export=table.export,
        touches=table.touches,
        has_clients=bool(table.rows),
    )
    checked, row_warnings = _check_rows(table, owner.timezone, today, preview)
    # Where each client row of the file goes: a new client, or the client of the base it is.
    fates: dict[int, ImportRow | int] = {}
    stray: list[RowError] = []
    if table.export:
        _attach_related(table, checked, stray)
    matched: list[tuple[int, str, str, int]] = []
    for number, item in checked.items():
        duplicate: RowError | None = None
        found = False
        keys = _keys(item, table.export)
        for kind, key, value, within_file in keys:
            if key in in_base[kind]:
                matched.append((number, kind, value, in_base[kind][key]))
                fates[number] = in_base[kind][key]
                found = True
                break
            if within_file and key in in_file[kind]:
                duplicate = RowError(number, kind, value, repeat_of=in_file[kind][key])
                break
        if found:
            continue
        if duplicate is not None:
            preview.duplicates.append(duplicate)
            if duplicate.repeat_of in fates:
                fates[number] = fates[duplicate.repeat_of]
            continue
        preview.new.append(item)
        fates[number] = item
        preview.warnings.extend(row_warnings[number])
        preview.warnings.extend(item.remarks)
        for kind, key, _value, _within in keys:
            in_file[kind].setdefault(key, number)
    preview.warnings.extend(stray)
    preview.warnings.sort(key=remark_order)
    if table.export and "contacts" not in table.related:
        _count_dates_of_nobody(preview)
    preview.duplicates.extend(await _known_duplicates(session, member, matched))
    preview.duplicates.sort()
    preview.file_owners = any(row.owner for row in checked.values())
    if preview.file_owners and owners_from_file and member.role is Role.HEAD:
        preview.by_file = True
        await _resolve_owners(session, preview, owner)
    if table.interactions is not None:
        await _attach_history(session, member, table, fates, preview, now)
    return preview


def _check_rows(
    table: Table, timezone: str, today: date, preview: ImportPreview
) -> tuple[dict[int, ImportRow], dict[int, list[RowError]]]:
    """The client rows that can be clients, with each one's warnings; the others are errors
    of the preview."""
    checked: dict[int, ImportRow] = {}
    row_warnings: dict[int, list[RowError]] = {}
    for number, row in zip(table.numbers, table.rows, strict=True):
        warnings: list[RowError] = []
        try:
            checked[number] = _check_row(
                number, row, timezone, today, warnings, person_sheet=table.export
            )
        except validation.ValidationError as error:
            value = str(error.params.get("text", ""))
            preview.errors.append(RowError(number, error.code, value))
            continue
        row_warnings[number] = warnings
    return checked, row_warnings


_Target = ImportRow | import_history.BaseClient


async def _attach_history(
    session: AsyncSession,
    member: Member,
    table: Table,
    fates: dict[int, ImportRow | int],
    preview: ImportPreview,
    now: datetime,
) -> None:
    """Check the history's rows and find each one's client: by the file's client ID or name
    among the file's clients, else by name in the base. A row that can't be a contact, whose
    client is unknown or a colleague's, or that is already in the base or the file, is left
    out; the rest go to `preview.interactions` with the member who made them."""
    history = table.interactions
    assert history is not None
    preview.has_history = True
    zone = ZoneInfo(table.zone or member.timezone)
    where: dict[str, Any] = (
        {"sheet": history.sheet, "part": PARTS["interactions"]} if history.sheet else {}
    )
    finder = _HistoryClients(
        member,
        _Links(table) if table.rows else None,
        fates,
        await import_history.base_clients(session),
    )
    found: list[tuple[import_history.HistoryEntry, _Target, list[tuple[str, str]]]] = []
    for number, row in zip(history.numbers, history.rows, strict=True):
        remarks: list[tuple[str, str]] = []
        try:
            entry = import_history.check_row(number, row, zone, now, remarks)
            target = finder.find(row, entry)
        except import_history.RowRefusedError as refusal:
            preview.history_errors.append(
                RowError(number, refusal.code, refusal.value[:60], owner=refusal.owner, **where)
            )
            continue
        if target is not None:
            found.append((entry, target, remarks))
    base_ids = [t.id for _, t, _ in found if isinstance(t, import_history.BaseClient)]
    present = await import_history.present_keys(session, base_ids, zone)
    people = await import_history.base_contacts(session, base_ids)
    makers = _Makers(member, await team.list_members(session))
    seen: dict[tuple[Any, ...], int] = {}
    guess = "contact" not in history.columns
    for entry, target, remarks in found:
        # A new client has no id yet: its row of the file stands for it.
        ref = target.id if isinstance(target, import_history.BaseClient) else ("new", target.row)
        key = import_history.repeat_key(ref, entry)
        if key in present:
            preview.history_present += 1
            continue
        if key in seen:
            preview.history_errors.append(
                RowError(entry.row, "history_repeat", repeat_of=seen[key], **where)
            )
            continue
        for each in import_history.keys(ref, entry):
            seen.setdefault(each, entry.row)
        if isinstance(target, ImportRow):
            names_of = [contact.full_name for contact in target.contacts]
            index = import_history.find_person(names_of, entry.contact_name, guess=guess)
            contact = index
            owner_id = target.owner_id or preview.owner_id
            client: ImportRow | int = target
        else:
            known = people.get(target.id, [])
            index = import_history.find_person(
                [name for _, name in known], entry.contact_name, guess=guess
            )
            contact = None if index is None else known[index][0]
            owner_id, client = target.owner_id, target.id
        if entry.contact_name and index is None:
            remarks.append(("history_contact_unknown", entry.contact_name[:60]))
        preview.warnings.extend(
            RowError(entry.row, code, value, **where) for code, value in remarks
        )
        preview.interactions.append(
            ImportInteraction(entry, client, makers.member_for(entry, owner_id), contact)
        )
    preview.history_errors.sort(key=remark_order)
    preview.warnings.sort(key=remark_order)
    preview.remarks.extend(makers.remarks())


class _HistoryClients:
    """Finds the client a history row is about, as the importing member may see it."""

    def __init__(
        self,
        member: Member,
        links: _Links | None,
        fates: dict[int, ImportRow | int],
        base: dict[int, import_history.BaseClient],
    ) -> None:
        self.member = member
        self.links = links
        self.fates = fates
        self.base = base
        self.names = import_history.by_name(base.values())
        # The file's clients by name as the base's are compared: «Альбатрос» is «ООО
        # «Альбатрос»» there.
        self.file_names: dict[str, list[int]] = {}
        for name, numbers in (links.names if links else {}).items():
            self.file_names.setdefault(names.normalize_text(name), []).extend(numbers)

    def find(self, row: dict[str, str], entry: import_history.HistoryEntry) -> _Target | None:
        """The row's client; None when its client row of the file is left out (and said so
        there). Raises RowRefusedError when there is no client to take it."""
        shown = entry.client_name or row.get("client_id", "")
        if self.links is not None:
            number, code, _value = self.links.find(row)
            if number is None and code != "client_ambiguous" and entry.client_name:
                found = self.file_names.get(names.normalize_text(entry.client_name), [])
                number, code = (found[0], "") if len(found) == 1 else (None, code)
                code = "client_ambiguous" if len(found) > 1 else code
            if number is not None:
                fate = self.fates.get(number)
                if fate is None or isinstance(fate, ImportRow):
                    return fate
                client = self.base.get(fate)
                if client is None:
                    raise import_history.RowRefusedError("history_client_closed", shown)
                return self._visible(client, shown)
            if code == "client_ambiguous":
                raise import_history.RowRefusedError("history_client_ambiguous", shown)
        if not entry.client_name:
            code = "history_client_unknown" if shown else "history_client_empty"
            raise import_history.RowRefusedError(code, shown)
        candidates = self.names.get(names.normalize_text(entry.client_name), [])
        if len(candidates) > 1:
            # Namesakes: the row's client ID tells them apart when it is this base's (a
            # history exported from here), and a manager means their own.
            by_id = [c for c in candidates if str(c.id) == row.get("client_id")]
            own = [c for c in candidates if c.owner_id == self.member.id]
            candidates = by_id or (
                own if self.member.role is not Role.HEAD and own else candidates
            )
        if not candidates:
            code = "history_client_unknown_file" if self.links else "history_client_unknown"
            raise import_history.RowRefusedError(code, shown)
        if len(candidates) > 1:
            raise import_history.RowRefusedError("history_client_ambiguous", shown)
        return self._visible(candidates[0], shown)

    def _visible(self, client: import_history.BaseClient, shown: str) -> import_history.BaseClient:
        if self.member.role is Role.HEAD or client.owner_id == self.member.id:
            return client
        raise import_history.RowRefusedError("history_client_colleague", shown, client.owner_name)


class _Makers:
    """Who made each contact of a history: a head's import credits the member the row names,
    if the team has one of that name; otherwise, and in a manager's import, the client's
    owner. Names nobody on the team has are said once each."""

    def __init__(self, member: Member, members: list[Member]) -> None:
        self.member = member
        self.by_name: dict[str, list[Member]] = {}
        for each in members:
            self.by_name.setdefault(names.normalize_text(each.full_name), []).append(each)
        self.unknown: dict[str, int] = {}
        self.ignored = False

    def member_for(self, entry: import_history.HistoryEntry, owner_id: int) -> int:
        """The member to credit the contact to."""
        name = entry.member_name
        if not name:
            return owner_id
        key = names.normalize_text(name)
        if self.member.role is not Role.HEAD:
            self.ignored = self.ignored or key != names.normalize_text(self.member.full_name)
            return owner_id
        found = self.by_name.get(key, [])
        if len(found) == 1:
            return found[0].id
        self.unknown[name] = self.unknown.get(name, 0) + 1
        return owner_id

    def remarks(self) -> list[FileRemark]:
        """The file's remarks on the makers named."""
        found = [
            FileRemark("history_member_unknown", {"name": name, "count": count})
            for name, count in self.unknown.items()
        ]
        if self.ignored:
            found.append(FileRemark("history_member_ignored"))
        return found


def _count_dates_of_nobody(preview: ImportPreview) -> None:
    """Without the contacts sheet every date of a person misses its person: one remark says
    how many, instead of a line per date."""
    missed = [error for error in preview.warnings if error.code == "date_contact_missing"]
    if not missed:
        return
    preview.warnings = [error for error in preview.warnings if error.code != missed[0].code]
    preview.remarks.append(
        FileRemark("dates_without_people", {"count": len(missed), "sheet": missed[0].sheet})
    )


async def _resolve_owners(session: AsyncSession, preview: ImportPreview, fallback: Member) -> None:
    """Each new client to the active member the file names; the others to `fallback`, said
    once per name: a name that can only be one member is taken and said so («строка 5:
    «Дмитрий» — это Дмитрий Орлов»), one that fits several names them, one nobody has is said
    to be nobody's."""
    members = [member for member in await team.list_members(session) if member.is_active]
    # typed name → (the first row naming it, the rows naming it)
    typed: dict[str, tuple[int, list[ImportRow]]] = {}
    for row in preview.new:
        if row.owner:
            typed.setdefault(row.owner, (row.row, []))[1].append(row)
    for name, (first_row, rows) in typed.items():
        exact = [
            member
            for member in members
            if names.normalize_text(member.full_name) == names.normalize_text(name)
        ]
        found = exact or owner_matches(name, members)
        if len(found) == 1:
            for row in rows:
                row.owner_id = found[0].id
            if not exact:
                more = len(rows) - 1
                preview.remarks.append(
                    FileRemark(
                        "owner_guessed_more" if more else "owner_guessed",
                        {
                            "row": first_row,
                            "more": more,
                            "name": name,
                            "member": found[0].full_name,
                        },
                    )
                )
            continue
        params: dict[str, Any] = {"name": name, "count": len(rows), "owner": fallback.full_name}
        if found:
            params |= {"row": first_row, "candidates": ", ".join(m.full_name for m in found)}
        preview.remarks.append(FileRemark("owner_ambiguous" if found else "owner_unknown", params))


_MIN_NAME_PREFIX = 3
_MIN_TYPO_WORD = 4
_NAME_TYPO_SCORE = 85.0


def owner_matches(typed: str, members: Sequence[Member]) -> list[Member]:
    """The members a typed name may mean: each word typed is a word of the member's name, its
    start («Дмит»), its everyday form («Дима») or that word with a typo («Орлв»), in any order;
    an initial («Орлов Д.») starts another word of the name. «Дмитрий», «Орлов», «Орлов Д.»
    and «Dmitry Orlov» are Дмитрий Орлов; «Иван Петров» is not Иван Петренко."""
    typed_words = names.normalize_text(typed).split()
    words = [word for word in typed_words if len(word) > 1]
    initials = [word for word in typed_words if len(word) == 1]
    if not words:
        return []
    return [
        member
        for member in members
        if _name_fits(words, initials, names.normalize_text(member.full_name).split())
    ]


def _name_fits(words: list[str], initials: list[str], own: list[str]) -> bool:
    if len(words) + len(initials) > len(own):
        return False
    for chosen in permutations(range(len(own)), len(words)):
        if not all(_word_fits(word, own[at]) for word, at in zip(words, chosen, strict=True)):
            continue
        rest = [own[at] for at in range(len(own)) if at not in chosen]
        if all(any(word.startswith(letter) for word in rest) for letter in initials):
            return True
    return False


def _word_fits(typed: str, own: str) -> bool:
    spellings = [own, *stats.latin_spellings(own)] if typed.isascii() else [own]
    return any(
        typed == spelling
        or (len(typed) >= _MIN_NAME_PREFIX and spelling.startswith(typed))
        or (
            min(len(typed), len(spelling)) >= _MIN_TYPO_WORD
            and fuzz.ratio(typed, spelling) >= _NAME_TYPO_SCORE
        )
        for spelling in spellings
    ) or own in names.mentioned_given_names(typed)


async def _known_duplicates(
    session: AsyncSession, member: Member, matched: list[tuple[int, str, str, int]]
) -> list[RowError]:
    """Rows matching clients in the base, named as the member may see them: one query for all."""
    if not matched:
        return []
    found = {
        client_id: (name, owner_id, owner_name)
        for client_id, name, owner_id, owner_name in await session.execute(
            select(Client.id, Client.name, Client.owner_id, Member.full_name)
            .join(Member, Member.id == Client.owner_id)
            .where(Client.id.in_({client_id for *_, client_id in matched}))
        )
    }
    rows = []
    for number, kind, value, client_id in matched:
        name, owner_id, owner_name = found[client_id]
        visible = member.role is Role.HEAD or owner_id == member.id
        rows.append(
            RowError(
                number,
                kind,
                value,
                client=name if visible else "",
                owner=owner_name,
                visible=visible,
            )
        )
    return rows


async def notify_owner(
    session: AsyncSession, member: Member, owner: Member, count: int, now: datetime
) -> None:
    """Queue «📥 В вашу базу добавлены клиенты: 3» for the owner when somebody else imported
    them into their base (delivered by the outbox, retried like any notice)."""
    if owner.id == member.id or count == 0 or not owner.is_active:
        return
    tr = translator(owner.language)
    await outbox.enqueue(
        session,
        outbox.outbox_row(
            member=owner,
            kind="notice",
            dedupe_key=f"import_notice:{owner.id}:{member.id}:{now.isoformat()}",
            payload={
                "text": tr(
                    "transfer.imported_to_you",
                    count=count,
                    name=html.escape(member.full_name, quote=False),
                ),
                "parse_mode": "HTML",
            },
            not_before=now,
            now=now,
        ),
    )


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: the new clients, and how their first touches were spread."""

    clients: int
    first_touches: first_touches.FirstTouchSpread


async def apply_import(
    session: AsyncSession,
    preview: ImportPreview,
    now: datetime,
    *,
    progress: Callable[[str], Awaitable[None]] | None = None,
) -> ImportResult:
    """Write the new clients and the history's contacts with bulk inserts in one nested
    transaction: all or nothing.

    Each client's latest imported contact is then followed as if logged when it happened
    (`planner.follow_imported_history`); the new clients nobody has contacted get their first
    touches spread over their owners' working days (`first_touches.plan_imported`), not all on
    one day; and the planner's idempotent sweep gives every new client the rest of its touches,
    as create_client does for one, and re-plans the next touch of the clients whose history
    moved on — by the client's rhythm from its last contact.

    `progress`, when given, is told each step as it begins: «write», then «plan».
    """
    spread = first_touches.FirstTouchSpread()
    async with session.begin_nested():
        if progress is not None:
            await progress("write")
        for start in range(0, len(preview.new), BATCH):
            await _insert_batch(session, preview.owner_id, preview.new[start : start + BATCH], now)
        if preview.interactions:
            latest = await _insert_history(session, preview.interactions, now)
            if progress is not None:
                await progress("plan")
            await planner.follow_imported_history(session, latest, now)
        elif progress is not None:
            await progress("plan")
        if preview.new:
            new_ids = [item.client_id for item in preview.new if item.client_id is not None]
            spread = await first_touches.plan_imported(session, new_ids, now)
        if preview.new or preview.interactions:
            await planner.plan_all(session, now)
    return ImportResult(clients=len(preview.new), first_touches=spread)


async def _insert_history(
    session: AsyncSession, items: list[ImportInteraction], now: datetime
) -> list[planner.ImportedContact]:
    """Write the contacts; each client's latest of them (the later row on a tie)."""
    rows = []
    latest: dict[int, tuple[ImportInteraction, int | None]] = {}
    for item in items:
        if isinstance(item.client, ImportRow):
            assert item.client.client_id is not None
            client_id = item.client.client_id
            contact = None if item.contact is None else item.client.contact_ids[item.contact]
        else:
            client_id, contact = item.client, item.contact
        rows.append(import_history.values(item.entry, client_id, contact, item.member_id, now))
        known = latest.get(client_id)
        if known is None or item.entry.happened_at >= known[0].entry.happened_at:
            latest[client_id] = (item, contact)
    ids = await import_history.insert_rows(session, rows, now)
    return [
        planner.ImportedContact(
            client_id=client_id,
            interaction_id=ids[client_id, item.entry.happened_at],
            happened_at=item.entry.happened_at,
            next_touch_on=item.entry.next_touch_on,
            next_step=item.entry.next_step,
            contact_id=contact,
        )
        for client_id, (item, contact) in latest.items()
    ]


def _confirmed_at(item: ImportRow, now: datetime) -> datetime:
    if item.confirmed_on is None:
        return now
    return min(now, datetime.combine(item.confirmed_on, time(12), tzinfo=UTC))


async def _insert_batch(
    session: AsyncSession, owner_id: int, rows: list[ImportRow], now: datetime
) -> None:
    client_values = []
    default_window = _default_window()
    for item in rows:
        values: dict[str, object] = {
            "kind": item.kind,
            "name": item.name,
            "inn": item.inn,
            "industry": item.industry,
            "city": item.city,
            "timezone": item.timezone,
            "category": item.category,
            "stage": item.stage,
            "owner_id": item.owner_id or owner_id,
            "tags": item.tags,
            "preferences": item.preferences,
            "notes": item.notes,
            "window_days": item.days or "01234",
            "observe_holidays": item.observe_holidays,
            "is_active": True,
            "data_confirmed_at": _confirmed_at(item, now),
            "created_at": now,
            "updated_at": now,
        }
        # Every row names the same columns: an executemany takes them from the first row.
        values["window_start"], values["window_end"] = item.window or default_window
        client_values.append(values)
    ids = await insert_with_ids(session, Client, client_values)
    history_values = [
        {
            "client_id": client_id,
            "from_member_id": None,
            "to_member_id": item.owner_id or owner_id,
            "from_stage": None,
            "to_stage": item.stage,
            "by_member_id": item.owner_id or owner_id,
            "at": now,
        }
        for client_id, item in zip(ids, rows, strict=True)
    ]
    await session.execute(insert(_core(OwnerHistory)), history_values)
    contact_values = []
    for client_id, item in zip(ids, rows, strict=True):
        contact_values += [_contact_values(client_id, contact, now) for contact in item.contacts]
    contact_ids = await insert_with_ids(session, Contact, contact_values)
    date_values = []
    deal_values = []
    first = 0
    for client_id, item in zip(ids, rows, strict=True):
        people = contact_ids[first : first + len(item.contacts)]
        first += len(item.contacts)
        item.client_id, item.contact_ids = client_id, people
        date_values += [
            {
                "client_id": client_id,
                "contact_id": None if key_date.contact is None else people[key_date.contact],
                "kind": key_date.kind,
                "relation": key_date.relation,
                "person_name": key_date.person_name,
                "title": key_date.title,
                "day": key_date.day,
                "month": key_date.month,
                "year": key_date.year,
                "created_at": now,
            }
            for key_date in item.dates
        ]
        deal_values += [
            {
                "client_id": client_id,
                "title": deal.title,
                "stage": deal.stage,
                "amount": deal.amount,
                "goods_location": deal.goods_location,
                "is_paid": deal.is_paid,
                "created_at": now,
                "updated_at": now,
            }
            for deal in item.deals
        ]
    if date_values:
        await session.execute(insert(_core(KeyDate)), date_values)
    if deal_values:
        await session.execute(insert(_core(Deal)), deal_values)


_Model = TypeVar("_Model", Client, Contact)


def _default_window() -> tuple[time, time]:
    """A client's calling window when the file gives none: the model's default."""
    columns = _core(Client).c
    start, end = columns.window_start.default, columns.window_end.default
    assert isinstance(start, ScalarElementColumnDefault)
    assert isinstance(end, ScalarElementColumnDefault)
    return start.arg, end.arg


def _core(model: type[Any]) -> SqlTable:
    # Core inserts of plain dicts: the ORM's bulk path would build its insert commands row by
    # row for nothing (no defaults or events of ours run there).
    return cast(SqlTable, model.__table__)


async def insert_with_ids(
    session: AsyncSession, model: type[_Model], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert the rows with one executemany and return their new ids, in the rows' order.

    Asking for ids back row by row (`RETURNING` with `sort_by_parameter_order`) is one INSERT
    per row on SQLite, and SQLAlchemy splices each answer into the last: quadratic, 14 s of
    20,000 clients' write. Here the ids are known before the INSERT: PostgreSQL hands out the
    sequence's next values in one query; on SQLite the first row is inserted alone, which
    takes the database's write lock until commit, so the ids after it are ours to use (a new
    rowid is the largest one plus one). Other databases keep the ordered RETURNING.
    """
    if not rows:
        return []
    table = _core(model)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        ids = list(
            await session.scalars(
                sql_text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"table": table.name, "count": len(rows)},
            )
        )
        rest = rows
    elif dialect == "sqlite":
        first = await session.scalar(insert(table).returning(table.c.id), rows[0])
        assert first is not None
        ids = list(range(first, first + len(rows)))
        rest = rows[1:]
    else:  # pragma: no cover - the bot runs on SQLite and PostgreSQL only
        return list(
            await session.scalars(
                insert(model).returning(model.id, sort_by_parameter_order=True), rows
            )
        )
    taken = len(rows) - len(rest)
    if rest:
        await session.execute(
            insert(table),
            [{**row, "id": new_id} for row, new_id in zip(rest, ids[taken:], strict=True)],
        )
    return ids


def _contact_values(client_id: int, contact: ImportContact, now: datetime) -> dict[str, object]:
    window = contact.window or (None, None)
    return {
        "client_id": client_id,
        "full_name": contact.full_name,
        "position": contact.position,
        "phone": contact.phone,
        "email": contact.email,
        "extra_phones": contact.extra_phones,
        "telegram": contact.telegram,
        "whatsapp": contact.whatsapp,
        "preferred_channel": contact.channel,
        "channel_schedule": contact.channel_schedule,
        "work_schedule": contact.work_schedule,
        "window_start": window[0],
        "window_end": window[1],
        "window_days": contact.days,
        "hobbies": contact.hobbies,
        "favourite_team": contact.favourite_team,
        "notes": contact.notes,
        "is_primary": contact.is_primary,
        "created_at": now,
    }
