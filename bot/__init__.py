"""Touchbase: a Telegram assistant for sales teams (entry point, settings, wiring, i18n)."""
