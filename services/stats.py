"""Team statistics over a period: what /team and /stats show, counted by SQL aggregates.

Periods are read by `services.periods.parse_period`: a run of calendar days named in the
viewer's calendar («сегодня» is the viewer's today).

Time zones. Each member's numbers count those days in the member's own time zone: for a
Novosibirsk manager Monday begins at midnight in Novosibirsk, for a Moscow one at midnight in
Moscow. «Overdue now» uses each member's own today and counts what the member's digest shows (a
data check riding along with the client's other touch is not a second one); the states at the
end of the period (key clients covered, stale records) are taken at the end of its last day in
the member's zone, or now when that is earlier. A touch is done on time when it is closed on or
before its due date in the calendar of the member it was planned for.

Who gets what. Interactions count for whoever logged them; done touches and congratulated
occasions for the member the touch was planned for; overdue touches, key clients, stale records
and new clients for the client's current owner. Forgotten (anonymised) clients keep counting in
interactions, touches and new clients, but are no longer part of the base.

SQL. Every number is a GROUP BY aggregate read from an index range: seven statements whatever
the team, each a UNION ALL of one SELECT per time zone the members live in, so every zone keeps
its own bounds. Only the local date of a timestamp differs between SQLite and PostgreSQL
(`local_day`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Row,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from models import Client, Interaction, Member, Touch
from models.enums import Category, Channel, Outcome, Role, TouchReason, TouchStatus
from services import names
from services.periods import Period, PeriodError, PeriodKind, looks_like_period, parse_period
from services.touches import OPEN_STATUSES, Policy, all_policies

TELEGRAM_LIMIT = 4096
# Room left in a message for the title and the tags around a <pre> table.
TABLE_BUDGET = TELEGRAM_LIMIT - 600
NAME_WIDTH = 11
MATCH_CUTOFF = 80.0
MAX_NAME_WORDS = 3
MAX_NAME_QUERY = 100
CHANNEL_ORDER = tuple(Channel)
COUNTERS = (
    "achieved", "partial", "on_time", "late", "overdue", "key_clients", "key_covered", "stale",
    "new_clients", "occasions",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Aggregates


class StatsAccessError(PermissionError):
    """A manager asked for somebody else's numbers, or for the team's."""


@dataclass
class MemberStats:
    """One member's numbers over a period (or the team's total, with no member id)."""

    member_id: int | None
    name: str
    channels: dict[Channel, int] = field(default_factory=dict)
    achieved: int = 0
    partial: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    key_clients: int = 0
    key_covered: int = 0
    stale: int = 0
    new_clients: int = 0
    occasions: int = 0

    @property
    def interactions(self) -> int:
        """Interactions logged in the period, every channel."""
        return sum(self.channels.values())

    @property
    def achieved_share(self) -> float | None:
        """Share of the period's interactions whose goal was achieved; None without any."""
        return self.achieved / self.interactions if self.interactions else None

    @property
    def partial_share(self) -> float | None:
        """Share of the period's interactions whose goal was achieved in part."""
        return self.partial / self.interactions if self.interactions else None

    @property
    def coverage(self) -> float | None:
        """Share of key clients contacted within their cadence; None without key clients."""
        return self.key_covered / self.key_clients if self.key_clients else None

    @property
    def has_activity(self) -> bool:
        """Whether anything happened in the period (states such as overdue touches aside)."""
        return bool(self.interactions or self.on_time or self.late or self.new_clients)

    @property
    def has_numbers(self) -> bool:
        """Whether any number is not zero, states included."""
        return self.has_activity or bool(self.overdue or self.key_clients or self.stale)

    def add(self, other: MemberStats) -> None:
        """Add another member's numbers (for the total)."""
        for channel, count in other.channels.items():
            self.channels[channel] = self.channels.get(channel, 0) + count
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class TeamReport:
    """The numbers of a period: one row per member, and the total."""

    period: Period
    rows: list[MemberStats]
    total: MemberStats

    @property
    def is_empty(self) -> bool:
        """Nothing happened in the period."""
        return not self.total.has_activity


def local_day(dialect: str, moment: Any, zone: str, offset: timedelta) -> ColumnElement[Any]:
    """The calendar date of a stored UTC timestamp in a zone, in SQL.

    PostgreSQL converts with the zone's rules; SQLite, which knows no zones, shifts by the
    zone's offset at the end of the period (Russia keeps no summer time, so it is exact there).
    """
    if dialect == "postgresql":
        return cast(func.timezone(zone, moment), Date)
    minutes = int(offset.total_seconds() // 60)
    return func.date(moment, f"{minutes:+d} minutes")


@dataclass
class _Zone:
    """The period as seen from one time zone, and the members who live there."""

    name: str
    member_ids: list[int]
    start: datetime
    end: datetime
    at: datetime
    today: date

    @classmethod
    def of(cls, name: str, member_ids: list[int], period: Period, now: datetime) -> _Zone:
        zone = ZoneInfo(name)
        start, end = period.bounds(zone)
        return cls(name, member_ids, start, end, min(now, end), now.astimezone(zone).date())


# Rows of any shape: each aggregate unpacks its own.
_AnySelect = Select[*tuple[Any, ...]]
_AnyRow = Row[*tuple[Any, ...]]


class _Collector:
    """Runs each aggregate once for all zones (a UNION ALL of one SELECT per zone, so every
    zone keeps its own period bounds and index ranges) and files the rows under members."""

    def __init__(
        self,
        session: AsyncSession,
        policies: dict[Category, Policy],
        stats: dict[int, MemberStats],
    ) -> None:
        self.session = session
        self.policies = policies
        self.stats = stats
        self.dialect = session.get_bind().dialect.name

    async def collect(self, zones: Sequence[_Zone]) -> None:
        await self._interactions(zones)
        await self._done_touches(zones)
        await self._overdue(zones)
        await self._base(zones)

    async def _rows(self, selects: Sequence[_AnySelect]) -> Sequence[_AnyRow]:
        statement = selects[0] if len(selects) == 1 else union_all(*selects)
        return (await self.session.execute(statement)).all()

    async def _interactions(self, zones: Sequence[_Zone]) -> None:
        # One row per member, not per (member, channel, outcome): the index is read in member
        # order with no sort, and Python files 500 rows instead of thousands.
        rows = await self._rows(
            [
                select(
                    Interaction.member_id,
                    func.sum(case((Interaction.outcome == Outcome.ACHIEVED, 1), else_=0)),
                    func.sum(case((Interaction.outcome == Outcome.PARTIAL, 1), else_=0)),
                    *(
                        func.sum(case((Interaction.channel == channel, 1), else_=0))
                        for channel in CHANNEL_ORDER
                    ),
                )
                .where(
                    Interaction.member_id.in_(zone.member_ids),
                    Interaction.happened_at >= zone.start,
                    Interaction.happened_at < zone.end,
                )
                .group_by(Interaction.member_id)
                for zone in zones
            ]
        )
        for member_id, achieved, partial, *by_channel in rows:
            row = self.stats[member_id]
            row.achieved += int(achieved or 0)
            row.partial += int(partial or 0)
            for channel, count in zip(CHANNEL_ORDER, by_channel, strict=True):
                if count:
                    row.channels[channel] = row.channels.get(channel, 0) + int(count)

    def _done_in(self, zone: _Zone) -> _AnySelect:
        offset = zone.at.astimezone(ZoneInfo(zone.name)).utcoffset() or timedelta(0)
        closed_on = local_day(self.dialect, Touch.closed_at, zone.name, offset)
        return (
            select(
                Touch.member_id,
                func.count(),
                func.sum(case((closed_on <= Touch.due_on, 1), else_=0)),
                func.sum(case((Touch.reason == TouchReason.OCCASION, 1), else_=0)),
            )
            .where(
                Touch.member_id.in_(zone.member_ids),
                Touch.status == TouchStatus.DONE,
                Touch.closed_at >= zone.start,
                Touch.closed_at < zone.end,
            )
            .group_by(Touch.member_id)
        )

    async def _done_touches(self, zones: Sequence[_Zone]) -> None:
        for member_id, done, on_time, occasions in await self._rows(
            [self._done_in(zone) for zone in zones]
        ):
            row = self.stats[member_id]
            row.on_time += int(on_time or 0)
            row.late += int(done) - int(on_time or 0)
            row.occasions += int(occasions or 0)

    def _overdue_in(self, zone: _Zone) -> _AnySelect:
        # The count the manager sees is the one that counts: their digest shows a «проверить
        # данные» check riding along with another touch of its client due by today as that one
        # item (`digest.fold_data_checks`), not as two. So per client: its overdue touches, its
        # overdue checks, and whether anything else of it is due by today to carry them.
        check = Touch.reason == TouchReason.STALE_DATA
        late = Touch.due_on < zone.today
        clients = (
            select(
                Touch.member_id.label("member_id"),
                func.sum(case((and_(~check, late), 1), else_=0)).label("touches"),
                func.sum(case((and_(check, late), 1), else_=0)).label("checks"),
                func.max(case((check, 0), else_=1)).label("carried"),
            )
            # Open touches follow their client on handover, so the touch's member is the
            # owner; starting from the touches reads the (member, status, due) index alone.
            .join(Client, and_(Client.id == Touch.client_id, Client.owner_id == Touch.member_id))
            .where(
                Touch.member_id.in_(zone.member_ids),
                Client.is_active.is_(True),
                Client.forgotten_at.is_(None),
                Touch.status.in_(OPEN_STATUSES),
                Touch.due_on <= zone.today,
            )
            .group_by(Touch.member_id, Touch.client_id)
            .subquery()
        )
        shown_checks = case((clients.c.carried == 1, 0), else_=clients.c.checks)
        return select(clients.c.member_id, func.sum(clients.c.touches + shown_checks)).group_by(
            clients.c.member_id
        )

    async def _overdue(self, zones: Sequence[_Zone]) -> None:
        for owner_id, count in await self._rows([self._overdue_in(zone) for zone in zones]):
            self.stats[owner_id].overdue += int(count or 0)

    # The base at the end of the period. Each count is its own index range, (owner, category,
    # is_active, forgotten_at, created_at, data_confirmed_at) or (owner, created_at), with plain
    # comparisons: one pass evaluating every condition on every client cost twice as much.

    @staticmethod
    def _in_base(zone: _Zone, category: Category) -> ColumnElement[bool]:
        return and_(
            Client.owner_id.in_(zone.member_ids),
            Client.category == category,
            Client.is_active.is_(True),
            Client.forgotten_at.is_(None),
            Client.created_at < zone.at,
        )

    async def _count_clients(
        self, counter: str, conditions: Iterable[Sequence[ColumnElement[bool]]]
    ) -> None:
        """Clients per owner meeting each set of conditions, added to one counter."""
        rows = await self._rows(
            [
                select(Client.owner_id, func.count()).where(*where).group_by(Client.owner_id)
                for where in conditions
            ]
        )
        for owner_id, count in rows:
            row = self.stats[owner_id]
            setattr(row, counter, getattr(row, counter) + int(count))

    async def _base(self, zones: Sequence[_Zone]) -> None:
        key = Category.KEY
        cadence = timedelta(days=self.policies[key].cadence_days)
        await self._count_clients("key_clients", ([self._in_base(zone, key)] for zone in zones))
        # A SELECT per category, not an OR of them: SQLite then seeks each category's range
        # (an OR made it scan every client, four times slower).
        await self._count_clients(
            "stale",
            (
                [
                    self._in_base(zone, category),
                    Client.data_confirmed_at < zone.at - timedelta(days=policy.reverify_days),
                ]
                for zone in zones
                for category, policy in self.policies.items()
            ),
        )
        await self._count_clients(
            "new_clients",
            (
                [
                    Client.owner_id.in_(zone.member_ids),
                    Client.created_at >= zone.start,
                    Client.created_at < zone.end,
                ]
                for zone in zones
            ),
        )
        await self._count_clients(
            "key_covered",
            (
                [
                    self._in_base(zone, key),
                    exists().where(
                        Interaction.client_id == Client.id,
                        Interaction.happened_at >= zone.at - cadence,
                        Interaction.happened_at < zone.at,
                    ),
                ]
                for zone in zones
            ),
        )


async def team_report(
    session: AsyncSession,
    viewer: Member,
    period: Period,
    now: datetime,
    *,
    member_ids: Collection[int] | None = None,
) -> TeamReport:
    """The period's numbers per member and in total.

    A head sees the whole team (active managers, and anyone else with a number that isn't zero)
    or the members asked for; a manager only themselves, else StatsAccessError.
    """
    if viewer.role is not Role.HEAD and (member_ids is None or set(member_ids) != {viewer.id}):
        raise StatsAccessError("statistics of others are for heads")
    query = select(Member).order_by(Member.full_name, Member.id)
    if member_ids is not None:
        query = query.where(Member.id.in_(list(member_ids)))
    members = list(await session.scalars(query))
    stats = {member.id: MemberStats(member.id, member.full_name) for member in members}
    by_zone: dict[str, list[int]] = {}
    for member in members:
        by_zone.setdefault(member.timezone, []).append(member.id)
    collector = _Collector(session, await all_policies(session), stats)
    if by_zone:
        await collector.collect(
            [_Zone.of(name, ids, period, now) for name, ids in sorted(by_zone.items())]
        )
    rows = [
        stats[member.id]
        for member in members
        if member_ids is not None
        or (member.is_active and member.role is Role.MANAGER)
        or stats[member.id].has_numbers
    ]
    rows.sort(key=lambda row: (row.name.casefold(), row.member_id or 0))
    total = MemberStats(None, "")
    for row in rows:
        total.add(row)
    return TeamReport(period, rows, total)


async def open_now(
    session: AsyncSession,
    viewer: Member,
    report: TeamReport,
    today: date,
    now: datetime,
    *,
    member_ids: Collection[int] | None = None,
) -> TeamReport:
    """What is open now (overdue touches, stale records) for a period's members: the report
    itself when its period reaches today, else today's."""
    if report.period.last >= today:
        return report
    today_only = Period(today, today, PeriodKind.DAY)
    return await team_report(session, viewer, today_only, now, member_ids=member_ids)


# ---------------------------------------------------------------------------------------------
# Members by name


_LATIN: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
# Spellings passports and people use besides the one above: Dmitry, Sergei, Iuliia, Khabarov.
_LATIN_VARIANTS = (
    ((re.compile(r"ий\b"), "y"), (re.compile(r"ей\b"), "ei")),
    ((re.compile(r"й"), "i"), (re.compile(r"ю"), "iu"), (re.compile(r"я"), "ia")),
    ((re.compile(r"х"), "h"), (re.compile(r"ю"), "ju"), (re.compile(r"я"), "ja"),
     (re.compile(r"й"), "j")),
)  # fmt: skip
_LATIN_LETTER = re.compile(r"[a-z]")


def latin_spellings(name: str) -> list[str]:
    """A Cyrillic name as English speakers type it: «Дмитрий» → dmitriy, dmitry, dmitrii…"""
    folded = name.casefold().replace("ё", "е")
    spellings: list[str] = []
    for variant in ((), *_LATIN_VARIANTS):
        text = folded
        for pattern, latin in variant:
            text = pattern.sub(latin, text)
        spelled = "".join(_LATIN.get(char, char) for char in text)
        if spelled not in spellings:
            spellings.append(spelled)
    return spellings


def _similarity(query: str, person: Member) -> float:
    """How well a typed name names a member; a Latin query is also read against the name's
    Latin spellings (names are stored in Cyrillic, an English-speaking head types «Anna»)."""
    score = names.name_similarity(query, person.full_name)
    if _LATIN_LETTER.search(query.casefold()):
        score = max(
            [
                score,
                *(
                    names.name_similarity(query, latin)
                    for latin in latin_spellings(person.full_name)
                ),
            ]
        )
    return score


def match_members(query: str, members: Iterable[Member]) -> list[Member]:
    """Members a typed name points at, best first: «Анна», «Анну», «Кузнецова», «@anna_k»,
    «Anna Kuznetsova».

    An exact hit on a name or @username wins alone; otherwise every member scoring as well as the
    best one (so two Анны both come back, and the caller asks which).
    """
    query = query[:MAX_NAME_QUERY]
    wanted = query.strip().lstrip("@").casefold()
    if not wanted:
        return []
    people = list(members)
    exact = [
        person
        for person in people
        if wanted in {person.full_name.casefold(), (person.username or "").casefold()}
    ]
    if exact:
        return exact
    scored = [(_similarity(query, person), person) for person in people]
    scored = [(score, person) for score, person in scored if score >= MATCH_CUTOFF]
    if not scored:
        return []
    best = max(score for score, _ in scored)
    return [person for score, person in scored if score >= best - 1.0]


@dataclass(frozen=True)
class StatsRequest:
    """What `/stats <text>` asks for: whose numbers and for which period.

    `name` is the part taken as a member's name ("" for one's own numbers) and `members` whom it
    matches (none: nobody by that name). `period` is None when the period part can't be read:
    then `error` says why, about `period_text`.
    """

    name: str
    members: list[Member]
    period: Period | None
    period_text: str = ""
    error: PeriodError | None = None


def _period_or_error(text: str, today: date) -> Period | PeriodError:
    try:
        return parse_period(text, today)
    except PeriodError as error:
        return error


def _ends(words: Sequence[str], size: int) -> tuple[tuple[str, str], tuple[str, str]]:
    """The first `size` words and the rest, then the last `size` words and the rest."""
    return (
        (" ".join(words[:size]), " ".join(words[size:])),
        (" ".join(words[-size:]), " ".join(words[:-size])),
    )


def read_stats_request(text: str, today: date, members: Sequence[Member]) -> StatsRequest:
    """`/stats Анна Кузнецова квартал`, `/stats прошлый месяц Сергея`, `/stats Анну кватрал`:
    a member's name (one to three words, any case form, misspelled, in Latin letters) at one
    end, a period at the other, either one left out."""
    text = " ".join(text.split())
    whole = _period_or_error(text, today)
    if isinstance(whole, Period):
        return StatsRequest("", [], whole, text)
    words = text.split()
    # Every way to cut a name off one end, longest first; the rest is the period.
    named: list[tuple[str, list[Member], str, Period | PeriodError]] = [
        (name, found, rest, _period_or_error(rest, today))
        for size in range(min(MAX_NAME_WORDS, len(words) - 1), 0, -1)
        for name, rest in _ends(words, size)
        if (found := match_members(name, members))
    ]
    for name, found, rest, period in named:
        if isinstance(period, Period):
            return StatsRequest(name, found, period, rest)
    if found := match_members(text, members):
        return StatsRequest(text, found, parse_period("", today))
    for name, found, rest, period in named:
        if isinstance(period, PeriodError):  # Someone named, then no period: say so.
            return StatsRequest(name, found, None, rest, period)
    # Nobody by that name: a period at one end still tells the name apart.
    for size in range(len(words) - 1, 0, -1):
        for rest, name in _ends(words, size)[::-1]:
            period = _period_or_error(rest, today)
            if isinstance(period, Period):
                return StatsRequest(name, [], period, rest)
    if looks_like_period(text):
        return StatsRequest("", [], None, text, whole)
    return StatsRequest(text, [], None)


# ---------------------------------------------------------------------------------------------
# Text


def short_name(full_name: str) -> str:
    """«Дмитрий Орлов» → «Дмитрий О.», at most NAME_WIDTH characters («Констан. К.»)."""
    words = full_name.split()
    if not words:
        return "?"
    if len(words) == 1:
        return words[0] if len(words[0]) <= NAME_WIDTH else words[0][: NAME_WIDTH - 1] + "…"
    first, initial = words[0], f" {words[1][0]}."
    if len(first) + len(initial) > NAME_WIDTH:
        first = first[: NAME_WIDTH - len(initial) - 1] + "."
    return first + initial


def row_labels(rows: Sequence[MemberStats]) -> list[str]:
    """Short names for table rows and chart bars; namesakes («Анна К.» twice) get more."""
    labels = [short_name(row.name) for row in rows]
    seen: dict[str, int] = {}
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
    return [
        label if seen[label] == 1 else row.name[: NAME_WIDTH + 5]
        for label, row in zip(labels, rows, strict=True)
    ]


def percent(share: float | None) -> str:
    """«58%», or «—» when there is nothing to divide."""
    return "—" if share is None else f"{round(share * 100)}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lines of a monospace table: the first column left-aligned, numbers right-aligned."""
    widths = [max(len(str(cells[i])) for cells in (header, *rows)) for i in range(len(header))]
    lines = []
    for cells in (header, *rows):
        first = str(cells[0]).ljust(widths[0])
        rest = " ".join(
            str(cell).rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)
        )
        lines.append(f"{first} {rest}".rstrip())
    return lines


def _pre(lines: Sequence[str]) -> str:
    escaped = "\n".join(html.escape(line, quote=False) for line in lines)
    return f"<pre>{escaped}</pre>"


def _pre_blocks(lines: list[str]) -> list[str]:
    """A table as one <pre> block, or several (the header repeated) when too long for one."""
    header, body = lines[0], lines[1:]
    blocks: list[str] = []
    chunk: list[str] = []
    size = len(header)
    for line in body:
        if chunk and size + len(line) + 1 > TABLE_BUDGET:
            blocks.append(_pre([header, *chunk]))
            chunk, size = [], len(header)
        chunk.append(line)
        size += len(line) + 1
    blocks.append(_pre([header, *chunk]))
    return blocks


def pack(blocks: Iterable[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Blocks joined into messages of at most `limit` characters, never splitting a block."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        if current and len(current) + 2 + len(block) > limit:
            messages.append(current)
            current = block
        else:
            current = f"{current}\n\n{block}" if current else block
    if current:
        messages.append(current)
    return messages


def render_team(report: TeamReport, tr: Translator, title: str) -> list[str]:
    """The /team text: three narrow tables (channels, goals and plan, the base) and a legend."""
    rows = list(report.rows)
    labelled = list(zip(row_labels(rows), rows, strict=True))
    if len(rows) > 1:
        labelled.append((tr("stats.total"), report.total))
    used = [channel for channel in CHANNEL_ORDER if report.total.channels.get(channel)]
    channels = _table(
        [tr("stats.col_name"), tr("stats.col_all"), *(tr(f"stats.abbr_{c.value}") for c in used)],
        [
            [name, str(row.interactions), *(str(row.channels.get(c, 0)) for c in used)]
            for name, row in labelled
        ],
    )
    results = _table(
        [
            tr("stats.col_name"),
            tr("stats.col_achieved"),
            tr("stats.col_partial"),
            tr("stats.col_on_time"),
            tr("stats.col_late"),
            tr("stats.col_overdue"),
        ],
        [
            [
                name,
                percent(row.achieved_share),
                percent(row.partial_share),
                str(row.on_time),
                str(row.late),
                str(row.overdue),
            ]
            for name, row in labelled
        ],
    )
    base = _table(
        [
            tr("stats.col_name"),
            tr("stats.col_key"),
            tr("stats.col_stale"),
            tr("stats.col_new"),
            tr("stats.col_occasions"),
        ],
        [
            [
                name,
                f"{row.key_covered}/{row.key_clients}" if row.key_clients else "—",
                str(row.stale),
                str(row.new_clients),
                str(row.occasions),
            ]
            for name, row in labelled
        ],
    )
    blocks = [title]
    for section, lines in (("channels", channels), ("results", results), ("base", base)):
        first, *more = _pre_blocks(lines)
        blocks += [f"{tr(f'stats.section_{section}')}\n{first}", *more]
    legend = ", ".join(
        f"{tr(f'stats.abbr_{channel.value}')} — {tr(f'stats.abbr_{channel.value}_full')}"
        for channel in used
    )
    blocks.append(tr("stats.legend", channels=legend) if legend else tr("stats.legend_short"))
    return pack(blocks)


def render_member(row: MemberStats, tr: Translator, title: str) -> str:
    """The /stats text for one member: a label and a value per line, channels indented."""
    lines: list[tuple[str, str]] = [(tr("stats.line_interactions"), str(row.interactions))]
    lines += [
        ("  " + tr(f"stats.abbr_{channel.value}_full"), str(row.channels[channel]))
        for channel in CHANNEL_ORDER
        if row.channels.get(channel)
    ]
    coverage = (
        tr("stats.value_coverage", covered=row.key_covered, total=row.key_clients,
           share=percent(row.coverage))
        if row.key_clients
        else "—"
    )  # fmt: skip
    lines += [
        (tr("stats.line_achieved"), percent(row.achieved_share)),
        (tr("stats.line_partial"), percent(row.partial_share)),
        (tr("stats.line_on_time"), str(row.on_time)),
        (tr("stats.line_late"), str(row.late)),
        (tr("stats.line_overdue"), str(row.overdue)),
        (tr("stats.line_key"), coverage),
        (tr("stats.line_stale"), str(row.stale)),
        (tr("stats.line_new"), str(row.new_clients)),
        (tr("stats.line_occasions"), str(row.occasions)),
    ]
    width = max(len(label) for label, _ in lines)
    value_width = max(len(value) for _, value in lines)
    table = [f"{label.ljust(width)}  {value.rjust(value_width)}" for label, value in lines]
    return f"{title}\n{_pre(table)}"


def render_empty_team(report: TeamReport, tr: Translator, title: str) -> list[str]:
    """A period with no activity: its line, then what is open now per manager, if anything."""
    rows = [row for row in report.rows if row.overdue or row.stale]
    if not rows:
        return [title]
    labelled = list(zip(row_labels(rows), rows, strict=True))
    if len(rows) > 1:
        labelled.append((tr("stats.total"), report.total))
    table = _table(
        [tr("stats.col_name"), tr("stats.col_overdue"), tr("stats.col_stale")],
        [[name, str(row.overdue), str(row.stale)] for name, row in labelled],
    )
    first, *more = _pre_blocks(table)
    return pack([title, f"{tr('stats.open_now_team')}\n{first}", *more])


def render_empty_member(row: MemberStats, tr: Translator, title: str) -> str:
    """One member's period with no activity: its line, then their overdue touches and stale
    records now, if any."""
    if not (row.overdue or row.stale):
        return title
    lines = [
        (tr("stats.line_overdue"), str(row.overdue)),
        (tr("stats.line_stale"), str(row.stale)),
    ]
    width = max(len(label) for label, _ in lines)
    table = [f"{label.ljust(width)}  {value}" for label, value in lines]
    return f"{title}\n\n{tr('stats.open_now_member')}\n{_pre(table)}"
