"""Command line: `python -m bot [run|console|migrate]` — the only module with side effects."""

from __future__ import annotations

import argparse
import asyncio
import logging
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    args = _parser().parse_args(argv)
    settings = _load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    command = args.command or "run"
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
    from bot.runner import run_polling

    upgrade(settings.database_url)
    return asyncio.run(run_polling(settings))


if __name__ == "__main__":
    raise SystemExit(main())
