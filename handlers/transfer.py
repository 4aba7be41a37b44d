"""/import and /export: moving a client base in from .xlsx/.csv and out to .xlsx.

`/import` → a file → a preview with counts and the first errors → «Импортировать N клиентов»
(«Импортировать касания: N» for a contact history alone).
The file waits under settings.files_dir, named by a token kept in the FSM data, until confirmed;
confirmation re-reads and re-checks it, so the write matches the base at that moment. A file
made by /export names owners: a head's import follows them (the FSM's `by_file`) until a base is
picked for all by button.
`/export` (heads) sends the workbook and tells the other heads.
"""

from __future__ import annotations

import contextlib
import io
import secrets
from pathlib import Path
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import TransferCallback
from bot.i18n import Translator, translator
from bot.settings import Settings
from handlers.common import esc, esc_params, is_head, show
from handlers.events import days_text
from models import Member
from models.enums import Role
from services import audit, exporter, importer, notices, team, validation
from services.clock import Clock
from services.digest import local_today
from services.parsing import classify_message
from services.person_names import gender_of

router = Router(name=__name__)

MAX_LISTED = 20
# New clients named in the preview, so the member sees the file was read as they meant.
NEW_NAMED = 5
MESSAGE_LIMIT = 4000
# From this many rows (clients and history) an import takes seconds: the confirmation is
# acknowledged at once and the message says which step the import is on.
LONG_IMPORT_ROWS = 1000
# A file this big takes seconds to read and check: «⏳ Читаю файл…» comes first.
LONG_FILE_BYTES = 100 * 1024


class ImportForm(StatesGroup):
    """Waiting for the file, then for the confirmation of its preview."""

    file = State()
    confirm = State()


def _pending_path(settings: Settings, token: str, filename: str) -> Path:
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    return Path(settings.files_dir) / f"import-{token}{suffix}"


DUPLICATE_KEYS = ("phone", "email", "inn", "name")


def _row_line(tr: Translator, error: importer.RowError, *, show_owner: bool) -> str:
    if error.code not in DUPLICATE_KEYS:
        reason = tr(
            f"transfer.row_{error.code}",
            value=esc(error.value[:40]),
            owner=esc(error.owner),
            other=error.repeat_of,
        )
        return _numbered(tr, error, reason)
    value = validation.format_phone(error.value) if error.code == "phone" else error.value
    reason = tr(f"transfer.same_{error.code}", value=esc(value[:60]))
    if error.repeat_of is not None:
        reason = tr("transfer.row_repeat", other=error.repeat_of, reason=reason)
    elif not error.visible:
        reason = tr("transfer.row_colleague", owner=esc(error.owner), reason=reason)
    elif show_owner:
        reason = tr(
            "transfer.row_known_owned",
            client=esc(error.client[:60]),
            owner=esc(error.owner),
            reason=reason,
        )
    else:
        reason = tr("transfer.row_known", client=esc(error.client[:60]), reason=reason)
    return _numbered(tr, error, reason)


def _numbered(tr: Translator, error: importer.RowError, reason: str) -> str:
    # A row of the export's contacts, dates or deals sheet names its sheet.
    if error.sheet:
        return tr("transfer.row_line_sheet", sheet=esc(error.sheet), row=error.row, reason=reason)
    return tr("transfer.row_line", row=error.row, reason=reason)


def totals_text(tr: Translator, totals: dict[str, int]) -> str:
    """«12 клиентов, 25 контактов, 31 ключевая дата», the clients always, the rest if any."""
    return ", ".join(
        tr(f"transfer.count_{part}", count=count)
        for part, count in totals.items()
        if count or part == "clients"
    )


def _title_lines(
    tr: Translator, preview: importer.ImportPreview, owner: Member, viewer: Member
) -> list[str]:
    if not preview.has_clients:
        return [tr("transfer.preview_title_history")]
    if preview.by_file and preview.new:
        return [
            tr("transfer.preview_title_by_file"),
            tr("transfer.preview_by_file_rest", owner=esc(owner.full_name)),
        ]
    lines = [tr("transfer.preview_title", owner=esc(owner.full_name))]
    if preview.file_owners and not is_head(viewer):
        lines.append(tr("transfer.preview_owners_ignored"))
    return lines


def _count_lines(tr: Translator, preview: importer.ImportPreview) -> list[str]:
    lines = []
    if preview.has_clients:
        lines += [
            tr("transfer.preview_new", count=len(preview.new)),
            tr("transfer.preview_duplicates", count=len(preview.duplicates)),
            tr("transfer.preview_errors", count=len(preview.errors)),
        ]
    if preview.has_history:
        lines.append(tr("transfer.preview_history_new", count=len(preview.interactions)))
        if preview.history_present:
            lines.append(tr("transfer.preview_history_present", count=preview.history_present))
        if preview.history_errors:
            count = len(preview.history_errors)
            lines.append(tr("transfer.preview_history_errors", count=count))
    if preview.warnings:
        lines.append(tr("transfer.preview_warnings", count=len(preview.warnings)))
    return lines


def _head_lines(
    tr: Translator, preview: importer.ImportPreview, owner: Member, viewer: Member
) -> list[str]:
    lines = _title_lines(tr, preview, owner, viewer) + _count_lines(tr, preview)
    if preview.new:
        totals = preview.totals()
        if any(count for part, count in totals.items() if part != "clients"):
            lines.append(tr("transfer.preview_totals", parts=totals_text(tr, totals)))
        named = ", ".join(esc(row.name[:60]) for row in preview.new[:NEW_NAMED])
        if len(preview.new) > NEW_NAMED:
            named += tr("transfer.preview_more_inline", count=len(preview.new) - NEW_NAMED)
        lines.extend(["", tr("transfer.preview_new_names", names=named)])
    elif preview.interactions:
        clients = preview.history_clients()
        lines.extend(["", tr("transfer.preview_history_clients", count=clients)])
    else:
        lines.extend(["", tr("transfer.preview_nothing_new")])
    if preview.export and preview.duplicates:
        known = "known_history" if preview.history_to_base() else "known_untouched"
        lines.append(tr(f"transfer.preview_{known}"))
    if preview.touches and (preview.new or preview.interactions):
        lines.append(tr("transfer.preview_touches"))
    if preview.remarks:
        lines.extend(["", tr("transfer.preview_file_remarks")])
        lines += [
            "• " + tr(f"transfer.remark_{remark.code}", **esc_params(remark.params))
            for remark in preview.remarks[:MAX_LISTED]
        ]
        if len(preview.remarks) > MAX_LISTED:
            lines.append(tr("transfer.preview_more", count=len(preview.remarks) - MAX_LISTED))
    return lines


def preview_text(
    tr: Translator, preview: importer.ImportPreview, owner: Member, viewer: Member
) -> str:
    """Counts and what comes in, remarks on the file, then the first rows left out and the
    first warnings, under Telegram's limit.

    A head is told whose base a duplicate sits in; a manager sees a colleague's client only as
    the colleague's name.
    """
    lines = _head_lines(tr, preview, owner, viewer)
    left_out = [*preview.errors, *preview.duplicates, *preview.history_errors]
    warnings = "warning_rows" if preview.has_clients else "warning_rows_history"
    sections = [
        ("transfer.preview_rows", sorted(left_out, key=importer.remark_order)),
        (f"transfer.preview_{warnings}", preview.warnings),
    ]
    for title, rows in sections:
        if not rows:
            continue
        lines.extend(["", tr(title)])
        shown = 0
        for error in rows[:MAX_LISTED]:
            line = _row_line(tr, error, show_owner=is_head(viewer))
            # Room is kept for the «…и ещё» line and the next section's title.
            if sum(len(item) + 1 for item in lines) + len(line) > MESSAGE_LIMIT - 200:
                break
            lines.append(line)
            shown += 1
        if shown < len(rows):
            lines.append(tr("transfer.preview_more", count=len(rows) - shown))
    return "\n".join(lines)


def preview_markup(
    tr: Translator, token: str, preview: importer.ImportPreview, owners: list[Member]
) -> InlineKeyboardMarkup:
    """Confirm, cancel and, for a head, whose base to import into; with nothing new, cancel only
    (duplicates are looked for in the whole team's base, so another owner changes nothing).

    When the file names owners, the head's import follows them until a base is picked for all,
    and a button goes back to them.
    """
    rows = []

    def button(text: str, data: TransferCallback) -> list[InlineKeyboardButton]:
        return [InlineKeyboardButton(text=text, callback_data=data.pack())]

    if preview.new or preview.interactions:
        label = (
            tr("transfer.confirm", count=len(preview.new))
            if preview.new
            else tr("transfer.confirm_history", count=len(preview.interactions))
        )
        rows.append(button(label, TransferCallback(action="go", token=token)))
    several = len(owners) > 1
    for owner in owners if preview.new and several else []:
        if owner.id == preview.owner_id and not preview.by_file:
            continue
        key = "transfer.owner_all_button" if preview.file_owners else "transfer.owner_button"
        data = TransferCallback(action="owner", token=token, member_id=owner.id)
        rows.append(button(tr(key, name=owner.full_name), data))
    if preview.new and preview.file_owners and not preview.by_file and several:
        data = TransferCallback(action="byfile", token=token)
        rows.append(button(tr("transfer.by_file_button"), data))
    rows.append(button(tr("transfer.cancel"), TransferCallback(action="cancel", token=token)))
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _owners(session: AsyncSession, member: Member) -> list[Member]:
    if member.role is not Role.HEAD:
        return [member]
    return [m for m in await team.list_members(session) if m.is_active]


@router.message(Command("import"))
async def cmd_import(message: Message, state: FSMContext, tr: Translator) -> None:
    """Ask for the file."""
    await state.set_state(ImportForm.file)
    await state.set_data({})
    await message.answer(tr("transfer.ask_file"))


@router.message(ImportForm.file, F.document)
async def got_file(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    clock: Clock,
) -> None:
    """Download, read and check the file; show the preview."""
    document = message.document
    assert document is not None
    filename = document.file_name or "file"
    if document.file_size is not None and document.file_size > importer.MAX_FILE_BYTES:
        await message.answer(tr("transfer.file_too_big", limit=importer.MAX_FILE_BYTES >> 20))
        return
    # A big file is seconds of downloading, reading and checking: say so at once, then put the
    # answer in that message's place.
    big = (document.file_size or 0) >= LONG_FILE_BYTES
    reading = await message.answer(tr("transfer.reading_file")) if big else None
    buffer = io.BytesIO()
    try:
        await bot.download(document, destination=buffer)
    except TelegramAPIError:
        await _answer(bot, message, reading, tr("transfer.file_download_failed"))
        return
    data = buffer.getvalue()
    try:
        table = importer.read_table(data, filename)
    except importer.ImportFileError as error:
        text = tr(f"transfer.file_{error.code}", **esc_params(error.params))
        await _answer(bot, message, reading, text)
        return
    preview = await importer.preview_import(session, member, table, member, now=clock.now())
    token = secrets.token_hex(8)
    path = _pending_path(settings, token, filename)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    await state.set_state(ImportForm.confirm)
    await state.set_data(
        {
            "token": token,
            "filename": filename,
            "owner_id": member.id,
            "by_file": True,
            **_sizes(table, preview),
        }
    )
    await _answer(
        bot,
        message,
        reading,
        preview_text(tr, preview, member, member),
        preview_markup(tr, token, preview, await _owners(session, member)),
    )


def _sizes(table: importer.Table, preview: importer.ImportPreview) -> dict[str, int]:
    """What the confirmation's progress message needs: the rows to go through and what the
    preview counted to come in."""
    history = table.interactions.rows if table.interactions is not None else []
    return {
        "rows": len(table.rows) + len(history),
        "new": len(preview.new),
        "interactions": len(preview.interactions),
    }


async def _answer(
    bot: Bot,
    message: Message,
    reading: Message | None,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """The answer to a file: in place of «⏳ Читаю файл…» when that was sent."""
    if reading is not None:
        try:
            await bot.edit_message_text(
                text=text,
                chat_id=reading.chat.id,
                message_id=reading.message_id,
                reply_markup=markup,
            )
        except TelegramAPIError:
            pass
        else:
            return
    await message.answer(text, reply_markup=markup)


async def _table_nobody_awaits(message: Message, state: FSMContext) -> bool:
    """A .csv/.xlsx sent outside any flow, which the touch log would not take as an attachment
    (no draft, no caption describing a contact, no touch just saved)."""
    document = message.document
    if document is None or not (document.file_name or "").lower().endswith((".csv", ".xlsx")):
        return False
    caption = message.caption or ""
    if caption.strip() and classify_message(caption) == "log":
        return False
    data = await state.get_data()
    return "draft" not in data and "last_saved" not in data


@router.message(StateFilter(None), F.document, _table_nobody_awaits)
async def on_table_without_command(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    clock: Clock,
) -> None:
    """A client table sent without /import: read it as if /import had been typed."""
    await got_file(message, session, member, tr, state, bot, settings, clock)


@router.message(ImportForm.file, ~F.text.startswith("/"))
async def not_a_file(message: Message, tr: Translator) -> None:
    """Anything but a document while a file is awaited."""
    await message.answer(tr("transfer.need_file"))


async def _pending(
    callback_data: TransferCallback, state: FSMContext, settings: Settings
) -> tuple[Path, str, int, bool] | None:
    data = await state.get_data()
    if data.get("token") != callback_data.token or not callback_data.token:
        return None
    path = _pending_path(settings, data["token"], data["filename"])
    if not path.is_file():
        return None
    return path, data["filename"], int(data["owner_id"]), bool(data.get("by_file"))


@router.callback_query(TransferCallback.filter())
async def on_transfer(
    query: CallbackQuery,
    callback_data: TransferCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Confirm, cancel or change the owner of a pending import."""
    pending = await _pending(callback_data, state, settings)
    if pending is None:
        await query.answer(tr("transfer.stale"), show_alert=True)
        return
    path, filename, owner_id, by_file = pending
    if callback_data.action == "cancel":
        await state.clear()
        path.unlink(missing_ok=True)
        await show(query, tr("transfer.cancelled"))
        return
    if callback_data.action == "owner":
        owner_id, by_file = callback_data.member_id, False
    elif callback_data.action == "byfile":
        # The file's owners, and whoever imports for the clients of nobody on the team.
        owner_id, by_file = member.id, True
    owner = next((m for m in await _owners(session, member) if m.id == owner_id), None)
    if owner is None:
        await query.answer(tr("transfer.stale"), show_alert=True)
        return
    if callback_data.action in {"owner", "byfile"}:
        table = importer.read_table(path.read_bytes(), filename)
        preview = await importer.preview_import(
            session, member, table, owner, now=clock.now(), owners_from_file=by_file
        )
        await state.update_data(
            {"owner_id": owner.id, "by_file": by_file, **_sizes(table, preview)}
        )
        markup = preview_markup(tr, callback_data.token, preview, await _owners(session, member))
        await show(query, preview_text(tr, preview, owner, member), markup)
        return
    progress = await _Progress.start(query, tr, await state.get_data(), callback_data.action)
    try:
        await _confirm(query, session, member, owner, tr, state, clock, progress, pending)
    except Exception:
        # The update's transaction rolls back, so nothing is stored. Say so where the preview
        # or the progress was: a big import's press is answered already, so the error
        # handler's alert would not show, and «⏳ Шаг 2 из 3…» would claim work in progress.
        await state.clear()
        path.unlink(missing_ok=True)
        with contextlib.suppress(TelegramAPIError):
            await show(query, tr("transfer.import_failed"))
        raise


async def _confirm(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    owner: Member,
    tr: Translator,
    state: FSMContext,
    clock: Clock,
    progress: _Progress | None,
    pending: tuple[Path, str, int, bool],
) -> None:
    """Write the confirmed import: re-read and re-check the file, store it, record it, tell the
    owners, and show the result in place of the preview."""
    path, filename, _, by_file = pending
    table = importer.read_table(path.read_bytes(), filename)
    preview = await importer.preview_import(
        session, member, table, owner, now=clock.now(), owners_from_file=by_file
    )
    # The FSM storage writes through its own connection: leave the state before our writes.
    await state.clear()
    result = await importer.apply_import(session, preview, clock.now(), progress=progress)
    count = result.clients
    totals = preview.totals()
    by_owner = preview.by_owner()
    details: dict[str, Any] = {
        "owner_id": owner.id,
        "clients": count,
        "duplicates": len(preview.duplicates),
        "errors": len(preview.errors),
    }
    details.update(
        {
            part: totals[part]
            for part in ("contacts", "dates", "deals", "interactions")
            if totals[part]
        }
    )
    if preview.by_file and preview.new:
        details["owners"] = {str(member_id): received for member_id, received in by_owner.items()}
    await audit.record(session, member=member, action="import", now=clock.now(), **details)
    members = {m.id: m for m in await team.list_members(session)}
    for receiver_id, received in by_owner.items():
        await importer.notify_owner(session, member, members[receiver_id], received, clock.now())
    path.unlink(missing_ok=True)
    text = _imported_text(tr, preview, owner, members)
    spread = result.first_touches
    if spread.planned and spread.first_day and spread.last_day:
        today = local_today(member, clock.now())
        text += "\n" + tr(
            "transfer.imported_first_touches",
            count=spread.planned,
            per_day=spread.max_per_day,
            days=days_text(tr, spread.first_day, spread.last_day, today),
        )
    await show(query, text)


class _Progress:
    """The message of a long import while it runs: «⏳ Импортирую клиентов: 19 385…» with the
    step it is on, edited in place of the preview (whose buttons go, so nothing is pressed
    twice); the result replaces it at the end."""

    def __init__(self, query: CallbackQuery, tr: Translator, title: str) -> None:
        self.query = query
        self.tr = tr
        self.title = title

    @classmethod
    async def start(
        cls, query: CallbackQuery, tr: Translator, data: dict[str, Any], action: str
    ) -> _Progress | None:
        """For a confirmed import of LONG_IMPORT_ROWS rows or more: the button press answered
        at once and the first step shown; None for anything shorter."""
        if action != "go" or int(data.get("rows", 0)) < LONG_IMPORT_ROWS:
            return None
        new, interactions = int(data.get("new", 0)), int(data.get("interactions", 0))
        title = (
            tr("transfer.importing_clients", number=tr.fmt_number(new))
            if new or not interactions
            else tr("transfer.importing_history", number=tr.fmt_number(interactions))
        )
        progress = cls(query, tr, title)
        await query.answer()
        await progress("check")
        return progress

    async def __call__(self, step: str) -> None:
        """Show the step the import is on: check, write, plan."""
        text = "\n".join([self.title, self.tr(f"transfer.importing_{step}")])
        message = self.query.message
        if not isinstance(message, Message):
            return
        # Progress is a courtesy: a refused edit must not cost the import.
        with contextlib.suppress(TelegramAPIError):
            await message.edit_text(text, reply_markup=None)


def _imported_text(
    tr: Translator, preview: importer.ImportPreview, owner: Member, members: dict[int, Member]
) -> str:
    """«✅ Импортировано клиентов: 12, в базу: Ольга.», by base when the file named owners, and
    what came in with the clients; a history alone: «✅ В историю добавлено касаний: 340…»."""
    if not preview.new:
        return tr(
            "transfer.imported_history",
            count=len(preview.interactions),
            clients=preview.history_clients(),
        )
    by_owner = preview.by_owner()
    count = len(preview.new)
    if preview.by_file and set(by_owner) - {owner.id}:
        owners = ", ".join(
            f"{esc(members[member_id].full_name)} — {received}"
            for member_id, received in sorted(by_owner.items(), key=lambda item: -item[1])
        )
        lines = [tr("transfer.imported_by_owner", count=count, owners=owners)]
    else:
        lines = [tr("transfer.imported", count=count, owner=esc(owner.full_name))]
    totals = preview.totals()
    del totals["clients"]
    if any(totals.values()):
        lines.append(tr("transfer.imported_with", parts=totals_text(tr, totals)))
    return "\n".join(lines)


@router.message(Command("export"))
async def cmd_export(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
) -> None:
    """Send the workbook; tell the other heads who exported what."""
    if not is_head(member):
        await message.answer(tr("transfer.export_heads_only"))
        return
    result = await exporter.export_workbook(session, member, clock.now())
    await message.answer_document(
        BufferedInputFile(result.content, filename=result.filename),
        caption=tr("transfer.export_caption", count=result.clients),
    )
    for head in result.heads_to_notify:
        head_tr = translator(head.language)
        text = head_tr(
            "transfer.export_notice",
            name=esc(member.full_name),
            count=result.clients,
            gender=gender_of(member.full_name),
        )
        key = f"export:{result.record_id}:{head.id}"
        await notices.queue(session, head, key=key, text=text, now=clock.now())
