"""Sending the outbox to Telegram: paced under the limits, retried on faults, sent once.

One `Deliverer.deliver_due(now)` run claims due rows in batches and sends them concurrently
while a pacer keeps to `rate_per_second` overall (28/s by default, Telegram allows ~30) and one
message per second per chat; it keeps claiming while it sends, so a large batch streams at the
full rate instead of waiting on each answer.

Faults:
- 429 (`TelegramRetryAfter`): everything pauses for `retry_after`, the overall rate drops by a
  fifth (and creeps back with each success), and the same item is sent again in this run; only
  after `max_rate_limits_per_item` such answers does it count as a failed attempt.
- 5xx, network errors, timeouts: exponential backoff (1 s, 3 s, 9 s … up to 15 min). A message with
  an expiry (a digest, a reminder) is retried until it expires, so an outage of any length that
  ends in time loses nothing; one without (notices, alerts) is `failed` after `max_attempts` (about
  two days of backoff: a night without network loses no handover notice). A wait within `linger`
  keeps the row claimed (the attempt counted) and the message first in its chat's queue, so it
  goes out as soon as the wait is over; a longer one puts the row back to `pending` until then.
  Later messages to that chat wait for it, so a split digest never arrives out of order.
- 403 (`TelegramForbiddenError`, the member blocked the bot): `failed`, never retried, with the
  other messages to that chat; logged once and reported to `on_blocked` (the planner deactivates
  the member and tells the heads).
- 400 about formatting or buttons: sent once more as plain text (buttons dropped only when they
  were the problem); any other 400 is `failed` with Telegram's description recorded.

Only to active members: a row is claimed only while its member is active (a row of a member
switched off is cancelled instead), and re-checked just before its call, so a deactivation during
a batch stops the rest of it; what is left is the one request already on its way.

Exactly once: a row is claimed (`sending`, with a lease) before the call and marked `sent` in its
own transaction right after Telegram answers. A crash before the call leaves the row to be
reclaimed when the lease ends — nothing is lost; a crash after the call but before that commit (the
answer's trip back plus one commit) is the only window in which a message can be sent twice: killed
with SIGKILL at random moments of a 200-digest batch, 0.2–0.3 duplicates per kill
(benchmarks/crash.py: 4 in 20 kills on PostgreSQL, 6 in 20 on SQLite), none lost. The lease (5 min)
is longer than a run may last (`max_run` plus two request timeouts), so a live instance never loses
a row it is still sending to another instance. Per-chat spacing is per process: two instances may
meet in one chat, and Telegram's 429 then paces them.

Logs carry outbox ids, kinds and error classes only: never texts, names, chat ids or the token.
"""

from __future__ import annotations

import asyncio
import heapq
import html
import itertools
import logging
import math
import os
import re
import socket
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.settings import Settings
from scheduler import outbox
from scheduler.outbox import OutboxItem, SessionFactory

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]
BlockedHook = Callable[[OutboxItem, datetime], Awaitable[None]]

# Telegram's descriptions for a 400 caused by formatting or by the keyboard.
_PARSE_ERROR = re.compile(r"can't parse|can't find end|unsupported start tag|entit", re.I)
_MARKUP_ERROR = re.compile(r"button|reply markup|keyboard|url", re.I)
_TAG = re.compile(r"<[^>]*>")


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    released: int = 0
    cancelled: int = 0
    rate_limited: int = 0
    blocked_chats: int = 0
    seconds: float = 0.0

    @property
    def busy(self) -> bool:
        """True when the run had anything to do."""
        return bool(self.claimed or self.expired)


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for 5xx and network errors: first_delay × factor^(attempt-1), capped."""

    first_delay: timedelta = timedelta(seconds=1)
    factor: float = 3.0
    max_delay: timedelta = timedelta(minutes=15)
    # For messages without an expiry only: with the cap above, about two days of retries (six
    # in the first six minutes, then one per quarter of an hour).
    max_attempts: int = 200

    def delay(self, failed_attempts: int) -> timedelta:
        """How long to wait after the `failed_attempts`-th failure (1-based)."""
        # Capped before it becomes a timedelta (3^30 seconds is more than one holds), the
        # exponent too (a float overflows past 3^646).
        exponent = min(max(failed_attempts - 1, 0), 64)
        seconds = self.first_delay.total_seconds() * self.factor**exponent
        return timedelta(seconds=min(seconds, self.max_delay.total_seconds()))


def default_worker_name() -> str:
    """A name unique to this process, stored in `claimed_by`."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def build_markup(payload: Mapping[str, Any]) -> InlineKeyboardMarkup | None:
    """The inline keyboard described by an outbox payload, or None without buttons."""
    rows = payload.get("buttons") or []
    keyboard = [
        [
            InlineKeyboardButton(
                text=button["text"],
                callback_data=button.get("callback_data"),
                url=button.get("url"),
            )
            for button in row
        ]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(inline_keyboard=keyboard) if keyboard else None


def plain_text(text: str, parse_mode: str | None) -> str:
    """The text a reader would see, for resending without a parse mode."""
    if parse_mode == "HTML":
        return html.unescape(_TAG.sub("", text))
    return text


class _Pacer:
    """Spaces sends `1 / rate` apart, never more than `rate` in any second; a 429 pauses it and
    lowers the rate for a while."""

    def __init__(self, rate: float) -> None:
        self.max_rate = rate
        self.rate = rate
        self.next_slot = -math.inf
        self.recent: deque[float] = deque(maxlen=max(1, math.floor(rate)))

    def earliest(self) -> float:
        """The first moment the next send may start."""
        slot = self.next_slot
        if len(self.recent) == self.recent.maxlen:
            slot = max(slot, self.recent[0] + 1.0)
        return slot

    def take(self, moment: float) -> None:
        interval = 1.0 / self.rate
        # A send that starts a little late (the event loop's jitter) lets the next one catch up
        # by at most half a slot, so the average stays at `rate`; after a pause, no burst; and
        # the one-second window above keeps the catching up within Telegram's count.
        late = moment - self.next_slot
        base = self.next_slot if late <= interval / 2 else moment
        self.next_slot = base + interval
        self.recent.append(moment)

    def slow_down(self, moment: float, pause: float) -> None:
        self.next_slot = max(self.next_slot, moment + pause)
        self.rate = max(min(1.0, self.max_rate), self.rate * 0.8)

    def recover(self) -> None:
        self.rate = min(self.max_rate, self.rate + self.max_rate / 50)


class Deliverer:
    """Claims due outbox rows and sends them; one instance per process."""

    def __init__(
        self,
        bot: Bot,
        session_factory: SessionFactory,
        *,
        worker: str | None = None,
        rate_per_second: float = 28.0,
        per_chat_interval: float = 1.0,
        batch_size: int | None = None,
        max_in_flight: int = 64,
        lease: timedelta = timedelta(minutes=5),
        max_run: timedelta = timedelta(seconds=50),
        request_timeout: int = 20,
        linger: timedelta = timedelta(seconds=10),
        retry: RetryPolicy | None = None,
        max_rate_limits_per_item: int = 5,
        on_blocked: BlockedHook | None = None,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_second <= 0:
            msg = "rate_per_second must be positive"
            raise ValueError(msg)
        if lease <= max_run + timedelta(seconds=2 * request_timeout):
            msg = "the lease must outlast a run and its last requests, or rows could be doubled"
            raise ValueError(msg)
        self.bot = bot
        self.session_factory = session_factory
        self.worker = (worker or default_worker_name())[:64]
        self.per_chat_interval = per_chat_interval
        # About five seconds of sending per claim: large enough to stream, small enough that
        # other instances share the work.
        self.batch_size = batch_size or max(10, math.ceil(rate_per_second * 5))
        self.max_in_flight = max_in_flight
        self.lease = lease
        self.max_run = max_run
        self.request_timeout = request_timeout
        self.linger = linger
        self.retry = retry or RetryPolicy()
        self.max_rate_limits_per_item = max_rate_limits_per_item
        self.on_blocked = on_blocked
        self.monotonic = monotonic
        self.sleep = sleep
        self.pacer = _Pacer(rate_per_second)
        self.stopping = False

    @classmethod
    def from_settings(
        cls, bot: Bot, session_factory: SessionFactory, settings: Settings, **options: Any
    ) -> Deliverer:
        """A Deliverer pacing at the configured rate."""
        return cls(bot, session_factory, rate_per_second=settings.send_rate_per_second, **options)

    async def deliver_due(self, now: datetime) -> DeliveryReport:
        """Send everything due at `now` (and what falls due while sending, within `max_run`)."""
        return await _DeliveryRun(self, now).execute()

    async def run_job(self, now: datetime) -> None:
        """`deliver_due` in the shape of a clock job."""
        await self.deliver_due(now)

    def stop(self) -> None:
        """Shutting down: a run in progress starts nothing new, lets in-flight sends finish
        and hands the rest back; later runs do nothing."""
        self.stopping = True


class _DeliveryRun:
    """The state of one `deliver_due` call."""

    def __init__(self, deliverer: Deliverer, now: datetime) -> None:
        self.d = deliverer
        self.report = DeliveryReport()
        self.started_at = now
        self.started = deliverer.monotonic()
        self.deadline = self.started + deliverer.max_run.total_seconds()
        self.queues: dict[int, deque[OutboxItem]] = {}
        self.queued = 0
        self.ready: list[tuple[float, int, int]] = []
        self.chat_ready: dict[int, float] = {}
        self.busy_chats: set[int] = set()
        self.blocked_chats: set[int] = set()
        self.sequence = itertools.count()
        self.in_flight: set[asyncio.Task[None]] = set()
        self.retries_due: list[float] = []
        # Chats whose first message waits out a short retry, and when it may go.
        self.retrying: dict[int, float] = {}
        self.rate_limits: dict[int, int] = {}
        self.exhausted = False

    def now(self) -> datetime:
        """The wall time, advanced by the run's own (injectable) monotonic clock."""
        return self.started_at + timedelta(seconds=self.d.monotonic() - self.started)

    async def execute(self) -> DeliveryReport:
        try:
            self.report.expired += await outbox.expire_overdue(self.d.session_factory, self.now())
            await self._loop()
            if self.in_flight:
                await asyncio.gather(*self.in_flight, return_exceptions=True)
        except asyncio.CancelledError:
            for task in self.in_flight:
                task.cancel()
            await asyncio.shield(self._release_queued())
            raise
        await self._release_queued()
        self.report.seconds = self.d.monotonic() - self.started
        if self.report.busy:
            log.info(
                "delivery run: claimed=%d sent=%d retried=%d failed=%d expired=%d "
                "released=%d cancelled=%d rate_limited=%d blocked_chats=%d seconds=%.1f",
                self.report.claimed,
                self.report.sent,
                self.report.retried,
                self.report.failed,
                self.report.expired,
                self.report.released,
                self.report.cancelled,
                self.report.rate_limited,
                self.report.blocked_chats,
                self.report.seconds,
            )
        return self.report

    async def _loop(self) -> None:
        while self.d.monotonic() < self.deadline and not self.d.stopping:
            moment = self.d.monotonic()
            if self.retries_due and min(self.retries_due) <= moment:
                self.retries_due = [due for due in self.retries_due if due > moment]
                self.exhausted = False
            if not self.exhausted and self.queued < max(1, self.d.batch_size // 2):
                await self._claim()
            chat = self._next_chat()
            if chat is None:
                if self.in_flight:
                    await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                if not await self._linger():
                    return
                continue
            start_at = max(self.chat_ready.get(chat, -math.inf), self.d.pacer.earliest())
            if start_at > moment:
                # In steps of at most a second, so a stop request is noticed during a long pause.
                await self.d.sleep(min(start_at, self.deadline, moment + 1.0) - moment)
                continue
            if len(self.in_flight) >= self.d.max_in_flight:
                await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)
                continue
            await self._launch(chat, moment)

    async def _linger(self) -> bool:
        """Wait for a retry that falls due soon; False when there is nothing left to wait for."""
        moment = self.d.monotonic()
        upcoming = [due for due in self.retries_due if due > moment]
        if not upcoming:
            return False
        due = min(upcoming)
        if due - moment > self.d.linger.total_seconds() or due >= self.deadline:
            return False
        await self.d.sleep(min(due - moment, 1.0))
        return True

    def _next_chat(self) -> int | None:
        """The chat whose turn comes first, dropping stale heap entries on the way: a message
        retried after a short wait, as soon as the wait is over; else the heap's first."""
        moment = self.d.monotonic()
        for chat, ready_at in list(self.retrying.items()):
            if not self.queues.get(chat):
                del self.retrying[chat]
            elif chat not in self.busy_chats and ready_at <= moment:
                del self.retrying[chat]
                return chat
        while self.ready:
            ready_at, _, chat = self.ready[0]
            if not self.queues.get(chat) or chat in self.busy_chats:
                heapq.heappop(self.ready)
                continue
            current = self.chat_ready.get(chat, -math.inf)
            if ready_at < current:
                heapq.heapreplace(self.ready, (current, next(self.sequence), chat))
                continue
            return chat
        return None

    def _schedule_chat(self, chat: int) -> None:
        if self.queues.get(chat):
            ready_at = self.chat_ready.get(chat, -math.inf)
            heapq.heappush(self.ready, (ready_at, next(self.sequence), chat))

    def _enqueue(self, item: OutboxItem) -> None:
        queue = self.queues.setdefault(item.chat_id, deque())
        queue.append(item)
        self.queued += 1
        if len(queue) == 1 and item.chat_id not in self.busy_chats:
            self._schedule_chat(item.chat_id)

    def _take_chat_queue(self, chat: int) -> list[OutboxItem]:
        items = list(self.queues.pop(chat, ()))
        self.queued -= len(items)
        return items

    async def _claim(self) -> None:
        limit = self.d.batch_size - self.queued
        items = await outbox.claim_due(
            self.d.session_factory,
            worker=self.d.worker,
            now=self.now(),
            limit=limit,
            lease=self.d.lease,
        )
        self.exhausted = len(items) < limit
        self.report.claimed += len(items)
        for item in items:
            if item.chat_id in self.blocked_chats:
                await self._fail(item, "TelegramForbiddenError: blocked", blocked=True)
            else:
                self._enqueue(item)

    async def _launch(self, chat: int, moment: float) -> None:
        queue = self.queues[chat]
        item = queue.popleft()
        self.queued -= 1
        if not queue:
            del self.queues[chat]
        if self.ready and self.ready[0][2] == chat:
            heapq.heappop(self.ready)
        if item.expires_at is not None and item.expires_at < self.now():
            await outbox.mark_expired(self.d.session_factory, item.id)
            self.report.expired += 1
            self._schedule_chat(chat)
            return
        if self._exhausted(item, item.attempts):
            await self._fail(item, "too many attempts")
            self._schedule_chat(chat)
            return
        if not await outbox.confirm_sending(self.d.session_factory, item.id):
            self.report.cancelled += 1
            log.info("outbox %d (%s): cancelled before sending", item.id, item.kind)
            self._schedule_chat(chat)
            return
        self.d.pacer.take(moment)
        self.chat_ready[chat] = moment + self.d.per_chat_interval
        self.busy_chats.add(chat)
        task = asyncio.create_task(self._deliver(item))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            await self._attempt(item)
        except Exception:
            # A bug (say, a payload aiogram refuses) must not stop the other messages.
            log.exception("outbox %d (%s): unexpected error while sending", item.id, item.kind)
            await self._fail(item, "unexpected error")
        finally:
            self.busy_chats.discard(item.chat_id)
            self._schedule_chat(item.chat_id)

    async def _attempt(self, item: OutboxItem) -> None:
        try:
            message_id = await self._send(item)
        except TelegramRetryAfter as error:
            await self._rate_limited(item, error)
        except TelegramForbiddenError:
            await self._blocked(item)
        except (TelegramEntityTooLarge, TelegramBadRequest, TelegramNotFound) as error:
            await self._fail(item, _describe(error))
        except TelegramMigrateToChat as error:
            await self._fail(item, _describe(error))
        except (TelegramServerError, TelegramNetworkError, TimeoutError) as error:
            await self._retry_later(item, _describe(error))
        except TelegramAPIError as error:
            # 401, 409 and the unforeseen: keep the message and try again later.
            await self._retry_later(item, _describe(error))
        else:
            await outbox.mark_sent(self.d.session_factory, item.id, message_id, self.now())
            self.report.sent += 1
            self.d.pacer.recover()
            log.debug("outbox %d (%s): sent", item.id, item.kind)

    async def _send(self, item: OutboxItem) -> int:
        payload = item.payload
        text: str = payload["text"]
        markup = build_markup(payload)
        parse_mode: str | None = payload.get("parse_mode")
        try:
            return await self._call(item.chat_id, text, markup, parse_mode, explicit=False)
        except TelegramBadRequest as error:
            description = error.message
            about_markup = markup is not None and bool(_MARKUP_ERROR.search(description))
            about_parse = bool(_PARSE_ERROR.search(description))
            if not (about_markup or about_parse):
                raise
            log.info(
                "outbox %d (%s): resending as plain text after a 400 on %s",
                item.id,
                item.kind,
                "buttons" if about_markup else "formatting",
            )
            effective_mode = parse_mode or self.d.bot.default.parse_mode
            plain = plain_text(text, effective_mode if isinstance(effective_mode, str) else None)
            return await self._call(
                item.chat_id, plain, None if about_markup else markup, None, explicit=True
            )

    async def _call(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None,
        parse_mode: str | None,
        *,
        explicit: bool,
    ) -> int:
        options: dict[str, Any] = {"reply_markup": markup}
        # Without an explicit mode the bot's default (HTML) applies.
        if explicit or parse_mode is not None:
            options["parse_mode"] = parse_mode
        message = await self.d.bot.send_message(
            chat_id, text, request_timeout=self.d.request_timeout, **options
        )
        return message.message_id

    async def _rate_limited(self, item: OutboxItem, error: TelegramRetryAfter) -> None:
        self.report.rate_limited += 1
        moment = self.d.monotonic()
        pause = float(max(error.retry_after, 1))
        self.d.pacer.slow_down(moment, pause)
        count = self.rate_limits.get(item.id, 0) + 1
        self.rate_limits[item.id] = count
        log.warning(
            "outbox %d (%s): 429, pausing %.0f s (rate now %.1f/s)",
            item.id,
            item.kind,
            pause,
            self.d.pacer.rate,
        )
        if count > self.d.max_rate_limits_per_item:
            await self._retry_later(item, _describe(error), delay=timedelta(seconds=pause))
            return
        self.chat_ready[item.chat_id] = max(self.chat_ready.get(item.chat_id, 0.0), moment + pause)
        queue = self.queues.setdefault(item.chat_id, deque())
        queue.appendleft(item)
        self.queued += 1

    def _exhausted(self, item: OutboxItem, attempts: int) -> bool:
        """Whether to give the message up: one with an expiry is worth trying until then (the
        expiry ends it), one without after `max_attempts`."""
        return item.expires_at is None and attempts >= self.d.retry.max_attempts

    async def _retry_later(
        self, item: OutboxItem, error: str, *, delay: timedelta | None = None
    ) -> None:
        failed_attempts = item.attempts + 1
        if self._exhausted(item, failed_attempts):
            log.warning("outbox %d (%s): giving up after %s", item.id, item.kind, error[:80])
            await self._fail(item, error)
            return
        wait = delay if delay is not None else self.d.retry.delay(failed_attempts)
        if delay is None and await self._retry_soon(item, error, failed_attempts, wait):
            return
        retry_at = self.now() + wait
        # Later messages to the same chat wait for this one, to keep their order.
        held = self._take_chat_queue(item.chat_id)
        await outbox.mark_retry(self.d.session_factory, item.id, error, retry_at)
        if held:
            self.report.released += await outbox.release(
                self.d.session_factory,
                [other.id for other in held],
                worker=self.d.worker,
                not_before=retry_at,
            )
        self.report.retried += 1
        self.retries_due.append(self.d.monotonic() + wait.total_seconds())
        log.info(
            "outbox %d (%s): attempt %d failed (%s), retrying in %.0f s",
            item.id,
            item.kind,
            failed_attempts,
            error.split(":", 1)[0],
            wait.total_seconds(),
        )

    async def _retry_soon(
        self, item: OutboxItem, error: str, failed_attempts: int, wait: timedelta
    ) -> bool:
        """A short wait: the row stays claimed and the item first in its chat's queue, and it
        goes out as soon as the wait is over — not behind everything claimed before, which
        would gather the retries at the end of a large batch, where a second fault leaves the
        run idle through its longer backoff. False when the wait is too long for this run."""
        due = self.d.monotonic() + wait.total_seconds()
        if wait > self.d.linger or due >= self.deadline or self.d.stopping:
            return False
        if not await outbox.count_attempt(
            self.d.session_factory, item.id, error, worker=self.d.worker
        ):
            return False
        self.chat_ready[item.chat_id] = max(self.chat_ready.get(item.chat_id, -math.inf), due)
        self.retrying[item.chat_id] = self.chat_ready[item.chat_id]
        self.queues.setdefault(item.chat_id, deque()).appendleft(
            replace(item, attempts=failed_attempts)
        )
        self.queued += 1
        self.report.retried += 1
        log.info(
            "outbox %d (%s): attempt %d failed (%s), retrying in %.0f s",
            item.id,
            item.kind,
            failed_attempts,
            error.split(":", 1)[0],
            wait.total_seconds(),
        )
        return True

    async def _blocked(self, item: OutboxItem) -> None:
        chat = item.chat_id
        first = chat not in self.blocked_chats
        self.blocked_chats.add(chat)
        await self._fail(item, "TelegramForbiddenError: blocked", blocked=True)
        for other in self._take_chat_queue(chat):
            await self._fail(other, "TelegramForbiddenError: blocked", blocked=True)
        if not first:
            return
        self.report.blocked_chats += 1
        log.warning(
            "outbox %d (%s): member %d blocked the bot", item.id, item.kind, item.member_id
        )
        if self.d.on_blocked is not None:
            try:
                await self.d.on_blocked(item, self.now())
            except Exception:
                log.exception("outbox %d: the blocked-member hook failed", item.id)

    async def _fail(self, item: OutboxItem, error: str, *, blocked: bool = False) -> None:
        await outbox.mark_failed(self.d.session_factory, item.id, error)
        self.report.failed += 1
        if not blocked:
            log.warning("outbox %d (%s): failed (%s)", item.id, item.kind, error.split(":", 1)[0])

    async def _release_queued(self) -> None:
        """Hand back what this run claimed but did not start, for the next run or instance."""
        leftovers = [item.id for queue in self.queues.values() for item in queue]
        self.queues.clear()
        self.queued = 0
        if not leftovers:
            return
        self.report.released += await outbox.release(
            self.d.session_factory, leftovers, worker=self.d.worker
        )


def _describe(error: BaseException) -> str:
    """An error for the `last_error` column: its class and Telegram's description."""
    message = getattr(error, "message", None) or str(error)
    return f"{type(error).__name__}: {message}"
