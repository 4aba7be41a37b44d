"""Small talk: a greeting, thanks, a plea for help, or emoji and punctuation alone.

Such a message is neither a log nor a client's name; recognising it lets the bot answer it
kindly instead of searching the base for «привет» and offering to create that client.
"""

from __future__ import annotations

import re
from typing import Final, Literal

SmallTalk = Literal["greeting", "thanks", "help", "noise"]

_PHRASES: Final[dict[SmallTalk, frozenset[str]]] = {
    "greeting": frozenset(
        {
            "привет",
            "приветик",
            "приветствую",
            "здравствуй",
            "здравствуйте",
            "здрасте",
            "здрасьте",
            "добрый день",
            "добрый вечер",
            "доброе утро",
            "доброго дня",
            "салют",
            "хай",
            "hi",
            "hello",
            "hey",
            "good morning",
            "good afternoon",
            "good evening",
        }
    ),
    "thanks": frozenset(
        {
            "спасибо",
            "спасибки",
            "пасиб",
            "пасибо",
            "спс",
            "благодарю",
            "thanks",
            "thank you",
            "thx",
            "ty",
        }
    ),
    "help": frozenset(
        {
            "помоги",
            "помогите",
            "помощь",
            "справка",
            "что ты умеешь",
            "что умеешь",
            "что ты можешь",
            "что можешь",
            "что делать",
            "как пользоваться",
            "как это работает",
            "help",
            "what can you do",
            "how does it work",
        }
    ),
}
# Words that dress a phrase up without changing it: «спасибо большое», «привет, бот».
_FILLER: Final = frozenset(
    {
        "бот",
        "большое",
        "огромное",
        "пожалуйста",
        "мне",
        "ну",
        "всем",
        "еще",
        "ещё",
        "а",
        "и",
        "bot",
        "please",
        "me",
        "so",
        "much",
        "a",
        "lot",
    }
)
_WORD: Final = re.compile(r"[a-zа-яё]+|\d+")
_LONGEST: Final = 8


def small_talk(text: str) -> SmallTalk | None:
    """What kind of small talk the message is, or None for anything else (a log, a name…)."""
    words = _WORD.findall(text.lower())
    if not words:
        return "noise" if text.strip() else None
    if len(words) > _LONGEST:
        return None
    phrase = " ".join(word for word in words if word not in _FILLER)
    for kind, phrases in _PHRASES.items():
        if phrase in phrases:
            return kind
    return None
