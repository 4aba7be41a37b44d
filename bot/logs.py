"""Structured logs: one line per event (logfmt or JSON), never a secret, no personal data.

Every record passes through `RedactingFilter` on the handler, so library loggers (aiogram,
aiohttp, SQLAlchemy, asyncio) are covered too: the bot token, the webhook secret and URL
passwords are replaced, and the usual carriers of personal data in error texts (SQL parameters,
PostgreSQL `DETAIL:` lines, phone numbers, e-mail addresses) are masked. Our own log calls carry
ids and counts only; the filter is the safety net for what libraries put into exceptions.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit

from bot.settings import Settings

REDACTED = "<redacted>"
HIDDEN = "<hidden>"

# Ordered: the first patterns remove secrets, the later ones personal data.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Bot API URLs carry the token in the path: https://api.telegram.org/bot<token>/getMe.
    (re.compile(r"/bot\d+:[^/\s'\"]+"), "/bot" + REDACTED),
    # Anything shaped like a bot token, even one we were not told about.
    (re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}"), REDACTED),
    # The password part of scheme://user:password@host.
    (
        re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.IGNORECASE),
        r"\1" + REDACTED + "@",
    ),
    # SQLAlchemy errors quote the statement's parameters; PostgreSQL quotes key values.
    (re.compile(r"\[parameters: [^\n]*"), "[parameters: " + HIDDEN + "]"),
    (re.compile(r"DETAIL:[^\n]*"), "DETAIL: " + HIDDEN),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"(?<![\w+])\+\d[\d ()-]{8,16}\d"), "<phone>"),
)

# Attributes every LogRecord has; anything else was passed with `extra=` and becomes a field.
_STANDARD = frozenset(
    {
        *vars(logging.LogRecord("", 0, "", 0, "", None, None)),
        "message",
        "asctime",
        "taskName",
    }
)


def secrets_of(settings: Settings) -> list[str]:
    """The values from settings that must never be written to a log."""
    found: list[str] = []
    for secret in (settings.bot_token, settings.webhook_secret):
        if secret is not None and secret.get_secret_value():
            found.append(secret.get_secret_value())
    for url in (settings.database_url, settings.redis_url):
        password = urlsplit(url).password if url else None
        if password:
            found.append(password)
    return found


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and exception text without secrets and personal data.

    Put it on the handler, not on a logger: a logger's filters do not see records that
    propagate from child loggers, a handler's see them all.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Very short values would shred ordinary words; the patterns cover their URLs anyway.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with known secrets, token-shaped strings and personal data masked."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place (so every handler sees the clean record) and keep it."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed call must not break the caller, nor leak its args
            message = f"{record.msg} (unformattable arguments)"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    moment = datetime.fromtimestamp(record.created, UTC)
    fields: dict[str, Any] = {
        "ts": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": record.levelname,
        "logger": record.name,
        "msg": record.getMessage(),
    }
    for name, value in vars(record).items():
        if name not in _STANDARD and not name.startswith("_"):
            fields[name] = value
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        fields["exc"] = record.exc_text
    if record.stack_info:
        fields["stack"] = record.stack_info
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, extra fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single-line JSON object."""
        return json.dumps(_fields(record), ensure_ascii=False, default=str)


_BARE = re.compile(r"[^\s\"=\\]+")


def _logfmt_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if _BARE.fullmatch(text) and text.isprintable():
        return text
    # JSON string escaping keeps tracebacks on one line and quotes safe.
    return json.dumps(text, ensure_ascii=False)


class LogfmtFormatter(logging.Formatter):
    """One `key=value` line per event; values with spaces, quotes or newlines are quoted."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single logfmt line."""
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in _fields(record).items())


def build_handler(
    fmt: Literal["text", "json"], secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """A stream handler (stderr by default) with the chosen format and the redacting filter."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    handler.addFilter(RedactingFilter(secrets))
    return handler


def setup_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record through one redacting handler; uncaught exceptions too."""
    handler = build_handler(settings.log_format, secrets_of(settings), stream)
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    if settings.log_level != "DEBUG":
        # Two lines a minute for every clock tick, and Alembic's plugin list at each start.
        for chatty in ("apscheduler", "alembic.runtime.plugins"):
            logging.getLogger(chatty).setLevel(logging.WARNING)

    def _log_uncaught(
        kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        # The default hook prints to stderr directly, past the filter; route it through logging.
        logging.getLogger("touchbase").critical(
            "unhandled %s", kind.__name__, exc_info=(kind, error, trace)
        )

    sys.excepthook = _log_uncaught
    return handler
