"""The calendar of occasions: yearly dates, national and professional holidays, and greetings.

Holds the curated tables the planner turns into occasion touches — the Russian national holidays
worth a greeting, the professional days with their rules («второе воскресенье августа») and the
industries they belong to — plus what is needed to address a contact well: splitting a full
name, guessing gender for 23 February and 8 March, and drafting a warm greeting in Russian or
English that uses the contact's first name and patronymic. Pure: no database, no clock.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Final, Literal

import holidays
from rapidfuzz import fuzz, process

from services.names import morph_analyzer

Gender = Literal["male", "female"]
OccasionKind = Literal["national", "professional"]

# Kinds of greeting a draft can be asked for.
BIRTHDAY: Final = "birthday"
FAMILY_BIRTHDAY: Final = "family_birthday"
ANNIVERSARY: Final = "anniversary"
NATIONAL_HOLIDAY: Final = "national_holiday"
PROFESSIONAL_HOLIDAY: Final = "professional_holiday"
EVENT_INVITATION: Final = "event_invitation"
GREETING_KINDS: Final = frozenset(
    {
        BIRTHDAY,
        FAMILY_BIRTHDAY,
        ANNIVERSARY,
        NATIONAL_HOLIDAY,
        PROFESSIONAL_HOLIDAY,
        EVENT_INVITATION,
    }
)

SUNDAY: Final = 6
SATURDAY: Final = 5
LAST: Final = -1


@dataclass(frozen=True)
class Occasion:
    """A dated reason to greet: a national or professional holiday in a given year."""

    key: str
    day: date
    title_ru: str
    title_en: str
    kind: OccasionKind
    # Whom to greet when not everyone: 23 February men, 8 March women.
    audience: Gender | None = None
    industries: frozenset[str] = field(default_factory=frozenset)

    def title(self, language: str) -> str:
        """The occasion's name in a language (Russian unless English is asked for)."""
        return self.title_en if language == "en" else self.title_ru


# --- yearly dates ------------------------------------------------------------------------


def yearly_date(day: int, month: int, year: int) -> date:
    """The date of a yearly day in a year; 29 February is kept on 28 February in other years."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def next_yearly(day: int, month: int, on_or_after: date) -> date:
    """The next occurrence of a yearly day on or after a date (29 February → 28 in short years)."""
    candidate = yearly_date(day, month, on_or_after.year)
    if candidate < on_or_after:
        candidate = yearly_date(day, month, on_or_after.year + 1)
    return candidate


# --- rules for holidays ----------------------------------------------------------------------

_MONTHS_GENITIVE_RU: Final = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
_WEEKDAYS_RU: Final = (
    ("понедельник", "m"), ("вторник", "m"), ("среда", "f"), ("четверг", "m"),
    ("пятница", "f"), ("суббота", "f"), ("воскресенье", "n"),
)  # fmt: skip
_ORDINALS_RU: Final = {
    1: {"m": "первый", "f": "первая", "n": "первое"},
    2: {"m": "второй", "f": "вторая", "n": "второе"},
    3: {"m": "третий", "f": "третья", "n": "третье"},
    4: {"m": "четвёртый", "f": "четвёртая", "n": "четвёртое"},
    LAST: {"m": "последний", "f": "последняя", "n": "последнее"},
}
_ORDINALS_EN: Final = {1: "first", 2: "second", 3: "third", 4: "fourth", LAST: "last"}


@dataclass(frozen=True)
class FixedDate:
    """The same calendar day every year: «21 ноября»."""

    month: int
    day: int

    def on(self, year: int) -> date:
        """The date in a year."""
        return yearly_date(self.day, self.month, year)

    def describe(self, language: str) -> str:
        """The rule in words."""
        if language == "en":
            return f"{self.day} {calendar.month_name[self.month]}"
        return f"{self.day} {_MONTHS_GENITIVE_RU[self.month - 1]}"


@dataclass(frozen=True)
class NthWeekday:
    """The n-th (or, with n = -1, the last) given week day of a month: «второе воскресенье»."""

    month: int
    weekday: int  # Monday = 0
    n: int

    def on(self, year: int) -> date:
        """The date in a year."""
        if self.n == LAST:
            last_day = date(year, self.month, calendar.monthrange(year, self.month)[1])
            return last_day - timedelta(days=(last_day.weekday() - self.weekday) % 7)
        first_day = date(year, self.month, 1)
        first_match = first_day + timedelta(days=(self.weekday - first_day.weekday()) % 7)
        return first_match + timedelta(weeks=self.n - 1)

    def describe(self, language: str) -> str:
        """The rule in words."""
        if language == "en":
            weekday = calendar.day_name[self.weekday]
            month = calendar.month_name[self.month]
            return f"{_ORDINALS_EN[self.n]} {weekday} of {month}"
        weekday_ru, gender = _WEEKDAYS_RU[self.weekday]
        return f"{_ORDINALS_RU[self.n][gender]} {weekday_ru} {_MONTHS_GENITIVE_RU[self.month - 1]}"


@dataclass(frozen=True)
class DayOfYear:
    """The n-th day of the year: the 256th is День программиста."""

    ordinal: int

    def on(self, year: int) -> date:
        """The date in a year."""
        return date(year, 1, 1) + timedelta(days=self.ordinal - 1)

    def describe(self, language: str) -> str:
        """The rule in words."""
        if language == "en":
            return f"day {self.ordinal} of the year"
        return f"{self.ordinal}-й день года"


Rule = FixedDate | NthWeekday | DayOfYear


# --- industries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _IndustryWords:
    """How people name an industry: word beginnings (stems) and whole short words."""

    stems: tuple[str, ...]
    words: tuple[str, ...] = ()


INDUSTRIES: Final[dict[str, tuple[str, str]]] = {
    "construction": ("Строительство", "Construction"),
    "trade": ("Торговля", "Retail and wholesale"),
    "energy": ("Энергетика", "Energy"),
    "metallurgy": ("Металлургия", "Metallurgy"),
    "oil_gas": ("Нефть и газ", "Oil and gas"),
    "mining": ("Горнодобыча", "Mining"),
    "machinery": ("Машиностроение", "Machine building"),
    "it": ("IT", "IT"),
    "medicine": ("Медицина", "Healthcare"),
    "education": ("Образование", "Education"),
    "transport": ("Транспорт", "Transport"),
    "logistics": ("Логистика", "Logistics"),
    "chemical": ("Химическая промышленность", "Chemicals"),
    "agriculture": ("Сельское хозяйство", "Agriculture"),
    "food": ("Пищевое производство", "Food industry"),
    "fishing": ("Рыбная промышленность", "Fishing"),
    "shipbuilding": ("Судостроение", "Shipbuilding"),
    "forestry": ("Лесная промышленность и деревообработка", "Forestry and woodworking"),
    "legal": ("Юридические услуги", "Legal services"),
    "banking": ("Банки", "Banking"),
    "finance": ("Финансы и инвестиции", "Finance and investment"),
    "insurance": ("Страхование", "Insurance"),
    "accounting": ("Бухгалтерия и аудит", "Accounting and audit"),
    "real_estate": ("Недвижимость", "Real estate"),
    "science": ("Наука", "Science"),
    "telecom": ("Связь", "Telecommunications"),
    "hospitality": ("Гостиничный бизнес и туризм", "Hospitality and tourism"),
    "housing_services": ("ЖКХ, клининг и бытовые услуги", "Housing, cleaning and services"),
    "advertising": ("Реклама и маркетинг", "Advertising and marketing"),
    "media": ("СМИ и издательства", "Media and publishing"),
    "textile": ("Лёгкая промышленность", "Textile and light industry"),
    "aviation": ("Авиация", "Aviation"),
    "railway": ("Железнодорожный транспорт", "Railways"),
}

_INDUSTRY_WORDS: Final[dict[str, _IndustryWords]] = {
    "construction": _IndustryWords(
        ("строит", "строй", "застрой", "девелоп", "ремонтно", "отделоч", "бетон", "кирпич",
         "цемент", "кровел", "construct", "builder", "building"),
    ),
    "trade": _IndustryWords(
        ("торгов", "ритейл", "ретейл", "розниц", "розничн", "оптов", "магазин", "дистриб",
         "дилер", "маркетплейс", "retail", "wholesale", "trade", "trading", "ecommerce",
         "store", "shop"),
        ("опт", "торг"),
    ),
    "energy": _IndustryWords(
        ("энерг", "электроэнерг", "электросет", "электростан", "энергосбыт", "energy", "power"),
        ("тэц", "гэс", "грэс", "аэс"),
    ),
    "metallurgy": _IndustryWords(
        ("металлург", "металл", "металург", "прокат", "сталелит", "литей", "metallurg", "steel",
         "metal"),
    ),
    "oil_gas": _IndustryWords(
        ("нефт", "нефтегаз", "газов", "газпром", "газодоб", "газотранс", "petrol", "oil", "gas"),
        ("газ",),
    ),
    "mining": _IndustryWords(
        ("горнодоб", "горноруд", "горнометал", "добыч", "шахт", "рудник", "угледоб", "угольн",
         "карьер", "mining", "coal"),
        ("горная", "горный", "горное", "уголь", "руда", "mine"),
    ),
    "machinery": _IndustryWords(
        ("машиностро", "машстрой", "станкостро", "станк", "автомобилестро", "автопром",
         "приборостро", "machine", "machinery"),
    ),
    "it": _IndustryWords(
        ("программ", "софт", "software", "информацион", "digital", "цифров", "saas",
         "облачн", "кибер", "хостинг", "разработчик", "интеграт", "айти", "devops"),
        ("it", "ит", "ai", "ии", "веб", "web", "ikt", "икт"),
    ),
    "medicine": _IndustryWords(
        ("медиц", "клиник", "больниц", "поликлин", "стоматолог", "фарм", "аптек", "здравоохр",
         "медтех", "медцентр", "health", "medic", "clinic", "pharma", "hospital", "dental"),
    ),
    "education": _IndustryWords(
        ("образова", "школ", "учебн", "обучени", "университет", "колледж", "академи",
         "education", "school", "universit", "edtech"),
        ("вуз",),
    ),
    "transport": _IndustryWords(
        ("транспорт", "перевоз", "грузоперевоз", "автоперевоз", "пассажир", "такси", "автобус",
         "автотранс", "transport", "trucking", "taxi"),
    ),
    "logistics": _IndustryWords(
        ("логист", "склад", "экспедир", "экспедиц", "доставк", "курьер", "фулфилмент",
         "logistic", "freight", "shipping", "warehous", "fulfil", "courier", "delivery"),
        ("3pl",),
    ),
    "chemical": _IndustryWords(
        ("хими", "нефтехим", "полимер", "пластмасс", "лакокрас", "chemical", "chemistry",
         "polymer", "petrochem"),
    ),
    "agriculture": _IndustryWords(
        ("сельск", "сельхоз", "агро", "фермер", "животновод", "растениевод", "птицефабр",
         "птицевод", "зернов", "agri", "agro", "farm"),
        ("апк",),
    ),
    "food": _IndustryWords(
        ("пищев", "продуктов питан", "хлебозавод", "хлебоком", "молочн", "мясокомб", "мясн",
         "кондитер", "напитк", "пекарн", "консерв", "food", "bakery", "dairy", "beverage"),
    ),
    "fishing": _IndustryWords(
        ("рыб", "морепродукт", "рыболов", "fish", "seafood"),
    ),
    "shipbuilding": _IndustryWords(
        ("судостро", "кораблестро", "верф", "судоремонт", "shipbuild", "shipyard"),
    ),
    "forestry": _IndustryWords(
        ("лесн", "лесопил", "лесозаг", "лесопром", "лесоперераб", "деревообр", "дерево",
         "древес", "мебел", "пиломат", "фанер", "timber", "wood", "forest", "lumber",
         "furniture"),
        ("лес",),
    ),
    "legal": _IndustryWords(
        ("юрид", "юрист", "правов", "адвокат", "нотари", "legal", "attorney", "lawyer"),
        ("law",),
    ),
    "banking": _IndustryWords(
        ("банковск", "banking"),
        ("банк", "банки", "bank", "banks"),
    ),
    "finance": _IndustryWords(
        ("финанс", "инвест", "лизинг", "микрофин", "брокер", "finance", "financial",
         "invest", "leasing", "fintech"),
    ),
    "insurance": _IndustryWords(("страхов", "insur"),),
    "accounting": _IndustryWords(
        ("бухгалт", "аудит", "аудиторск", "налогов", "account", "audit", "bookkeep"),
    ),
    "real_estate": _IndustryWords(
        ("недвиж", "риелт", "риэлт", "realt", "realestate"),
        ("estate",),
    ),
    "science": _IndustryWords(
        ("наук", "научн", "исследоват", "лаборатор", "science", "scientific", "research"),
        ("нии",),
    ),
    "telecom": _IndustryWords(
        ("телеком", "связ", "радио", "провайдер", "операторы связи", "telecom", "telco"),
        ("isp",),
    ),
    "hospitality": _IndustryWords(
        ("гостини", "отел", "хостел", "туризм", "туристич", "турагент", "туроператор",
         "ресторан", "общепит", "санатор", "hotel", "hospitality", "tourism", "travel",
         "restaurant", "catering"),
        ("кафе",),
    ),
    "housing_services": _IndustryWords(
        ("клининг", "уборк", "управляющ", "коммунальн", "прачеч", "химчист", "cleaning",
         "facility", "housing"),
        ("жкх",),
    ),
    "advertising": _IndustryWords(
        ("реклам", "маркетинг", "брендинг", "advertis", "marketing", "branding"),
        ("pr",),
    ),
    "media": _IndustryWords(
        ("медиа", "издатель", "издательств", "типограф", "полиграф", "газет", "журнал",
         "телевид", "media", "publish", "printing", "news"),
        ("сми",),
    ),
    "textile": _IndustryWords(
        ("текстил", "швейн", "одежд", "обувн", "трикотаж", "легпром", "textile", "apparel",
         "garment", "fashion"),
    ),
    "aviation": _IndustryWords(
        ("авиа", "аэропорт", "aviation", "airline", "airport", "aero"),
    ),
    "railway": _IndustryWords(
        ("железнодор", "railway", "railroad"),
        ("жд", "ржд", "rail"),
    ),
}  # fmt: skip

# Industries named by the trade rather than the goods: «торговля стройматериалами» is about
# building, so a more specific industry in the same text wins.
_GENERIC_INDUSTRIES: Final = frozenset({"trade"})
_TOKEN = re.compile(r"[0-9a-zа-я]+")
_FUZZY_MIN_LENGTH: Final = 5
_ADJECTIVE_ENDINGS: Final = ("ая", "ый", "ий", "ой", "ое", "ее", "ые", "ие", "ая")
_FUZZY_CUTOFF: Final = 84.0


def _fold(text: str) -> str:
    return text.casefold().replace("ё", "е")


@lru_cache(maxsize=1)
def _fuzzy_vocabulary() -> dict[str, str]:
    """Whole words naming each industry (labels and long stems), for typo-tolerant matching."""
    vocabulary: dict[str, str] = {}
    for key, labels in INDUSTRIES.items():
        for label in labels:
            for word in _TOKEN.findall(_fold(label)):
                if len(word) >= _FUZZY_MIN_LENGTH:
                    vocabulary.setdefault(word, key)
    for key, words in _INDUSTRY_WORDS.items():
        for stem in words.stems:
            if len(stem) >= _FUZZY_MIN_LENGTH and " " not in stem:
                vocabulary.setdefault(stem, key)
    return vocabulary


def _token_industry(token: str) -> tuple[str, int] | None:
    """The industry a single word names and how long the matching part is."""
    best: tuple[str, int] | None = None
    for key, words in _INDUSTRY_WORDS.items():
        if token in words.words and (best is None or len(token) > best[1]):
            best = (key, len(token))
        for stem in words.stems:
            if token.startswith(stem) and (best is None or len(stem) > best[1]):
                best = (key, len(stem))
    return best


@lru_cache(maxsize=4096)
def match_industry(text: str) -> str | None:
    """The canonical industry key for free text («Строительная компания» → "construction")."""
    folded = _fold(text).strip()
    if not folded:
        return None
    if folded in INDUSTRIES:
        return folded
    tokens = _TOKEN.findall(folded)
    found: list[tuple[str, int, int]] = []  # (key, matched length, position)
    for position, token in enumerate(tokens):
        match = _token_industry(token)
        if match is not None:
            found.append((match[0], match[1], position))
    for key, words in _INDUSTRY_WORDS.items():
        for stem in words.stems:
            if " " in stem and stem in folded:
                found.append((key, len(stem), folded.index(stem)))
    if not found:
        vocabulary = _fuzzy_vocabulary()
        for position, token in enumerate(tokens):
            if len(token) < _FUZZY_MIN_LENGTH:
                continue
            best = process.extractOne(
                token, list(vocabulary), scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF
            )
            if best is not None:
                found.append((vocabulary[best[0]], len(best[0]), position))
    if not found:
        return None
    specific = [item for item in found if item[0] not in _GENERIC_INDUSTRIES] or found
    # A noun names the business, an adjective qualifies it: «транспортная логистика».
    specific.sort(key=lambda item: (_is_adjective_form(tokens, item[2]), -item[1], item[2]))
    return specific[0][0]


def _is_adjective_form(tokens: list[str], position: int) -> bool:
    return position < len(tokens) and tokens[position].endswith(_ADJECTIVE_ENDINGS)


def industry_label(key: str, language: str) -> str:
    """An industry's name in a language."""
    ru, en = INDUSTRIES[key]
    return en if language == "en" else ru


# --- professional holidays ------------------------------------------------------------------


@dataclass(frozen=True)
class ProfessionalHoliday:
    """A professional day: its rule, the industries it greets and the positions it fits."""

    key: str
    title_ru: str
    title_en: str
    rule: Rule
    industries: frozenset[str]
    # Beginnings of position titles that celebrate it whatever the industry («главный бухгалтер»).
    positions: tuple[str, ...] = ()

    def on(self, year: int) -> date:
        """The date in a year."""
        return self.rule.on(year)

    def occasion(self, year: int) -> Occasion:
        """The holiday as an occasion of a year."""
        return Occasion(
            key=self.key,
            day=self.on(year),
            title_ru=self.title_ru,
            title_en=self.title_en,
            kind="professional",
            industries=self.industries,
        )


def _professional(
    key: str,
    title_ru: str,
    title_en: str,
    rule: Rule,
    industries: tuple[str, ...],
    positions: tuple[str, ...] = (),
) -> ProfessionalHoliday:
    return ProfessionalHoliday(key, title_ru, title_en, rule, frozenset(industries), positions)


PROFESSIONAL_HOLIDAYS: Final[tuple[ProfessionalHoliday, ...]] = (
    _professional("press_day", "День российской печати", "Russian Press Day",
                  FixedDate(1, 13), ("media",), ("журналист", "редактор")),
    _professional("science_day", "День российской науки", "Russian Science Day",
                  FixedDate(2, 8), ("science",), ("научн", "исследовател")),
    _professional("realtor_day", "День риелтора", "Realtor's Day",
                  FixedDate(2, 8), ("real_estate",), ("риелтор", "риэлтор")),
    _professional("housing_day",
                  "День работников бытового обслуживания населения и ЖКХ",
                  "Consumer Services and Housing Workers' Day",
                  NthWeekday(3, SUNDAY, 3), ("housing_services",)),
    _professional("geologist_day", "День геолога", "Geologist's Day",
                  NthWeekday(4, SUNDAY, 1), ("mining", "oil_gas"), ("геолог",)),
    _professional("radio_day", "День радио", "Radio Day (communications workers)",
                  FixedDate(5, 7), ("telecom",), ("связист",)),
    _professional("hr_day", "День кадрового работника", "HR Professional's Day",
                  FixedDate(5, 24), (), ("кадр", "hr", "персонал", "рекрутер")),
    _professional("chemist_day", "День химика", "Chemist's Day",
                  NthWeekday(5, SUNDAY, LAST), ("chemical",), ("химик", "технолог")),
    _professional("textile_day", "День работников текстильной и лёгкой промышленности",
                  "Textile and Light Industry Workers' Day",
                  NthWeekday(6, SUNDAY, 2), ("textile",)),
    _professional("medical_day", "День медицинского работника", "Medical Worker's Day",
                  NthWeekday(6, SUNDAY, 3), ("medicine",), ("врач", "медицин", "главврач")),
    _professional("shipbuilder_day", "День кораблестроителя", "Shipbuilder's Day",
                  FixedDate(6, 29), ("shipbuilding",)),
    _professional("fisherman_day", "День рыбака", "Fisherman's Day",
                  NthWeekday(7, SUNDAY, 2), ("fishing",)),
    _professional("metallurgist_day", "День металлурга", "Metallurgist's Day",
                  NthWeekday(7, SUNDAY, 3), ("metallurgy",), ("металлург",)),
    _professional("trade_day", "День работника торговли", "Trade Workers' Day",
                  NthWeekday(7, SATURDAY, 4), ("trade",), ("продаж", "коммерческий")),
    _professional("railway_day", "День железнодорожника", "Railway Workers' Day",
                  NthWeekday(8, SUNDAY, 1), ("railway",)),
    _professional("builder_day", "День строителя", "Builder's Day",
                  NthWeekday(8, SUNDAY, 2), ("construction",), ("прораб", "строител")),
    _professional("aviation_day", "День Воздушного флота", "Air Fleet Day",
                  NthWeekday(8, SUNDAY, 3), ("aviation",), ("пилот", "лётчик", "летчик")),
    _professional("miner_day", "День шахтёра", "Miner's Day",
                  NthWeekday(8, SUNDAY, LAST), ("mining",), ("горняк", "шахтер", "шахтёр")),
    _professional("oil_gas_day", "День работников нефтяной и газовой промышленности",
                  "Oil and Gas Industry Workers' Day",
                  NthWeekday(9, SUNDAY, 1), ("oil_gas",), ("нефтяник", "газовик")),
    _professional("financier_day", "День финансиста", "Financier's Day",
                  FixedDate(9, 8), ("finance", "banking"), ("финанс", "cfo")),
    _professional("programmer_day", "День программиста", "Programmer's Day",
                  DayOfYear(256), ("it",), ("программист", "разработчик", "developer", "cto")),
    _professional("forestry_day", "День работников леса и лесоперерабатывающей промышленности",
                  "Forestry and Timber Industry Workers' Day",
                  NthWeekday(9, SUNDAY, 3), ("forestry",)),
    _professional("tourism_day", "День туризма", "World Tourism Day",
                  FixedDate(9, 27), ("hospitality",)),
    _professional("machine_builder_day", "День машиностроителя", "Machine Builder's Day",
                  NthWeekday(9, SUNDAY, LAST), ("machinery",), ("инженер", "конструктор")),
    _professional("teacher_day", "День учителя", "Teachers' Day",
                  FixedDate(10, 5), ("education",), ("учител", "преподават", "педагог")),
    _professional("insurer_day", "День страховщика", "Insurer's Day",
                  FixedDate(10, 6), ("insurance",), ("страхов",)),
    _professional("agriculture_day",
                  "День работника сельского хозяйства и перерабатывающей промышленности",
                  "Agricultural and Processing Industry Workers' Day",
                  NthWeekday(10, SUNDAY, 2), ("agriculture",), ("агроном", "зоотехник")),
    _professional("food_day", "День работников пищевой промышленности", "Food Industry Day",
                  NthWeekday(10, SUNDAY, 3), ("food",), ("технолог пищев",)),
    _professional("advertising_day", "День работников рекламы", "Advertising Workers' Day",
                  FixedDate(10, 23), ("advertising",), ("маркетолог", "реклам", "cmo")),
    _professional("motorist_day", "День работников автомобильного транспорта",
                  "Road Transport Workers' Day (Motorist's Day)",
                  NthWeekday(10, SUNDAY, LAST), ("transport",), ("водител", "автомехан")),
    _professional("accountant_day", "День бухгалтера", "Accountant's Day",
                  FixedDate(11, 21), ("accounting",), ("бухгалтер", "аудитор")),
    _professional("logistics_day", "День логиста", "Logistician's Day",
                  FixedDate(11, 28), ("logistics",), ("логист", "экспедитор")),
    _professional("banker_day", "День банковского работника", "Bank Workers' Day",
                  FixedDate(12, 2), ("banking",), ("банкир", "банковск")),
    _professional("lawyer_day", "День юриста", "Lawyer's Day",
                  FixedDate(12, 3), ("legal",), ("юрист", "юрисконсульт", "адвокат")),
    _professional("energy_day", "День энергетика", "Power Engineer's Day",
                  FixedDate(12, 22), ("energy",), ("энергетик",)),
)  # fmt: skip

_PROFESSIONAL_BY_KEY: Final = {holiday.key: holiday for holiday in PROFESSIONAL_HOLIDAYS}


def _industry_key(industry: str) -> str | None:
    """A canonical key for a key or free text."""
    return industry if industry in INDUSTRIES else match_industry(industry)


def professional_days(
    year: int, industry: str | None, *, position: str | None = None
) -> list[Occasion]:
    """Professional holidays of a year, by date.

    `industry` is a canonical key or free text («строительство»); None lists the whole table.
    A `position` («главный бухгалтер») adds the days of that profession in any industry.
    """
    if industry is None and position is None:
        chosen = list(PROFESSIONAL_HOLIDAYS)
    else:
        key = _industry_key(industry) if industry else None
        folded_position = _fold(position) if position else ""
        chosen = [
            holiday
            for holiday in PROFESSIONAL_HOLIDAYS
            if (key is not None and key in holiday.industries)
            or (folded_position and _position_matches(folded_position, holiday.positions))
        ]
    occasions = [holiday.occasion(year) for holiday in chosen]
    occasions.sort(key=lambda occasion: (occasion.day, occasion.key))
    return occasions


def _position_matches(folded_position: str, stems: tuple[str, ...]) -> bool:
    words = _TOKEN.findall(folded_position)
    for stem in stems:
        stem_words = stem.split()
        if len(stem_words) == 1:
            if any(word.startswith(stem) for word in words):
                return True
        elif all(any(word.startswith(part) for word in words) for part in stem_words):
            return True
    return False


# --- national holidays ------------------------------------------------------------------------


@dataclass(frozen=True)
class _National:
    key: str
    month: int
    day: int
    title_ru: str
    title_en: str
    audience: Gender | None = None


_NATIONAL: Final[tuple[_National, ...]] = (
    _National("new_year", 1, 1, "Новый год", "New Year"),
    _National("defender_day", 2, 23, "День защитника Отечества", "Defender of the Fatherland Day",
              "male"),
    _National("womens_day", 3, 8, "Международный женский день", "International Women's Day",
              "female"),
    _National("spring_labour_day", 5, 1, "Праздник Весны и Труда", "Spring and Labour Day"),
    _National("victory_day", 5, 9, "День Победы", "Victory Day"),
    _National("russia_day", 6, 12, "День России", "Russia Day"),
    _National("unity_day", 11, 4, "День народного единства", "Unity Day"),
)  # fmt: skip


@lru_cache(maxsize=64)
def _official_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("RU", years=year).keys())


def national_holidays(year: int) -> list[Occasion]:
    """The national holidays worth greeting a client on, in date order."""
    official = _official_holidays(year)
    occasions = []
    for holiday in _NATIONAL:
        day = date(year, holiday.month, holiday.day)
        # The package knows when each became a holiday (Unity Day since 2005); earlier years
        # had other days, which greeting drafts should not invent.
        if day not in official:
            continue
        occasions.append(
            Occasion(
                key=holiday.key,
                day=day,
                title_ru=holiday.title_ru,
                title_en=holiday.title_en,
                kind="national",
                audience=holiday.audience,
            )
        )
    return occasions


def occasions_between(start: date, end: date, *, industry: str | None) -> list[Occasion]:
    """National holidays, and the professional days of `industry` if given, in [start, end]."""
    found: list[Occasion] = []
    for year in range(start.year, end.year + 1):
        candidates = national_holidays(year)
        if industry:
            candidates += professional_days(year, industry)
        found.extend(occasion for occasion in candidates if start <= occasion.day <= end)
    found.sort(key=lambda occasion: (occasion.day, occasion.kind != "national", occasion.key))
    return found


# --- names and gender ---------------------------------------------------------------------------

_NAME_TOKEN = re.compile(r"[^\s,;()\"«»]+")
_INITIAL = re.compile(r"^(\w\.){1,2}\w?$|^\w$")
_TURKIC_PATRONYMIC_MALE: Final = frozenset({"оглы", "улы", "ogly", "uly"})
_TURKIC_PATRONYMIC_FEMALE: Final = frozenset({"кызы", "гызы", "kyzy", "gyzy"})
_PATRONYMIC_MALE_ENDINGS: Final = ("вич", "vich")
_PATRONYMIC_FEMALE_ENDINGS: Final = ("вна", "чна", "vna", "chna")
_SURNAME_FEMALE_ENDINGS: Final = (
    "ова", "ева", "ёва", "ина", "ына", "ская", "цкая", "ая", "ova", "eva", "ina", "yna", "aya",
)  # fmt: skip
_SURNAME_MALE_ENDINGS: Final = (
    "ов", "ев", "ёв", "ин", "ын", "ский", "цкий", "ой", "ый",
    "ov", "ev", "in", "yn", "sky", "skiy",
)  # fmt: skip
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_GENDERS: Final[dict[str, Gender]] = {"masc": "male", "femn": "female"}


@lru_cache(maxsize=65536)
def _nominative_parses(word: str) -> tuple[Any, ...]:
    # Remembered: the morning's sweep splits the name of every person with a key date in the
    # horizon, and first names and patronymics repeat (Иван, Сергеевич).
    parses = morph_analyzer().parse(_fold(word))
    nominative = tuple(
        parse for parse in parses if parse.tag.case == "nomn" and parse.tag.number == "sing"
    )
    return nominative or tuple(parses)


def _patronymic_gender(word: str) -> Gender | None:
    """The gender a patronymic shows («Сергеевич», «Ивановна», «Гейдар оглы»), None if none."""
    folded = _fold(word)
    last_word = folded.split()[-1]
    if last_word in _TURKIC_PATRONYMIC_MALE:
        return "male"
    if last_word in _TURKIC_PATRONYMIC_FEMALE:
        return "female"
    if folded.endswith(_PATRONYMIC_MALE_ENDINGS):
        return "male"
    if folded.endswith(_PATRONYMIC_FEMALE_ENDINGS):
        return "female"
    if not _CYRILLIC.search(word):
        return None
    for parse in _nominative_parses(word):
        if "Patr" in parse.tag.grammemes:
            return _GENDERS.get(str(parse.tag.gender))
    return None


def _name_score(word: str, tag: str) -> float:
    """How likely (0..1) a nominative reading of a word carries a pymorphy tag: Name or Surn."""
    if not _CYRILLIC.search(word):
        return 0.0
    return float(
        sum(parse.score for parse in _nominative_parses(word) if tag in parse.tag.grammemes)
    )


def _looks_like_given_name(word: str) -> bool:
    return _name_score(word, "Name") > _name_score(word, "Surn")


def _dictionary_gender(word: str) -> Gender | None:
    """The gender pymorphy3 gives a first name («Саша» is either: None)."""
    if not _CYRILLIC.search(word):
        return None
    scores: dict[str, float] = {}
    for parse in _nominative_parses(word):
        if "Name" in parse.tag.grammemes:
            gender = str(parse.tag.gender)
            scores[gender] = scores.get(gender, 0.0) + float(parse.score)
    if not scores:
        return None
    return _GENDERS.get(max(scores, key=lambda gender: scores[gender]))


def _surname_gender(word: str) -> Gender | None:
    folded = _fold(word)
    if folded.endswith(_SURNAME_FEMALE_ENDINGS):
        return "female"
    if folded.endswith(_SURNAME_MALE_ENDINGS):
        return "male"
    return None


def _name_tokens(full_name: str) -> list[str]:
    return [
        token.strip(".-") if not _INITIAL.match(token) else token
        for token in _NAME_TOKEN.findall(full_name)
    ]


def _could_be_patronymic(words: list[str], index: int) -> bool:
    """Whether words[index] reads as the patronymic after the first name before it.

    A patronymic agrees with the first name: in «Анна Карпович» the second word is a surname.
    """
    gender = _patronymic_gender(words[index])
    if gender is None:
        return False
    first_gender = _dictionary_gender(words[index - 1])
    return first_gender is None or first_gender == gender


def split_name(full_name: str) -> tuple[str | None, str | None, str | None]:
    """(last, first, patronymic) from a full name in either Russian order or «Ivan Petrov».

    Initials («Петров И. С.») are dropped: a greeting cannot address «И. С.».
    """
    tokens = [token for token in _name_tokens(full_name) if token]
    # Turkic patronymics are two words: «Гейдар оглы».
    merged: list[str] = []
    patronymic_at: int | None = None
    for token in tokens:
        folded = _fold(token)
        if merged and folded in _TURKIC_PATRONYMIC_MALE | _TURKIC_PATRONYMIC_FEMALE:
            merged[-1] = f"{merged[-1]} {token}"
            patronymic_at = len(merged) - 1
        else:
            merged.append(token)
    initials = {index for index, token in enumerate(merged) if _INITIAL.match(token)}
    if patronymic_at is None:
        patronymic_at = next(
            (
                index
                for index, token in enumerate(merged)
                if index > 0 and index not in initials and _could_be_patronymic(merged, index)
            ),
            None,
        )
    if patronymic_at is not None:
        patronymic = merged[patronymic_at]
        first_at = patronymic_at - 1 if patronymic_at - 1 not in initials else None
        first = merged[first_at] if first_at is not None else None
        rest = [
            token
            for index, token in enumerate(merged)
            if index not in {patronymic_at, first_at} and index not in initials
        ]
        return (" ".join(rest) or None), first, patronymic
    words = [token for index, token in enumerate(merged) if index not in initials]
    if not words:
        return None, None, None
    if len(words) == 1:
        only = words[0]
        if initials or (not _looks_like_given_name(only) and _CYRILLIC.search(only)):
            return only, None, None
        return None, only, None
    if any(_CYRILLIC.search(word) for word in words):
        given = [index for index, word in enumerate(words) if _looks_like_given_name(word)]
        # «Петров Иван» and «Иван Петров» both occur; the dictionary tells the name apart.
        first_at = given[0] if given else 0
        if not given and _fold(words[0]).endswith(_SURNAME_MALE_ENDINGS + _SURNAME_FEMALE_ENDINGS):
            first_at = 1
    else:
        first_at = 0
    rest = [word for index, word in enumerate(words) if index != first_at]
    return " ".join(rest), words[first_at], None


def guess_gender(full_name: str) -> Gender | None:
    """Male or female from the patronymic, else the first name, else the surname; or None."""
    last, first, patronymic = split_name(full_name)
    if patronymic:
        gender = _patronymic_gender(patronymic)
        if gender is not None:
            return gender
    if first:
        gender = _dictionary_gender(first)
        if gender is not None:
            return gender
    return _surname_gender(last.split()[-1]) if last else None


# --- greetings ----------------------------------------------------------------------------------

_NATIONAL_GREETINGS: Final[dict[str, tuple[str, str]]] = {
    "new_year": (
        "с Новым годом! Спасибо за этот год совместной работы. Желаю вам и вашим близким "
        "здоровья, тепла и чтобы все планы на новый год сбылись.",
        "happy New Year! Thank you for a year of working together. Wishing you and your "
        "family good health, warmth and every plan fulfilled in the year ahead.",
    ),
    "defender_day": (
        "с Днём защитника Отечества! Желаю здоровья, твёрдости духа и уверенности "
        "в каждом решении.",
        "congratulations on Defender of the Fatherland Day! Wishing you good health, strength "
        "and confidence in every decision.",
    ),
    "womens_day": (
        "с 8 Марта! Желаю весеннего настроения, тепла и как можно больше поводов для улыбки.",
        "happy International Women's Day! Wishing you a spring mood, warmth and plenty of "
        "reasons to smile.",
    ),
    "spring_labour_day": (
        "с Праздником Весны и Труда! Желаю хороших выходных, весеннего настроения "
        "и успехов в делах.",
        "happy Spring and Labour Day! Wishing you a good long weekend and every success.",
    ),
    "victory_day": (
        "с Днём Победы! Желаю мирного неба, здоровья вам и вашим близким.",
        "happy Victory Day! Wishing you and your family peace and good health.",
    ),
    "russia_day": (
        "с Днём России! Желаю хороших выходных и отличного летнего настроения.",
        "happy Russia Day! Have a great holiday and a wonderful start to the summer.",
    ),
    "unity_day": (
        "с Днём народного единства! Желаю приятных выходных, согласия и хорошего настроения.",
        "happy Unity Day! Wishing you a pleasant holiday and a good mood.",
    ),
}

# Family members people name, with the genitive for «с днём рождения вашей супруги».
_RELATIONS: Final[dict[str, tuple[str, str, str]]] = {
    # word: (genitive, gender f/m/p, English)
    "супруга": ("супруги", "f", "wife"),
    "жена": ("супруги", "f", "wife"),
    "супруг": ("супруга", "m", "husband"),
    "муж": ("супруга", "m", "husband"),
    "сын": ("сына", "m", "son"),
    "дочь": ("дочери", "f", "daughter"),
    "дочка": ("дочери", "f", "daughter"),
    "мать": ("мамы", "f", "mother"),
    "мама": ("мамы", "f", "mother"),
    "отец": ("папы", "m", "father"),
    "папа": ("папы", "m", "father"),
    "брат": ("брата", "m", "brother"),
    "сестра": ("сестры", "f", "sister"),
    "внук": ("внука", "m", "grandson"),
    "внучка": ("внучки", "f", "granddaughter"),
    "бабушка": ("бабушки", "f", "grandmother"),
    "дедушка": ("дедушки", "m", "grandfather"),
    "дети": ("детей", "p", "children"),
}
_RELATIONS_FROM_EN: Final = {
    "wife": "супруга", "husband": "супруг", "spouse": "супруга", "son": "сын",
    "daughter": "дочь", "mother": "мама", "father": "папа", "brother": "брат",
    "sister": "сестра", "grandson": "внук", "granddaughter": "внучка",
    "grandmother": "бабушка", "grandfather": "дедушка", "children": "дети",
}  # fmt: skip
# The English words of the relations above (what `relation_in_english` gives for them).
RELATIONS_EN: Final = frozenset(_RELATIONS_FROM_EN)
_YOUR_RU: Final = {"m": "вашего", "f": "вашей", "p": "ваших", "n": "вашего"}


def _address(first_name: str | None, patronymic: str | None) -> str | None:
    parts = [part.strip() for part in (first_name, patronymic) if part and part.strip()]
    return " ".join(parts) or None


def _open(address: str | None, lead: str, language: str) -> str:
    """«Иван Петрович, с днём рождения!…» — or the lead capitalised when there is no name."""
    if address:
        return f"{address}, {lead}"
    greeting = "Добрый день! " if language != "en" else "Hello! "
    return greeting + lead[:1].upper() + lead[1:]


def _relation_ru(relation: str | None) -> str:
    """«вашей супруги», «вашего сына»: whose birthday, in the genitive."""
    if not relation or not relation.strip():
        return "вашего близкого человека"
    words = _fold(relation).split()
    head = words[-1]
    head = _RELATIONS_FROM_EN.get(head, head)
    if head in _RELATIONS and len(words) == 1:
        genitive, gender, _ = _RELATIONS[head]
        return f"{_YOUR_RU[gender]} {genitive}"
    inflected = _inflect_genitive(words)
    if inflected is None:
        return f"вашего близкого человека ({relation.strip()})"
    return inflected


def _inflect_genitive(words: list[str]) -> str | None:
    morph = morph_analyzer()
    head_parses = [parse for parse in morph.parse(words[-1]) if parse.tag.case == "nomn"]
    if not head_parses or head_parses[0].tag.POS != "NOUN":
        return None
    head = head_parses[0]
    number = str(head.tag.number)
    gender = "p" if number == "plur" else {"masc": "m", "femn": "f"}.get(str(head.tag.gender), "n")
    inflected_words = []
    for word in words[:-1]:
        parse = morph.parse(word)[0]
        target = {"gent", "plur"} if number == "plur" else {"gent", str(head.tag.gender)}
        form = parse.inflect(target) or parse.inflect({"gent"})
        inflected_words.append(str(form.word) if form is not None else word)
    head_form = head.inflect({"gent", number})
    if head_form is None:
        return None
    inflected_words.append(str(head_form.word))
    return f"{_YOUR_RU[gender]} {' '.join(inflected_words)}"


def relation_in_english(relation: str) -> str:
    """«жена» → «wife» for the English texts; a relation the table lacks stays as written."""
    known = _RELATIONS.get(_fold(relation).strip())
    return known[2] if known else relation.strip()


def _relation_en(relation: str | None) -> str:
    if not relation or not relation.strip():
        return "someone close to you"
    return f"your {relation_in_english(relation)}"


def _holiday_phrase_ru(title: str | None) -> str:
    """«с Днём строителя» from «День строителя»; a neutral phrase for anything else."""
    if not title or not title.strip():
        return "с профессиональным праздником"
    title = title.strip()
    holiday = _PROFESSIONAL_BY_KEY.get(title)
    if holiday is not None:
        title = holiday.title_ru
    for prefix, replacement in (("День ", "Днём "), ("день ", "Днём ")):
        if title.startswith(prefix):
            return "с " + replacement + title[len(prefix) :]
    return f"с праздником — {title}"


def _holiday_phrase_en(title: str | None) -> str:
    if not title or not title.strip():
        return "happy professional holiday"
    title = title.strip()
    holiday = _PROFESSIONAL_BY_KEY.get(title)
    return f"happy {holiday.title_en if holiday is not None else title}"


def _national_key(title: str | None) -> str | None:
    if not title:
        return None
    folded = _fold(title.strip())
    for holiday in _NATIONAL:
        if folded in {holiday.key, _fold(holiday.title_ru), _fold(holiday.title_en)}:
            return holiday.key
    aliases = {"8 марта": "womens_day", "23 февраля": "defender_day", "1 мая": "spring_labour_day"}
    aliases |= {"9 мая": "victory_day", "12 июня": "russia_day", "4 ноября": "unity_day"}
    return aliases.get(folded)


def greeting(
    occasion_kind: str,
    *,
    first_name: str | None,
    patronymic: str | None,
    language: str,
    title: str | None = None,
    relation: str | None = None,
    belated: bool = False,
) -> str:
    """A ready draft greeting to copy or adapt, addressing the contact by name and patronymic.

    `occasion_kind` is one of GREETING_KINDS. `title` names the holiday (an occasion key or
    its title), the anniversary or the event; `relation` the family member whose birthday it is.
    `belated` for a greeting made after the day: «с прошедшим днём рождения!».
    """
    if occasion_kind not in GREETING_KINDS:
        msg = f"unknown occasion kind: {occasion_kind!r}"
        raise ValueError(msg)
    english = language == "en"
    address = _address(first_name, patronymic)
    if belated and occasion_kind != EVENT_INVITATION:
        text = (
            _belated_en(occasion_kind, title, relation)
            if english
            else _belated_ru(occasion_kind, title, relation)
        )
    else:
        text = (
            _greeting_en(occasion_kind, title, relation)
            if english
            else _greeting_ru(occasion_kind, title, relation)
        )
    return _open(address, text, language)


def holiday_titles(key: str) -> tuple[str, str] | None:
    """A national or professional holiday's name in Russian and English by its occasion key."""
    for national in _NATIONAL:
        if national.key == key:
            return national.title_ru, national.title_en
    holiday = _PROFESSIONAL_BY_KEY.get(key)
    return (holiday.title_ru, holiday.title_en) if holiday is not None else None


def holiday_greeting_kind(key: str) -> str | None:
    """NATIONAL_HOLIDAY or PROFESSIONAL_HOLIDAY for an occasion key, None for anything else."""
    if any(holiday.key == key for holiday in _NATIONAL):
        return NATIONAL_HOLIDAY
    return PROFESSIONAL_HOLIDAY if key in _PROFESSIONAL_BY_KEY else None


_BELATED_WISH_RU: Final = "Желаю здоровья, успехов и всего самого доброго."
_BELATED_WISH_EN: Final = "Wishing you good health, success and all the best."


def _belated_ru(kind: str, title: str | None, relation: str | None) -> str:
    """The greeting made a day or three late: it says so rather than pretend it is the day."""
    if kind == BIRTHDAY:
        return (
            "с прошедшим днём рождения! Желаю крепкого здоровья, энергии и удачи во всех "
            "начинаниях — и чтобы работа приносила радость. Спасибо, что вы с нами!"
        )
    if kind == FAMILY_BIRTHDAY:
        return (
            f"поздравляю с прошедшим днём рождения {_relation_ru(relation)}! Передайте, "
            "пожалуйста, мои самые тёплые пожелания — здоровья, радости и всего самого доброго."
        )
    if kind == ANNIVERSARY:
        lead = (
            f"пусть и с опозданием, поздравляю: {title.strip()}!"
            if title and title.strip()
            else "поздравляю с прошедшей годовщиной!"
        )
        return f"{lead} {_BELATED_WISH_RU}"
    if kind == NATIONAL_HOLIDAY:
        key = _national_key(title)
        # The curated greetings all open with the holiday: «с Новым годом! …».
        phrase = (
            _NATIONAL_GREETINGS[key][0].split("!")[0]
            if key is not None
            else f"с праздником — {title.strip()}"
            if title and title.strip()
            else "с праздником"
        )
        return f"с прошедшим{phrase[1:]}! {_BELATED_WISH_RU}"
    phrase = _holiday_phrase_ru(title)
    return (
        f"с прошедшим{phrase[1:]}! Спасибо за ваш профессионализм — желаю интересных задач, "
        "надёжной команды и заслуженного признания."
    )


def _belated_en(kind: str, title: str | None, relation: str | None) -> str:
    if kind == BIRTHDAY:
        return (
            "happy belated birthday! Wishing you good health, energy and luck in everything "
            "you take on — and work that brings you joy. Thank you for being with us!"
        )
    if kind == FAMILY_BIRTHDAY:
        return (
            f"belated wishes for {_relation_en(relation)}'s birthday — please pass on my "
            "warmest wishes for good health, joy and all the best."
        )
    if kind == ANNIVERSARY:
        lead = (
            f"belated congratulations: {title.strip()}!"
            if title and title.strip()
            else "belated congratulations on your anniversary!"
        )
        return f"{lead} {_BELATED_WISH_EN}"
    if kind == NATIONAL_HOLIDAY:
        key = _national_key(title)
        name = next((h.title_en for h in _NATIONAL if h.key == key), None) or (title or "").strip()
        return f"belated {name or 'holiday'} wishes! {_BELATED_WISH_EN}"
    return f"belated {_holiday_phrase_en(title)}! {_BELATED_WISH_EN}"


def _greeting_ru(kind: str, title: str | None, relation: str | None) -> str:
    if kind == BIRTHDAY:
        return (
            "с днём рождения! Желаю крепкого здоровья, энергии и удачи во всех начинаниях — "
            "и чтобы работа приносила радость. Спасибо, что вы с нами!"
        )
    if kind == FAMILY_BIRTHDAY:
        return (
            f"поздравляю с днём рождения {_relation_ru(relation)}! Передайте, пожалуйста, "
            "мои самые тёплые пожелания — здоровья, радости и всего самого доброго."
        )
    if kind == ANNIVERSARY:
        lead = (
            f"поздравляю: {title.strip()}!"
            if title and title.strip()
            else ("поздравляю с годовщиной!")
        )
        return (
            f"{lead} Желаю, чтобы каждый следующий год был лучше предыдущего, "
            "и чтобы поводов для праздника становилось только больше."
        )
    if kind == NATIONAL_HOLIDAY:
        key = _national_key(title)
        if key is not None:
            return _NATIONAL_GREETINGS[key][0]
        phrase = f"с праздником — {title.strip()}" if title and title.strip() else "с праздником"
        return f"{phrase}! Желаю хороших выходных, здоровья и отличного настроения."
    if kind == PROFESSIONAL_HOLIDAY:
        return (
            f"{_holiday_phrase_ru(title)}! Спасибо за ваш профессионализм — желаю интересных "
            "задач, надёжной команды и заслуженного признания."
        )
    event = (
        f"на наше мероприятие: {title.strip()}"
        if title and title.strip()
        else ("на наше мероприятие")
    )
    return (
        f"хочу пригласить вас {event}. Думаю, будет полезно и интересно. "
        "Если удобно, пришлю подробности и забронирую для вас место."
    )


def _greeting_en(kind: str, title: str | None, relation: str | None) -> str:
    if kind == BIRTHDAY:
        return (
            "happy birthday! Wishing you good health, energy and luck in everything you take "
            "on — and work that brings you joy. Thank you for being with us!"
        )
    if kind == FAMILY_BIRTHDAY:
        return (
            f"I hear it's {_relation_en(relation)}'s birthday — please pass on my warmest "
            "wishes for good health, joy and all the best."
        )
    if kind == ANNIVERSARY:
        lead = (
            f"congratulations: {title.strip()}!"
            if title and title.strip()
            else ("congratulations on your anniversary!")
        )
        return f"{lead} May every year be better than the last, with ever more to celebrate."
    if kind == NATIONAL_HOLIDAY:
        key = _national_key(title)
        if key is not None:
            return _NATIONAL_GREETINGS[key][1]
        phrase = f"happy {title.strip()}" if title and title.strip() else "happy holiday"
        return f"{phrase}! Wishing you a good rest, good health and a great mood."
    if kind == PROFESSIONAL_HOLIDAY:
        return (
            f"{_holiday_phrase_en(title)}! Thank you for your professionalism — wishing you "
            "interesting challenges, a strong team and well-deserved recognition."
        )
    event = f"to our event: {title.strip()}" if title and title.strip() else "to our event"
    return (
        f"I'd like to invite you {event}. I think you'll find it useful. If it suits you, "
        "I'll send the details and save you a seat."
    )


def greeting_for(
    occasion: Occasion,
    *,
    first_name: str | None,
    patronymic: str | None,
    language: str,
) -> str:
    """The draft greeting for a national or professional occasion."""
    kind = NATIONAL_HOLIDAY if occasion.kind == "national" else PROFESSIONAL_HOLIDAY
    return greeting(
        kind, first_name=first_name, patronymic=patronymic, language=language, title=occasion.key
    )
