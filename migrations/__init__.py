"""Alembic migrations; `bot.database.upgrade` applies them at start-up."""
