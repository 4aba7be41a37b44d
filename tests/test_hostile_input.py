"""Hostile input: random Unicode, huge texts, broken markup and forged buttons never crash the bot.

Hypothesis throws messages, commands with arguments, flow steps (by pressing the bot's own
buttons and typing junk at every prompt), junk files for /import, shared contacts with
HTML-breaking names, and forged, truncated or random callback data for every `CallbackData`
class in bot/callbacks.py, as a manager, as the head and as a stranger, at the real dispatcher
over the demo base. The properties:

- no handler raises (the dispatcher's error handler would hide it from the user, so the test
  watches the log for it);
- every message and every button press gets an answer;
- every reply is something Telegram accepts (`StrictSession`: valid HTML, at most 4096
  characters, callback data within 64 bytes, an edit that changes something);
- a stranger only ever hears the polite refusal, in their own chat.

The free-text parser gets the same texts directly: it never raises and stays fast.
"""

from __future__ import annotations

import inspect
import io
import itertools
import logging
import os
import traceback
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import Contact, Document, Voice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import bot.callbacks
from bot.app import create_bot, create_dispatcher
from bot.commands import COMMANDS
from bot.i18n import translator
from bot.offline import OFFLINE_TOKEN, SentMessage
from bot.settings import Settings
from models import Client, Deal, Invite, KeyDate, Member, Touch
from models import Contact as ClientContact
from services.clock import ManualClock
from services.demo import DMITRY, HEAD_TELEGRAM_ID, load_demo
from services.names import NameCandidate, NameIndex
from services.parsing import classify_message, parse_interaction
from tests.conftest import TEST_DATABASE_URL
from tests.harness import Chat
from tests.strict_session import StrictSession
from tests.test_reminders import add_client

Factory = async_sessionmaker[AsyncSession]

HEAD = HEAD_TELEGRAM_ID
MANAGER = DMITRY
STRANGER = 9_100_001
USERS = (MANAGER, MANAGER, HEAD, STRANGER)

# Whatever Telegram shows the user: a message, an edit, a document, a photo.
SHOWN = (SendMessage, EditMessageText, EditMessageReplyMarkup, SendDocument, SendPhoto)
PACKAGES = ("handlers", "services", "bot", "scheduler", "models")
BENIGN_REFUSALS = ("message to edit not found", "message is not modified")

# ---------------------------------------------------------------------------------------------
# Texts


NASTY = (
    "<b>",
    "</b>",
    "<i>x",
    "<a href='javascript:alert(1)'>",
    "<script>",
    "&",
    "&amp;",
    "&lt;",
    "&#0;",
    "&nbsp",
    "*",
    "_",
    "__",
    "[",
    "](http://x)",
    "`",
    "```",
    "~",
    "||",
    "\\",
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\ufeff",
    "\u0301",  # a combining accent with nothing to combine with
    "\x07",
    "\x1b[31m",
    "\r\n",
    "\t",
    "\u2028",
    "𝕏",
    "😀",
    "👨‍👩‍👧",
    "🇷🇺",
    "ﷺ",
    "שלום",
    "مرحبا",
    "%s",
    "{name}",
    "{0}",
    "%(x)s",
    "' OR 1=1 --",
    "=1+1",
    '=HYPERLINK("http://x";"y")',
    "+SUM(A1:A2)",
    "@cmd",
    "'; DROP TABLE clients; --",
    "Ромашка",
    "Петров",
    "звонил",
    "цель —",
    "договорились",
    "завтра в 15:00",
    "через 2 недели",
    "31.02",
    "29.02.2027",
    "99:99",
    "+7 912 345-67-89",
    "8912",
    "a@b.ru",
    "10:00–18:00",
    "пн-пт",
    "-",
    "Очистить",
    "Отмена",
    "/",
    "@touchbase_bot",
    " ",
    "\n",
    "0",
    "-1",
    "9" * 30,
    "1e309",
    "NaN",
)

# Anything but surrogates (Telegram's JSON can't carry lone ones) and NUL, which Telegram's
# clients can't type; control characters, format characters and astral planes stay.
any_char = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
random_text = st.text(any_char, max_size=80)
nasty_text = st.lists(st.sampled_from(NASTY) | random_text, min_size=1, max_size=8).map(" ".join)
huge_text = st.builds(
    lambda piece, size: (piece * (size // max(len(piece), 1) + 1))[:size],
    st.sampled_from(NASTY[:40]) | st.text(any_char, min_size=1, max_size=20),
    st.integers(min_value=1000, max_value=5000),
)
hostile_text = st.one_of(random_text, nasty_text, nasty_text, huge_text)
hostile_name = st.one_of(
    nasty_text.map(lambda text: text[:64]), st.text(any_char, min_size=1, max_size=64)
)

COMMAND_NAMES = sorted(
    {spec.name for spec in COMMANDS} | {"start", "cancel", "team", "stats", "nonexistent"}
)

# Words that appear in the bot's own callback data, so forged values sometimes look right.
CALLBACK_WORDS = (
    "open", "confirm", "tags", "edit", "contacts", "dates", "deals", "history", "add", "primary",
    "remove", "remove_yes", "close", "save", "cancel", "client", "set", "goal", "skip", "start",
    "touch", "hist", "to", "stage", "nonote", "ok", "ask", "go", "owner", "contact", "deal",
    "name", "kind", "category", "city", "phone", "email", "timezone", "window", "notes",
    "edit_apart",
    "channel", "result", "next", "outcome", "channel=call", "outcome=achieved", "key", "vip",
    "regular", "cadence", "ceiling", "recheck", "msk", "ru", "en", "01234", "b2b", "b2c",
    "acquisition", "sale", "account", "won", "lost", "yes", "no", "-", "",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Callback data for every CallbackData class


def callback_classes() -> list[type[CallbackData]]:
    """Every CallbackData class of the bot, including ones added after this test was written."""
    return [
        value
        for value in vars(bot.callbacks).values()
        if inspect.isclass(value) and issubclass(value, CallbackData) and value is not CallbackData
    ]


part_junk = st.text(any_char.filter(lambda char: char != ":"), max_size=12)
int_junk = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**31 - 1, 2**63, 2**63 - 1, -(2**63), 10**40]),
).map(str)


def field_value(annotation: Any, ids: list[int]) -> st.SearchStrategy[str]:
    """Right-looking, wrong-typed or random values for one field."""
    if inspect.isclass(annotation) and issubclass(annotation, Enum):
        good = st.sampled_from([str(member.value) for member in annotation])
        return st.one_of(good, good, part_junk, int_junk)
    if annotation is int:
        return st.one_of(st.sampled_from(ids).map(str), int_junk, part_junk)
    return st.one_of(st.sampled_from(CALLBACK_WORDS), st.sampled_from(ids).map(str), part_junk)


def fit(data: str, limit: int = 64) -> str:
    """Cut to Telegram's 64 bytes on a character boundary."""
    return data.encode()[:limit].decode(errors="ignore")


@st.composite
def forged_callback(draw: st.DrawFn, ids: list[int]) -> str:
    """Callback data of a real prefix with forged, truncated or extra fields, or pure junk."""
    kind = draw(st.sampled_from(["fields", "fields", "fields", "truncated", "extra", "junk"]))
    if kind == "junk":
        return fit(draw(st.text(any_char, min_size=1, max_size=64)))
    cls = draw(st.sampled_from(callback_classes()))
    parts = [cls.__prefix__]
    for spec in cls.model_fields.values():
        parts.append(draw(field_value(spec.annotation, ids)))
    data = ":".join(parts)
    if kind == "truncated":
        data = data[: draw(st.integers(min_value=1, max_value=max(1, len(data) - 1)))]
    elif kind == "extra":
        data += ":" + draw(part_junk)
    return fit(data) or cls.__prefix__


# ---------------------------------------------------------------------------------------------
# Actions


@dataclass(frozen=True)
class Say:
    """A plain message."""

    user: int
    text: str
    first_name: str = "Tester"


@dataclass(frozen=True)
class Command:
    """A slash command with hostile arguments."""

    user: int
    name: str
    args: str

    @property
    def text(self) -> str:
        return f"/{self.name} {self.args}".rstrip() if self.args.strip() else f"/{self.name}"


@dataclass(frozen=True)
class Press:
    """A press on one of the bot's own buttons in the user's chat (the n-th, wrapping)."""

    user: int
    index: int


@dataclass(frozen=True)
class Tap:
    """A press on the newest button whose label contains `label` (for scripted journeys)."""

    user: int
    label: str


@dataclass(frozen=True)
class Forge:
    """A press with forged callback data on one of the bot's messages."""

    user: int
    data: str


@dataclass(frozen=True)
class SendFile:
    """A document, e.g. for /import."""

    user: int
    filename: str
    content: bytes
    caption: str | None


@dataclass(frozen=True)
class ShareContact:
    """A shared Telegram contact with a hostile name."""

    user: int
    phone: str
    first_name: str
    last_name: str | None


@dataclass(frozen=True)
class SendVoice:
    """A voice message, with or without a caption."""

    user: int
    caption: str | None


Action = Say | Command | Press | Tap | Forge | SendFile | ShareContact | SendVoice

users = st.sampled_from(USERS)


def chunks(cells: list[str], size: int) -> list[list[str]]:
    """Cells in rows of `size`."""
    return [cells[start : start + size] for start in range(0, len(cells), size)]


def csv_file(cells: list[str]) -> bytes:
    """A CSV with the import's headers and hostile cells."""
    rows = ["Клиент;Телефон;Email;День рождения;Контакт;Город;Категория"]
    for chunk in chunks(cells, 7):
        rows.append(";".join(cell.replace(";", ",").replace("\n", " ") for cell in chunk))
    return "\n".join(rows).encode("utf-8")


def xlsx_file(cells: list[str]) -> bytes:
    """An .xlsx with the import's headers and hostile cells (formulas included)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Клиент", "Телефон", "Email", "День рождения", "Город"])
    for chunk in chunks(cells, 5):
        sheet.append([_cell(cell) for cell in chunk])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(text: str) -> str:
    # openpyxl refuses control characters in cells, as Excel does; a real file can't have them.
    return "".join(char for char in text if char >= " " or char in "\t\n\r")[:300]


file_cells = st.lists(st.sampled_from(NASTY) | st.text(any_char, max_size=30), max_size=28)
import_file = st.one_of(
    st.tuples(st.sampled_from(["base.csv", "база.CSV", "x.csv"]), file_cells.map(csv_file)),
    st.tuples(st.sampled_from(["base.xlsx", "x.XLSX"]), file_cells.map(xlsx_file)),
    st.tuples(
        st.sampled_from(["base.xlsx", "base.csv", "x.txt", "x.exe", "", "<b>.csv", "a/../b.csv"]),
        st.binary(max_size=600),
    ),
)


# What a user does next inside a journey, weighted: mostly buttons and typing, sometimes worse.
STEP_KINDS = ("press",) * 6 + ("say",) * 4 + ("forge", "command", "file", "contact", "voice")


@st.composite
def step(draw: st.DrawFn, user: int, ids: list[int], names: list[str]) -> Action:
    """One step of `user` inside a journey."""
    kind = draw(st.sampled_from(STEP_KINDS))
    if kind == "press":
        return Press(user, draw(st.integers(min_value=0, max_value=40)))
    if kind == "say":
        text = draw(st.one_of(hostile_text, st.sampled_from(names), st.sampled_from(NASTY)))
        return Say(user, text, draw(hostile_name))
    if kind == "forge":
        return Forge(user, draw(forged_callback(ids)))
    if kind == "command":
        return Command(user, draw(st.sampled_from(COMMAND_NAMES)), "")
    if kind == "file":
        name, content = draw(import_file)
        return SendFile(user, name, content, draw(st.none() | hostile_text))
    if kind == "contact":
        phone = draw(st.sampled_from(["+79125550101", "89125550102", "12", "", "+0", "x" * 40]))
        return ShareContact(user, phone, draw(hostile_name), draw(st.none() | hostile_name))
    return SendVoice(user, draw(st.none() | hostile_text))


@st.composite
def journey(draw: st.DrawFn, ids: list[int], names: list[str]) -> list[Action]:
    """A command with hostile or plausible arguments, then a few steps by the same user."""
    user = draw(users)
    args = draw(st.one_of(st.just(""), st.sampled_from(names), hostile_text))
    first = Command(user, draw(st.sampled_from(COMMAND_NAMES)), args)
    return [first, *draw(st.lists(step(user, ids, names), max_size=12))]


# ---------------------------------------------------------------------------------------------
# The world


class ErrorTrap(logging.Handler):
    """Keeps every ERROR record: the dispatcher's error handler logs each handler exception."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def describe(self) -> str:
        lines = []
        for record in self.records[:3]:
            lines.append(f"{record.name}: {record.getMessage()}")
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                lines.append(f"  {type(error).__name__}: {str(error)[:300]}")
                # Where in our code: the frames of the project's own packages.
                for frame in traceback.extract_tb(error.__traceback__):
                    if any(f"/{package}/" in frame.filename for package in PACKAGES):
                        lines.append(f"    {frame.filename}:{frame.lineno} in {frame.name}")
        return "\n".join(lines)


class World:
    """The dispatcher over the demo base, its strict session, and the ids worth forging.

    A plain class with a short repr: hypothesis prints it with every failing example.
    """

    def __init__(
        self,
        chat: Chat,
        recorder: StrictSession,
        ids: list[int],
        names: list[str],
        trap: ErrorTrap,
    ) -> None:
        self.chat = chat
        self.recorder = recorder
        self.ids = ids
        self.names = names
        self.trap = trap
        self.refusal = translator("ru")("common.stranger_refusal")
        self.file_ids = itertools.count(1)
        # What came before, for the failure message: examples share the world, so a failure
        # may depend on an earlier example's state.
        self.history: deque[Action] = deque(maxlen=12)

    def __repr__(self) -> str:
        return f"World(demo base, {len(self.history)} recent actions)"


@pytest.fixture
def trap() -> Iterator[ErrorTrap]:
    handler = ErrorTrap()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.fixture
async def world(
    tmp_path: Path, session_factory: Factory, clock: ManualClock, trap: ErrorTrap
) -> World:
    """The demo team and base: a head, three managers, sixty clients with history."""
    async with session_factory.begin() as session:
        await load_demo(session, now=clock.now(), timezone="Europe/Moscow")
    async with session_factory() as session:
        ids: set[int] = {0, 1, 2}
        for model in (Client, Member, Touch, ClientContact, Deal, KeyDate):
            ids.update(await session.scalars(select(model.id)))
        # Names to look up and hand over: clients of the manager, of others, and people.
        names = sorted(set(await session.scalars(select(Client.name))))[:20]
        names += sorted(set(await session.scalars(select(Member.full_name))))
    config = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=None,
        database_url=TEST_DATABASE_URL or "sqlite+aiosqlite://",
        head_ids=(HEAD,),
        default_timezone="Europe/Moscow",
        default_language="ru",
        files_dir=tmp_path / "files",
    )
    recorder = StrictSession()
    telegram = create_bot(config, session=recorder, token=OFFLINE_TOKEN)
    dp = create_dispatcher(config, session_factory, clock)
    return World(Chat(dp, telegram, recorder, clock), recorder, sorted(ids), names, trap)


def newest_with_buttons(world: World, user: int) -> SentMessage | None:
    """The newest bot message in the user's chat that has callback buttons."""
    mine = [m for (chat, _), m in world.recorder.messages.items() if chat == user]
    for message in sorted(mine, key=lambda m: m.message_id, reverse=True):
        if message.reply_markup is not None and any(
            button.callback_data for row in message.reply_markup.inline_keyboard for button in row
        ):
            return message
    return None


def any_message(world: World, user: int) -> SentMessage:
    """Some bot message in the user's chat to press a forged button on (made up if none)."""
    return newest_with_buttons(world, user) or SentMessage(user, 1, "…")


async def perform(world: World, action: Action) -> list[TelegramMethod[Any]] | None:
    """Feed the action as Telegram would; None when there was nothing to do (no button)."""
    chat = world.chat
    updates = chat.updates
    if isinstance(action, Say):
        user = updates.user(action.user, first_name=action.first_name or "x")
        return await chat.feed(updates.message(user, action.text))
    if isinstance(action, Command):
        return await chat.send(action.user, action.text)
    if isinstance(action, Press):
        message = newest_with_buttons(world, action.user)
        if message is None or message.reply_markup is None:
            return None
        data = [
            button.callback_data
            for row in message.reply_markup.inline_keyboard
            for button in row
            if button.callback_data
        ]
        return await chat.press_data(action.user, data[action.index % len(data)], on=message)
    if isinstance(action, Tap):
        return await chat.press(action.user, action.label)
    if isinstance(action, Forge):
        return await chat.press_data(action.user, action.data, on=any_message(world, action.user))
    if isinstance(action, SendFile):
        file_id = f"hostile-{next(world.file_ids)}"
        world.recorder.files[file_id] = action.content
        document = Document(
            file_id=file_id,
            file_unique_id=file_id,
            file_name=action.filename or None,
            file_size=len(action.content),
        )
        return await chat.send(action.user, document=document, caption=action.caption)
    if isinstance(action, ShareContact):
        contact = Contact(
            phone_number=action.phone,
            first_name=action.first_name,
            last_name=action.last_name,
        )
        return await chat.send(action.user, contact=contact)
    voice = Voice(file_id="voice-1", file_unique_id="voice-1", duration=3)
    return await chat.send(action.user, voice=voice, caption=action.caption)


def brief(action: Action) -> str:
    """The action for a failure message, long texts shortened."""
    text = repr(action)
    return text if len(text) <= 240 else f"{text[:240]}… ({len(text)} characters)"


def check(world: World, action: Action, calls: list[TelegramMethod[Any]]) -> None:
    """The properties every action must keep."""
    assert not world.trap.records, f"{brief(action)} raised:\n{world.trap.describe()}"
    # An edit of a vanished message or one that changes nothing is Telegram's everyday answer
    # and the handlers cope with it; anything else refused is a reply that never arrives.
    refused = [
        (call, reason)
        for call, reason in world.recorder.refused
        if not reason.startswith(BENIGN_REFUSALS)
    ]
    assert not refused, (
        f"{brief(action)}: Telegram would refuse {type(refused[0][0]).__name__}: {refused[0][1]}"
    )
    pressed = isinstance(action, Press | Tap | Forge)
    if pressed:
        assert any(isinstance(call, AnswerCallbackQuery) for call in calls), (
            f"{brief(action)}: the button press was never answered"
        )
    else:
        assert any(isinstance(call, SHOWN) for call in calls), f"{brief(action)}: no answer"
    if action.user == STRANGER:
        for call in calls:
            assert isinstance(call, SendMessage | AnswerCallbackQuery), (
                f"{brief(action)}: a stranger got {type(call).__name__}"
            )
            if isinstance(call, SendMessage):
                assert int(call.chat_id) == STRANGER
                assert call.reply_markup is None
            if isinstance(call.text, str) and not (isinstance(action, Command | Say)):
                assert call.text == world.refusal


# HOSTILE_SCALE=10 runs ten times the examples, for a longer hunt than CI's minute.
SCALE = float(os.environ.get("HOSTILE_SCALE", "1"))


def hypothesis_settings(examples: int) -> Any:
    """Examples share one world (its state carries over, as a chat's does); no deadline."""
    return settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


async def run(world: World, action: Action) -> None:
    """Perform the action and check the properties; a failure lists the actions before it."""
    world.trap.records.clear()
    world.recorder.refused.clear()
    earlier = list(world.history)
    world.history.append(action)
    calls = await perform(world, action)
    if calls is None:
        return
    try:
        check(world, action, calls)
    except AssertionError as error:
        before = "\n".join(f"  {brief(step)}" for step in earlier)
        raise AssertionError(f"{error}\nafter:\n{before}") from None


@hypothesis_settings(200)
@given(data=st.data())
async def test_hostile_journeys_never_crash_and_always_get_an_answer(
    world: World, data: st.DataObject
) -> None:
    journeys = data.draw(
        st.lists(journey(world.ids, world.names), min_size=1, max_size=3), label="journeys"
    )
    for action in itertools.chain.from_iterable(journeys):
        await run(world, action)


@hypothesis_settings(20)
@given(data=st.data())
async def test_every_callback_prefix_survives_forgery(world: World, data: st.DataObject) -> None:
    """Each CallbackData class in turn, forged field by field, from each kind of user."""
    for cls in callback_classes():
        fields = cls.model_fields.values()
        values = [data.draw(field_value(spec.annotation, world.ids)) for spec in fields]
        forged = fit(":".join([cls.__prefix__, *values]))
        for user in (MANAGER, HEAD, STRANGER):
            await run(world, Forge(user, forged))


# Journeys that once broke a reply; hypothesis found each of them.
REGRESSIONS: dict[str, list[Action]] = {
    "a 4,500-character query quoted by /handover": [Command(MANAGER, "handover", "<b>" * 1500)],
    "a 4,200-character query quoted by /forget": [Command(HEAD, "forget", "<b>" * 1400)],
    "a 5,000-character city quoted by /settings": [
        Command(MANAGER, "settings", ""),
        Tap(MANAGER, "Часовой пояс"),
        Say(MANAGER, "Ъ" * 5000),
    ],
    "markup in typed working hours": [
        Command(MANAGER, "settings", ""),
        Tap(MANAGER, "Часы"),
        Say(MANAGER, "</b> <script>"),
    ],
    "markup in a typed phone": [
        Command(MANAGER, "new", ""),
        Tap(MANAGER, "Компания"),
        Say(MANAGER, "Тест & Ко"),
        Tap(MANAGER, "Постоянный"),
        Tap(MANAGER, "Пропустить"),
        Say(MANAGER, "Иван Петров, директор"),
        Say(MANAGER, "J [ <a href='javascript:alert(1)'> NULL"),
    ],
    "ids no database can hold": [
        Forge(MANAGER, "cdl:open:0:9223372036854775808"),
        Forge(MANAGER, "cl:open:100000000000000000000000000000:0"),
        Forge(HEAD, "pt:d:-1"),
        Forge(HEAD, "cm:p:1:-1"),
    ],
    "a bare carriage return inside a CSV cell": [
        Command(MANAGER, "import", ""),
        SendFile(MANAGER, "base.csv", "Клиент;Телефон\nРомашка;8912\rx\n".encode(), None),
    ],
}


@pytest.mark.parametrize("journey", REGRESSIONS.values(), ids=REGRESSIONS.keys())
async def test_known_hostile_journeys(world: World, journey: list[Action]) -> None:
    for action in journey:
        await run(world, action)


# A Telegram first name is up to 64 characters of anything.
HOSTILE_NAME = "<b>Иван</b> & <script>*_[` \u202e\u200b😀 &amp; {name} %s"
NEWCOMER = 9_100_002


async def test_a_hostile_name_joins_and_shows_up_everywhere(
    world: World, session_factory: Factory
) -> None:
    """The name goes into the heads' notice, /members, /team, /stats and the handover list."""
    await run(world, Command(HEAD, "invite", ""))
    await run(world, Tap(HEAD, "менеджер"))
    async with session_factory() as session:
        code = await session.scalar(select(Invite.code).order_by(Invite.id.desc()).limit(1))
    assert code is not None
    for action in (
        Say(NEWCOMER, f"/start {code}", HOSTILE_NAME),
        Command(NEWCOMER, "start", ""),
        Command(NEWCOMER, "settings", ""),
        Command(NEWCOMER, "today", ""),
        Command(HEAD, "members", ""),
        Command(HEAD, "team", ""),
        Command(HEAD, "stats", "Иван"),
        Command(HEAD, "audit", "Иван"),
        Command(HEAD, "handover", world.names[0]),
    ):
        await run(world, action)
    # The name itself reached the head, escaped: the strict session would have refused it raw.
    shown = [
        call.text
        for call in world.recorder.requests
        if isinstance(call, SendMessage | EditMessageText) and int(call.chat_id or 0) == HEAD
    ]
    assert any("&lt;b&gt;Иван&lt;/b&gt;" in text for text in shown)


async def test_export_survives_control_characters_in_the_base(
    world: World, session_factory: Factory
) -> None:
    """A client typed with a bell and an escape in its name once made every /export fail."""
    async with session_factory.begin() as session:
        owner = await session.scalar(select(Member).where(Member.telegram_id == MANAGER))
        assert owner is not None
        client = await add_client(session, owner, "Ромашка\x07\x1b[31m", "Europe/Moscow")
        client.notes = "=1+1\x0b\x1f"

    await run(world, Command(HEAD, "export", ""))

    assert any(isinstance(call, SendDocument) for call in world.recorder.requests)


async def test_stranger_learns_nothing_from_commands_and_buttons(world: World) -> None:
    """Every command and every prefix from a stranger: the refusal, nothing else."""
    for name in COMMAND_NAMES:
        if name == "start":
            continue
        calls = await world.chat.send(STRANGER, f"/{name} Ромашка")
        assert [call.text for call in calls if isinstance(call, SendMessage)] == [world.refusal]
    for cls in callback_classes():
        calls = await world.chat.press_data(STRANGER, f"{cls.__prefix__}:1:1:1")
        [answer] = [call for call in calls if isinstance(call, AnswerCallbackQuery)]
        assert answer.text == world.refusal
        assert not any(isinstance(call, SendMessage) for call in calls)
    assert not world.trap.records, world.trap.describe()


# ---------------------------------------------------------------------------------------------
# The parser

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC).astimezone(MSK)
CLIENTS = (
    NameCandidate(1, "ООО «Ромашка»", ("Иван Петров", "Мария Иванова")),
    NameCandidate(2, "<b>Ромашка & Ко</b>", ("*Петр_ов*",)),
    NameCandidate(3, "Acme Corp", ("John Smith",)),
)
INDEX = NameIndex(CLIENTS)


@settings(max_examples=300, deadline=None)
@given(text=hostile_text)
def test_parser_never_raises(text: str) -> None:
    parsed = parse_interaction(text, now=NOW, clients=CLIENTS, index=INDEX)
    kind = classify_message(text)
    assert kind in {"log", "lookup"}
    for value in (parsed.goal, parsed.result, parsed.next_step):
        assert value is None or isinstance(value, str)


@pytest.mark.parametrize(
    "text",
    [
        "a" * 10_000,
        "звонил " * 1500,
        "цель — " * 1500,
        "1" * 5000,
        "+7 " * 2000,
        "через " * 2000 + "2 недели",
        "<b>" * 2000,
        "\u200f" * 5000,
        "😀" * 4096,
        "в 15:00 " * 800,
        "31.12." * 1000,
    ],
    ids=lambda text: f"{text[:8]!r}x{len(text)}",
)
def test_parser_on_pathological_texts(text: str) -> None:
    # Speed is benchmarks/parse.py's business (no timed asserts here): these must just finish.
    parsed = parse_interaction(text, now=NOW, clients=CLIENTS, index=INDEX)
    assert classify_message(text) in {"log", "lookup"}
    assert parsed.goal is None or isinstance(parsed.goal, str)
