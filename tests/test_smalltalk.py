"""services.smalltalk: greetings, thanks, pleas for help and emoji told from names and logs."""

from __future__ import annotations

import pytest

from services.smalltalk import plan_request, small_talk


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Привет!", "greeting"),
        ("привет, бот", "greeting"),
        ("Доброе утро", "greeting"),
        ("hello", "greeting"),
        ("спасибо большое", "thanks"),
        ("Thank you!", "thanks"),
        ("помогите пожалуйста", "help"),
        ("Что ты умеешь?", "help"),
        ("?", "noise"),
        ("😀😀😀", "noise"),
        ("👍", "noise"),
    ],
)
def test_small_talk_is_recognised(text: str, kind: str) -> None:
    assert small_talk(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Ромашка",
        "8912",
        "Петрову",
        "привет Петрову из Ромашки, договорились о встрече в пятницу",
        "спасибо за заказ сказал Петров, оплатят завтра",
        "помоги Петрову с накладной",
    ],
)
def test_names_and_logs_are_not_small_talk(text: str) -> None:
    assert small_talk(text) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("план", "today"),
        ("Покажи план на сегодня", "today"),
        ("what's the plan for today?", "today"),
        ("неделя", "week"),
        ("Show me the week", "week"),
        ("просрочено!", "overdue"),
        ("планы", None),
        ("сегодня", None),
        ("план продаж Ромашки", None),
        ("Ромашка", None),
        ("привет", None),
    ],
)
def test_a_plan_asked_for_in_words_is_told_from_names(text: str, kind: str | None) -> None:
    assert plan_request(text) == kind
