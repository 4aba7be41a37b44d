"""Typed configuration read from the environment and `.env`."""

from __future__ import annotations

import re
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/touchbase.db"
# What Telegram accepts as a webhook secret_token.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Telegram itself delivers webhooks only to these ports (a self-hosted Bot API server: any).
_TELEGRAM_WEBHOOK_PORTS = {443, 80, 88, 8443}


class Settings(BaseSettings):
    """Every setting of the bot; `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_url: str | None = None
    head_ids: Annotated[tuple[int, ...], NoDecode] = ()
    default_timezone: str = "Europe/Moscow"
    default_language: Literal["ru", "en"] = "ru"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    send_rate_per_second: float = Field(default=28.0, gt=0, le=30)
    read_alert_threshold: int = Field(default=40, ge=1)
    files_dir: Path = Path("./data/files")
    # Running as a service (issue 7): webhook mode, shared FSM storage, log format.
    bot_mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = Field(default=None, validate_default=True)
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    # All interfaces: behind a load balancer or in a container the port is published outside.
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_path: str = Field(default="", validate_default=True)
    redis_url: str | None = None
    log_format: Literal["text", "json"] = "text"

    @field_validator("head_ids", mode="before")
    @classmethod
    def _split_head_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            return tuple(int(part) for part in parts if part)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            msg = f"unknown time zone {value!r}"
            raise ValueError(msg) from error
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            msg = "use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db"
            raise ValueError(msg)
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = (value or "").strip() or None
        if value is None:
            if info.data.get("bot_mode") == "webhook":
                msg = "required when BOT_MODE=webhook (e.g. https://bot.example.com/telegram)"
                raise ValueError(msg)
            return None
        parts = urlsplit(value)
        # A self-hosted Bot API server (TELEGRAM_API_URL) may call plain http on any port.
        local_api = bool(info.data.get("telegram_api_url"))
        schemes = {"https", "http"} if local_api else {"https"}
        if parts.scheme not in schemes or not parts.hostname:
            msg = "must be an https:// URL that Telegram can reach"
            raise ValueError(msg)
        try:
            port = parts.port
        except ValueError as error:
            msg = "has a malformed port"
            raise ValueError(msg) from error
        if not local_api and port is not None and port not in _TELEGRAM_WEBHOOK_PORTS:
            msg = "Telegram sends webhooks only to ports 443, 80, 88 or 8443"
            raise ValueError(msg)
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        secret = value.get_secret_value() if value is not None else ""
        if not secret:
            if info.data.get("bot_mode") == "webhook":
                msg = "required when BOT_MODE=webhook (1-256 characters: A-Z a-z 0-9 _ -)"
                raise ValueError(msg)
            return None
        # The message never repeats the value: it is a secret.
        if not _WEBHOOK_SECRET.fullmatch(secret):
            msg = "must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)"
            raise ValueError(msg)
        return value

    @field_validator("webhook_path")
    @classmethod
    def _webhook_path(cls, value: str | None, info: ValidationInfo) -> str:
        value = (value or "").strip()
        if not value:
            # Telegram posts to WEBHOOK_URL itself, so by default we listen on its path.
            url = info.data.get("webhook_url")
            value = (urlsplit(url).path if url else "") or "/webhook"
        if not value.startswith("/") or value == "/health" or any(c in value for c in "?# "):
            msg = "must be a path like /telegram (not /health)"
            raise ValueError(msg)
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is not None and urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
            msg = "use redis://host:6379/0, rediss://… or unix:///path/redis.sock"
            raise ValueError(msg)
        if value is not None and find_spec("redis") is None:
            msg = "needs the Redis client: pip install 'touchbase[redis]' (or '.[redis]')"
            raise ValueError(msg)
        return value

    @property
    def timezone(self) -> ZoneInfo:
        """The team's default time zone."""
        return ZoneInfo(self.default_timezone)
