"""Export of the team's base to .xlsx for heads: sheets per block, formula-safe, signed."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator, translator
from models import Member
from models.clients import Client, Contact, Deal, KeyDate
from models.enums import (
    Category,
    Channel,
    ClientKind,
    Direction,
    Outcome,
    Role,
    Stage,
    TouchReason,
    TouchStatus,
)
from models.interactions import Interaction
from models.planner import Touch
from services import audit, team
from services.geo import describe_offset
from services.person_names import gender_of
from services.planner import EVENT_CANCELLED
from services.validation import format_weekdays

# Strings a spreadsheet would read as a formula when typed (CSV/DDE injection). In .xlsx a
# string cell is text and never evaluated; only openpyxl itself turns a string starting with
# «=» into a formula, so such cells are stored explicitly as strings. All of these get Excel's
# quote prefix (shown only in the formula bar), so editing the cell keeps it text: «+7910…»
# stays a phone, «=HYPERLINK(…)» never becomes a link.
FORMULA_STARTS = ("=", "+", "-", "@")
HEADER_FONT = Font(bold=True)
FILTER_ARROW = 3
MIN_WIDTH = 8
MAX_WIDTH = 50
DATETIME_FORMAT = "dd.mm.yyyy hh:mm"
DATE_FORMAT = "dd.mm.yyyy"
MONEY_FORMAT = "#,##0.00"


class ExportDeniedError(Exception):
    """Only heads export the base."""


@dataclass(frozen=True)
class ExportResult:
    """The workbook, its file name, how many clients it holds and whom to tell about it."""

    content: bytes
    filename: str
    clients: int
    heads_to_notify: list[Member]
    # The audit entry of the export: it names the notices about it.
    record_id: int


def safe_cell(value: object) -> object:
    """A value a worksheet can hold, as the member typed it, less the control characters."""
    if value is None:
        return None
    if isinstance(value, bool | int | float | Decimal | datetime | date | time):
        return value
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    # Control characters a member typed (a client named «Ромашка\x07») can't go into a
    # worksheet: openpyxl refuses the whole export over one of them.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _append(sheet: Worksheet, values: Iterable[object]) -> list[object]:
    cells = [safe_cell(value) for value in values]
    sheet.append(cells)
    row = sheet.max_row
    for column, value in enumerate(cells, start=1):
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = sheet.cell(row=row, column=column)
            cell.data_type = "s"
            cell.quotePrefix = True
        elif isinstance(value, datetime):
            sheet.cell(row=row, column=column).number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            sheet.cell(row=row, column=column).number_format = DATE_FORMAT
        elif isinstance(value, Decimal):
            sheet.cell(row=row, column=column).number_format = MONEY_FORMAT
    return cells


def _width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return len(f"{value:,.2f}")
    if isinstance(value, datetime):
        return len("00.00.0000 00:00")
    if isinstance(value, date):
        return len("00.00.0000")
    return max(len(line) for line in str(value).splitlines() or [""])


class _Widths:
    """The widest value seen per column, for columns a head can read without dragging them."""

    def __init__(self) -> None:
        self.widest: dict[int, int] = {}

    def see(self, cells: list[object], *, header: bool = False) -> None:
        """Widen columns to fit a row; a header also needs room for the filter's arrow."""
        for column, value in enumerate(cells, start=1):
            width = _width(value) + (FILTER_ARROW if header else 0)
            self.widest[column] = max(self.widest.get(column, 0), width)

    def apply(self, sheet: Worksheet) -> None:
        """Set the widths, a little wider than the text and never wider than a screen's third."""
        for column, width in self.widest.items():
            letter = get_column_letter(column)
            sheet.column_dimensions[letter].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)


def _header(sheet: Worksheet, titles: list[str], widths: _Widths) -> None:
    widths.see(_append(sheet, titles), header=True)
    for cell in sheet[sheet.max_row]:
        cell.font = HEADER_FONT


class Labels:
    """The bot's own words for the codes the base stores, in the head's language."""

    def __init__(self, tr: Translator) -> None:
        self.tr = tr

    def _word(self, key: str) -> str:
        # The catalogs' labels carry emoji for chat buttons («✅ Цель достигнута»); a cell wants
        # the words alone, starting with a capital letter like the rest of the sheet.
        text = re.sub(r"^[^\w]+", "", self.tr(key))
        return text[:1].upper() + text[1:]

    def kind(self, value: ClientKind) -> str:
        """«Компания» / «Частное лицо»."""
        return self._word(f"clients.kind_line_{value.value}")

    def category(self, value: Category) -> str:
        """«Ключевой», «Постоянный»…"""
        return self._word(f"clients.category_{value.value}")

    def stage(self, value: Stage) -> str:
        """«Привлечение», «Продажа», «Сопровождение»."""
        return self._word(f"clients.stage_{value.value}")

    def channel(self, value: Channel | None) -> str | None:
        """«Звонок», «E-mail», «WhatsApp»…"""
        return None if value is None else self._word(f"clients.channel.{value.value}")

    def direction(self, value: Direction) -> str:
        """«Исходящий» / «Входящий»."""
        return self._word(f"logging.direction.{value.value}")

    def outcome(self, value: Outcome) -> str:
        """«Цель достигнута», «Не дозвонился»…"""
        return self._word(f"logging.outcome.{value.value}")

    def date_kind(self, value: str) -> str:
        """«День рождения», «Годовщина»…; a kind the bot has no word for stays as it is."""
        key = f"client_edit.date_kind_{value}"
        return self._word(key) if self.tr.has(key) else value

    def reason(self, value: TouchReason) -> str:
        """Why a touch was planned: «По графику», «Повод»…"""
        return self.tr(f"export.reason_{value.value}")

    def status(self, value: TouchStatus, skip_reason: str | None = None) -> str:
        """«Запланировано», «Сделано»…; an invitation closed with its event «Отменено — событие
        отменено», not «Пропущено»: nobody skipped it."""
        if value is TouchStatus.SKIPPED and skip_reason == EVENT_CANCELLED:
            return self.tr("export.status_event_cancelled")
        return self.tr(f"export.status_{value.value}")

    def channel_schedule(self, entries: list[dict[str, Any]]) -> str | None:
        """A channel by time of day as on the card: «с 14:00 — WhatsApp»."""
        parts = []
        for entry in entries:
            key = f"clients.channel.{entry.get('channel', '')}"
            if self.tr.has(key) and entry.get("from"):
                parts.append(
                    self.tr("clients.channel_from", time=entry["from"], channel=self.tr(key))
                )
        return "; ".join(parts) or None

    def deal_stage(self, value: str) -> str:
        """«Переговоры», «Счёт выставлен»…; a stage the bot has no word for stays as it is."""
        key = f"clients.deal_stage.{value}"
        return self._word(key) if self.tr.has(key) else value

    def holidays(self, observe: bool) -> str:
        """«Не звонить в праздники» / «Звонить и в праздники»."""
        return self._word(f"client_edit.value_observe_holidays_{'yes' if observe else 'no'}")

    def days(self, value: str | None) -> str | None:
        """Week days as people write them: «пн–пт», «пн, ср, пт»."""
        return format_weekdays(value, self.tr.language) if value else None

    def yes_no(self, value: bool) -> str:
        """«Да» / «Нет»."""
        return self.tr("common.yes" if value else "common.no")


class LocalTime:
    """Moments as the head's wall clock shows them: Excel cells carry no time zone."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def at(self, moment: datetime) -> datetime:
        """The moment in the head's zone, to the second, without tzinfo (Excel has none)."""
        return moment.astimezone(self.zone).replace(tzinfo=None, microsecond=0)

    def __call__(self, moment: datetime | None) -> datetime | None:
        """The same for a moment that may be missing."""
        return None if moment is None else self.at(moment)


def _sheet(book: Workbook, title: str, header: list[str], rows: Iterable[list[object]]) -> None:
    sheet = book.create_sheet(title)
    widths = _Widths()
    _header(sheet, header, widths)
    for row in rows:
        widths.see(_append(sheet, row))
    widths.apply(sheet)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def _window(start: time | None, end: time | None) -> str | None:
    return f"{start:%H:%M}–{end:%H:%M}" if start is not None and end is not None else None


async def export_workbook(session: AsyncSession, member: Member, now: datetime) -> ExportResult:
    """Build the workbook of every client not erased, record the export, list other heads."""
    if member.role is not Role.HEAD:
        raise ExportDeniedError
    label = Labels(translator(member.language))
    zone = ZoneInfo(member.timezone)
    local = LocalTime(zone)
    owners = {m.id: m.full_name for m in await team.list_members(session)}
    clients = list(
        await session.scalars(
            select(Client).where(Client.forgotten_at.is_(None)).order_by(Client.id)
        )
    )
    client_ids = {client.id for client in clients}
    names = {client.id: client.name for client in clients}
    contacts = [
        c
        for c in await session.scalars(select(Contact).order_by(Contact.id))
        if c.client_id in client_ids
    ]
    contact_names = {contact.id: contact.full_name for contact in contacts}
    dates = [
        d
        for d in await session.scalars(select(KeyDate).order_by(KeyDate.id))
        if d.client_id in client_ids
    ]
    interactions = [
        i
        for i in await session.scalars(select(Interaction).order_by(Interaction.happened_at))
        if i.client_id in client_ids
    ]
    touches = [
        t
        for t in await session.scalars(select(Touch).order_by(Touch.due_on))
        if t.client_id in client_ids
    ]
    deals = list(
        await session.scalars(
            select(Deal)
            .join(Client, Client.id == Deal.client_id)
            .where(Client.forgotten_at.is_(None))
            .order_by(Deal.client_id, Deal.id)
        )
    )

    tr = label.tr

    def titles(*keys: str) -> list[str]:
        return [tr(f"export.col_{key}") for key in keys]

    book = Workbook()
    default = book.active
    if default is not None:
        book.remove(default)
    _sheet(
        book,
        tr("export.sheet_clients"),
        titles("id", "client", "kind", "inn", "city", "timezone", "industry", "category",
               "stage", "owner", "tags", "preferences", "window", "days", "holidays", "notes",
               "confirmed", "created", "active"),
        (
            [c.id, c.name, label.kind(c.kind), c.inn, c.city, c.timezone, c.industry,
             label.category(c.category), label.stage(c.stage), owners.get(c.owner_id), c.tags,
             c.preferences, _window(c.window_start, c.window_end), label.days(c.window_days),
             label.holidays(c.observe_holidays), c.notes, local(c.data_confirmed_at),
             local(c.created_at), label.yes_no(c.is_active)]
            for c in clients
        ),
    )  # fmt: skip
    _sheet(
        book,
        tr("export.sheet_contacts"),
        titles("id", "client_id", "client", "full_name", "position", "phone", "extra_phones",
               "email", "telegram", "whatsapp", "preferred_channel", "channel_schedule",
               "work_schedule", "contact_window", "contact_days", "hobbies", "favourite_team",
               "notes", "primary"),
        (
            [p.id, p.client_id, names[p.client_id], p.full_name, p.position, p.phone,
             p.extra_phones, p.email, p.telegram, p.whatsapp, label.channel(p.preferred_channel),
             label.channel_schedule(p.channel_schedule), p.work_schedule,
             _window(p.window_start, p.window_end), label.days(p.window_days), p.hobbies,
             p.favourite_team, p.notes, label.yes_no(p.is_primary)]
            for p in contacts
        ),
    )  # fmt: skip
    _sheet(
        book,
        tr("export.sheet_dates"),
        titles("client_id", "client", "contact_id", "contact", "date_kind", "relation", "person",
               "title", "day", "month", "year"),
        (
            [d.client_id, names[d.client_id], d.contact_id, contact_names.get(d.contact_id or 0),
             label.date_kind(d.kind), d.relation, d.person_name, d.title, d.day, d.month, d.year]
            for d in dates
        ),
    )  # fmt: skip
    _sheet(
        book,
        tr("export.sheet_interactions"),
        titles("when", "client_id", "client", "contact", "member", "channel", "direction",
               "goal", "result", "outcome", "notes", "next_step", "next_touch"),
        (
            [local(i.happened_at), i.client_id, names[i.client_id],
             contact_names.get(i.contact_id or 0),
             owners.get(i.member_id), label.channel(i.channel), label.direction(i.direction),
             i.goal, i.result, label.outcome(i.outcome), i.notes, i.next_step, i.next_touch_on]
            for i in interactions
        ),
    )  # fmt: skip
    _sheet(
        book,
        tr("export.sheet_touches"),
        titles("due", "client", "contact", "member", "goal", "reason", "status", "closed"),
        (
            [t.due_on, names[t.client_id], contact_names.get(t.contact_id or 0),
             owners.get(t.member_id), t.goal, label.reason(t.reason),
             label.status(t.status, t.skip_reason), local(t.closed_at)]
            for t in touches
        ),
    )  # fmt: skip
    _sheet(
        book,
        tr("export.sheet_deals"),
        titles("client_id", "client", "deal", "deal_stage", "amount", "goods_location", "paid",
               "deal_created", "updated"),
        (
            [d.client_id, names[d.client_id], d.title, label.deal_stage(d.stage), d.amount,
             d.goods_location, label.yes_no(d.is_paid), local(d.created_at), local(d.updated_at)]
            for d in deals
        ),
    )  # fmt: skip
    at = local.at(now)
    offset = describe_offset(zone, now, tr.language)
    note = book.create_sheet(tr("export.sheet_note"))
    widths = _Widths()
    for line in (
        [tr("export.note_by", gender=gender_of(member.full_name)), member.full_name],
        [tr("export.note_at"), at],
        [
            tr("export.note_zone"),
            tr("export.note_zone_value", zone=member.timezone, offset=offset),
        ],
        [tr("export.note_clients"), len(clients)],
    ):
        widths.see(_append(note, line))
        note.cell(row=note.max_row, column=1).font = HEADER_FONT
    widths.apply(note)
    book.properties.creator = member.full_name
    book.properties.lastModifiedBy = member.full_name
    # The file's properties are UTC by the format's definition (written with «Z»).
    book.properties.created = now.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    book.properties.modified = book.properties.created
    book.properties.title = tr("export.title", name=member.full_name, when=f"{at:%d.%m.%Y %H:%M}")
    buffer = io.BytesIO()
    book.save(buffer)

    entry = await audit.record(
        session, member=member, action="export", now=now, clients=len(clients)
    )
    heads = [head for head in await team.active_heads(session) if head.id != member.id]
    return ExportResult(
        content=buffer.getvalue(),
        filename=f"touchbase-{at:%Y-%m-%d-%H%M}.xlsx",
        clients=len(clients),
        heads_to_notify=heads,
        record_id=entry.id,
    )
