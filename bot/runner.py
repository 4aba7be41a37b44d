"""Running the bot against Telegram (long polling)."""

from __future__ import annotations

import logging

from aiogram.utils.token import TokenValidationError

from bot.app import create_bot, create_clock, create_dispatcher
from bot.settings import Settings
from models.session import create_engine, create_session_factory
from services.clock import SystemClock

log = logging.getLogger(__name__)


async def run_polling(settings: Settings) -> int:
    """Poll Telegram (or the configured Bot API server) until stopped."""
    engine = create_engine(settings.database_url)
    try:
        try:
            bot = create_bot(settings)
        except TokenValidationError:
            log.error("Configuration error: BOT_TOKEN does not look like a bot token")
            return 2
        clock = SystemClock()
        session_factory = create_session_factory(engine)
        scheduler = create_clock(bot, settings, session_factory, clock)
        dp = create_dispatcher(settings, session_factory, clock, scheduler=scheduler)
        async with bot:
            await dp.start_polling(bot, handle_signals=True)
    finally:
        await engine.dispose()
    return 0
