"""The goals the planner wrote follow the owner's language: after a handover to an English-
speaking member, or a /settings language change, open cadence, data-check and occasion touches
read in the new language; a goal a manager typed, an agreed next step and closed touches keep
their words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Client, KeyDate, Touch
from models.enums import TouchReason, TouchStatus
from services import planner
from services.touches import OPEN_STATUSES, close_touch
from tests.conftest import HEAD_ID, START
from tests.harness import Chat, joined
from tests.test_reminders import (
    MANAGER_ID,
    OTHER_MANAGER_ID,
    add_client,
    add_member,
    add_touch,
)

Factory = async_sessionmaker[AsyncSession]

RU = {
    "first": "Первый контакт: познакомиться и выяснить потребность",
    TouchReason.CADENCE: "Плановое касание: узнать, как дела, актуальны ли потребности",
    TouchReason.STALE_DATA: "Проверить данные: телефоны, e-mail, должности контактов, окно для "
    "звонков",
    "birthday": "Поздравить Ивана Сергеевича с днём рождения",
    "new_year": "Поздравить Ивана Сергеевича с Новым годом",
}
EN = {
    "first": "First contact: introduce yourself and find out what they need",
    TouchReason.CADENCE: "Planned touch: ask how things are going and whether their needs have "
    "changed",
    TouchReason.STALE_DATA: "Check the data: phone numbers, e-mails, contacts' positions, "
    "calling window",
    "birthday": "Congratulate Иван Сергеевич on his birthday",
    "new_year": "Wish Иван Сергеевич a happy New Year",
}
# How the English goals read before they were reworded: touches planned then are still the
# planner's text.
RETIRED_EN = {
    "first": "First contact: introduce yourself and find out the need",
    TouchReason.STALE_DATA: "Check the data: phones, e-mails, contacts' positions, calling window",
    "birthday": "Congratulate Иван Сергеевич on the birthday",
    "new_year": "Congratulate Иван Сергеевич on New Year",
}
TYPED = "Обсудить скидку на перчатки к зиме"


async def arrange(chat: Chat, session_factory: Factory, *, olga_language: str = "en") -> int:
    """Дмитрий (Russian) owns «Лютик»: the planner's first-contact, cadence, data-check,
    birthday and New Year touches, a follow-up with an agreed next step, and a done cadence
    touch. Ольга reads English."""
    await chat.send(HEAD_ID, "/start")
    async with session_factory.begin() as session:
        owner = await add_member(session)
        olga = await add_member(session, telegram_id=OTHER_MANAGER_ID, name="Ольга")
        olga.language = olga_language
        client = await add_client(
            session, owner, "Лютик", "Europe/Moscow", confirmed=datetime(2026, 1, 5, tzinfo=UTC)
        )
        contact = client.contacts[0]
        session.add(
            KeyDate(
                client_id=client.id,
                contact_id=contact.id,
                kind="birthday",
                day=25,
                month=11,
                created_at=START,
            )
        )
        await session.flush()
        planned = await planner.replan_client(session, client, START, horizon_days=60)
        # Nobody has called «Лютик» yet: its next touch is the first contact.
        generated = [goal for key, goal in RU.items() if key is not TouchReason.CADENCE]
        assert sorted(touch.goal for touch in planned) == sorted(generated)
        await add_touch(
            session,
            client,
            START.date() + timedelta(days=1),
            RU[TouchReason.CADENCE],
            TouchReason.CADENCE,
        )
        done = await add_touch(
            session, client, START.date(), RU[TouchReason.CADENCE], TouchReason.CADENCE
        )
        close_touch(done, TouchStatus.DONE, START)
        await add_touch(session, client, START.date(), TYPED, TouchReason.FOLLOW_UP)
        return client.id


async def goals(session_factory: Factory, client_id: int) -> tuple[set[str], set[str]]:
    """The client's open goals and closed goals."""
    async with session_factory() as session:
        touches = list(await session.scalars(select(Touch).where(Touch.client_id == client_id)))
    open_goals = {t.goal for t in touches if t.status in OPEN_STATUSES}
    return open_goals, {t.goal for t in touches if t.status is TouchStatus.DONE}


async def test_a_client_handed_to_an_english_speaker_brings_english_goals(
    chat: Chat, session_factory: Factory
) -> None:
    client_id = await arrange(chat, session_factory)
    await chat.send(HEAD_ID, "/handover Лютик")
    await chat.press(HEAD_ID, "Ольга")
    await chat.press(HEAD_ID, "продажа")
    await chat.press(HEAD_ID, "Без заметки")
    assert "передан" in joined(await chat.press(HEAD_ID, "Передать"))

    open_goals, closed = await goals(session_factory, client_id)
    assert open_goals == {*EN.values(), TYPED}
    assert closed == {RU[TouchReason.CADENCE]}
    week = joined(await chat.send(OTHER_MANAGER_ID, "/week"))
    assert EN[TouchReason.CADENCE] in week


async def test_a_whole_base_handed_to_a_russian_speaker_keeps_its_words(
    chat: Chat, session_factory: Factory
) -> None:
    client_id = await arrange(chat, session_factory, olga_language="ru")
    await chat.send(HEAD_ID, "/members")
    await chat.press(HEAD_ID, "Отключить Дмитрия")
    await chat.press(HEAD_ID, "Да, отключить")
    await chat.press(HEAD_ID, "Ольга")
    await chat.press(HEAD_ID, "Передать всех")
    open_goals, _ = await goals(session_factory, client_id)
    assert open_goals == {*RU.values(), TYPED}


async def test_a_whole_base_handed_to_an_english_speaker_is_reworded(
    chat: Chat, session_factory: Factory
) -> None:
    client_id = await arrange(chat, session_factory)
    await chat.send(HEAD_ID, "/members")
    await chat.press(HEAD_ID, "Отключить Дмитрия")
    await chat.press(HEAD_ID, "Да, отключить")
    await chat.press(HEAD_ID, "Ольга")
    await chat.press(HEAD_ID, "Передать всех")
    open_goals, _ = await goals(session_factory, client_id)
    assert open_goals == {*EN.values(), TYPED}


async def test_switching_the_language_in_settings_rewords_the_planners_goals_both_ways(
    chat: Chat, session_factory: Factory
) -> None:
    client_id = await arrange(chat, session_factory)
    async with session_factory.begin() as session:
        # Categories change: a cadence goal written for another category is still generated.
        client = await session.get(Client, client_id)
        assert client is not None
        await add_touch(
            session,
            client,
            START.date(),
            planner.CADENCE_GOALS["ru"][planner.Category.KEY],
            TouchReason.CADENCE,
        )
    await chat.send(MANAGER_ID, "/settings")
    await chat.press(MANAGER_ID, "Язык")
    await chat.press(MANAGER_ID, "English")
    open_goals, closed = await goals(session_factory, client_id)
    key_en = planner.CADENCE_GOALS["en"][planner.Category.KEY]
    assert open_goals == {*EN.values(), TYPED, key_en}
    assert closed == {RU[TouchReason.CADENCE]}
    assert key_en in joined(await chat.send(MANAGER_ID, "/week"))

    await chat.send(MANAGER_ID, "/settings")
    await chat.press(MANAGER_ID, "Language")
    await chat.press(MANAGER_ID, "Русский")
    open_goals, _ = await goals(session_factory, client_id)
    assert open_goals == {
        *RU.values(),
        TYPED,
        planner.CADENCE_GOALS["ru"][planner.Category.KEY],
    }


async def test_english_occasion_goals_read_naturally_in_today(
    chat: Chat, session_factory: Factory
) -> None:
    """An English-speaking manager's /today: «on her birthday», «on the birthday of his wife
    Марина», the names as stored."""
    await chat.send(HEAD_ID, "/start")
    async with session_factory.begin() as session:
        owner = await add_member(session)
        owner.language = "en"
        today = START.date()
        for name, contact, relation, person in (
            ("Лютик", "Смирнова Екатерина Сергеевна", None, None),
            ("Ромашка", "Петров Иван Сергеевич", "жена", "Марина"),
            ("Василёк", "Орлов Олег Петрович", "сын", None),
        ):
            client = await add_client(session, owner, name, "Europe/Moscow", contact=contact)
            session.add(
                KeyDate(
                    client_id=client.id,
                    contact_id=client.contacts[0].id,
                    kind="birthday",
                    relation=relation,
                    person_name=person,
                    day=today.day,
                    month=today.month,
                    created_at=START,
                )
            )
            await session.flush()
            await planner.replan_client(session, client, START, horizon_days=1)
    today_text = joined(await chat.send(MANAGER_ID, "/today"))
    assert "Congratulate Екатерина Сергеевна on her birthday" in today_text
    assert "Congratulate Иван Сергеевич on the birthday of his wife Марина" in today_text
    assert "Congratulate Олег Петрович on his son's birthday" in today_text
    assert "on the birthday" not in today_text.replace("on the birthday of", "")


async def test_goals_in_the_retired_english_wording_are_still_reworded(
    chat: Chat, session_factory: Factory
) -> None:
    """Touches planned for an English speaker before the goals were reworded: switching to
    Russian still gives them the Russian goals; the first touch still reads as one."""
    await chat.send(HEAD_ID, "/start")
    async with session_factory.begin() as session:
        owner = await add_member(session)
        owner.language = "en"
        client = await add_client(
            session, owner, "Лютик", "Europe/Moscow", confirmed=datetime(2026, 1, 5, tzinfo=UTC)
        )
        session.add(
            KeyDate(
                client_id=client.id,
                contact_id=client.contacts[0].id,
                kind="birthday",
                day=25,
                month=11,
                created_at=START,
            )
        )
        await session.flush()
        await planner.replan_client(session, client, START, horizon_days=60)
        for touch in await session.scalars(select(Touch).where(Touch.client_id == client.id)):
            for key, text in EN.items():
                if touch.goal == text and key in RETIRED_EN:
                    touch.goal = RETIRED_EN[key]
        client_id = client.id
    card = joined(await chat.send(MANAGER_ID, "/find Лютик"))
    assert "First contact: " in card
    assert RETIRED_EN["first"] not in card

    await chat.send(MANAGER_ID, "/settings")
    await chat.press(MANAGER_ID, "Language")
    await chat.press(MANAGER_ID, "Русский")
    open_goals, _ = await goals(session_factory, client_id)
    assert open_goals == {RU["first"], RU[TouchReason.STALE_DATA], RU["birthday"], RU["new_year"]}
