"""`python -m bot console`: the real dispatcher, handlers and clock in a terminal, no Telegram.

You type as a team member; bot messages print with their inline buttons numbered (type the
number to press one); documents and photos are saved under ./data/console-files. Lines starting
with ':' talk to the console itself (`:help`). Standard input may be a script.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    Contact,
    Document,
    FSInputFile,
    InlineKeyboardButton,
    Message,
    User,
    Voice,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_bot, create_dispatcher, create_ticker
from bot.database import upgrade
from bot.middlewares import OUTBOX_WAKE
from bot.offline import OFFLINE_TOKEN, RecordingSession, SentMessage, UpdateFactory
from bot.settings import Settings
from models.enums import Role
from models.session import create_engine, create_session_factory
from services import team
from services.clock import ManualClock
from services.demo import load_demo

CONSOLE_HEAD_ID = 1001
CONSOLE_MANAGER_ID = 1002
DEMO_DATABASE = Path("./data/demo.db")
FILES_DIR = Path("./data/console-files")
CLOCK_STEP = timedelta(minutes=15)
HELP = """Console commands:
  <text>            send a message to the bot as the current member
  <number>          press button <number> of the latest message with buttons
                    (a number no button has is sent as text: «25», «8912»)
  :say TEXT         send TEXT as it is, even a number a button has
  :as head|manager  switch who you are
  :time             show the console clock; :time +2h / +1d / +30m moves it forward,
                    :time 2026-12-01 09:00 jumps (the clock's jobs run as time passes)
  :contact NAME PHONE   share a Telegram contact
  :file PATH [caption]  send a document (a CSV/XLSX import, an attachment)
  :voice            send a voice message
  :help             this help;  :quit  leave"""

TAG = re.compile(r"<[^>]+>")


def render_html(text: str, *, tty: bool) -> str:
    """Telegram HTML as terminal text: bold stays bold on a terminal, other tags drop."""
    if tty:
        text = text.replace("<b>", "\033[1m").replace("</b>", "\033[0m")
    return html.unescape(TAG.sub("", text))


@dataclass
class Screen:
    """What the console shows and which buttons can be pressed."""

    tty: bool
    buttons: list[tuple[SentMessage, InlineKeyboardButton]] = field(default_factory=list)
    # The chat of the member typing; None shows every chat in full.
    viewer: int | None = None

    def show(self, method: TelegramMethod[Any], result: Any, session: RecordingSession) -> None:
        """Print one bot call the way a phone would show it."""
        if isinstance(method, AnswerCallbackQuery):
            if method.text:
                print(f"  ⓘ {method.text}")
            return
        if isinstance(method, SendDocument | SendPhoto):
            self._save_file(method)
        shown = SendMessage | SendDocument | SendPhoto | EditMessageText | EditMessageReplyMarkup
        if not isinstance(method, shown) or not isinstance(result, Message):
            return
        sent = session.messages.get((result.chat.id, result.message_id))
        if sent is None:
            return
        if self.viewer is not None and sent.chat_id != self.viewer:
            # The clock also writes to the other members: one line each, no buttons to press.
            first_line = render_html(sent.text, tty=False).split("\n", 1)[0]
            print(f"  📨 to chat {sent.chat_id}: {first_line}")
            return
        edited = isinstance(method, EditMessageText | EditMessageReplyMarkup)
        print("\n" + ("✎ " if edited else "🤖 ") + render_html(sent.text, tty=self.tty))
        self._list_buttons(sent)

    def _list_buttons(self, sent: SentMessage) -> None:
        if sent.reply_markup is None:
            return
        self.buttons = []
        for row in sent.reply_markup.inline_keyboard:
            cells = []
            for button in row:
                self.buttons.append((sent, button))
                cells.append(f"[{len(self.buttons)}] {button.text}")
            print("   " + "   ".join(cells))

    def _save_file(self, method: SendDocument | SendPhoto) -> None:
        media = method.document if isinstance(method, SendDocument) else method.photo
        FILES_DIR.mkdir(parents=True, exist_ok=True)
        if isinstance(media, BufferedInputFile):
            path = FILES_DIR / (media.filename or "file.bin")
            path.write_bytes(media.data)
        elif isinstance(media, FSInputFile):
            path = Path(str(media.path))
        else:
            return
        print(f"\n📎 saved {path.resolve()}")


class Console:
    """One terminal session driving the dispatcher as a team member."""

    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        users: dict[str, User],
        role: str,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.session_factory = session_factory
        self.recorder = RecordingSession()
        self.screen = Screen(tty=sys.stdout.isatty())
        self.recorder.on_request = lambda method, result: self.screen.show(
            method, result, self.recorder
        )
        self.bot: Bot = create_bot(settings, session=self.recorder, token=OFFLINE_TOKEN)
        self.dp = create_dispatcher(settings, session_factory, clock)
        # No pacing pauses in a terminal: messages print as the clock passes their moment.
        self.ticker = create_ticker(
            self.bot, settings, session_factory, clock, per_chat_interval=0.0
        )
        # A notice an update queued prints right after its reply, not at the next `:time`.
        self.dp[OUTBOX_WAKE] = self.ticker.run_on_demand
        self.updates = UpdateFactory(clock=clock.now)
        self.users = users
        self.user = users[role]
        self.screen.viewer = self.user.id

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False when the console should stop."""
        line = line.strip()
        if not line:
            return True
        if line.startswith(":"):
            return await self._console_command(line[1:])
        # A number is a press only when there is such a button: «25» typed for a cadence, or
        # «8912» for a phone, goes to the bot as the text it is (`:say 1` sends a bare «1»).
        if line.isdigit() and 1 <= int(line) <= len(self.screen.buttons):
            await self._press(int(line))
            return True
        await self.dp.feed_update(self.bot, self.updates.message(self.user, line))
        return True

    async def _press(self, number: int) -> None:
        if not 1 <= number <= len(self.screen.buttons):
            print(f"  (no button {number})")
            return
        sent, button = self.screen.buttons[number - 1]
        if button.url:
            print(f"  🔗 {button.url}")
            return
        if button.copy_text is not None:
            print(f"  📋 copied: {button.copy_text.text}")
            return
        if button.callback_data:
            update = self.updates.callback(self.user, button.callback_data, on=sent)
            await self.dp.feed_update(self.bot, update)

    async def _console_command(self, text: str) -> bool:
        name, _, rest = text.partition(" ")
        if name in {"q", "quit", "exit"}:
            return False
        if name == "as" and rest.strip() in self.users:
            self.user = self.users[rest.strip()]
            self.screen.viewer = self.user.id
            print(f"  you are now {self.user.full_name} ({rest.strip()})")
        elif name == "time":
            await self._move_clock(rest.strip())
            print(f"  console time: {self.clock.now():%Y-%m-%d %H:%M} UTC")
        elif name == "contact" and rest:
            *names, phone = rest.split()
            contact = Contact(phone_number=phone, first_name=" ".join(names) or phone)
            update = self.updates.message(self.user, None, contact=contact)
            await self.dp.feed_update(self.bot, update)
        elif name == "file" and rest:
            await self._send_file(rest)
        elif name == "say" and rest:
            await self.dp.feed_update(self.bot, self.updates.message(self.user, rest))
        elif name == "voice":
            voice = Voice(file_id="voice-console", file_unique_id="voice-console", duration=12)
            await self.dp.feed_update(self.bot, self.updates.message(self.user, None, voice=voice))
        else:
            print(HELP)
        return True

    async def _move_clock(self, spec: str) -> None:
        if not spec:
            return
        match = re.fullmatch(r"\+(\d+)([mhd])", spec)
        if match:
            unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
            await self.run_clock_until(self.clock.now() + timedelta(**{unit: int(match.group(1))}))
            return
        try:
            moment = datetime.fromisoformat(spec).replace(tzinfo=self.settings.timezone)
        except ValueError:
            print("  usage: :time +2h | +1d | 2026-12-01 09:00")
            return
        if moment > self.clock.now():
            await self.run_clock_until(moment)

    async def run_clock_until(self, target: datetime) -> None:
        """Move the clock to `target` a tick at a time (every quarter hour of the way), so the
        digests and reminders of the skipped time arrive as they would have."""
        while self.clock.now() < target:
            now = self.clock.now()
            boundary = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % 15)
            self.clock.set(min(target, boundary + CLOCK_STEP))
            await self.ticker.tick()

    async def _send_file(self, spec: str) -> None:
        path_text, _, caption = spec.partition(" ")
        path = Path(path_text).expanduser()
        if not path.is_file():
            print(f"  no such file: {path}")
            return
        file_id = f"console:{path.resolve()}"
        # Telegram gives a document's size, which the bot reads before downloading.
        document = Document(
            file_id=file_id,
            file_unique_id=file_id,
            file_name=path.name,
            file_size=path.stat().st_size,
        )
        update = self.updates.message(self.user, None, document=document, caption=caption or None)
        await self.dp.feed_update(self.bot, update)


async def _prepare_database(settings: Settings, *, demo: bool) -> tuple[Settings, dict[str, User]]:
    users = {
        "head": UpdateFactory.user(CONSOLE_HEAD_ID, "Ольга", "olga_head"),
        "manager": UpdateFactory.user(CONSOLE_MANAGER_ID, "Дмитрий", "dmitry_sales"),
    }
    if demo:
        DEMO_DATABASE.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
        settings = settings.model_copy(
            update={"database_url": f"sqlite+aiosqlite:///{DEMO_DATABASE}"}
        )
    settings = settings.model_copy(update={"head_ids": (*settings.head_ids, CONSOLE_HEAD_ID)})
    await asyncio.to_thread(upgrade, settings.database_url)
    return settings, users


async def _ensure_console_team(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    demo: bool,
) -> None:
    async with session_factory.begin() as session:
        if demo:
            await load_demo(session, now=now, timezone=settings.default_timezone)
            return
        defaults = team.TeamDefaults(settings.default_timezone, settings.default_language)
        head = await team.get_member(session, CONSOLE_HEAD_ID)
        if head is None:
            head = await team.bootstrap_head(
                session, team.Newcomer(CONSOLE_HEAD_ID, "Ольга", "olga_head"), defaults, now
            )
        if await team.get_member(session, CONSOLE_MANAGER_ID) is None:
            invite = await team.create_invite(session, by=head, role=Role.MANAGER, now=now)
            await team.redeem_invite(
                session,
                code=invite.code,
                person=team.Newcomer(CONSOLE_MANAGER_ID, "Дмитрий", "dmitry_sales"),
                defaults=defaults,
                now=now,
            )


async def run_console(settings: Settings, *, demo: bool, role: str) -> int:
    """Run the console until `:quit` or the end of standard input."""
    settings, users = await _prepare_database(settings, demo=demo)
    engine = create_engine(settings.database_url)
    clock = ManualClock(datetime.now(settings.timezone))
    try:
        session_factory = create_session_factory(engine)
        await _ensure_console_team(session_factory, settings, clock.now(), demo)
        console = Console(settings, session_factory, clock, users, role)
        await console.dp.emit_startup(bot=console.bot)
        # The clock's start-up tick: planning, and today's digest if its time has passed.
        await console.ticker.tick()
        print("Touchbase console — " + ("demo base loaded. " if demo else "") + ":help for help")
        print(f"You are {console.user.full_name} ({role}). Try /start, /help or /settings.")
        if demo:
            print(
                "Demo tour: /team прошлый месяц (the team's numbers and chart), /members, /audit;"
                " :as manager, then /today, «Ромашка», or a call in one line:"
                " «звонил Петрову из Ромашки, договорились о встрече в пятницу в 15:00»."
            )
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            if sys.stdin.isatty() is False:
                print(f"\n> {line.rstrip()}")
            if not await console.handle(line):
                break
        await console.dp.emit_shutdown(bot=console.bot)
    finally:
        await engine.dispose()
    return 0
