"""Domain logic with no aiogram import: team, clients, parsing, planning, windows, statistics."""
