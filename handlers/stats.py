"""/team (heads) and /stats: the numbers of a period as text tables and a chart.

`/team [period]` shows every manager and the total; `/stats [period]` shows the member their own
numbers, and `/stats <name> [period]` shows a head one member. A manager asking for the team or
for a colleague is refused politely; a period that can't be read gets examples.
"""

from __future__ import annotations

import asyncio
import calendar
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from handlers.common import esc, is_head
from models import Member
from models.enums import Channel
from services import charts, periods, stats, team
from services.clock import Clock
from services.digest import local_today

router = Router(name=__name__)


def period_label(tr: Translator, period: periods.Period) -> str:
    """«ноябрь 2026», «18 ноября 2026», «16–18 ноября 2026», «28 октября – 3 ноября 2026»."""
    first, last = period.first, period.last
    whole_month = first.day == 1 and last.day == calendar.monthrange(last.year, last.month)[1]
    if whole_month and (first.year, first.month) == (last.year, last.month):
        return tr.fmt_date(first, "LLLL y")
    if first == last:
        return tr.fmt_date(first, "d MMMM y")
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{tr.fmt_date(last, 'd MMMM y')}"
    start = tr.fmt_date(first, "d MMMM" if first.year == last.year else "d MMMM y")
    return tr("stats.period_range", first=start, last=tr.fmt_date(last, "d MMMM y"))


def period_error(
    tr: Translator, error: periods.PeriodError, text: str, command: str, today: date
) -> str:
    """Why the period can't be read, and examples of what can; a period still ahead is named
    with its dates and today's."""
    params = dict(error.params)
    if error.period is not None:
        params |= {
            "period": period_label(tr, error.period),
            "today": tr.fmt_date(today, "d MMMM y"),
        }
    reason = tr(f"stats.{error.code}", text=esc(text.strip()[:60]), **params)
    return f"{reason}\n{tr('stats.examples', command=command)}"


# Drawing a chart takes 100–200 ms of CPU: off the event loop, so other members' updates don't
# wait for it, and while the tables are being sent. One thread: matplotlib figures are drawn
# one at a time.
CHART_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chart")


def chart_texts(tr: Translator, title: str, achieved_key: str) -> charts.ChartTexts:
    """The chart's words in the viewer's language."""
    return charts.ChartTexts(
        title=title,
        channels={channel: tr(f"stats.abbr_{channel.value}_full") for channel in Channel},
        achieved=tr(achieved_key, share="{share}"),
        axis=tr("stats.chart_axis"),
    )


def _png_name(prefix: str, period: periods.Period) -> str:
    return f"{prefix}-{period.first.isoformat()}-{period.last.isoformat()}.png"


@router.message(Command("team"))
async def cmd_team(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
) -> None:
    """The team's numbers for a period: tables per manager and the total, then the chart."""
    if not is_head(member):
        await message.answer(tr("stats.team_head_only"))
        return
    now = clock.now()
    today = local_today(member, now)
    args = command.args or ""
    try:
        period = periods.parse_period(args, today)
    except periods.PeriodError as error:
        await message.answer(period_error(tr, error, args, "/team", today))
        return
    report = await stats.team_report(session, member, period, now)
    label = period_label(tr, period)
    if report.is_empty:
        current = await stats.open_now(session, member, report, today, now)
        title = tr("stats.no_activity_team", period=label)
        for text in stats.render_empty_team(current, tr, title):
            await message.answer(text)
        return
    chart: asyncio.Future[bytes] | None = None
    if report.total.interactions:  # Else nothing to draw: touches done or new clients only.
        texts = chart_texts(tr, tr("stats.chart_title_team", period=label), "stats.chart_achieved")
        hidden = len(report.rows) - charts.MAX_ROWS
        if hidden > 0:
            texts = replace(texts, more=tr("stats.chart_more", count=hidden))
        chart = asyncio.get_running_loop().run_in_executor(
            CHART_EXECUTOR, charts.team_chart, report.rows, texts
        )
    for text in stats.render_team(report, tr, tr("stats.team_title", period=label)):
        await message.answer(text)
    if chart is not None:
        await message.answer_photo(
            BufferedInputFile(await chart, filename=_png_name("team", period)),
            caption=tr("stats.photo_caption", period=label),
        )


def _bad_period(args: str, today: date) -> periods.PeriodError:
    """The reason a text is not a period (it never reads as one when this is asked)."""
    try:
        periods.parse_period(args, today)
    except periods.PeriodError as error:
        return error
    return periods.PeriodError("period_bad")


@router.message(Command("stats"))
async def cmd_stats(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
) -> None:
    """A member's own numbers; a head may name any member: `/stats Анна месяц`."""
    now = clock.now()
    today = local_today(member, now)
    args = (command.args or "").strip()
    everyone = await team.list_members(session) if args else []
    request = stats.read_stats_request(args, today, everyone)
    found = request.members
    if request.name and not is_head(member):
        if found and all(person.id == member.id for person in found):
            found = [member]
        elif found or request.period is not None:
            await message.answer(tr("stats.only_own"))
            return
        else:  # Nobody by that name: a manager's text can only have been a period.
            await message.answer(period_error(tr, _bad_period(args, today), args, "/stats", today))
            return
    elif request.name and not found:
        listed = ", ".join(esc(person.full_name) for person in everyone if person.is_active)
        await message.answer(
            tr("stats.member_unknown", query=esc(request.name[:60]), members=listed)
        )
        return
    elif len(found) > 1:
        listed = ", ".join(esc(person.full_name) for person in found)
        await message.answer(
            tr("stats.member_ambiguous", query=esc(request.name[:60]), members=listed)
        )
        return
    period = request.period
    if period is None:
        error = request.error or periods.PeriodError("period_bad")
        await message.answer(period_error(tr, error, request.period_text, "/stats", today))
        return
    target = found[0] if found else member
    report = await stats.team_report(session, member, period, now, member_ids={target.id})
    row = report.rows[0]
    label = period_label(tr, period)
    person = esc(target.full_name)
    if not row.has_activity and is_head(member) and not request.name:
        # A head's own numbers are mostly empty: the team's are what /stats was typed for.
        everyone = everyone or await team.list_members(session)
        managers = [person for person in everyone if person.is_active and person.id != member.id]
        if managers:
            first_names = [person.full_name.split()[0] for person in managers]
            names = [
                first if first_names.count(first) == 1 else person.full_name
                for first, person in zip(first_names, managers, strict=True)
            ]
            examples = ", ".join(f"<code>/stats {esc(name)}</code>" for name in names)
            await message.answer(
                tr(
                    "stats.head_no_own_activity",
                    period=label,
                    examples=examples,
                    sample=esc(names[0]),
                )
            )
            return
    if not row.has_activity:
        current = await stats.open_now(session, member, report, today, now, member_ids={target.id})
        title = tr("stats.no_activity_member", name=person, period=label)
        await message.answer(stats.render_empty_member(current.rows[0], tr, title))
        return
    chart: asyncio.Future[bytes] | None = None
    if row.interactions:
        texts = chart_texts(tr, f"{target.full_name} · {label}", "stats.chart_achieved_member")
        chart = asyncio.get_running_loop().run_in_executor(
            CHART_EXECUTOR, charts.member_chart, row, texts
        )
    await message.answer(
        stats.render_member(row, tr, tr("stats.member_title", name=person, period=label))
    )
    if chart is not None:
        await message.answer_photo(
            BufferedInputFile(await chart, filename=_png_name("stats", period)),
            caption=tr("stats.photo_caption", period=label),
        )
