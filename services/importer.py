"""Import of a client base from .xlsx or .csv: reading, a preview, an all-or-nothing write.

A value a client can do without (a phone that is no number, an unknown category) is a remark on
its row, never a lost client.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import translator
from models import Member
from models.clients import Client, Contact, KeyDate, OwnerHistory
from models.enums import Category, ClientKind, Role, Stage
from scheduler import outbox
from services import geo, names, planner, validation

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
BATCH = 1000

# Canonical column → header synonyms, compared case-folded without punctuation.
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
    "tags": ("теги", "метки", "tags"),
    "window": ("окно", "окно звонков", "window", "calling window"),
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


# «1980-05-12», and «1980-05-12 00:00:00» as a spreadsheet saved to CSV writes a date.
_ISO_DATE = re.compile(
    r"^\s*(?P<y>\d{4})[-./](?P<m>\d{1,2})[-./](?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*$"
)
# «12.05.1975 г.», «12 мая 1975 года».
_YEAR_WORD = re.compile(r"\s*(?:г\.?|года?)\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_T = TypeVar("_T")


class ImportFileError(Exception):
    """The file cannot be imported at all; `code` names the reason for the member's language."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Table:
    """Rows of the file keyed by canonical column; `numbers` are the rows' numbers in the file."""

    columns: list[str]
    rows: list[dict[str, str]]
    numbers: list[int]


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


@dataclass
class ImportRow:
    """A checked row ready to be written."""

    row: int
    kind: ClientKind
    name: str
    inn: str | None
    city: str | None
    timezone: str
    industry: str | None
    category: Category
    contact: str | None
    position: str | None
    phone: str | None
    email: str | None
    birthday: tuple[int, int, int | None] | None
    notes: str | None
    tags: list[str]
    window: tuple[str, str] | None


@dataclass
class ImportPreview:
    """What the import would do: new clients, duplicates skipped, rows with errors."""

    owner_id: int
    new: list[ImportRow] = field(default_factory=list)
    duplicates: list[RowError] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Rows imported all the same, with what was left out of them or assumed.
    warnings: list[RowError] = field(default_factory=list)


def _header_key(text: str) -> str:
    return re.sub(r"[^\w ]", " ", text.casefold().replace("ё", "е")).strip()


def _canonical(header: str) -> str | None:
    key = " ".join(_header_key(header).split())
    for column, synonyms in HEADERS.items():
        if key in synonyms:
            return column
    return None


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


def _raw_rows(data: bytes, filename: str) -> list[list[str]]:
    lowered = filename.lower()
    if lowered.endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise ImportFileError("bad_file") from None
        sheet = book.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append(["" if value is None else _cell_text(value) for value in values])
            if len(rows) > MAX_ROWS + 1:
                break
        book.close()
        return rows
    if lowered.endswith(".csv"):
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
    raise ImportFileError("bad_format")


def _cell_text(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, filename: str) -> Table:
    """Read the first sheet (or the CSV) into rows keyed by recognised columns.

    Raises ImportFileError for a file too big, of the wrong kind, empty, without a name column
    or with too many rows.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError("too_big", limit=MAX_FILE_BYTES // (1024 * 1024))
    raw = [row for row in _raw_rows(data, filename) if any(cell.strip() for cell in row)]
    if not raw:
        raise ImportFileError("empty")
    header = [_canonical(cell) for cell in raw[0]]
    if "name" not in header:
        raise ImportFileError("no_name_column")
    if len(raw) - 1 > MAX_ROWS:
        raise ImportFileError("too_many_rows", limit=MAX_ROWS)
    columns = [column for column in header if column is not None]
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    for number, cells in enumerate(raw[1:], start=2):
        row = {
            column: cells[index].strip()
            for index, column in enumerate(header)
            if column is not None and index < len(cells) and cells[index].strip()
        }
        rows.append(row)
        numbers.append(number)
    if not rows:
        raise ImportFileError("only_header")
    return Table(columns=columns, rows=rows, numbers=numbers)


def _birthday(
    number: int, text: str | None, today: date, warnings: list[RowError]
) -> tuple[int, int, int | None] | None:
    """The day, month and year if any; an unreadable, impossible or future date is left out
    with a warning: a bad birthday is no reason to lose the client."""
    if not text:
        return None
    cleaned = _YEAR_WORD.sub("", text.casefold())
    iso = _ISO_DATE.match(cleaned)
    if iso is not None:
        cleaned = f"{iso['d']}.{iso['m']}.{iso['y']}"
    try:
        day, month, year = validation.parse_day_month(cleaned)
    except validation.ValidationError as error:
        warnings.append(RowError(number, f"birthday_{error.code}", text[:40]))
        return None
    if year is not None and date(year, month, day) > today:
        warnings.append(RowError(number, "birthday_future", text[:40]))
        return None
    return day, month, year


def _optional(
    number: int,
    text: str | None,
    check: Callable[[str], _T],
    code: str,
    warnings: list[RowError],
) -> _T | None:
    """A value the client can do without: a bad one is left out with a remark on the row."""
    if not text:
        return None
    try:
        return check(text)
    except validation.ValidationError:
        warnings.append(RowError(number, code, text[:40]))
        return None


def _check_row(
    number: int,
    row: dict[str, str],
    default_timezone: str,
    today: date,
    warnings: list[RowError],
) -> ImportRow:
    """Raises validation.ValidationError with a code when the row has no usable name; any
    other value the client can do without is left out with a line added to `warnings`."""
    name = validation.clean_text(row.get("name"), max_length=200)
    phone = _optional(
        number, row.get("phone"), validation.normalize_phone, "phone_dropped", warnings
    )
    email = _optional(
        number, row.get("email"), validation.normalize_email, "email_dropped", warnings
    )
    inn = _optional(number, row.get("inn"), validation.validate_inn, "inn_dropped", warnings)
    birthday = _birthday(number, row.get("birthday"), today, warnings)
    times = _optional(
        number, row.get("window"), validation.parse_time_window, "window_dropped", warnings
    )
    window = None if times is None else (times[0].isoformat(), times[1].isoformat())
    city = row.get("city")
    found = geo.find_city(city) if city else None
    category = Category.NEW
    if row.get("category"):
        found_category = _CATEGORIES.get(" ".join(_header_key(row["category"]).split()))
        if found_category is None:
            warnings.append(RowError(number, "category_unknown", row["category"][:40]))
        else:
            category = found_category
    contact = _short_text(row.get("contact"), 200)
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
    return ImportRow(
        row=number,
        kind=kind,
        name=name,
        inn=inn,
        city=city[:100] if city else None,
        timezone=found.tz if found is not None else default_timezone,
        industry=row.get("industry", "")[:100] or None,
        category=category,
        contact=contact,
        position=row.get("position", "")[:200] or None,
        phone=phone,
        email=email,
        birthday=birthday,
        notes=row.get("notes") or None,
        tags=tags,
        window=window,
    )


def _short_text(text: str | None, max_length: int) -> str | None:
    # Cut rather than refuse: a long position or contact name is no reason to drop the client.
    cleaned = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text or "").strip()[:max_length].strip()
    return cleaned or None


def _typed_kind(typed: str) -> ClientKind | None:
    return _KINDS.get(" ".join(_header_key(typed).split()))


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


async def preview_import(
    session: AsyncSession, member: Member, table: Table, owner: Member, *, now: datetime
) -> ImportPreview:
    """Check every row and find duplicates against the whole team's base and within the file."""
    # A birthday later than today is a typo; «today» is the owner's, whose clients they become.
    today = now.astimezone(ZoneInfo(owner.timezone)).date()
    # Key → client id in the base; key → the first row of the file carrying it.
    in_base: dict[str, dict[str, int]] = {
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
    in_file: dict[str, dict[str, int]] = {key: {} for key in in_base}
    preview = ImportPreview(owner_id=owner.id)
    matched: list[tuple[int, str, str, int]] = []
    for number, row in zip(table.numbers, table.rows, strict=True):
        warnings: list[RowError] = []
        try:
            checked = _check_row(number, row, owner.timezone, today, warnings)
        except validation.ValidationError as error:
            value = str(error.params.get("text", ""))
            preview.errors.append(RowError(number, error.code, value))
            continue
        keys = {
            "phone": checked.phone,
            "email": checked.email,
            "inn": checked.inn,
            "name": names.normalize_text(checked.name),
        }
        shown = {"phone": checked.phone, "email": checked.email, "inn": checked.inn}
        duplicate: RowError | None = None
        for kind, key in keys.items():
            if not key:
                continue
            value = shown.get(kind) or checked.name
            if key in in_base[kind]:
                matched.append((number, kind, value, in_base[kind][key]))
                break
            if key in in_file[kind]:
                duplicate = RowError(number, kind, value, repeat_of=in_file[kind][key])
                break
        else:
            preview.new.append(checked)
            preview.warnings.extend(warnings)
            for kind, key in keys.items():
                if key:
                    in_file[kind][key] = number
            continue
        if duplicate is not None:
            preview.duplicates.append(duplicate)
    preview.duplicates.extend(await _known_duplicates(session, member, matched))
    preview.duplicates.sort()
    return preview


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


async def apply_import(session: AsyncSession, preview: ImportPreview, now: datetime) -> int:
    """Write the new clients with bulk inserts in one nested transaction: all or nothing.

    Then the planner's idempotent sweep gives every new client its first touches, as
    create_client does for one.
    """
    async with session.begin_nested():
        for start in range(0, len(preview.new), BATCH):
            await _insert_batch(session, preview.owner_id, preview.new[start : start + BATCH], now)
        if preview.new:
            await planner.plan_all(session, now)
    return len(preview.new)


async def _insert_batch(
    session: AsyncSession, owner_id: int, rows: list[ImportRow], now: datetime
) -> None:
    client_values = []
    for item in rows:
        values: dict[str, object] = {
            "kind": item.kind,
            "name": item.name,
            "inn": item.inn,
            "industry": item.industry,
            "city": item.city,
            "timezone": item.timezone,
            "category": item.category,
            "stage": Stage.ACQUISITION,
            "owner_id": owner_id,
            "tags": item.tags,
            "notes": item.notes,
            "window_days": "01234",
            "observe_holidays": True,
            "is_active": True,
            "data_confirmed_at": now,
            "created_at": now,
            "updated_at": now,
        }
        if item.window is not None:
            values["window_start"] = datetime.fromisoformat(f"2000-01-01T{item.window[0]}").time()
            values["window_end"] = datetime.fromisoformat(f"2000-01-01T{item.window[1]}").time()
        client_values.append(values)
    ids = list(await session.scalars(insert(Client).returning(Client.id), client_values))
    contact_values = []
    with_contact: list[ImportRow] = []
    history_values = []
    for client_id, item in zip(ids, rows, strict=True):
        history_values.append(
            {
                "client_id": client_id,
                "from_member_id": None,
                "to_member_id": owner_id,
                "from_stage": None,
                "to_stage": Stage.ACQUISITION,
                "by_member_id": owner_id,
                "at": now,
            }
        )
        contact_name = item.contact
        if contact_name is None and (item.phone or item.email):
            # A company without a named person: its number still needs a row, as /new keeps it.
            contact_name = item.name
        if contact_name is not None:
            with_contact.append(item)
            contact_values.append(
                {
                    "client_id": client_id,
                    "full_name": contact_name,
                    "position": item.position,
                    "phone": item.phone,
                    "email": item.email,
                    "extra_phones": [],
                    "channel_schedule": [],
                    "is_primary": True,
                    "created_at": now,
                }
            )
    await session.execute(insert(OwnerHistory), history_values)
    if not contact_values:
        return
    contact_ids = list(
        await session.scalars(insert(Contact).returning(Contact.id), contact_values)
    )
    people = {
        values["client_id"]: contact_id
        for values, contact_id, item in zip(contact_values, contact_ids, with_contact, strict=True)
        if item.contact is not None
    }
    date_values = [
        {
            "client_id": client_id,
            "contact_id": people[client_id],
            "kind": "birthday",
            "day": item.birthday[0],
            "month": item.birthday[1],
            "year": item.birthday[2],
            "created_at": now,
        }
        for client_id, item in zip(ids, rows, strict=True)
        if item.birthday is not None
    ]
    if date_values:
        await session.execute(insert(KeyDate), date_values)
