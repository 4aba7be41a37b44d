"""/policy: the head sets each client category's cadence, yearly ceiling and re-check period."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import PolicyCallback
from bot.i18n import Translator
from bot.keyboards import policy as keyboards
from handlers.common import esc, esc_params, is_head, show
from models import Member
from models.enums import Category
from services import audit, policy
from services.clock import Clock
from services.person_names import gender_of
from services.validation import ValidationError

router = Router(name=__name__)


class PolicyForm(StatesGroup):
    """Waiting for a typed number of a category's policy."""

    value = State()


def row_text(tr: Translator, row: policy.PolicyRow) -> str:
    """«<b>Ключевой</b>: каждые 30 дн. · до 12 в год · сверка раз в 30 дн.»."""
    text = tr(
        "policy.row",
        category=tr(f"policy.category_{row.category.value}"),
        cadence=row.cadence_days,
        ceiling=row.max_touches_year,
        reverify=row.reverify_days,
    )
    if row.ceiling_caps_cadence:
        text += "\n" + tr(
            "policy.caps_short",
            days=policy.effective_cadence(row.cadence_days, row.max_touches_year),
        )
    return text


def table_text(tr: Translator, rows: list[policy.PolicyRow]) -> str:
    """Every category's numbers and what they mean."""
    return "\n\n".join(
        [tr("policy.title"), *(row_text(tr, row) for row in rows), tr("policy.hint")]
    )


def category_text(tr: Translator, row: policy.PolicyRow, zone: ZoneInfo) -> str:
    """One category's numbers and who changed them last."""
    lines = [row_text(tr, row)]
    if row.updated_at is not None:
        lines.append(
            tr(
                "policy.updated",
                who=esc(row.updated_by or "—"),
                gender=gender_of(row.updated_by),
                when=tr.fmt_date(row.updated_at.astimezone(zone).date(), "d MMMM y"),
            )
        )
    lines.append(tr("policy.pick_number"))
    return "\n\n".join(lines)


@router.message(Command("policy"))
async def cmd_policy(
    message: Message, session: AsyncSession, member: Member, tr: Translator, state: FSMContext
) -> None:
    """The policy table with a button per category (heads only)."""
    await state.clear()
    if not is_head(member):
        await message.answer(tr("common.not_allowed"))
        return
    rows = await policy.list_policies(session)
    await message.answer(table_text(tr, rows), reply_markup=keyboards.table(tr))


@router.callback_query(PolicyCallback.filter())
async def cb_policy(
    query: CallbackQuery,
    callback_data: PolicyCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The table, a category's numbers, or the question for one number."""
    await state.clear()
    if not is_head(member):
        await audit.record(
            session, member=member, action="denied", now=clock.now(), target="policy"
        )
        await query.answer(tr("common.not_allowed"), show_alert=True)
        return
    if not callback_data.category:
        rows = await policy.list_policies(session)
        await show(query, table_text(tr, rows), keyboards.table(tr))
        return
    try:
        category = Category(callback_data.category)
    except ValueError:
        await query.answer(tr("common.stale_button"), show_alert=True)
        return
    row = await policy.get_policy(session, category)
    field = callback_data.field
    if not field:
        text = category_text(tr, row, ZoneInfo(member.timezone))
        await show(query, text, keyboards.category(tr, category))
        return
    if field not in policy.LIMITS:
        await query.answer(tr("common.stale_button"), show_alert=True)
        return
    low, high = policy.LIMITS[field]
    await state.set_state(PolicyForm.value)
    await state.set_data({"category": category.value, "field": field})
    text = tr(
        f"policy.ask_{field}",
        category=tr(f"policy.category_{category.value}"),
        current=getattr(row, field),
        low=low,
        high=high,
    )
    await show(query, text, keyboards.prompt(tr, category))


@router.message(PolicyForm.value, F.text.startswith("/"))
async def on_command_while_waiting(message: Message, state: FSMContext) -> None:
    """A command abandons the edit and runs as usual."""
    await state.clear()
    raise SkipHandler


@router.message(PolicyForm.value, F.text, ~F.text.startswith("/"))
async def on_policy_value(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
) -> None:
    """A typed number: saved when in range, otherwise the range and another try."""
    data = await state.get_data()
    field, text = str(data.get("field")), message.text or ""
    try:
        policy.parse_number(field, text)
    except ValidationError as error:
        await message.answer(tr(f"errors.{error.code}", **esc_params(error.params)))
        return
    # The conversation state lives in its own transaction: settle it before this update writes.
    await state.clear()
    try:
        category = Category(str(data.get("category")))
        change = await policy.set_value(session, member, category, field, text, now=clock.now())
    except (policy.PolicyAccessError, ValueError):
        await message.answer(tr("common.not_allowed"))
        return
    lines = [
        tr(
            "policy.saved",
            category=tr(f"policy.category_{category.value}"),
            change=tr(f"policy.saved_{change.field}", old=change.old, new=change.new),
        )
    ]
    row = change.row
    if row.ceiling_caps_cadence:
        lines.append(
            tr(
                "policy.caps_warning",
                cadence=row.cadence_days,
                per_year=policy.DAYS_IN_YEAR // row.cadence_days,
                ceiling=row.max_touches_year,
                days=policy.effective_cadence(row.cadence_days, row.max_touches_year),
            )
        )
    await message.answer("\n\n".join(lines))
    rows = await policy.list_policies(session)
    await message.answer(table_text(tr, rows), reply_markup=keyboards.table(tr))


@router.callback_query(PolicyForm.value)
async def on_other_button_while_waiting(query: CallbackQuery, state: FSMContext) -> None:
    """Another journey's button abandons the edit and works as usual."""
    await state.clear()
    raise SkipHandler
