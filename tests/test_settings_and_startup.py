"""Configuration and start-up: one clear line for a missing or malformed setting, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def run_bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` in a clean directory with only the given environment."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_missing_token_exits_with_a_pointer(tmp_path: Path) -> None:
    result = run_bot(env={}, cwd=tmp_path)
    assert result.returncode != 0
    assert "BOT_TOKEN" in result.stderr
    assert ".env" in result.stderr
    assert "python -m bot console" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_setting_is_named_in_one_line(tmp_path: Path) -> None:
    result = run_bot(env={"HEAD_IDS": "12,abc", "BOT_TOKEN": "1:x"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "HEAD_IDS" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_timezone_is_named(tmp_path: Path) -> None:
    result = run_bot(env={"DEFAULT_TIMEZONE": "Mars/Olympus"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "DEFAULT_TIMEZONE" in result.stderr


def test_migrate_creates_the_sqlite_file(tmp_path: Path) -> None:
    result = run_bot("migrate", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "touchbase.db").exists()


def test_head_ids_accept_commas_and_spaces() -> None:
    settings = Settings(_env_file=None, head_ids="1, 2,3")  # type: ignore[call-arg,arg-type]
    assert settings.head_ids == (1, 2, 3)


def test_plain_database_urls_get_async_drivers() -> None:
    pg = Settings(_env_file=None, database_url="postgresql://u@h/db")  # type: ignore[call-arg]
    assert pg.database_url == "postgresql+asyncpg://u@h/db"
    with pytest.raises(ValidationError):
        Settings(_env_file=None, database_url="mysql://u@h/db")  # type: ignore[call-arg]


def test_env_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("BOT_TOKEN=123:abc\nDEFAULT_LANGUAGE=en\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    settings = Settings()
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)
    assert settings.default_language == "en"
