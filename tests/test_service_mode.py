"""Running as a team service: settings, the webhook app, graceful stop, Redis, backup, logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage, SetWebhook, TelegramMethod
from aiohttp import test_utils, web
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.app import create_bot, create_dispatcher
from bot.backup import BackupError, backup_sqlite, pg_dump_command, run_backup
from bot.logs import RedactingFilter, build_handler, secrets_of
from bot.offline import OFFLINE_TOKEN, RecordingSession, UpdateFactory
from bot.runner import attach_clock
from bot.settings import Settings
from bot.webhook import create_webhook_app, register_webhook
from models import Member
from models.session import create_session_factory
from scheduler.clock import Ticker, create_scheduler
from services.clock import ManualClock
from tests.conftest import HEAD_ID, TEST_DATABASE_URL
from tests.harness import Chat, joined
from tests.test_settings_and_startup import run_bot

SECRET = "s3cret-Token_for-tests"
HOOK_URL = "https://bot.example.com/tg/updates"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Shaped like a real token (digits, colon, 35 characters), unlike the console's.
REAL_LOOKING_TOKEN = "7312345678:AAHk3bQ9xZ-vT7cLmN2pQr5sTuVwXyZ01ab"


def service_settings(**overrides: Any) -> Settings:
    """Webhook-mode settings built explicitly (never from a developer's .env)."""
    values: dict[str, Any] = {
        "bot_token": None,
        "database_url": TEST_DATABASE_URL or "sqlite+aiosqlite://",
        "head_ids": (HEAD_ID,),
        "bot_mode": "webhook",
        "webhook_url": HOOK_URL,
        "webhook_secret": SECRET,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# --- settings -----------------------------------------------------------------------------


def test_webhook_settings_are_read_and_the_path_comes_from_the_url() -> None:
    settings = service_settings()
    assert settings.webhook_path == "/tg/updates"
    assert (settings.webhook_host, settings.webhook_port) == ("0.0.0.0", 8080)
    assert settings.redis_url is None
    assert SECRET not in repr(settings)
    assert service_settings(webhook_path="/hook").webhook_path == "/hook"
    assert Settings(_env_file=None).bot_mode == "polling"  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"webhook_url": None}, "webhook_url"),
        ({"webhook_url": "http://bot.example.com/hook"}, "webhook_url"),
        ({"webhook_url": "https://bot.example.com:8080/hook"}, "webhook_url"),
        ({"webhook_url": "not a url"}, "webhook_url"),
        ({"webhook_secret": None}, "webhook_secret"),
        ({"webhook_secret": "has spaces and !"}, "webhook_secret"),
        ({"webhook_secret": "x" * 257}, "webhook_secret"),
        ({"webhook_port": 0}, "webhook_port"),
        ({"webhook_path": "/health"}, "webhook_path"),
        ({"bot_mode": "hook"}, "bot_mode"),
        ({"redis_url": "http://127.0.0.1:6379"}, "redis_url"),
        ({"log_format": "xml"}, "log_format"),
    ],
)
def test_a_bad_service_setting_is_named(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        service_settings(**overrides)
    problems = caught.value.errors()
    assert [problem["loc"][0] for problem in problems] == [field]
    assert SECRET not in str(problems[0]["msg"])


def test_polling_needs_no_webhook_settings_and_a_local_api_may_use_http() -> None:
    assert service_settings(bot_mode="polling", webhook_url=None, webhook_secret=None)
    local = service_settings(
        telegram_api_url="http://127.0.0.1:8081", webhook_url="http://10.0.0.5:8080/hook"
    )
    assert local.webhook_path == "/hook"


def test_webhook_mode_without_a_secret_stops_start_up_in_one_line(tmp_path: Path) -> None:
    env = {"BOT_TOKEN": "1:x", "BOT_MODE": "webhook", "WEBHOOK_URL": HOOK_URL}
    result = run_bot(env=env, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Configuration error: WEBHOOK_SECRET: ")


# --- the webhook app ----------------------------------------------------------------------


class GatedSession(RecordingSession):
    """A recording session whose sendMessage can be held, to catch an update mid-flight."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = False
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.closed = False

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        """Wait at the gate for sendMessage while held, then record as usual."""
        if self.hold and isinstance(method, SendMessage):
            self.entered.set()
            await self.release.wait()
        return await super().make_request(bot, method, timeout)

    async def close(self) -> None:
        """Remember that the bot session was closed."""
        self.closed = True


@pytest.fixture
def hook_settings() -> Settings:
    """Webhook-mode settings for the app under test."""
    return service_settings()


@pytest.fixture
def gated() -> GatedSession:
    """The bot session of the webhook tests."""
    return GatedSession()


@pytest.fixture
def hook_bot(hook_settings: Settings, gated: GatedSession) -> Bot:
    """A bot answering through the gated recording session."""
    return create_bot(hook_settings, session=gated, token=OFFLINE_TOKEN)


@pytest.fixture
def hook_dp(
    hook_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> Dispatcher:
    """The production dispatcher, configured for webhook mode."""
    return create_dispatcher(hook_settings, session_factory, clock)


@pytest.fixture
async def client(
    hook_dp: Dispatcher,
    hook_bot: Bot,
    hook_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[test_utils.TestClient[web.Request, web.Application]]:
    """An HTTP client talking to the webhook app on a local test server."""
    app = create_webhook_app(hook_dp, hook_bot, hook_settings, session_factory)
    async with test_utils.TestClient(test_utils.TestServer(app)) as client:
        yield client


def start_update(clock: ManualClock, user_id: int = HEAD_ID) -> dict[str, Any]:
    """The JSON body Telegram would post for `/start` from `user_id`."""
    update = UpdateFactory(clock=clock.now).message(UpdateFactory.user(user_id), "/start")
    return update.model_dump(mode="json", exclude_none=True)


async def members(session: AsyncSession) -> int:
    """How many team members the database holds."""
    return await session.scalar(select(func.count()).select_from(Member)) or 0


async def test_an_update_with_the_right_secret_is_processed(
    client: test_utils.TestClient[web.Request, web.Application],
    gated: GatedSession,
    clock: ManualClock,
    session: AsyncSession,
) -> None:
    response = await client.post("/tg/updates", json=start_update(clock), headers={HEADER: SECRET})
    assert response.status == 200
    sent = gated.sent(SendMessage)
    assert [call.chat_id for call in sent] == [HEAD_ID]
    assert "руководитель отдела продаж" in joined(sent)
    assert await members(session) == 1


@pytest.mark.parametrize("header", [{HEADER: "wrong"}, {HEADER: ""}, {}])
async def test_a_wrong_or_missing_secret_gets_401_and_nothing_happens(
    client: test_utils.TestClient[web.Request, web.Application],
    gated: GatedSession,
    clock: ManualClock,
    session: AsyncSession,
    header: dict[str, str],
) -> None:
    response = await client.post("/tg/updates", json=start_update(clock), headers=header)
    assert response.status == 401
    # Not even a malformed body is looked at without the secret.
    garbage = await client.post("/tg/updates", data=b"{not json", headers=header)
    assert garbage.status == 401
    assert gated.sent(SendMessage) == []
    assert await members(session) == 0


async def test_health_reports_the_database_and_the_version(
    client: test_utils.TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/health")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["version"]


async def test_health_is_503_when_the_database_does_not_answer(
    hook_dp: Dispatcher, hook_bot: Bot, hook_settings: Settings
) -> None:
    # Nothing listens on port 1: the connection is refused at once, no network involved.
    dead = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = create_webhook_app(hook_dp, hook_bot, hook_settings, create_session_factory(dead))
    try:
        async with test_utils.TestClient(test_utils.TestServer(app)) as client:
            response = await client.get("/health")
            assert response.status == 503
            assert (await response.json())["database"] == "unreachable"
    finally:
        await dead.dispose()


async def test_set_webhook_sends_the_secret_and_keeps_pending_updates(
    hook_dp: Dispatcher, hook_bot: Bot, hook_settings: Settings, gated: GatedSession
) -> None:
    await register_webhook(hook_bot, hook_dp, hook_settings)
    [call] = gated.sent(SetWebhook)
    assert call.url == HOOK_URL
    assert call.secret_token == SECRET
    assert call.drop_pending_updates is False
    assert "message" in (call.allowed_updates or [])


async def test_stopping_finishes_the_update_in_flight_before_closing(
    hook_dp: Dispatcher,
    hook_bot: Bot,
    hook_settings: Settings,
    gated: GatedSession,
    clock: ManualClock,
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    ticker = Ticker(clock)
    attach_clock(hook_dp, ticker)
    app = create_webhook_app(hook_dp, hook_bot, hook_settings, session_factory)
    stopping = asyncio.Event()

    async def mark(_app: web.Application) -> None:
        stopping.set()

    # on_shutdown runs after the socket closed and before in-flight requests are awaited.
    app.on_shutdown.append(mark)
    server = test_utils.TestServer(app)
    client = test_utils.TestClient(server)
    await client.start_server()
    try:
        gated.hold = True
        request = asyncio.create_task(
            client.post("/tg/updates", json=start_update(clock), headers={HEADER: SECRET})
        )
        await gated.entered.wait()
        closing = asyncio.create_task(server.close())
        await stopping.wait()
        # Stopping has begun; the update is still being handled and nothing has closed yet.
        assert not request.done()
        assert not gated.closed
        assert not ticker.stopping
        gated.release.set()
        response = await request
        assert response.status == 200
        response.release()
        await closing
    finally:
        await client.close()
    assert [call.chat_id for call in gated.sent(SendMessage)] == [HEAD_ID]
    assert await members(session) == 1
    assert ticker.stopping
    assert gated.closed


async def test_stopping_lets_the_running_clock_tick_finish(
    dp: Dispatcher, bot: Bot, clock: ManualClock
) -> None:
    entered, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()
    asked_to_stop = asyncio.Event()

    async def slow_job(_now: datetime) -> None:
        entered.set()
        await release.wait()
        finished.set()

    ticker = Ticker(clock)
    ticker.register("slow", slow_job, stop=asked_to_stop.set)
    scheduler = create_scheduler(ticker)  # ticks at start
    attach_clock(dp, ticker, scheduler)
    await dp.emit_startup(bot=bot)
    await entered.wait()
    stopping = asyncio.create_task(dp.emit_shutdown(bot=bot))
    await asked_to_stop.wait()
    # APScheduler would cancel the job at its shutdown; the tick is drained before that.
    assert scheduler.running
    release.set()
    await stopping
    assert finished.is_set()
    assert not scheduler.running


# --- conversation state in Redis ----------------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
async def redis_settings() -> Settings:
    """Settings with REDIS_URL, or a skip when no Redis answers locally."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    probe = Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        await probe.ping()
    except (RedisError, OSError):
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
    finally:
        await probe.aclose()
    return service_settings(bot_mode="polling", redis_url=REDIS_URL)


async def test_redis_state_survives_a_new_dispatcher(
    redis_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> None:
    from aiogram.fsm.storage.redis import RedisStorage

    first = create_dispatcher(redis_settings, session_factory, clock)
    assert isinstance(first.storage, RedisStorage)
    try:
        await Chat(first, bot, recorder, clock).send(HEAD_ID, "/new Ромашка")
        state = await first.fsm.get_context(bot, HEAD_ID, HEAD_ID).get_state()
        assert state is not None
    finally:
        await first.storage.close()

    # A restart: a new dispatcher with a new storage (and a new Redis connection).
    second = create_dispatcher(redis_settings, session_factory, clock)
    try:
        context = second.fsm.get_context(bot, HEAD_ID, HEAD_ID)
        assert await context.get_state() == state
        assert (await context.get_data())["name"] == "Ромашка"
        calls = await Chat(second, bot, recorder, clock).press(HEAD_ID, "Компания")
        assert "Категория клиента «Ромашка»" in joined(calls)
        keys = await second.storage.redis.keys("touchbase:42:*")  # type: ignore[attr-defined]
        assert keys, "keys carry the prefix and the bot id"
    finally:
        await second.fsm.get_context(bot, HEAD_ID, HEAD_ID).clear()
        await second.storage.close()


# --- backup -------------------------------------------------------------------------------


def make_database(path: Path, rows: int) -> None:
    """A WAL database with `rows` rows, like the bot's."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        connection.executemany(
            "INSERT INTO notes (body) VALUES (?)", [(f"note {i}" * 10,) for i in range(rows)]
        )
    connection.close()


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[tuple[Path, threading.Event, list[int]]]:
    """A database with a thread committing rows into it until told to stop."""
    source = tmp_path / "live.db"
    make_database(source, 2000)
    stop = threading.Event()
    running = threading.Event()
    committed = [2000]

    def write() -> None:
        with sqlite3.connect(source, timeout=30) as connection:
            while not stop.is_set():
                connection.execute("INSERT INTO notes (body) VALUES ('written meanwhile')")
                connection.commit()
                committed[0] += 1
                if committed[0] >= 2050:
                    running.set()
        connection.close()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    running.wait(timeout=30)
    yield source, stop, committed
    stop.set()
    thread.join(timeout=30)


def test_backup_while_a_writer_writes_is_a_consistent_copy(
    writer: tuple[Path, threading.Event, list[int]], tmp_path: Path
) -> None:
    source, stop, committed = writer
    before = committed[0]
    backup = backup_sqlite(source, tmp_path / "copies" / "touchbase.sqlite3")
    stop.set()
    assert backup.size == backup.path.stat().st_size > 0
    with sqlite3.connect(backup.path) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        rows = copy.execute("SELECT count(*) FROM notes").fetchone()[0]
    copy.close()
    # Everything committed before the copy started is in it; nothing half-written is.
    assert before <= rows <= committed[0]
    assert not list(backup.path.parent.glob("*.partial"))
    assert not list(backup.path.parent.glob("*-wal"))


def test_backup_command_default_path_and_refusals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make_database(tmp_path / "bot.db", 10)
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    out, err = io.StringIO(), io.StringIO()
    now = datetime(2026, 11, 18, 7, 30, 5, tzinfo=UTC)
    assert run_backup(url, now=now, out=out, err=err) == 0
    expected = Path("data/backups/touchbase-20261118-073005.sqlite3")
    assert expected.is_file()
    assert str(expected) in out.getvalue()
    assert "bytes" in out.getvalue()
    # The same name again is refused rather than overwritten; a folder gets the default name.
    assert run_backup(url, str(expected), now=now, out=out, err=err) == 1
    assert "already exists" in err.getvalue()
    assert run_backup(url, str(tmp_path), now=now, out=out, err=err) == 0
    assert (tmp_path / expected.name).is_file()
    with pytest.raises(BackupError, match="no database file"):
        backup_sqlite(Path("missing.db"), tmp_path / "x.sqlite3")
    assert run_backup("sqlite+aiosqlite://", out=out, err=err) == 1
    assert "in memory" in err.getvalue()


def test_backup_on_postgresql_prints_the_pg_dump_command_without_the_password() -> None:
    url = "postgresql+asyncpg://sales:hunter22@db.internal:5432/touchbase?ssl=require"
    err = io.StringIO()
    assert run_backup(url, out=io.StringIO(), err=err) == 2
    line = err.getvalue().strip()
    assert len(line.splitlines()) == 1
    assert "pg_dump --format=custom" in line
    assert "hunter22" not in line
    command = pg_dump_command(url, datetime(2026, 11, 18, tzinfo=UTC))
    assert command == (
        "pg_dump --format=custom --file=touchbase-20261118-000000.dump "
        "'postgresql://sales@db.internal:5432/touchbase?sslmode=require'"
    )


# --- logs ---------------------------------------------------------------------------------


@pytest.fixture
def captured(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """Everything logged during the test, through the production handler and filter."""
    stream = io.StringIO()
    handler = build_handler(request.param, [REAL_LOOKING_TOKEN, SECRET], stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


async def failing_telegram_call(token: str) -> None:
    """A Bot API-like call that fails with the token in the URL, as aiohttp reports it."""

    async def bad_gateway(_request: web.Request) -> web.Response:
        return web.Response(status=502)

    app = web.Application()
    app.router.add_get("/bot{token}/getMe", bad_gateway)
    async with (
        test_utils.TestServer(app) as server,
        aiohttp.ClientSession(raise_for_status=True) as http,
    ):
        await http.get(server.make_url(f"/bot{token}/getMe"))


@pytest.mark.parametrize("captured", ["text", "json"], indirect=True)
async def test_the_token_never_reaches_the_log(captured: io.StringIO) -> None:
    log = logging.getLogger("touchbase.test")
    for token in (REAL_LOOKING_TOKEN, "12345:" + "Q" * 35):  # known, and merely token-shaped
        try:
            await failing_telegram_call(token)
        except aiohttp.ClientResponseError:
            log.exception("telegram call failed")
        log.warning("retrying %s", f"https://api.telegram.org/bot{token}/sendMessage")
    log.info("webhook secret is %s", SECRET, extra={"url": f"/bot{REAL_LOOKING_TOKEN}/x"})
    output = captured.getvalue()
    assert "502" in output
    assert "telegram call failed" in output
    assert REAL_LOOKING_TOKEN not in output
    assert "Q" * 35 not in output
    assert SECRET not in output
    assert "/bot<redacted>" in output
    # One line per event, tracebacks included; aiohttp's access log went through the filter too.
    lines = [line for line in output.strip().splitlines() if "touchbase.test" in line]
    assert len(lines) == 5
    assert "aiohttp.access" in output
    if lines[0].startswith("{"):
        events = [json.loads(line) for line in output.strip().splitlines()]
        ours = [event for event in events if event["logger"] == "touchbase.test"]
        assert ours[0]["level"] == "ERROR"
        assert "Traceback" in ours[0]["exc"]
        assert ours[-1]["url"] == "/bot<redacted>/x"
    else:
        assert all(line.startswith("ts=") for line in output.strip().splitlines())
        assert ' level=ERROR logger=touchbase.test msg="telegram call failed" exc=' in lines[0]
        assert lines[-1].endswith("url=/bot<redacted>/x")


def test_personal_data_in_library_errors_is_masked() -> None:
    redact = RedactingFilter().redact
    sql_error = (
        "(sqlite3.IntegrityError) UNIQUE constraint failed: contacts.phone\n"
        "[SQL: INSERT INTO contacts (name, phone) VALUES (?, ?)]\n"
        "[parameters: ('Иван Петров', '+7 912 345-67-89')]"
    )
    masked = redact(sql_error)
    assert "Иван" not in masked
    assert "345-67" not in masked
    assert "[SQL: INSERT INTO contacts" in masked
    detail = "duplicate key value\nDETAIL:  Key (email)=(anna@example.com) already exists."
    assert "anna" not in redact(detail)
    assert redact("call +7 (912) 345-67-89 or anna.s@mail.ru") == "call <phone> or <email>"
    assert redact("update 123456789 of member 42") == "update 123456789 of member 42"
    assert redact("postgresql://sales:hunter22@db/x") == "postgresql://sales:<redacted>@db/x"


def test_secrets_of_settings_cover_token_secret_and_url_passwords() -> None:
    settings = service_settings(
        bot_token=REAL_LOOKING_TOKEN,
        database_url="postgresql+asyncpg://sales:hunter22@db/x",
        redis_url="redis://:redispass@cache:6379/0",
    )
    assert set(secrets_of(settings)) == {REAL_LOOKING_TOKEN, SECRET, "hunter22", "redispass"}
