"""A Telegram stand-in: a bot session that records calls, and a factory of incoming updates.

The console, the tests and the benchmarks all drive the real dispatcher through these.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    Document,
    File,
    InlineKeyboardMarkup,
    Message,
    MessageId,
    PhotoSize,
    Update,
    User,
    Voice,
)

OFFLINE_TOKEN = "42:OFFLINE-touchbase-console-token"
# The file id prefix bot/console.py gives a local file it sends (`:file PATH`).
CONSOLE_FILE = "console:"
BOT_USER = User(id=42, is_bot=True, first_name="Touchbase", username="touchbase_bot")


@dataclass
class SentMessage:
    """What the bot has on screen in a chat: its latest text and buttons."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    document_name: str | None = None
    photo: bool = False


def _console_file(url: str) -> bytes | None:
    """The content of a local file the console sent, named in the download URL."""
    if CONSOLE_FILE not in url:
        return None
    path = Path(url.split(CONSOLE_FILE, 1)[1])
    return path.read_bytes() if path.is_file() else None


class RecordingSession(BaseSession):
    """Answers every Bot API call locally, keeping what was sent; can be told to fail next."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.messages: dict[tuple[int, int], SentMessage] = {}
        self.failures: list[Exception] = []
        self.on_request: Callable[[TelegramMethod[Any], Any], None] | None = None
        # Contents of files "uploaded" by tests, by file id; the console's ids name local paths.
        self.files: dict[str, bytes] = {}
        self._message_ids = itertools.count(1000)

    async def close(self) -> None:
        """Nothing to close: no network."""

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """Downloads yield the bytes recorded for the file id, or nothing."""
        for file_id, content in self.files.items():
            if url.endswith("/" + file_id):
                yield content
                return
        yield _console_file(url) or b""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        """Record the call and return what Telegram would return."""
        if self.failures:
            raise self.failures.pop(0)
        self.requests.append(method)
        result = self._result(method)
        if self.on_request is not None:
            self.on_request(method, result)
        return result

    def _result(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetMe):
            return BOT_USER
        if isinstance(method, SendMessage | SendDocument | SendPhoto):
            return self._remember_new(method)
        if isinstance(method, EditMessageText | EditMessageReplyMarkup):
            return self._remember_edit(method)
        if isinstance(method, CopyMessage):
            return MessageId(message_id=next(self._message_ids))
        if isinstance(method, GetFile):
            known = method.file_id in self.files or method.file_id.startswith(CONSOLE_FILE)
            path = method.file_id if known else "x"
            return File(file_id=method.file_id, file_unique_id=method.file_id, file_path=path)
        if isinstance(method, AnswerCallbackQuery):
            return True
        return True

    def _remember_new(self, method: SendMessage | SendDocument | SendPhoto) -> Message:
        chat_id = int(method.chat_id)
        message_id = next(self._message_ids)
        markup = (
            method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
        )
        text = method.text if isinstance(method, SendMessage) else (method.caption or "")
        sent = SentMessage(chat_id, message_id, text, markup)
        extra: dict[str, Any] = {}
        if isinstance(method, SendDocument):
            sent.document_name = getattr(method.document, "filename", None) or "file"
            extra["document"] = Document(
                file_id=f"doc{message_id}",
                file_unique_id=f"doc{message_id}",
                file_name=sent.document_name,
            )
        if isinstance(method, SendPhoto):
            sent.photo = True
            extra["photo"] = [
                PhotoSize(
                    file_id=f"p{message_id}", file_unique_id=f"p{message_id}", width=1, height=1
                )
            ]
        self.messages[(chat_id, message_id)] = sent
        return Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="private"),
            from_user=BOT_USER,
            text=text if isinstance(method, SendMessage) else None,
            caption=None if isinstance(method, SendMessage) else text,
            reply_markup=markup,
            **extra,
        )

    def _remember_edit(self, method: EditMessageText | EditMessageReplyMarkup) -> Message | bool:
        if method.chat_id is None or method.message_id is None:
            return True
        key = (int(method.chat_id), method.message_id)
        sent = self.messages.get(key) or SentMessage(key[0], key[1], "")
        if isinstance(method, EditMessageText):
            sent.text = method.text or ""
        sent.reply_markup = (
            method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
        )
        self.messages[key] = sent
        return Message(
            message_id=key[1],
            date=datetime.now(UTC),
            chat=Chat(id=key[0], type="private"),
            from_user=BOT_USER,
            text=sent.text,
            reply_markup=sent.reply_markup,
        )

    def sent(self, method_type: type[TelegramMethod[Any]] | None = None) -> list[Any]:
        """Every recorded call, or those of one method type."""
        if method_type is None:
            return list(self.requests)
        return [request for request in self.requests if isinstance(request, method_type)]

    def clear(self) -> None:
        """Forget the recorded calls (the on-screen messages stay)."""
        self.requests.clear()


@dataclass
class UpdateFactory:
    """Builds the updates a Telegram user would cause, with increasing ids."""

    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @staticmethod
    def user(user_id: int, first_name: str = "Tester", username: str | None = None) -> User:
        """A Telegram user."""
        return User(
            id=user_id, is_bot=False, first_name=first_name, username=username, language_code="ru"
        )

    def message(
        self,
        user: User,
        text: str | None = None,
        *,
        message_id: int | None = None,
        contact: Contact | None = None,
        document: Document | None = None,
        voice: Voice | None = None,
        photo: list[PhotoSize] | None = None,
        caption: str | None = None,
        edited: bool = False,
    ) -> Update:
        """A private-chat message (or an edit of one) from `user`."""
        message = Message(
            message_id=message_id if message_id is not None else next(self._message_ids),
            date=self.clock(),
            chat=Chat(id=user.id, type="private", first_name=user.first_name),
            from_user=user,
            text=text,
            contact=contact,
            document=document,
            voice=voice,
            photo=photo,
            caption=caption,
            edit_date=int(self.clock().timestamp()) if edited else None,
        )
        if edited:
            return Update(update_id=next(self._update_ids), edited_message=message)
        return Update(update_id=next(self._update_ids), message=message)

    def callback(self, user: User, data: str, on: SentMessage | None = None) -> Update:
        """A button press by `user` on a bot message."""
        message = None
        if on is not None:
            message = Message(
                message_id=on.message_id,
                date=self.clock(),
                chat=Chat(id=on.chat_id, type="private"),
                from_user=BOT_USER,
                text=on.text,
                reply_markup=on.reply_markup,
            )
        query = CallbackQuery(
            id=str(next(self._update_ids)),
            from_user=user,
            chat_instance="offline",
            data=data,
            message=message,
        )
        return Update(update_id=next(self._update_ids), callback_query=query)
