"""Small talk: a greeting, thanks, a plea for help, emoji and punctuation alone, or a plan
asked for in words («план на сегодня», «что просрочено», «plan for the week»).

Such a message is neither a log nor a client's name; recognising it lets the bot answer it
kindly — or with the plan asked for — instead of searching the base for «привет» or «план»
and offering to create that client.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Final, Literal, TypeVar

SmallTalk = Literal["greeting", "thanks", "help", "noise"]
_Kind = TypeVar("_Kind", bound=str)

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
PlanRequest = Literal["today", "week", "overdue"]

# The plan asked for in words, as a manager types it to a colleague. Bare «сегодня» or
# «завтра» are not here: they answer a question about a date.
_PLAN_PHRASES: Final[dict[PlanRequest, frozenset[str]]] = {
    "today": frozenset(
        {
            "план",
            "мой план",
            "план на сегодня",
            "план на день",
            "планы на сегодня",
            "что сегодня",
            "что на сегодня",
            "что у меня сегодня",
            "что у меня на сегодня",
            "кому звонить",
            "кому звонить сегодня",
            "кому позвонить",
            "кому позвонить сегодня",
            "задачи",
            "мои задачи",
            "задачи на сегодня",
            "дела на сегодня",
            "today",
            "plan",
            "my plan",
            "plan for today",
            "today plan",
            "whom to call",
            "who to call",
            "who should i call",
        }
    ),
    "week": frozenset(
        {
            "план на неделю",
            "что на неделе",
            "неделя",
            "week",
            "this week",
            "plan for the week",
            "week plan",
        }
    ),
    "overdue": frozenset(
        {
            "просрочено",
            "просрочка",
            "просроченные",
            "что просрочено",
            "overdue",
        }
    ),
}
# «покажи план», «show me the week»: words around a plan's name that don't change it.
_PLAN_FILLER: Final = _FILLER | {
    "покажи",
    "покажите",
    "какой",
    "какие",
    "show",
    "the",
    "what",
    "s",
}
_WORD: Final = re.compile(r"[a-zа-яё]+|\d+")
_LONGEST: Final = 8


def small_talk(text: str) -> SmallTalk | None:
    """What kind of small talk the message is, or None for anything else (a log, a name…)."""
    if not _WORD.search(text.lower()):
        return "noise" if text.strip() else None
    return _kind_of(text, _FILLER, _PHRASES)


def plan_request(text: str) -> PlanRequest | None:
    """Which plan a message asks for in words («план», «что на неделе», «overdue»), or None."""
    return _kind_of(text, _PLAN_FILLER, _PLAN_PHRASES)


def _kind_of(
    text: str, filler: Collection[str], known: Mapping[_Kind, Collection[str]]
) -> _Kind | None:
    """The kind whose phrases hold the message's words (fillers left out), for a short one."""
    words = _WORD.findall(text.lower())
    if not words or len(words) > _LONGEST:
        return None
    phrase = " ".join(word for word in words if word not in filler)
    return next((kind for kind, phrases in known.items() if phrase in phrases), None)
