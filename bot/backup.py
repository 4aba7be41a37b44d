"""`python -m bot backup [path]`: a consistent copy of the SQLite database, safe while running.

SQLite's online backup API copies the database in one step under a read snapshot: with WAL
(the engine turns it on) the bot keeps writing meanwhile and the copy is the database as of one
moment, never half a transaction. The copy is written next to its final name, checked with
`PRAGMA integrity_check`, switched to a self-contained rollback journal and only then renamed,
so a file with the final name is always a complete backup. PostgreSQL is backed up with
`pg_dump`; for it the command prints the line to run.
"""

from __future__ import annotations

import shlex
import sqlite3
import sys
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import URL, make_url

DEFAULT_DIR = Path("data") / "backups"


class BackupError(Exception):
    """A backup that could not be made; the message is the line shown to the user."""


@dataclass(frozen=True)
class Backup:
    """A finished backup: where it is and how big."""

    path: Path
    size: int


def default_name(now: datetime, suffix: str = ".sqlite3") -> str:
    """`touchbase-YYYYmmdd-HHMMSS.sqlite3`, the time in UTC."""
    return f"touchbase-{now.astimezone(UTC):%Y%m%d-%H%M%S}{suffix}"


def sqlite_file(database_url: str) -> Path | None:
    """The database file of an SQLite URL; None for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in {"", ":memory:"} or database.startswith("file::memory:"):
        msg = "Backup: the database is in memory (DATABASE_URL); there is no file to copy"
        raise BackupError(msg)
    return Path(database)


def backup_sqlite(source: Path, target: Path) -> Backup:
    """Copy the live database `source` to the new file `target` and verify the copy."""
    if not source.is_file():
        msg = f"Backup: no database file at {source} (DATABASE_URL)"
        raise BackupError(msg)
    if target.exists():
        msg = f"Backup: {target} already exists; give another path"
        raise BackupError(msg)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        # A generous busy timeout: outside WAL a writer may hold the file for a moment.
        with (
            closing(sqlite3.connect(source, timeout=30)) as live,
            closing(sqlite3.connect(partial)) as copy,
        ):
            live.backup(copy)  # all pages in one step: one consistent snapshot
            # The live database runs in WAL; the backup should be a single self-contained file.
            copy.execute("PRAGMA journal_mode=DELETE")
            verdict = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        if verdict != ["ok"]:
            msg = f"Backup: the copy failed its integrity check ({'; '.join(verdict)[:200]})"
            raise BackupError(msg)
        partial.replace(target)
    except sqlite3.Error as error:
        msg = f"Backup: SQLite could not copy {source}: {error}"
        raise BackupError(msg) from error
    finally:
        partial.unlink(missing_ok=True)
    return Backup(target, target.stat().st_size)


def pg_dump_command(database_url: str, now: datetime) -> str:
    """The pg_dump line that backs up a PostgreSQL DATABASE_URL (the password left out)."""
    url = make_url(database_url)
    query = dict(url.query)
    if "ssl" in query:  # asyncpg's spelling; libpq (pg_dump) calls it sslmode
        query.setdefault("sslmode", query.pop("ssl"))
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=query,
    ).render_as_string(hide_password=False)
    dump = default_name(now, ".dump")
    return f"pg_dump --format=custom --file={dump} {shlex.quote(plain)}"


def human_size(size: int) -> str:
    """Bytes as a short human figure: 812 B, 14.2 KB, 3.1 MB."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns


def run_backup(
    database_url: str,
    target: str | None = None,
    *,
    now: datetime | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The `backup` command: 0 with the path and size on stdout, else one line on stderr."""
    out = out or sys.stdout
    err = err or sys.stderr
    now = now or datetime.now(UTC)
    try:
        source = sqlite_file(database_url)
        if source is None:
            command = pg_dump_command(database_url, now)
            print(
                "Backup: python -m bot backup copies SQLite databases only; for PostgreSQL run: "
                f"{command}  (password from PGPASSWORD or ~/.pgpass)",
                file=err,
            )
            return 2
        path = Path(target) if target else DEFAULT_DIR
        if path.is_dir() or not target:
            path = path / default_name(now)
        backup = backup_sqlite(source, path)
    except BackupError as error:
        print(error, file=err)
        return 1
    print(f"Backup: {backup.path} ({human_size(backup.size)}, {backup.size} bytes)", file=out)
    return 0
