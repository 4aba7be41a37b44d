"""Wiring: the one factory that builds the Dispatcher, and the Bot for a given session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.commands import set_default_menus
from bot.middlewares import (
    AnswerCallbackOnce,
    CallbackAnswerOnError,
    DatabaseSessionMiddleware,
    MemberMiddleware,
    UnloggedTouchGuard,
)
from bot.settings import Settings
from bot.storage import DatabaseStorage
from handlers import get_routers
from scheduler.clock import Ticker
from scheduler.delivery import Deliverer
from scheduler.jobs import blocked_hook, planner_jobs
from services.clock import Clock


def create_bot(settings: Settings, session: BaseSession | None = None, token: str = "") -> Bot:
    """A Bot speaking HTML, to Telegram or to the self-hosted Bot API server when configured."""
    if session is None:
        session = AiohttpSession()
        if settings.telegram_api_url:
            base = settings.telegram_api_url.rstrip("/")
            session.api = TelegramAPIServer.from_base(base)
    if not token:
        assert settings.bot_token is not None
        token = settings.bot_token.get_secret_value()
    session.middleware(AnswerCallbackOnce())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_storage(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], clock: Clock
) -> BaseStorage:
    """Where conversation state lives: Redis when REDIS_URL is set, else the database.

    Both survive a restart and are shared by every instance. Redis keys carry the bot id, so
    several bots may share one Redis.
    """
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage  # noqa: PLC0415 - optional extra

        return RedisStorage.from_url(
            settings.redis_url, key_builder=DefaultKeyBuilder(prefix="touchbase", with_bot_id=True)
        )
    return DatabaseStorage(session_factory, clock)


def create_dispatcher(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
    *,
    storage: BaseStorage | None = None,
    routers: Sequence[Router] | None = None,
) -> Dispatcher:
    """The Dispatcher with its middlewares, routers and lifecycle hooks; tests use it too.

    `routers` replaces Touchbase's own (a benchmark measures the wiring with an echo handler).
    """
    dp = Dispatcher(
        storage=storage or create_storage(settings, session_factory, clock),
        settings=settings,
        clock=clock,
        session_factory=session_factory,
        # Registered below instead, inside the update's transaction: aiogram's own place for it
        # is before every other middleware, where reading the state would cost a connection of
        # its own and a second read once the handler writes.
        disable_fsm=True,
    )
    # Touchbase is a private assistant: group chats are ignored altogether.
    dp.message.filter(F.chat.type == "private")
    dp.update.outer_middleware(DatabaseSessionMiddleware(session_factory))
    dp.update.outer_middleware(MemberMiddleware(settings, clock))
    dp.update.outer_middleware(dp.fsm)
    dp.update.outer_middleware(UnloggedTouchGuard())
    dp.callback_query.middleware(CallbackAnswerOnError())
    dp.include_routers(*(get_routers() if routers is None else routers))
    run_checks_inline(dp)

    async def on_startup(bot: Bot) -> None:
        await set_default_menus(bot)

    dp.startup.register(on_startup)
    return dp


def run_checks_inline(root: Router) -> None:
    """Call the plain (non-async) filters and handlers on the event loop, not in a thread.

    aiogram hands every callable that is not a coroutine function to `asyncio.to_thread`, and
    every `F.…` magic filter is one: a text message met ~18 of them on its way through the
    routers, each a thread hop costing a hundred times the check it runs. Ours are pure
    checks of the update (microseconds, no I/O), so they run inline; anything slow is async.
    """
    for router in root.chain_tail:
        for observer in router.observers.values():
            # The observer's own filters (`router.message.filter(...)`) live on its root handler.
            for handler in (*observer.handlers, observer._handler):
                for callable_object in (handler, *(handler.filters or ())):
                    _inline(callable_object)


def _inline(callable_object: CallableObject) -> None:
    if callable_object.awaitable:
        return
    check = callable_object.callback

    async def run_inline(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    callable_object.callback = run_inline
    callable_object.awaitable = True


def create_ticker(
    bot: Bot,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
    **delivery_options: Any,
) -> Ticker:
    """The clock's jobs in tick order: the planner's (planning, digests, reminders), then
    delivery. The console ticks it by hand; bot.runner puts it on APScheduler."""
    ticker = Ticker(clock, planner_jobs(session_factory))
    deliverer = Deliverer.from_settings(
        bot,
        session_factory,
        settings,
        on_blocked=blocked_hook(session_factory),
        **delivery_options,
    )
    # On shutdown a send batch stops taking rows and hands the rest back instead of being cut;
    # an update that queued a notice wakes it between ticks.
    ticker.register("delivery", deliverer.run_job, stop=deliverer.stop, on_demand=True)
    return ticker
