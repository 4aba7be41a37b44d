"""A recording bot session that refuses what Telegram refuses, the way Telegram refuses it.

`RecordingSession` accepts anything; real Telegram answers 400 to broken HTML, texts over 4096
characters, empty texts, callback data over 64 bytes, more than 100 inline buttons, alerts over
200 characters and an edit that changes nothing. Tests that throw hostile input at the handlers
use this session, so a user's `<b>` or a 5,000-character name that would break a real reply
breaks the test instead.
"""

from __future__ import annotations

import html
import re
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardMarkup

from bot.offline import RecordingSession

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_ALERT = 200
MAX_CALLBACK_BYTES = 64
# An inline keyboard of more buttons is refused whole.
MAX_BUTTONS = 100

# Telegram's HTML: these tags (and their attributes), nothing else.
_TAGS = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "span": {"class"},
    "tg-spoiler": set(),
    "a": {"href"},
    "tg-emoji": {"emoji-id"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
}
_VALUE = r"(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?"
_START_TAG = re.compile(rf"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+{_VALUE})*)\s*>")
_END_TAG = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_ATTRIBUTE = re.compile(rf"([a-zA-Z-]+){_VALUE}")


class TelegramHTMLError(ValueError):
    """The text is not HTML Telegram would parse."""


def visible_html(text: str) -> str:
    """The text a reader sees, after checking it the way Telegram's HTML parser does.

    Raises `TelegramHTMLError` for an unknown tag, an unclosed or mismatched one, or a bare `<`
    (Telegram refuses all three); a bare `&` is allowed, as Telegram keeps it literally.
    """
    stack: list[str] = []
    visible: list[str] = []
    position = 0
    while True:
        opening = text.find("<", position)
        if opening < 0:
            visible.append(text[position:])
            break
        visible.append(text[position:opening])
        end = _END_TAG.match(text, opening)
        if end is not None:
            name = end.group(1).lower()
            if not stack or stack[-1] != name:
                msg = f"can't find end tag corresponding to start tag {name!r}"
                raise TelegramHTMLError(msg)
            stack.pop()
            position = end.end()
            continue
        start = _START_TAG.match(text, opening)
        if start is None:
            msg = f"unsupported start tag at offset {opening}"
            raise TelegramHTMLError(msg)
        name = start.group(1).lower()
        if name not in _TAGS:
            msg = f"unsupported start tag {name!r}"
            raise TelegramHTMLError(msg)
        for attribute in _ATTRIBUTE.findall(start.group(2)):
            if attribute.lower() not in _TAGS[name]:
                msg = f"unsupported attribute {attribute!r} of tag {name!r}"
                raise TelegramHTMLError(msg)
        stack.append(name)
        position = start.end()
    if stack:
        msg = f"can't find end tag corresponding to start tag {stack[-1]!r}"
        raise TelegramHTMLError(msg)
    return html.unescape("".join(visible))


def _visible(text: str, parse_mode: str | None) -> str:
    if parse_mode == "HTML":
        return visible_html(text)
    return text


class StrictSession(RecordingSession):
    """A `RecordingSession` that answers 400 where Telegram would, before recording the call."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[tuple[TelegramMethod[Any], str]] = []

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        """Check the call against Telegram's rules, then record it as usual."""
        problem = self.problem(bot, method)
        if problem is not None:
            self.refused.append((method, problem))
            raise TelegramBadRequest(method=method, message=f"Bad Request: {problem}")
        return await super().make_request(bot, method, timeout)

    def problem(self, bot: Bot, method: TelegramMethod[Any]) -> str | None:
        """Telegram's description of why it would refuse the call, or None."""
        default_mode = bot.default.parse_mode if bot.default is not None else None
        parse_mode = getattr(method, "parse_mode", default_mode)
        if not isinstance(parse_mode, str | None):
            parse_mode = default_mode if isinstance(default_mode, str) else None
        try:
            if isinstance(method, SendMessage | EditMessageText):
                shown = _visible(method.text, parse_mode)
                if not shown.strip():
                    return "message text is empty"
                if len(shown) > MAX_TEXT:
                    return "message is too long"
            caption = method.caption if isinstance(method, SendDocument | SendPhoto) else None
            if caption and len(_visible(caption, parse_mode)) > MAX_CAPTION:
                return "message caption is too long"
        except TelegramHTMLError as error:
            return f"can't parse entities: {error}"
        if isinstance(method, AnswerCallbackQuery) and len(method.text or "") > MAX_ALERT:
            return "MESSAGE_TOO_LONG"
        markup = getattr(method, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            if sum(len(row) for row in markup.inline_keyboard) > MAX_BUTTONS:
                return "BUTTONS_TOO_MUCH"
            for row in markup.inline_keyboard:
                for button in row:
                    if not button.text.strip():
                        return "text buttons are unallowed in the inline keyboard"
                    data = button.callback_data
                    if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_BYTES:
                        return "BUTTON_DATA_INVALID"
        if isinstance(method, EditMessageText | EditMessageReplyMarkup):
            return self._unchanged(method)
        return None

    def _unchanged(self, method: EditMessageText | EditMessageReplyMarkup) -> str | None:
        if method.chat_id is None or method.message_id is None:
            return None
        shown = self.messages.get((int(method.chat_id), method.message_id))
        if shown is None:
            return "message to edit not found"
        markup = (
            method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
        )
        text = method.text if isinstance(method, EditMessageText) else shown.text
        if text == shown.text and markup == shown.reply_markup:
            return (
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        return None
