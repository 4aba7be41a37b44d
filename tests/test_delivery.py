"""The outbox and its delivery: idempotent enqueue, atomic claims, pacing and Telegram's faults."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import models
from bot.app import create_ticker
from bot.offline import RecordingSession
from bot.settings import Settings
from models import Member, Outbox
from models.enums import Role
from models.session import create_engine, create_session_factory
from scheduler.clock import NamedJob, Ticker, create_scheduler
from scheduler.delivery import Deliverer, DeliveryReport, RetryPolicy, plain_text
from scheduler.outbox import (
    OutboxItem,
    claim_due,
    enqueue,
    enqueue_many,
    mark_sent,
    outbox_row,
    release,
)
from services.clock import ManualClock

Factory = async_sessionmaker[AsyncSession]
PROBE = SendMessage(chat_id=1, text="probe")


class FakeTime:
    """A monotonic clock and a sleep that only move fake time."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        # Let tasks started before the sleep run at the moment they were started.
        await asyncio.sleep(0)
        self.now += max(seconds, 0.0)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def sends(recorder: RecordingSession, fake_time: FakeTime) -> list[tuple[float, int, str]]:
    """(fake time, chat id, text) of every message that reached "Telegram"."""
    log: list[tuple[float, int, str]] = []

    def on_request(method: TelegramMethod[Any], _result: Any) -> None:
        if isinstance(method, SendMessage):
            log.append((fake_time.now, int(method.chat_id), method.text))

    recorder.on_request = on_request
    return log


def make_deliverer(
    bot: Bot, session_factory: Factory, fake_time: FakeTime, **options: Any
) -> Deliverer:
    return Deliverer(
        bot,
        session_factory,
        worker="test-worker",
        monotonic=fake_time.monotonic,
        sleep=fake_time.sleep,
        **options,
    )


async def add_members(
    session_factory: Factory, chat_ids: Sequence[int], now: datetime
) -> list[Member]:
    async with session_factory.begin() as session:
        members = [
            Member(
                telegram_id=chat_id,
                full_name=f"Manager {chat_id}",
                role=Role.MANAGER,
                timezone="Europe/Moscow",
                language="ru",
                created_at=now,
            )
            for chat_id in chat_ids
        ]
        session.add_all(members)
    return members


async def put(
    session_factory: Factory,
    member: Member,
    key: str,
    now: datetime,
    *,
    text: str | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    buttons: list[list[dict[str, str]]] | None = None,
    **payload: Any,
) -> bool:
    async with session_factory.begin() as session:
        return await enqueue(
            session,
            outbox_row(
                member=member,
                kind="reminder",
                dedupe_key=key,
                payload={"text": text or f"text {key}", "buttons": buttons or [], **payload},
                not_before=not_before or now,
                now=now,
                expires_at=expires_at,
            ),
        )


async def rows(session_factory: Factory) -> dict[str, Outbox]:
    async with session_factory() as session:
        result = await session.scalars(select(Outbox))
        return {row.dedupe_key: row for row in result}


async def test_enqueue_is_idempotent(session_factory: Factory, clock: ManualClock) -> None:
    now = clock.now()
    [member] = await add_members(session_factory, [101], now)

    assert await put(session_factory, member, "digest:1:2026-11-18", now, text="first")
    assert not await put(session_factory, member, "digest:1:2026-11-18", now, text="second")

    stored = await rows(session_factory)
    assert list(stored) == ["digest:1:2026-11-18"]
    row = stored["digest:1:2026-11-18"]
    assert row.payload["text"] == "first"
    assert (row.status, row.chat_id, row.member_id, row.attempts) == ("pending", 101, member.id, 0)


async def test_enqueue_in_one_transaction_twice_keeps_the_transaction_usable(
    session_factory: Factory, clock: ManualClock
) -> None:
    now = clock.now()
    [member] = await add_members(session_factory, [101], now)
    payload = {"text": "hi", "buttons": []}
    async with session_factory.begin() as session:
        row = outbox_row(
            member=member, kind="notice", dedupe_key="k", payload=payload, not_before=now, now=now
        )
        first = await enqueue(session, row)
        second = await enqueue(session, row)
    assert (first, second) == (True, False)
    assert len(await rows(session_factory)) == 1


async def test_enqueue_many_adds_only_the_keys_not_there_yet(
    session_factory: Factory, clock: ManualClock
) -> None:
    now = clock.now()
    [member] = await add_members(session_factory, [101], now)

    def row(key: str, text: str) -> dict[str, Any]:
        return outbox_row(
            member=member, kind="reminder", dedupe_key=key, payload={"text": text},
            not_before=now, now=now,
        )  # fmt: skip

    async with session_factory.begin() as session:
        await enqueue_many(session, [row("a", "first a"), row("b", "first b")])
    async with session_factory.begin() as session:
        await enqueue_many(session, [row("b", "second b"), row("c", "first c")])
        await enqueue_many(session, [])
    stored = await rows(session_factory)
    assert sorted(stored) == ["a", "b", "c"]
    assert stored["b"].payload["text"] == "first b"


@pytest.mark.parametrize(
    "payload",
    [
        {"text": ""},
        {"text": "x" * 4097},
        {"text": "ok", "buttons": [[{"text": "no target"}]]},
        {"text": "ok", "buttons": [[{"text": "both", "callback_data": "a", "url": "https://x"}]]},
        {"text": "ok", "buttons": [{"text": "not a row", "callback_data": "a"}]},
        {"text": "ok", "parse_mode": "BBCode"},
    ],
)
async def test_enqueue_refuses_a_payload_telegram_would_refuse(
    session_factory: Factory, clock: ManualClock, payload: dict[str, Any]
) -> None:
    [member] = await add_members(session_factory, [101], clock.now())
    async with session_factory() as session:
        with pytest.raises(ValueError, match=r"."):
            await enqueue(
                session,
                outbox_row(
                    member=member, kind="notice", dedupe_key="bad", payload=payload,
                    not_before=clock.now(), now=clock.now(),
                ),
            )  # fmt: skip


async def _claim_concurrently(
    factories: Sequence[Factory], now: datetime
) -> list[list[OutboxItem]]:
    return list(
        await asyncio.gather(
            *(
                claim_due(
                    factory, worker=f"w{index}", now=now, limit=10, lease=timedelta(minutes=5)
                )
                for index, factory in enumerate(factories)
            )
        )
    )


def _assert_disjoint_and_complete(batches: list[list[OutboxItem]], expected: int) -> None:
    claimed = [item.id for batch in batches for item in batch]
    assert len(claimed) == len(set(claimed)), "a row was claimed twice"
    assert len(claimed) == expected
    for index, batch in enumerate(batches):
        assert all(item.claimed_by == f"w{index}" for item in batch)


async def test_concurrent_claimers_never_share_a_row(
    session_factory: Factory, clock: ManualClock
) -> None:
    now = clock.now()
    members = await add_members(session_factory, range(200, 230), now)
    for member in members:
        await put(session_factory, member, f"r:{member.telegram_id}", now)

    batches = await _claim_concurrently([session_factory] * 5, now)

    _assert_disjoint_and_complete(batches, 30)
    again = await claim_due(
        session_factory, worker="late", now=now, limit=10, lease=timedelta(minutes=5)
    )
    assert again == []
    assert {row.status for row in (await rows(session_factory)).values()} == {"sending"}


async def test_concurrent_claimers_on_a_sqlite_file_with_separate_connections(
    tmp_path: Path, clock: ManualClock
) -> None:
    """Real concurrent writers (one connection each), as with several processes on one file."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}"
    engines = [create_engine(url) for _ in range(4)]
    try:
        async with engines[0].begin() as connection:
            await connection.run_sync(models.Base.metadata.create_all)
        factories = [create_session_factory(engine) for engine in engines]
        now = clock.now()
        members = await add_members(factories[0], range(300, 336), now)
        for member in members:
            await put(factories[0], member, f"r:{member.telegram_id}", now)

        batches = await _claim_concurrently(factories, now)

        _assert_disjoint_and_complete(batches, 36)
    finally:
        for engine in engines:
            await engine.dispose()


async def test_claim_takes_due_rows_oldest_first_and_leaves_live_claims_alone(
    session_factory: Factory, clock: ManualClock
) -> None:
    now = clock.now()
    member_a, member_b, member_c = await add_members(session_factory, [1, 2, 3], now)
    await put(session_factory, member_a, "later", now, not_before=now + timedelta(minutes=5))
    await put(session_factory, member_b, "due-new", now, not_before=now - timedelta(minutes=1))
    await put(session_factory, member_c, "due-old", now, not_before=now - timedelta(hours=1))
    live = await claim_due(
        session_factory, worker="alive", now=now, limit=1, lease=timedelta(minutes=5)
    )
    assert [item.dedupe_key for item in live] == ["due-old"]

    taken = await claim_due(
        session_factory, worker="other", now=now + timedelta(minutes=1), limit=10,
        lease=timedelta(minutes=5),
    )  # fmt: skip

    assert [item.dedupe_key for item in taken] == ["due-new"]


async def test_expired_reminders_are_not_sent(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime,
) -> None:  # fmt: skip
    now = clock.now()
    member_a, member_b = await add_members(session_factory, [11, 12], now)
    yesterday = now - timedelta(days=1)
    await put(
        session_factory, member_a, "reminder:yesterday", yesterday,
        not_before=yesterday, expires_at=yesterday + timedelta(hours=8),
    )  # fmt: skip
    await put(
        session_factory, member_b, "reminder:today", now,
        not_before=now - timedelta(minutes=5), expires_at=now + timedelta(hours=1),
    )  # fmt: skip

    report = await make_deliverer(bot, session_factory, fake_time).deliver_due(now)

    assert [int(request.chat_id) for request in recorder.sent(SendMessage)] == [12]
    stored = await rows(session_factory)
    assert stored["reminder:yesterday"].status == "expired"
    assert stored["reminder:yesterday"].sent_at is None
    assert stored["reminder:today"].status == "sent"
    assert (report.sent, report.expired) == (1, 1)


async def test_sent_row_records_message_id_and_buttons(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime,
) -> None:  # fmt: skip
    now = clock.now()
    [member] = await add_members(session_factory, [21], now)
    buttons = [
        [{"text": "Сделано", "callback_data": "t:done:5"}],
        [{"text": "Web", "url": "https://example.com"}],
    ]
    await put(session_factory, member, "reminder:5", now, text="<b>Позвонить</b>", buttons=buttons)

    report = await make_deliverer(bot, session_factory, fake_time).deliver_due(now)

    [request] = recorder.sent(SendMessage)
    assert request.text == "<b>Позвонить</b>"
    assert request.reply_markup is not None
    assert isinstance(request.reply_markup, InlineKeyboardMarkup)
    markup = request.reply_markup.inline_keyboard
    assert [[button.text for button in row] for row in markup] == [["Сделано"], ["Web"]]
    assert markup[0][0].callback_data == "t:done:5"
    assert markup[1][0].url == "https://example.com"
    row = (await rows(session_factory))["reminder:5"]
    assert row.status == "sent"
    assert row.sent_message_id is not None
    assert row.sent_message_id in {message_id for _chat, message_id in recorder.messages}
    assert row.sent_at == now
    assert (row.claimed_by, row.claimed_until) == (None, None)
    assert report.sent == 1


async def test_second_run_sends_nothing_again(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime,
) -> None:  # fmt: skip
    now = clock.now()
    members = await add_members(session_factory, [31, 32, 33], now)
    for member in members:
        await put(session_factory, member, f"digest:{member.id}", now)
    deliverer = make_deliverer(bot, session_factory, fake_time)

    await deliverer.deliver_due(now)
    # A restart: a fresh deliverer with another worker name, and the same key enqueued again.
    for member in members:
        assert not await put(session_factory, member, f"digest:{member.id}", now)
    again = await make_deliverer(bot, session_factory, fake_time).deliver_due(
        now + timedelta(minutes=1)
    )

    assert len(recorder.sent(SendMessage)) == 3
    assert again.claimed == 0


async def test_429_waits_retry_after_and_delivers_once(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime, sends: list[tuple[float, int, str]],
) -> None:  # fmt: skip
    now = clock.now()
    member_a, member_b = await add_members(session_factory, [41, 42], now)
    await put(session_factory, member_a, "a", now)
    await put(session_factory, member_b, "b", now)
    recorder.failures.append(
        TelegramRetryAfter(method=PROBE, message="Too Many Requests: retry after 3", retry_after=3)
    )
    deliverer = make_deliverer(bot, session_factory, fake_time)

    report = await deliverer.deliver_due(now)

    assert sorted(chat for _at, chat, _text in sends) == [41, 42]
    # The first call was refused; everything after it waited out retry_after.
    assert all(at >= 3.0 for at, _chat, _text in sends)
    stored = await rows(session_factory)
    assert {row.status for row in stored.values()} == {"sent"}
    assert stored["a"].attempts == 0
    assert report.rate_limited == 1
    assert deliverer.pacer.rate < 28.0


async def test_persistent_429_counts_as_an_attempt_after_a_cap(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime,
) -> None:  # fmt: skip
    now = clock.now()
    [member] = await add_members(session_factory, [43], now)
    await put(session_factory, member, "a", now)
    recorder.failures.extend(
        TelegramRetryAfter(method=PROBE, message="Too Many Requests", retry_after=2)
        for _ in range(3)
    )
    deliverer = make_deliverer(
        bot, session_factory, fake_time, max_rate_limits_per_item=2, linger=timedelta(seconds=5)
    )

    report = await deliverer.deliver_due(now)

    row = (await rows(session_factory))["a"]
    assert (row.status, row.attempts) == ("sent", 1)
    assert report.rate_limited == 3
    assert len(recorder.sent(SendMessage)) == 1


@pytest.mark.parametrize(
    "fault",
    [
        TelegramServerError(method=PROBE, message="Internal Server Error"),
        TelegramNetworkError(method=PROBE, message="Request timeout error"),
        TimeoutError(),
    ],
    ids=["5xx", "network", "timeout"],
)
async def test_server_and_network_errors_retry_with_backoff_and_deliver_once(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime, sends: list[tuple[float, int, str]], fault: Exception,
) -> None:  # fmt: skip
    now = clock.now()
    [member] = await add_members(session_factory, [51], now)
    await put(session_factory, member, "r", now)
    recorder.failures.extend([fault, fault])

    report = await make_deliverer(bot, session_factory, fake_time).deliver_due(now)

    assert len(sends) == 1
    # Backoff: 1 s after the first failure, 3 s after the second.
    assert sends[0][0] >= 4.0
    row = (await rows(session_factory))["r"]
    assert (row.status, row.attempts) == ("sent", 2)
    assert report.retried == 2


async def test_retries_stop_after_max_attempts(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime,
) -> None:  # fmt: skip
    now = clock.now()
    [member] = await add_members(session_factory, [52], now)
    await put(session_factory, member, "r", now)
    recorder.failures.extend(
        TelegramServerError(method=PROBE, message="Bad Gateway") for _ in range(10)
    )
    deliverer = make_deliverer(
        bot, session_factory, fake_time,
        retry=RetryPolicy(first_delay=timedelta(seconds=1), factor=1.0, max_attempts=3),
    )  # fmt: skip

    await deliverer.deliver_due(now)
    await deliverer.deliver_due(now + timedelta(minutes=5))

    row = (await rows(session_factory))["r"]
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error is not None
    assert "TelegramServerError" in row.last_error
    assert recorder.sent(SendMessage) == []
    assert len(recorder.failures) == 7


async def test_a_retried_message_keeps_its_place_before_the_next_one_to_that_chat(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime, sends: list[tuple[float, int, str]],
) -> None:  # fmt: skip
    now = clock.now()
    [member] = await add_members(session_factory, [53], now)
    await put(session_factory, member, "digest:part1", now, text="part 1")
    await put(session_factory, member, "digest:part2", now, text="part 2")
    recorder.failures.append(TelegramServerError(method=PROBE, message="Internal Server Error"))

    await make_deliverer(bot, session_factory, fake_time).deliver_due(now)

    assert [text for _at, _chat, text in sends] == ["part 1", "part 2"]
    assert sends[1][0] - sends[0][0] >= 1.0


async def test_forbidden_marks_failed_never_retries_and_reports_the_member_once(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime, sends: list[tuple[float, int, str]],
) -> None:  # fmt: skip
    now = clock.now()
    blocker, other = await add_members(session_factory, [61, 62], now)
    await put(session_factory, blocker, "blocked:1", now, not_before=now - timedelta(minutes=2))
    await put(session_factory, blocker, "blocked:2", now, not_before=now - timedelta(minutes=1))
    await put(session_factory, other, "other", now)
    recorder.failures.append(
        TelegramForbiddenError(method=PROBE, message="Forbidden: bot was blocked by the user")
    )
    reported: list[int] = []

    async def on_blocked(item: OutboxItem, _now: datetime) -> None:
        reported.append(item.member_id)

    deliverer = make_deliverer(bot, session_factory, fake_time, on_blocked=on_blocked)
    report = await deliverer.deliver_due(now)
    later = await deliverer.deliver_due(now + timedelta(hours=1))

    assert [chat for _at, chat, _text in sends] == [62]
    stored = await rows(session_factory)
    assert stored["blocked:1"].status == "failed"
    assert stored["blocked:2"].status == "failed"
    assert "Forbidden" in (stored["blocked:1"].last_error or "")
    assert stored["other"].status == "sent"
    assert reported == [blocker.id]
    assert (report.failed, report.blocked_chats, report.retried) == (2, 1, 0)
    assert later.claimed == 0


async def test_bad_markup_is_resent_once_as_plain_text(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime,
) -> None:  # fmt: skip
    now = clock.now()
    [member] = await add_members(session_factory, [71], now)
    buttons = [[{"text": "Сделано", "callback_data": "t:done:1"}]]
    await put(session_factory, member, "r", now, text="<b>Иван &amp; Ко", buttons=buttons)
    recorder.failures.append(
        TelegramBadRequest(
            method=PROBE, message="Bad Request: can't parse entities: unclosed start tag"
        )
    )

    await make_deliverer(bot, session_factory, fake_time).deliver_due(now)

    [request] = recorder.sent(SendMessage)
    assert request.text == "Иван & Ко"
    assert request.parse_mode is None
    assert request.reply_markup is not None
    assert (await rows(session_factory))["r"].status == "sent"


async def test_other_bad_requests_fail_with_the_error_recorded(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime,
) -> None:  # fmt: skip
    now = clock.now()
    [member] = await add_members(session_factory, [72], now)
    await put(session_factory, member, "r", now)
    recorder.failures.append(
        TelegramBadRequest(method=PROBE, message="Bad Request: chat not found")
    )

    report = await make_deliverer(bot, session_factory, fake_time).deliver_due(now)

    row = (await rows(session_factory))["r"]
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == "TelegramBadRequest: Bad Request: chat not found"
    assert recorder.sent(SendMessage) == []
    assert report.failed == 1


def test_plain_text_strips_html_only() -> None:
    assert plain_text("<b>Привет</b>, &lt;друг&gt;", "HTML") == "Привет, <друг>"
    assert plain_text("*bold*", "MarkdownV2") == "*bold*"


async def test_a_crashed_instances_claim_is_taken_over_and_sent_once(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime,
) -> None:  # fmt: skip
    now = clock.now()
    crashed_member, live_member = await add_members(session_factory, [81, 82], now)
    await put(session_factory, crashed_member, "crashed", now)
    await put(session_factory, live_member, "live", now)
    lease = timedelta(minutes=5)
    [crashed] = await claim_due(session_factory, worker="dead", now=now, limit=1, lease=lease)
    assert crashed.dedupe_key == "crashed"
    later = now + timedelta(minutes=4)
    # Another instance, alive, holds the second row while the first instance's lease runs out.
    [live] = await claim_due(session_factory, worker="alive", now=later, limit=5, lease=lease)
    assert live.dedupe_key == "live"

    report = await make_deliverer(bot, session_factory, fake_time).deliver_due(later + lease)

    assert [int(request.chat_id) for request in recorder.sent(SendMessage)] == [81]
    stored = await rows(session_factory)
    assert (stored["crashed"].status, stored["crashed"].attempts) == ("sent", 1)
    assert (stored["live"].status, stored["live"].claimed_by) == ("sending", "alive")
    assert report.sent == 1
    # The live instance finishes its row; nothing is sent twice afterwards.
    await mark_sent(session_factory, live.id, 999, later)
    again = await make_deliverer(bot, session_factory, fake_time).deliver_due(later + 2 * lease)
    assert again.claimed == 0


async def test_release_hands_back_only_this_workers_rows(
    session_factory: Factory, clock: ManualClock
) -> None:
    now = clock.now()
    member_a, member_b = await add_members(session_factory, [91, 92], now)
    await put(session_factory, member_a, "a", now)
    await put(session_factory, member_b, "b", now)
    [mine] = await claim_due(
        session_factory, worker="me", now=now, limit=1, lease=timedelta(minutes=5)
    )
    [theirs] = await claim_due(
        session_factory, worker="them", now=now, limit=1, lease=timedelta(minutes=5)
    )

    released = await release(session_factory, [mine.id, theirs.id], worker="me")

    assert released == 1
    stored = await rows(session_factory)
    assert (stored[mine.dedupe_key].status, stored[mine.dedupe_key].attempts) == ("pending", 0)
    assert stored[theirs.dedupe_key].status == "sending"


async def test_pacing_keeps_the_overall_rate_and_streams_at_it(
    session_factory: Factory, bot: Bot, clock: ManualClock, fake_time: FakeTime,
    sends: list[tuple[float, int, str]],
) -> None:  # fmt: skip
    now = clock.now()
    members = await add_members(session_factory, range(1000, 1060), now)
    for member in members:
        await put(session_factory, member, f"digest:{member.id}", now)

    report = await make_deliverer(
        bot, session_factory, fake_time, rate_per_second=28.0, batch_size=25
    ).deliver_due(now)

    assert report.sent == 60
    times = [at for at, _chat, _text in sends]
    assert len({chat for _at, chat, _text in sends}) == 60
    # 60 sends at 28/s: 59 intervals of 1/28 s at least, and no 1-second window above 28.
    assert times[-1] - times[0] >= 59 / 28 - 1e-9
    assert min(later - earlier for earlier, later in itertools.pairwise(times)) >= 1 / 28 - 1e-9
    window = 1.0 - 1e-9  # float sums of 1/28 land a hair short of 1.0
    assert max(sum(1 for t in times if start <= t < start + window) for start in times) <= 28
    # Efficient: not much slower than the rate allows.
    assert report.seconds <= 60 / 28 * 1.05


async def test_pacing_spaces_messages_to_one_chat_a_second_apart(
    session_factory: Factory, bot: Bot, clock: ManualClock, fake_time: FakeTime,
    sends: list[tuple[float, int, str]],
) -> None:  # fmt: skip
    now = clock.now()
    same, *others = await add_members(session_factory, range(2000, 2006), now)
    await put(
        session_factory, same, "same:1", now, text="first", not_before=now - timedelta(seconds=2)
    )
    await put(
        session_factory, same, "same:2", now, text="second", not_before=now - timedelta(seconds=1)
    )
    for member in others:
        await put(session_factory, member, f"other:{member.id}", now)

    await make_deliverer(bot, session_factory, fake_time).deliver_due(now)

    to_same = [(at, text) for at, chat, text in sends if chat == 2000]
    assert [text for _at, text in to_same] == ["first", "second"]
    assert to_same[1][0] - to_same[0][0] >= 1.0
    # The other chats did not wait for that second.
    assert max(at for at, chat, _text in sends if chat != 2000) < 1.0


async def test_a_run_stops_at_max_run_and_hands_the_rest_back(
    session_factory: Factory, bot: Bot, clock: ManualClock, fake_time: FakeTime,
    sends: list[tuple[float, int, str]],
) -> None:  # fmt: skip
    now = clock.now()
    members = await add_members(session_factory, range(3000, 3040), now)
    for member in members:
        await put(session_factory, member, f"d:{member.id}", now)

    report = await make_deliverer(
        bot, session_factory, fake_time, rate_per_second=10.0, max_run=timedelta(seconds=1)
    ).deliver_due(now)

    assert 9 <= report.sent <= 11
    assert report.sent == len(sends)
    assert report.released == 40 - report.sent
    async with session_factory() as session:
        counted = await session.execute(
            select(Outbox.status, func.count()).group_by(Outbox.status)
        )
        statuses: dict[str, int] = {}
        for status, count in counted.all():
            statuses[status] = count
    assert statuses == {"sent": report.sent, "pending": 40 - report.sent}


async def test_a_message_that_crashed_senders_too_often_is_given_up(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime,
) -> None:  # fmt: skip
    now = clock.now()
    [member] = await add_members(session_factory, [95], now)
    await put(session_factory, member, "poison", now)
    async with session_factory.begin() as session:
        await session.execute(
            update(Outbox).values(
                status="sending",
                claimed_by="dead",
                claimed_until=now,
                attempts=RetryPolicy().max_attempts - 1,
            )
        )

    await make_deliverer(bot, session_factory, fake_time).deliver_due(now + timedelta(minutes=1))

    row = (await rows(session_factory))["poison"]
    assert row.status == "failed"
    assert recorder.sent(SendMessage) == []


def test_a_notice_outlives_a_night_without_network() -> None:
    # A notice has no expiry: the attempts before giving it up must span well over a night.
    policy = RetryPolicy()
    waited = sum((policy.delay(attempt) for attempt in range(1, policy.max_attempts)), timedelta())
    assert timedelta(hours=36) <= waited <= timedelta(days=3)
    # A digest is retried until it expires, however many attempts that takes.
    assert policy.delay(31) == policy.delay(1000) == policy.max_delay


async def test_ticker_runs_jobs_in_order_and_survives_a_failing_one(clock: ManualClock) -> None:
    seen: list[tuple[str, datetime]] = []

    async def plan(now: datetime) -> None:
        seen.append(("plan", now))

    async def broken(_now: datetime) -> None:
        raise RuntimeError("boom")

    async def deliver(now: datetime) -> None:
        seen.append(("deliver", now))

    ticker = Ticker(clock, [NamedJob("broken", broken)])
    ticker.register("deliver", deliver)
    ticker.register("plan", plan, first=True)

    await ticker.tick()

    assert seen == [("plan", clock.now()), ("deliver", clock.now())]


async def test_scheduler_ticks_every_minute_without_stacking(clock: ManualClock) -> None:
    scheduler = create_scheduler(Ticker(clock), every=timedelta(minutes=1))
    [job] = scheduler.get_jobs()
    assert job.id == "clock:tick"
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.trigger.interval == timedelta(minutes=1)
    assert str(scheduler.timezone) == "UTC"


async def test_delivery_job_sends_through_the_ticker(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime,
) -> None:  # fmt: skip
    [member] = await add_members(session_factory, [97], clock.now())
    ticker = Ticker(clock)

    async def plan(now: datetime) -> None:
        await put(session_factory, member, f"digest:{now.date()}", now)

    ticker.register("plan", plan)
    ticker.register("delivery", make_deliverer(bot, session_factory, fake_time).run_job)
    await ticker.tick()
    await ticker.tick()

    assert len(recorder.sent(SendMessage)) == 1


def test_report_is_plain_data() -> None:
    report = DeliveryReport(claimed=1, sent=1)
    assert report.busy
    assert not DeliveryReport().busy


async def test_claim_expires_overdue_rows_instead_of_returning_them(
    session_factory: Factory, clock: ManualClock
) -> None:
    now = clock.now()
    member_a, member_b = await add_members(session_factory, [401, 402], now)
    await put(session_factory, member_a, "stale", now, expires_at=now - timedelta(seconds=1))
    await put(session_factory, member_b, "fresh", now, expires_at=now + timedelta(hours=1))

    claimed = await claim_due(
        session_factory, worker="w", now=now, limit=10, lease=timedelta(minutes=5)
    )

    assert [item.dedupe_key for item in claimed] == ["fresh"]
    assert (await rows(session_factory))["stale"].status == "expired"


async def test_stop_ends_a_run_early_and_hands_the_rest_back(
    session_factory: Factory, bot: Bot, recorder: RecordingSession, clock: ManualClock,
    fake_time: FakeTime,
    sends: list[tuple[float, int, str]],
) -> None:  # fmt: skip
    now = clock.now()
    members = await add_members(session_factory, range(4000, 4020), now)
    for member in members:
        await put(session_factory, member, f"d:{member.id}", now)
    deliverer = make_deliverer(bot, session_factory, fake_time, rate_per_second=10.0)
    ticker = Ticker(clock)
    ticker.register("delivery", deliverer.run_job, stop=deliverer.stop)

    third_sent = asyncio.Event()
    record = recorder.on_request
    assert record is not None

    def on_request(method: TelegramMethod[Any], result: Any) -> None:
        record(method, result)
        if len(sends) == 3:
            third_sent.set()

    recorder.on_request = on_request

    async def stop_soon() -> bool:
        await third_sent.wait()
        return await ticker.stop(timeout=5)

    _, stopped = await asyncio.gather(ticker.tick(), stop_soon())

    assert stopped
    assert 3 <= len(sends) < 20
    stored = await rows(session_factory)
    assert sum(row.status == "sent" for row in stored.values()) == len(sends)
    assert {row.status for row in stored.values()} == {"sent", "pending"}
    # After stop, ticks do nothing.
    await ticker.tick()
    assert sum(row.status == "sent" for row in (await rows(session_factory)).values()) == len(
        sends
    )


def test_the_production_ticker_winds_delivery_down_on_stop(
    bot: Bot, settings: Settings, session_factory: Factory, clock: ManualClock
) -> None:
    ticker = create_ticker(bot, settings, session_factory, clock)
    delivery = ticker.jobs[-1]
    assert delivery.name == "delivery"
    assert delivery.stop is not None
    delivery.stop()
    assert delivery.run.__self__.stopping  # type: ignore[attr-defined]
