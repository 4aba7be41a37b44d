"""Typed configuration read from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/touchbase.db"


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

    @property
    def timezone(self) -> ZoneInfo:
        """The team's default time zone."""
        return ZoneInfo(self.default_timezone)
