"""Parse time per message: 2,000 varied messages against 5,000 generated clients and a NameIndex.

Run `python -m benchmarks.parse [--messages N] [--clients N] [--seed N]`. Prints the index build
time, the first (cold) parse, p50/p95/p99/max per message in ms, and as the last line a JSON
object {"messages", "p50_ms", "p95_ms", ...} for scripts.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from services.names import NameCandidate, NameIndex, morph_analyzer
from services.parsing import parse_interaction

_ROOTS = (
    "Техно", "Строй", "Агро", "Мед", "Транс", "Энерго", "Нефте", "Хим", "Тепло", "Электро",
    "Лес", "Металл", "Пласт", "Инфо", "Гео", "Аква", "Авто", "Спец", "Пром", "Био",
)  # fmt: skip
_TAILS = (
    "пром", "маш", "снаб", "торг", "лайн", "стар", "вест", "ресурс", "комплект", "профиль",
    "тех", "сталь", "мир", "центр", "лидер", "форм", "плат", "транс", "маркет", "холод",
)  # fmt: skip
_WORD_NAMES = (
    "Ромашка", "Лютик", "Василёк", "Вектор", "Гранит", "Рассвет", "Восход", "Олимп", "Альфа",
    "Омега", "Меридиан", "Северная звезда", "Гринвуд", "Сибирь", "Уралочка", "Заря", "Маяк",
)  # fmt: skip
_PLACES = (
    "Урал", "Сибирь", "Волга", "Дон", "Кама", "Нева", "Байкал", "Алтай", "Кубань", "Север",
    "Юг", "Восток", "Запад", "Центр", "Москва", "Казань", "Самара", "Тула", "Пермь", "Омск",
)  # fmt: skip
_EN_PLACES = ("Boston", "Denver", "Austin", "Dallas", "Seattle", "Chicago", "Miami", "Phoenix")
_LATIN = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne")
_SURNAMES = (
    "Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов",
    "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов",
    "Егоров", "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров",
    "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов",
    "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев",
)  # fmt: skip
_MALE = ("Иван", "Сергей", "Алексей", "Дмитрий", "Андрей", "Олег", "Павел", "Михаил")
_FEMALE = ("Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана")
_EN_FIRST = ("John", "Mary", "Peter", "Linda", "James", "Susan")
_EN_LAST = ("Smith", "Brown", "Parker", "Miller", "Davis", "Wilson")

_RU_TEMPLATES = (
    "Звонил {dat} из {gen}, цель — {goal}, договорились о встрече {when}",
    "звонил {dat} не дозвонился перезвон {when}",
    "встретились с {ablt} в {loct}, обсудили {topic}, он подумает, созвонимся {when}",
    "Был у {gen_person}, хотел {goal}, отказался, дорого",
    "написал на почту {dat}, результат: ждут КП, напомнить {when}",
    "{nom} сам позвонил, просит счет, выставить {when}",
    "созвонились с {ablt} цель {goal} итог согласились перезвонить {when}",
    "{nom} из {gen} теперь коммерческий директор, новый номер {phone}",
    "смс {dat} напомнил про оплату, оплатил",
    "звонок в {acc}, {nom} в отпуске, позвонить {when}",
    "Написал в ватсап {dat}, поздравил с днем рождения",
    "встреча в {loct} с {ablt}, цель: {goal}, результат: {topic} согласовали",
)
_EN_TEMPLATES = (
    "Called {en} from {latin}, goal: {en_goal}, agreed to meet {en_when}",
    "Emailed {en} at {latin} the proposal, no answer yet, follow up {en_when}",
    "Met {en} from {latin}, they declined, not interested",
)
_GOALS = (
    "предложить новый прайс", "продлить договор", "уточнить остатки", "напомнить об оплате",
    "презентовать новинки", "актуализировать данные", "согласовать отгрузку",
)  # fmt: skip
_TOPICS = ("объемы на 2027", "условия поставки", "скидку 5%", "график отгрузок", "КП")
_WHEN = (
    "завтра в 11", "послезавтра", "в пятницу", "в пятницу в 15:00", "через 2 недели",
    "через месяц", "15 декабря", "10.12", "до конца месяца", "после 5 января",
    "в следующий вторник", "в 3 часа дня", "на следующей неделе", "через 3 дня",
)  # fmt: skip
_EN_WHEN = ("next Tuesday", "in 3 days", "on December 15", "tomorrow at 3pm", "next week")
_EN_GOALS = ("renewal", "upsell the premium plan", "present the new pricing")


def _inflect(phrase: str, case: str) -> str:
    """Every word of a name in `case` (pymorphy3), keeping capitals; setup only, not timed."""
    words = []
    for word in phrase.split():
        parses = morph_analyzer().parse(word.lower())
        # «Воробьёв» is a surname here, not the plural of «воробей».
        people = [parse for parse in parses if "Surn" in parse.tag.grammemes]
        parse = (people or parses)[0]
        inflected = parse.inflect({case})
        text = inflected.word if inflected else word.lower()
        words.append(text.capitalize() if word[:1].isupper() else text)
    return " ".join(words)


def _company_name(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.6:
        name = rng.choice(_ROOTS) + rng.choice(_TAILS)
    elif kind < 0.85:
        name = rng.choice(_WORD_NAMES)
    else:
        return f"{rng.choice(_LATIN)} {rng.choice(_EN_PLACES)}"
    place = rng.choice(_PLACES)
    if rng.random() < 0.5 and place != name:
        name += " " + place
    if rng.random() < 0.15:
        name += rng.choice((" Плюс", " Групп", " Сервис"))
    return name


def generate_clients(count: int, rng: random.Random) -> list[NameCandidate]:
    """Distinct company names (roots, dictionary words, Latin names), with 1-3 contacts each.

    Contacts share 40 surnames on purpose: a message naming only a person stays ambiguous.
    """
    clients = []
    used: set[str] = set()
    for number in range(1, count + 1):
        name = _company_name(rng)
        while name in used:
            name = _company_name(rng)
        used.add(name)
        if rng.random() < 0.3 and name.split()[0] not in _LATIN:
            name = rng.choice(("ООО ", "АО ")) + f"«{name}»"
        contacts = []
        for _ in range(rng.randint(1, 3)):
            surname = rng.choice(_SURNAMES)
            if rng.random() < 0.5:
                contacts.append(f"{rng.choice(_MALE)} {surname}")
            else:
                contacts.append(f"{rng.choice(_FEMALE)} {surname}а")
        clients.append(NameCandidate(number, name, tuple(contacts)))
    return clients


def generate_messages(
    clients: list[NameCandidate], count: int, rng: random.Random
) -> list[tuple[str, int, bool]]:
    """Messages naming a generated client (inflected): text, client id, company named."""
    messages = []
    for _ in range(count):
        client = rng.choice(clients)
        company = client.name.split("«")[-1].rstrip("»")
        surname = rng.choice(client.contact_names).split()[-1]
        english = company.split()[0] in _LATIN
        template = rng.choice(_EN_TEMPLATES if english else _RU_TEMPLATES)
        phone = f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-11"
        text = template.format(
            nom=surname,
            dat=_inflect(surname, "datv"),
            ablt=_inflect(surname, "ablt"),
            gen_person=_inflect(surname, "gent"),
            gen=_inflect(company, "gent"),
            loct=_inflect(company, "loct"),
            acc=_inflect(company, "accs"),
            goal=rng.choice(_GOALS),
            topic=rng.choice(_TOPICS),
            when=rng.choice(_WHEN),
            phone=phone,
            en=f"{rng.choice(_EN_FIRST)} {rng.choice(_EN_LAST)}",
            latin=company,
            en_goal=rng.choice(_EN_GOALS),
            en_when=rng.choice(_EN_WHEN),
        )
        names_company = any(key in template for key in ("{gen}", "{loct}", "{acc}", "{latin}"))
        messages.append((text, client.id, names_company))
    return messages


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    """Generate the data, build the index, time every parse and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20261118)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    clients = generate_clients(args.clients, rng)
    messages = generate_messages(clients, args.messages, rng)
    now = datetime(2026, 11, 18, 10, 30, tzinfo=ZoneInfo("Europe/Moscow"))

    started = time.perf_counter()
    index = NameIndex(clients)
    build_ms = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    parse_interaction(messages[0][0], now=now, clients=clients, index=index)
    cold_ms = (time.perf_counter() - started) * 1000

    samples = []
    found = {True: 0, False: 0}
    first = {True: 0, False: 0}
    total = {True: 0, False: 0}
    for message, client_id, names_company in messages:
        started = time.perf_counter()
        parsed = parse_interaction(message, now=now, clients=clients, index=index)
        samples.append((time.perf_counter() - started) * 1000)
        total[names_company] += 1
        found[names_company] += client_id in parsed.client_ids
        first[names_company] += parsed.client_ids[:1] == (client_id,)

    p50 = statistics.median(samples)
    p95 = _percentile(samples, 0.95)
    print(f"clients: {len(clients)}, index built in {build_ms:.0f} ms")
    print(f"first parse (cold caches): {cold_ms:.1f} ms")
    print(
        f"messages: {len(samples)}, p50 {p50:.2f} ms, p95 {p95:.2f} ms, "
        f"p99 {_percentile(samples, 0.99):.2f} ms, max {max(samples):.2f} ms"
    )
    print(
        f"naming the company: right client first {first[True]}/{total[True]}, "
        f"among candidates {found[True]}/{total[True]}"
    )
    # Contacts share 40 surnames across 5,000 clients: «Звонил Петрову» alone is ambiguous,
    # and the parser offers at most 8 candidates.
    print(f"naming only a person: right client among candidates {found[False]}/{total[False]}")
    print(
        json.dumps(
            {
                "messages": len(samples),
                "clients": len(clients),
                "p50_ms": round(p50, 3),
                "p95_ms": round(p95, 3),
                "p99_ms": round(_percentile(samples, 0.99), 3),
                "index_build_ms": round(build_ms, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
