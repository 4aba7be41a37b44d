"""Running the bot against Telegram: long polling (one instance) or a webhook server (BOT_MODE).

Both modes run the clock and stop gracefully on SIGTERM/SIGINT: no new updates are taken,
updates in flight finish (a polled one interrupted instead rolls back and is fetched again at
the next start: it was not confirmed yet), the clock's running tick finishes, then the bot
session, the FSM storage and the database engine close.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from datetime import datetime

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.utils.token import TokenValidationError
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_bot, create_dispatcher, create_ticker
from bot.middlewares import OUTBOX_WAKE
from bot.settings import Settings
from bot.webhook import app_version, create_webhook_app, register_webhook
from models.session import create_engine, create_session_factory
from scheduler.clock import Ticker, create_scheduler
from services import parsing
from services.clock import SystemClock

log = logging.getLogger(__name__)

# How long a stop waits for updates in flight and for the clock's tick (systemd gives 90 s;
# give `docker stop` at least this much with --stop-timeout / stop_grace_period).
SHUTDOWN_TIMEOUT = 30.0
# No client address in the access log: only what was asked, the status, the size and the time.
ACCESS_LOG_FORMAT = '"%r" %s %b %Tfs'


def attach_clock(
    dp: Dispatcher,
    ticker: Ticker,
    scheduler: AsyncIOScheduler | None = None,
    timeout: float = SHUTDOWN_TIMEOUT,
) -> None:
    """Start the clock with the dispatcher; on its shutdown let updates in flight and the
    running tick finish, then stop the scheduler.

    The order matters: APScheduler's asyncio executor cancels a running job at shutdown, so the
    tick is drained (`Ticker.stop`) before `scheduler.shutdown` is called.
    """

    async def start_clock() -> None:
        if scheduler is not None:
            scheduler.start()

    async def stop_clock() -> None:
        # Polling runs each update as a task that aiogram does not await at shutdown; wait here,
        # before the bot session closes under them. (A webhook's requests are awaited by aiohttp
        # before the dispatcher shuts down, so this set is empty there.)
        in_flight = set(getattr(dp, "_handle_update_tasks", ()))
        if in_flight:
            log.info("stopping: %d updates in flight", len(in_flight))
            _, pending = await asyncio.wait(in_flight, timeout=timeout)
            if pending:
                log.warning("stopping: %d updates still running, left behind", len(pending))
        await ticker.stop(timeout)
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    dp.startup.register(start_clock)
    dp.shutdown.register(stop_clock)
    dp[OUTBOX_WAKE] = ticker.wake


def settle_after_start(now: datetime) -> None:
    """Load the parser's dictionaries (else the first message waits ~0.4 s for them), then move
    what start-up created (modules, dictionaries, routers) out of the collector's way: full
    collections then walk only what updates allocate. It took the pauses out of /team at
    1,000,000 interactions (benchmarks/stats: p95 about 610 → 350–390 ms) and a 0.4 s one out of
    logging (benchmarks/updates)."""
    parsing.warm_up(now)
    gc.collect()
    gc.freeze()


async def run_bot(settings: Settings) -> int:
    """Run the bot in the configured mode until SIGTERM/SIGINT; the exit status."""
    engine = create_engine(settings.database_url)
    try:
        try:
            bot = create_bot(settings)
        except TokenValidationError:
            log.error("Configuration error: BOT_TOKEN does not look like a bot token")
            return 2
        clock = SystemClock()
        session_factory = create_session_factory(engine)
        ticker = create_ticker(bot, settings, session_factory, clock)
        # Stopping order matters: the running tick finishes before APScheduler shuts down, which
        # would cancel it mid-query (see attach_clock).
        dp = create_dispatcher(settings, session_factory, clock)
        settle_after_start(clock.now())
        attach_clock(dp, ticker, create_scheduler(ticker))
        log.info("touchbase %s starting in %s mode", app_version(), settings.bot_mode)
        try:
            if settings.bot_mode == "webhook":
                return await serve_webhook(dp, bot, settings, session_factory)
            return await _poll(dp, bot)
        except TelegramUnauthorizedError:
            log.error("Configuration error: BOT_TOKEN: Telegram does not accept this token")
            return 2
        except TelegramNetworkError as error:
            log.error(
                "cannot reach the Bot API (%s); check the network or TELEGRAM_API_URL", error
            )
            return 1
    finally:
        await engine.dispose()


async def _poll(dp: Dispatcher, bot: Bot) -> int:
    try:
        async with bot:
            # getUpdates fails while a webhook is set: switching back from webhook mode removes it.
            info = await bot.get_webhook_info()
            if info.url:
                log.warning("a webhook was set: removing it to poll (pending updates are kept)")
                await bot.delete_webhook(drop_pending_updates=False)
            # Each batch is handled before the next getUpdates confirms it: a process killed
            # mid-update gets that update again from Telegram instead of losing it. Polling is
            # the one-instance mode; large teams use the webhook, which answers after handling.
            await dp.start_polling(bot, handle_signals=True, handle_as_tasks=False)
    finally:
        await dp.storage.close()
    return 0


async def serve_webhook(
    dp: Dispatcher,
    bot: Bot,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    stop: asyncio.Event | None = None,
) -> int:
    """Listen on WEBHOOK_HOST:WEBHOOK_PORT, point Telegram at WEBHOOK_URL, serve until stopped."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(
        create_webhook_app(dp, bot, settings, session_factory),
        handle_signals=False,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
        access_log_format=ACCESS_LOG_FORMAT,
    )
    # `async with bot` closes the bot session even when the app's startup fails: aiohttp runs
    # the app's cleanup hooks only after a successful startup.
    async with bot:
        try:
            # Startup first (menus, the clock), then listen, then tell Telegram: updates never
            # arrive at a closed port.
            await runner.setup()
            await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
            try:
                await register_webhook(bot, dp, settings)
            except TelegramBadRequest as error:
                log.error(
                    "Configuration error: WEBHOOK_URL: Telegram refused it (%s)", error.message
                )
                return 2
            log.info(
                "webhook: listening on %s:%d, path %s",
                settings.webhook_host,
                settings.webhook_port,
                settings.webhook_path,
            )
            await stop.wait()
            log.info("stopping: no new requests; finishing updates in flight")
        finally:
            # Closes the socket, awaits requests in flight, then the app's cleanup (the clock,
            # the storage, the bot session).
            await runner.cleanup()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
    log.info("stopped")
    return 0
