"""Command line: `python -m bot [run|console|migrate|backup]`, the only module with effects."""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import ValidationError

from bot.settings import Settings


def _load_settings() -> Settings:
    """Settings from the environment and `.env`; a bad value stops start-up with one line."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            field = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
            print(f"Configuration error: {field}: {problem['msg']}", file=sys.stderr)  # noqa: T201
        raise SystemExit(2) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Touchbase sales assistant")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the Telegram bot (default)")
    console = commands.add_parser("console", help="try the bot in a terminal, no Telegram needed")
    console.add_argument("--demo", action="store_true", help="load a demo team and client base")
    console.add_argument(
        "--as", dest="role", choices=["head", "manager"], default="head", help="who you type as"
    )
    commands.add_parser("migrate", help="apply database migrations and exit")
    backup = commands.add_parser("backup", help="copy the SQLite database safely while it runs")
    backup.add_argument(
        "path", nargs="?", help="file or folder (default: ./data/backups/touchbase-<UTC time>)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    args = _parser().parse_args(argv)
    settings = _load_settings()
    from bot.logs import setup_logging

    command = args.command or "run"
    if command == "console" and settings.log_level == "INFO":
        # The console is a conversation on the same terminal: routine log lines would bury it.
        setup_logging(settings.model_copy(update={"log_level": "WARNING"}))
    else:
        setup_logging(settings)
    if command == "backup":
        from bot.backup import run_backup

        return run_backup(settings.database_url, args.path)
    if command == "migrate":
        from bot.database import upgrade

        upgrade(settings.database_url)
        return 0
    if command == "console":
        from bot.console import run_console

        return asyncio.run(run_console(settings, demo=args.demo, role=args.role))
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        print(  # noqa: T201
            "Configuration error: BOT_TOKEN is not set. Put BOT_TOKEN=<token from @BotFather> "
            "into .env (see .env.example), or try the bot without Telegram: "
            "python -m bot console --demo",
            file=sys.stderr,
        )
        return 2
    from bot.database import upgrade
    from bot.runner import run_bot

    upgrade(settings.database_url)
    return asyncio.run(run_bot(settings))


if __name__ == "__main__":
    raise SystemExit(main())
