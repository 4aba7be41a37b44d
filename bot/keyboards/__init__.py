"""Inline keyboards as pure functions returning `InlineKeyboardMarkup`, one module per journey."""
