"""/audit and /forget (heads): recent sensitive actions with filters; erasing a client's data."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ForgetCallback
from bot.i18n import Translator
from handlers.common import esc, is_head, quote, show
from models import Member
from models.enums import Category, Stage
from services import access, audit, clients, forgetting, policy, protection
from services.clock import Clock
from services.person_names import gender_of

router = Router(name=__name__)

TELEGRAM_LIMIT = 4096
MAX_PARTS = 3
KNOWN_ACTIONS = frozenset(protection.LISTED_ACTIONS)
STAGES = frozenset(stage.value for stage in Stage)
CATEGORIES = frozenset(category.value for category in Category)


def audit_line(line: protection.AuditLine, tr: Translator, zone: ZoneInfo) -> str:
    """One entry: when, who, what, which client, and what changed (old → new)."""
    local = line.at.astimezone(zone)
    parts = [
        f"{tr.fmt_date(local.date(), 'dd.MM')} {tr.fmt_time(local)}",
        f"<b>{esc(line.member_name or tr('audit.nobody'))}</b>",
        _action_text(line, tr),
    ]
    if line.subject_name:
        parts.append(f"<b>{esc(line.subject_name)}</b>")
    refused = _refused_command(line)
    if refused:
        parts.append(refused)
    if line.client_name:
        # «ООО «Ромашка»» is quoted already.
        name = esc(line.client_name)
        parts.append(name if "«" in name else f"«{name}»")
    parts.extend(_what_changed(line, tr))
    query = line.details.get("query")
    if line.details.get("erased"):
        # The query named a client whose data were erased (/forget).
        parts.append(tr("audit.query_erased"))
    elif isinstance(query, str):
        parts.append(f"«{esc(query[:60])}»")
    cards = line.details.get("cards")
    if isinstance(cards, int):
        parts.append(tr("audit.cards", count=cards))
    return " · ".join(parts)


def _action_text(line: protection.AuditLine, tr: Translator) -> str:
    """The verb: «передал клиента», or «передал 12 клиентов» for a whole base."""
    gender = gender_of(line.member_name)
    clients = line.details.get("clients")
    if line.action == protection.HANDOVER and isinstance(clients, int):
        verb = tr("audit.action_handover_base", gender=gender)
        return f"{verb} {tr('audit.handed_clients', count=clients)}"
    action_key = line.action if line.action in KNOWN_ACTIONS else "other"
    return tr(f"audit.action_{action_key}", gender=gender)


def _what_changed(line: protection.AuditLine, tr: Translator) -> list[str]:
    """The details of a change to the team's rules or clients: a handover's from → to and
    stages, an event's title, day and invitations, a policy's number old → new."""
    details = line.details
    if line.action == protection.HANDOVER:
        return _handover_parts(line, tr)
    if line.action in protection.EVENT_ACTIONS:
        parts = []
        if line.event_title is not None and line.event_day is not None:
            # The catalog nests a title's own quotes: «Выставка „Иннопром“».
            day = tr.fmt_date(line.event_day, "d MMMM")
            parts.append(tr("audit.event", title=esc(line.event_title), day=day))
        invitations = details.get("invitations")
        if isinstance(invitations, int):
            key = "invitations" if line.action == "event_created" else "invitations_closed"
            parts.append(tr(f"audit.{key}", count=invitations))
        return parts
    if line.action == "policy_change":
        return _policy_parts(details, tr)
    return []


def _handover_parts(line: protection.AuditLine, tr: Translator) -> list[str]:
    parts = []
    if line.to_name is not None:
        giver = esc(line.from_name) if line.from_name else "—"
        parts.append(f"{giver} → {esc(line.to_name)}")
    stages = [line.details.get("from_stage"), line.details.get("to_stage")]
    if all(stage in STAGES for stage in stages) and stages[0] != stages[1]:
        parts.append(" → ".join(tr(f"clients.stage_{stage}") for stage in stages))
    return parts


def _policy_parts(details: dict[str, object], tr: Translator) -> list[str]:
    category, field = details.get("category"), details.get("field")
    old, new = details.get("old"), details.get("new")
    if category not in CATEGORIES or field not in policy.LIMITS:
        return []
    change = tr(f"audit.policy_{field}", old=old, new=new)
    return [f"<b>{tr(f'policy.category_{category}')}</b>: {change}"]


def _refused_command(line: protection.AuditLine) -> str | None:
    """The command a refusal was for: «/audit», «/forget», «/policy»."""
    if line.action != "denied":
        return None
    command = line.details.get("command")
    if isinstance(command, str):
        return f"/{esc(command)}"
    return "/policy" if line.details.get("target") == "policy" else None


def paginate(header: str, lines: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Messages under Telegram's limit, each starting with the header."""
    messages: list[str] = []
    current = header
    for line in lines:
        if len(current) + 1 + len(line) > limit:
            messages.append(current)
            current = header
        current = f"{current}\n{line}"
    messages.append(current)
    return messages


@router.message(Command("audit"))
async def cmd_audit(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
) -> None:
    """Recent entries for a head; a manager is refused (and the attempt recorded)."""
    now = clock.now()
    if not is_head(member):
        await audit.record(session, member=member, action="denied", now=now, command="audit")
        await message.answer(tr("audit.head_only"))
        return
    wanted = protection.parse_filter(command.args or "", now)
    query = wanted.member_query
    if query is not None and not await protection.members_matching(session, query):
        # «/audit мусор» is not «no entries»: nobody on the team is called that.
        await message.answer(tr("audit.no_member", name=esc(query[:40])))
        return
    lines = await protection.recent_entries(session, member, wanted)
    if not lines:
        await message.answer(tr("audit.empty"))
        return
    zone = ZoneInfo(member.timezone)
    rendered = [audit_line(line, tr, zone) for line in lines]
    messages = paginate(tr("audit.title", count=len(lines)), rendered)
    for text in messages[:MAX_PARTS]:
        await message.answer(text)
    if len(messages) > MAX_PARTS:
        await message.answer(tr("audit.narrow_down"))


def _forget_confirm(tr: Translator, client_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=tr("audit.forget_ok"),
                    callback_data=ForgetCallback(action="ok", client_id=client_id).pack(),
                )
            ],
            [
                InlineKeyboardButton(
                    text=tr("audit.forget_cancel"),
                    callback_data=ForgetCallback(action="cancel").pack(),
                )
            ],
        ]
    )


@router.message(Command("forget"))
async def cmd_forget(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
) -> None:
    """Find the client whose data must be erased and ask to confirm."""
    if not is_head(member):
        await audit.record(
            session, member=member, action="denied", now=clock.now(), command="forget"
        )
        await message.answer(tr("audit.forget_head_only"))
        return
    query = (command.args or "").strip()
    if not query:
        await message.answer(tr("audit.forget_usage"))
        return
    hits = await clients.search_clients(session, member, query)
    if not hits:
        await message.answer(tr("audit.forget_not_found", query=quote(query)))
        return
    strong = clients.strong_hit(hits)
    if strong is not None:
        await message.answer(
            tr("audit.forget_confirm", client=esc(strong.name)),
            reply_markup=_forget_confirm(tr, strong.client_id),
        )
        return
    buttons = [
        [
            InlineKeyboardButton(
                text=hit.name[:60],
                callback_data=ForgetCallback(action="ask", client_id=hit.client_id).pack(),
            )
        ]
        for hit in hits
    ]
    await message.answer(
        tr("audit.forget_choose"), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )


@router.callback_query(ForgetCallback.filter())
async def cb_forget(
    query: CallbackQuery,
    callback_data: ForgetCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
) -> None:
    """Confirm, erase or cancel; every press re-checks that a head presses it."""
    now = clock.now()
    if not is_head(member):
        await audit.record(session, member=member, action="denied", now=now, command="forget")
        await show(query, tr("audit.forget_head_only"))
        return
    if callback_data.action == "cancel":
        await show(query, tr("audit.forget_cancelled"))
        return
    try:
        client = await access.client_for(session, member, callback_data.client_id, now=now)
    except access.AccessDeniedError:
        await show(query, tr("audit.forget_gone"))
        return
    if callback_data.action == "ask":
        await show(
            query,
            tr("audit.forget_confirm", client=esc(client.name)),
            _forget_confirm(tr, client.id),
        )
        return
    former = await forgetting.forget_client(session, member, client.id, now)
    await show(query, tr("audit.forget_done", client=esc(former), number=client.id))
