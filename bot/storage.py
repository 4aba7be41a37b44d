"""aiogram FSM storage kept in the database, so conversation state survives a restart.

While an update is being handled, the storage writes through that update's session: the state
then commits or rolls back together with the data the handler wrote, and on SQLite a second
connection never waits for the write lock the update's own transaction holds. Reads go through
it too, and the session remembers the row (or that there is none) for the rest of the update:
filters and handlers ask for the state several times per update, the database answers once.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import ConversationState
from services.clock import Clock

# The session of the update being handled, set by DatabaseSessionMiddleware.
update_session: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)
# In a session's `info`: the rows read or written so far, None for a key known to have none.
# The identity map alone would not do: it holds clean objects weakly, so a row nobody refers
# to any more is forgotten and asking again costs a query.
_KNOWN = "fsm_known_rows"


def _key(key: StorageKey) -> str:
    parts = [str(key.bot_id), str(key.chat_id), str(key.user_id)]
    if key.thread_id is not None:
        parts.append(f"t{key.thread_id}")
    if key.business_connection_id is not None:
        parts.append(f"b{key.business_connection_id}")
    parts.append(key.destiny)
    return ":".join(parts)


class DatabaseStorage(BaseStorage):
    """FSM state and data in the `conversation_state` table, one short transaction per call."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.session_factory = session_factory
        self.clock = clock

    @asynccontextmanager
    async def _session(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        shared = update_session.get()
        if shared is not None:
            # Written at the update's commit (or by autoflush before a query that needs it):
            # a handler that sets the state and then the data costs one UPDATE, not two.
            yield shared
            return
        if write:
            async with self.session_factory.begin() as session:
                yield session
        else:
            async with self.session_factory() as session:
                yield session

    @staticmethod
    def _known(session: AsyncSession) -> dict[str, ConversationState | None]:
        known: dict[str, ConversationState | None] = session.info.setdefault(_KNOWN, {})
        return known

    async def _row(self, session: AsyncSession, key: str) -> ConversationState | None:
        """The stored row; what the session already knows answers repeats."""
        known = self._known(session)
        if key not in known:
            known[key] = await session.get(ConversationState, key)
        return known[key]

    async def _write(self, key: StorageKey, **values: Any) -> None:
        name_key = _key(key)
        async with self._session(write=True) as session:
            row = await self._row(session, name_key)
            if row is None:
                row = ConversationState(key=name_key, state=None, data={})
                session.add(row)
                self._known(session)[name_key] = row
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = self.clock.now()
            if row.state is None and not row.data:
                # Nothing left to remember: keep the table small.
                if row in session.new:
                    session.expunge(row)
                else:
                    await session.delete(row)
                self._known(session)[name_key] = None

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        """Remember the conversation step."""
        await self._write(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        """The conversation step, if any."""
        async with self._session(write=False) as session:
            row = await self._row(session, _key(key))
            return row.state if row is not None else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        """Replace the conversation data (it must be JSON-serialisable)."""
        await self._write(key, data=copy.deepcopy(dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        """The conversation data, empty when none."""
        async with self._session(write=False) as session:
            row = await self._row(session, _key(key))
            # A deep copy: the row outlives the call now, and a caller changing a nested list
            # in place must not change the stored value behind the session's back.
            return copy.deepcopy(row.data or {}) if row is not None else {}

    async def close(self) -> None:
        """Nothing to release: sessions are per call."""

    async def clear_all(self) -> None:
        """Forget every conversation (used by tests)."""
        async with self.session_factory.begin() as session:
            await session.execute(delete(ConversationState))
