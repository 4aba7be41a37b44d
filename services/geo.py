"""Cities and time zones: a city name, an offset («UTC+7», «МСК+4») or an IANA zone to a zone.

Russian and nearby cities are listed with their names in both languages and the inflected forms
people type («в Казани», «из Екатеринбурга»); anything else can be given as an offset or an IANA
key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MOSCOW = ZoneInfo("Europe/Moscow")
MAX_OFFSET_HOURS = 14


@dataclass(frozen=True)
class City:
    """A city people name when they mean a time zone."""

    key: str
    name_ru: str
    name_en: str
    tz: str
    aliases: tuple[str, ...] = ()

    def name(self, language: str) -> str:
        """The city's name in a language."""
        return self.name_ru if language == "ru" else self.name_en


CITIES: tuple[City, ...] = (
    City("msk", "Москва", "Moscow", "Europe/Moscow", ("мск", "moskva")),
    City(
        "spb",
        "Санкт-Петербург",
        "Saint Petersburg",
        "Europe/Moscow",
        ("петербург", "питер", "спб", "st petersburg", "petersburg"),
    ),
    City("kgd", "Калининград", "Kaliningrad", "Europe/Kaliningrad"),
    City("kzn", "Казань", "Kazan", "Europe/Moscow"),
    City("nn", "Нижний Новгород", "Nizhny Novgorod", "Europe/Moscow", ("нижний",)),
    City("vrn", "Воронеж", "Voronezh", "Europe/Moscow"),
    City("rnd", "Ростов-на-Дону", "Rostov-on-Don", "Europe/Moscow", ("ростов",)),
    City("krd", "Краснодар", "Krasnodar", "Europe/Moscow"),
    City("sochi", "Сочи", "Sochi", "Europe/Moscow"),
    City("yar", "Ярославль", "Yaroslavl", "Europe/Moscow"),
    City("tula", "Тула", "Tula", "Europe/Moscow"),
    City("mnsk", "Минск", "Minsk", "Europe/Minsk"),
    City("smr", "Самара", "Samara", "Europe/Samara"),
    City("izh", "Ижевск", "Izhevsk", "Europe/Samara"),
    City("vlg", "Волгоград", "Volgograd", "Europe/Volgograd"),
    City("sar", "Саратов", "Saratov", "Europe/Saratov"),
    City("ufa", "Уфа", "Ufa", "Asia/Yekaterinburg"),
    City("ekb", "Екатеринбург", "Yekaterinburg", "Asia/Yekaterinburg", ("екб", "екат")),
    City("chel", "Челябинск", "Chelyabinsk", "Asia/Yekaterinburg"),
    City("perm", "Пермь", "Perm", "Asia/Yekaterinburg"),
    City("tmn", "Тюмень", "Tyumen", "Asia/Yekaterinburg"),
    City("omsk", "Омск", "Omsk", "Asia/Omsk"),
    City("nsk", "Новосибирск", "Novosibirsk", "Asia/Novosibirsk", ("нск", "новосиб")),
    City("tomsk", "Томск", "Tomsk", "Asia/Tomsk"),
    City("brn", "Барнаул", "Barnaul", "Asia/Barnaul"),
    City("kem", "Кемерово", "Kemerovo", "Asia/Novokuznetsk"),
    City("nkz", "Новокузнецк", "Novokuznetsk", "Asia/Novokuznetsk"),
    City("krs", "Красноярск", "Krasnoyarsk", "Asia/Krasnoyarsk"),
    City("irk", "Иркутск", "Irkutsk", "Asia/Irkutsk"),
    City("chita", "Чита", "Chita", "Asia/Chita"),
    City("yak", "Якутск", "Yakutsk", "Asia/Yakutsk"),
    City("hab", "Хабаровск", "Khabarovsk", "Asia/Vladivostok"),
    City("vvo", "Владивосток", "Vladivostok", "Asia/Vladivostok", ("влад",)),
    City("mag", "Магадан", "Magadan", "Asia/Magadan"),
    City("ysh", "Южно-Сахалинск", "Yuzhno-Sakhalinsk", "Asia/Sakhalin", ("сахалин",)),
    City(
        "pkc",
        "Петропавловск-Камчатский",
        "Petropavlovsk-Kamchatsky",
        "Asia/Kamchatka",
        ("камчатка", "петропавловск"),
    ),
    # More Russian cities people name (over ~100,000 people, or a region's centre).
    City("arkhangelsk", "Архангельск", "Arkhangelsk", "Europe/Moscow"),
    City("belgorod", "Белгород", "Belgorod", "Europe/Moscow"),
    City("bryansk", "Брянск", "Bryansk", "Europe/Moscow"),
    City("vladimir", "Владимир", "Vladimir", "Europe/Moscow"),
    City("vologda", "Вологда", "Vologda", "Europe/Moscow"),
    City("cherepovets", "Череповец", "Cherepovets", "Europe/Moscow"),
    City("ivanovo", "Иваново", "Ivanovo", "Europe/Moscow"),
    City("kaluga", "Калуга", "Kaluga", "Europe/Moscow"),
    City("kostroma", "Кострома", "Kostroma", "Europe/Moscow"),
    City("kursk", "Курск", "Kursk", "Europe/Moscow"),
    City("lipetsk", "Липецк", "Lipetsk", "Europe/Moscow"),
    City("murmansk", "Мурманск", "Murmansk", "Europe/Moscow"),
    City("velikynovgor", "Великий Новгород", "Veliky Novgorod", "Europe/Moscow"),
    City("oryol", "Орёл", "Oryol", "Europe/Moscow"),
    City("penza", "Пенза", "Penza", "Europe/Moscow"),
    City("pskov", "Псков", "Pskov", "Europe/Moscow"),
    City("ryazan", "Рязань", "Ryazan", "Europe/Moscow"),
    City("smolensk", "Смоленск", "Smolensk", "Europe/Moscow"),
    City("tambov", "Тамбов", "Tambov", "Europe/Moscow"),
    City("tver", "Тверь", "Tver", "Europe/Moscow"),
    City("petrozavodsk", "Петрозаводск", "Petrozavodsk", "Europe/Moscow"),
    City("syktyvkar", "Сыктывкар", "Syktyvkar", "Europe/Moscow"),
    City("ukhta", "Ухта", "Ukhta", "Europe/Moscow"),
    City("kirov", "Киров", "Kirov", "Europe/Kirov"),
    City("cheboksary", "Чебоксары", "Cheboksary", "Europe/Moscow"),
    City("yoshkarola", "Йошкар-Ола", "Yoshkar-Ola", "Europe/Moscow"),
    City("saransk", "Саранск", "Saransk", "Europe/Moscow"),
    City("naberezhnyec", "Набережные Челны", "Naberezhnye Chelny", "Europe/Moscow"),
    City("nizhnekamsk", "Нижнекамск", "Nizhnekamsk", "Europe/Moscow"),
    City("stavropol", "Ставрополь", "Stavropol", "Europe/Moscow"),
    City("pyatigorsk", "Пятигорск", "Pyatigorsk", "Europe/Moscow"),
    City("makhachkala", "Махачкала", "Makhachkala", "Europe/Moscow"),
    City("grozny", "Грозный", "Grozny", "Europe/Moscow"),
    City("vladikavkaz", "Владикавказ", "Vladikavkaz", "Europe/Moscow"),
    City("nalchik", "Нальчик", "Nalchik", "Europe/Moscow"),
    City("maykop", "Майкоп", "Maykop", "Europe/Moscow"),
    City("elista", "Элиста", "Elista", "Europe/Moscow"),
    City("novorossiysk", "Новороссийск", "Novorossiysk", "Europe/Moscow"),
    City("taganrog", "Таганрог", "Taganrog", "Europe/Moscow"),
    City("shakhty", "Шахты", "Shakhty", "Europe/Moscow"),
    City("simferopol", "Симферополь", "Simferopol", "Europe/Simferopol"),
    City("sevastopol", "Севастополь", "Sevastopol", "Europe/Simferopol"),
    City("balashikha", "Балашиха", "Balashikha", "Europe/Moscow"),
    City("podolsk", "Подольск", "Podolsk", "Europe/Moscow"),
    City("khimki", "Химки", "Khimki", "Europe/Moscow"),
    City("mytishchi", "Мытищи", "Mytishchi", "Europe/Moscow"),
    City("korolyov", "Королёв", "Korolyov", "Europe/Moscow"),
    City("lyubertsy", "Люберцы", "Lyubertsy", "Europe/Moscow"),
    City("astrakhan", "Астрахань", "Astrakhan", "Europe/Astrakhan"),
    City("ulyanovsk", "Ульяновск", "Ulyanovsk", "Europe/Ulyanovsk"),
    City("tolyatti", "Тольятти", "Tolyatti", "Europe/Samara"),
    City("syzran", "Сызрань", "Syzran", "Europe/Samara"),
    City("volzhsky", "Волжский", "Volzhsky", "Europe/Volgograd"),
    City("engels", "Энгельс", "Engels", "Europe/Saratov"),
    City("orenburg", "Оренбург", "Orenburg", "Asia/Yekaterinburg"),
    City("orsk", "Орск", "Orsk", "Asia/Yekaterinburg"),
    City("kurgan", "Курган", "Kurgan", "Asia/Yekaterinburg"),
    City("magnitogorsk", "Магнитогорск", "Magnitogorsk", "Asia/Yekaterinburg"),
    City("nizhnytagil", "Нижний Тагил", "Nizhny Tagil", "Asia/Yekaterinburg"),
    City("kamenskurals", "Каменск-Уральский", "Kamensk-Uralsky", "Asia/Yekaterinburg"),
    City("zlatoust", "Златоуст", "Zlatoust", "Asia/Yekaterinburg"),
    City("sterlitamak", "Стерлитамак", "Sterlitamak", "Asia/Yekaterinburg"),
    City("surgut", "Сургут", "Surgut", "Asia/Yekaterinburg"),
    City("nizhnevartov", "Нижневартовск", "Nizhnevartovsk", "Asia/Yekaterinburg"),
    City("nefteyugansk", "Нефтеюганск", "Nefteyugansk", "Asia/Yekaterinburg"),
    City("khantymansiy", "Ханты-Мансийск", "Khanty-Mansiysk", "Asia/Yekaterinburg"),
    City("novyurengoy", "Новый Уренгой", "Novy Urengoy", "Asia/Yekaterinburg"),
    City("noyabrsk", "Ноябрьск", "Noyabrsk", "Asia/Yekaterinburg"),
    City("salekhard", "Салехард", "Salekhard", "Asia/Yekaterinburg"),
    City("tobolsk", "Тобольск", "Tobolsk", "Asia/Yekaterinburg"),
    City("biysk", "Бийск", "Biysk", "Asia/Barnaul"),
    City("gornoaltaysk", "Горно-Алтайск", "Gorno-Altaysk", "Asia/Barnaul"),
    City("prokopyevsk", "Прокопьевск", "Prokopyevsk", "Asia/Novokuznetsk"),
    City("abakan", "Абакан", "Abakan", "Asia/Krasnoyarsk"),
    City("kyzyl", "Кызыл", "Kyzyl", "Asia/Krasnoyarsk"),
    City("norilsk", "Норильск", "Norilsk", "Asia/Krasnoyarsk"),
    City("achinsk", "Ачинск", "Achinsk", "Asia/Krasnoyarsk"),
    City("ulanude", "Улан-Удэ", "Ulan-Ude", "Asia/Irkutsk"),
    City("bratsk", "Братск", "Bratsk", "Asia/Irkutsk"),
    City("angarsk", "Ангарск", "Angarsk", "Asia/Irkutsk"),
    City("blagoveshche", "Благовещенск", "Blagoveshchensk", "Asia/Yakutsk"),
    City("komsomolskon", "Комсомольск-на-Амуре", "Komsomolsk-on-Amur", "Asia/Vladivostok"),
    City("ussuriysk", "Уссурийск", "Ussuriysk", "Asia/Vladivostok"),
    City("nakhodka", "Находка", "Nakhodka", "Asia/Vladivostok"),
    City("birobidzhan", "Биробиджан", "Birobidzhan", "Asia/Vladivostok"),
    City("anadyr", "Анадырь", "Anadyr", "Asia/Anadyr"),
    City("gomel", "Гомель", "Gomel", "Europe/Minsk"),
    City("karaganda", "Караганда", "Karaganda", "Asia/Almaty"),
    City("shymkent", "Шымкент", "Shymkent", "Asia/Almaty"),
    City("bishkek", "Бишкек", "Bishkek", "Asia/Bishkek"),
    City("ast", "Астана", "Astana", "Asia/Almaty"),
    City("ala", "Алматы", "Almaty", "Asia/Almaty", ("алма-ата",)),
    City("tas", "Ташкент", "Tashkent", "Asia/Tashkent"),
    City("bak", "Баку", "Baku", "Asia/Baku"),
    City("tbs", "Тбилиси", "Tbilisi", "Asia/Tbilisi"),
    City("evn", "Ереван", "Yerevan", "Asia/Yerevan"),
    City("ist", "Стамбул", "Istanbul", "Europe/Istanbul"),
    City("dxb", "Дубай", "Dubai", "Asia/Dubai"),
    City("ber", "Берлин", "Berlin", "Europe/Berlin"),
    City("lon", "Лондон", "London", "Europe/London"),
)

POPULAR_CITIES: tuple[str, ...] = ("msk", "spb", "kgd", "smr", "ekb", "nsk", "krs", "irk", "vvo")
# Russia's zones from МСК−1 to МСК+9, each with a city people know it by: the buttons offered for
# a city the list does not hold («Когалым» is МСК+2, like Екатеринбург).
ZONE_CITIES: tuple[str, ...] = (
    "kgd", "msk", "smr", "ekb", "omsk", "nsk", "irk", "yak", "vvo", "mag", "pkc",
)  # fmt: skip

_BY_KEY = {city.key: city for city in CITIES}
_OFFSET = re.compile(
    r"^(?P<base>utc|gmt|мск|msk)\s*(?:(?P<sign>[+\-−])\s*(?P<hours>\d{1,2})(?::?(?P<minutes>[0-5]\d))?)?$"
)
# Russian case endings people add to a city after a preposition («в Казани», «из Перми»).
_CASE_ENDINGS = ("ом", "ем", "ой", "ей", "е", "и", "а", "я", "у", "ю")
_PREPOSITIONS = re.compile(r"^(?:в|во|из|г\.?|город|in|from)\s+")


def _normalise(text: str) -> str:
    text = text.casefold().replace("ё", "е").strip().strip(".,!?«»\"'")
    text = _PREPOSITIONS.sub("", text)
    return re.sub(r"\s+", " ", text.replace("—", "-"))


@cache
def _name_index() -> dict[str, City]:
    index: dict[str, City] = {}
    for city in CITIES:
        for name in (city.name_ru, city.name_en, *city.aliases):
            index[_normalise(name)] = city
    return index


def city_by_key(key: str) -> City:
    """The city with this key (raises KeyError for an unknown key)."""
    return _BY_KEY[key]


def has_city(key: str) -> bool:
    """Whether a key names a listed city (buttons carry keys, which can be forged)."""
    return key in _BY_KEY


def find_city(text: str) -> City | None:
    """The city a person named, tolerating case endings and prepositions; None when unknown."""
    wanted = _normalise(text)
    if not wanted:
        return None
    index = _name_index()
    if wanted in index:
        return index[wanted]
    stems = _stem_index()
    for ending in _CASE_ENDINGS:
        if wanted.endswith(ending) and len(wanted) > len(ending) + 2:
            base = wanted[: -len(ending)]
            city = index.get(base) or stems.get(base)
            if city is not None:
                return city
    return _declined_compound(wanted)


_NAME_PARTS = re.compile(r"[\s-]+")


def _declined_compound(wanted: str) -> City | None:
    """A name of several words with each word declined: «из Нижнего Тагила», «в Набережных
    Челнах», «в Комсомольске-на-Амуре» — every word keeps its stem and changes at most its last
    two letters, and gains at most three."""
    typed = _NAME_PARTS.split(wanted)
    if len(typed) < 2:
        return None
    for name, city in _name_index().items():
        parts = _NAME_PARTS.split(name)
        if len(parts) == len(typed) and all(
            _same_stem(word, part) for word, part in zip(typed, parts, strict=True)
        ):
            return city
    return None


def _same_stem(word: str, part: str) -> bool:
    if len(part) <= 3:
        return word == part
    shared = next(
        (index for index, (a, b) in enumerate(zip(word, part, strict=False)) if a != b),
        min(len(word), len(part)),
    )
    return shared >= len(part) - 2 and len(word) <= len(part) + 3


@cache
def _stem_index() -> dict[str, City]:
    """Russian names without their final vowel or soft sign: «казань» → «казан»."""
    return {
        name[:-1]: city
        for name, city in _name_index().items()
        if not name.isascii() and name[-1] in "аяоеиьй"
    }


@dataclass(frozen=True)
class CityZone:
    """What was typed for a client's city: the city's name and its zone when one is known."""

    name: str
    zone: ZoneInfo | None
    # The part typed as a zone («UTC+25») when it could not be read.
    bad_zone: str | None = None


# «Когалым (МСК+2)», «Когалым UTC+5», «Когалым, Asia/Yekaterinburg», «Когалым, как Екатеринбург».
_CITY_AND_ZONE = re.compile(
    r"^(?P<city>[^,(]+?)\s*(?:,\s*(?:как\s+(?:в\s+)?|like\s+(?:in\s+)?)?(?P<after_comma>.+?)|"
    r"\(\s*(?P<bracketed>[^)]+?)\s*\)|\s+(?P<offset>(?:utc|gmt|мск|msk)\s*(?:[+\-−]\s*\d{1,2}"
    r"(?::?\d{2})?)?))\s*$",
    re.IGNORECASE,
)
_CITY_NAME = re.compile(r"^[^\W\d_][\w.\- ]*$")
_CITY_NAME_WORDS = 4


def read_city(text: str) -> CityZone | None:
    """A typed city with its zone: a listed city («Казань», «в Перми»), or any city with a zone
    after it («Когалым, UTC+5», «Когалым (МСК+2)», «Когалым, Екатеринбург»), or a city name alone
    that the list does not hold («Когалым»: zone None, to be asked). None for what is no city
    name at all («12345», a sentence)."""
    city = find_city(text)
    if city is not None:
        return CityZone(city.name_ru, ZoneInfo(city.tz))
    cleaned = " ".join(text.split()).strip(" .,!?«»\"'")
    found = _CITY_AND_ZONE.match(cleaned)
    if found is not None:
        name = _city_name(found["city"])
        zone_text = found["after_comma"] or found["bracketed"] or found["offset"]
        if name is not None:
            zone = resolve_timezone(zone_text)
            return CityZone(name, zone, None if zone else zone_text.strip())
    name = _city_name(cleaned)
    return CityZone(name, None) if name is not None else None


def _city_name(text: str) -> str | None:
    """A typed city name, its first letter capital, or None for what cannot be one."""
    name = _PREPOSITIONS.sub("", " ".join(text.split()).strip(" .,"))
    if not _CITY_NAME.match(name) or len(name.split()) > _CITY_NAME_WORDS or len(name) > 60:
        return None
    known = find_city(name)
    return known.name_ru if known else name[:1].upper() + name[1:]


def _zone_from_offset(match: re.Match[str]) -> ZoneInfo | None:
    base = 3 if match["base"] in {"мск", "msk"} else 0
    sign = -1 if match["sign"] in {"-", "−"} else 1
    hours = int(match["hours"] or 0)
    if int(match["minutes"] or 0) != 0:
        # Etc zones are whole hours; a half-hour offset needs a city or an IANA key.
        return None
    total = base + sign * hours
    if abs(total) > MAX_OFFSET_HOURS:
        return None
    if base == 3 and total == 3:
        return MOSCOW
    # POSIX inverts the sign in the Etc area: UTC+7 is Etc/GMT-7.
    return ZoneInfo("Etc/UTC" if total == 0 else f"Etc/GMT{-total:+d}")


@cache
def _iana_keys() -> dict[str, str]:
    return {key.casefold(): key for key in available_timezones()}


_LIKE = re.compile(r"^(?:как|like)\s+(?:в\s+|in\s+)?", re.IGNORECASE)


def read_zone(text: str) -> ZoneInfo | None:
    """A zone typed for a city the list does not hold: what `resolve_timezone` reads, also
    after «как» («как Екатеринбург», «like in Omsk»)."""
    return resolve_timezone(_LIKE.sub("", text.strip()))


def resolve_timezone(text: str) -> ZoneInfo | None:
    """A zone from a city, an offset («UTC+7», «МСК+4») or an IANA key; None when unknown."""
    city = find_city(text)
    if city is not None:
        return ZoneInfo(city.tz)
    cleaned = _normalise(text).replace(" ", "")
    match = _OFFSET.match(cleaned)
    if match:
        return _zone_from_offset(match)
    key = _iana_keys().get(text.strip().casefold())
    if key is None:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_name(key: str) -> str:
    """An IANA key as people read it: «UTC+7» for the POSIX «Etc/GMT-7» (whose sign is
    inverted), the key itself otherwise («Asia/Novosibirsk»)."""
    match = re.fullmatch(r"Etc/GMT([+-]\d+)", key)
    if match is not None:
        return "UTC" + _format_delta(timedelta(hours=-int(match[1])))
    return "UTC" if key in {"Etc/UTC", "Etc/GMT", "UTC"} else key


# The city a zone is read by in «15:00 по Москве» / «15:00 Moscow time»: Russian after «по»
# (the dative), English before «time».
ZONE_CLOCK_CITIES: dict[str, tuple[str, str]] = {
    "Europe/Moscow": ("Москве", "Moscow"),
    "Europe/Kaliningrad": ("Калининграду", "Kaliningrad"),
    "Europe/Minsk": ("Минску", "Minsk"),
    "Europe/Samara": ("Самаре", "Samara"),
    "Europe/Volgograd": ("Волгограду", "Volgograd"),
    "Europe/Saratov": ("Саратову", "Saratov"),
    "Asia/Yekaterinburg": ("Екатеринбургу", "Yekaterinburg"),
    "Asia/Omsk": ("Омску", "Omsk"),
    "Asia/Novosibirsk": ("Новосибирску", "Novosibirsk"),
    "Asia/Tomsk": ("Томску", "Tomsk"),
    "Asia/Barnaul": ("Барнаулу", "Barnaul"),
    "Asia/Novokuznetsk": ("Новокузнецку", "Novokuznetsk"),
    "Asia/Krasnoyarsk": ("Красноярску", "Krasnoyarsk"),
    "Asia/Irkutsk": ("Иркутску", "Irkutsk"),
    "Asia/Chita": ("Чите", "Chita"),
    "Asia/Yakutsk": ("Якутску", "Yakutsk"),
    "Asia/Vladivostok": ("Владивостоку", "Vladivostok"),
    "Asia/Magadan": ("Магадану", "Magadan"),
    "Asia/Sakhalin": ("Сахалину", "Sakhalin"),
    "Asia/Kamchatka": ("Камчатке", "Kamchatka"),
    "Asia/Almaty": ("Алматы", "Almaty"),
    "Asia/Tashkent": ("Ташкенту", "Tashkent"),
    "Asia/Baku": ("Баку", "Baku"),
    "Asia/Tbilisi": ("Тбилиси", "Tbilisi"),
    "Asia/Yerevan": ("Еревану", "Yerevan"),
    "Europe/Istanbul": ("Стамбулу", "Istanbul"),
    "Asia/Dubai": ("Дубаю", "Dubai"),
    "Europe/Berlin": ("Берлину", "Berlin"),
    "Europe/London": ("Лондону", "London"),
}


def zone_phrase(key: str, language: str, at: datetime) -> str:
    """Whose clock a time is on: «по Москве» / «Moscow time» for a listed zone, else its offset
    at that moment («по МСК+4», «UTC+7»)."""
    city = ZONE_CLOCK_CITIES.get(key)
    if language == "ru":
        return f"по {city[0]}" if city else f"по {describe_offset(ZoneInfo(key), at, 'ru')}"
    return f"{city[1]} time" if city else describe_offset(ZoneInfo(key), at, "en")


@dataclass(frozen=True)
class ZonedTime:
    """A wall time given in one zone (an event's start) and the same moment on a reader's
    clock."""

    own: datetime
    local: datetime

    @property
    def differs(self) -> bool:
        """Whether the reader's clock shows another day or time than the zone's own."""
        return self.own.replace(tzinfo=None) != self.local.replace(tzinfo=None)


def zoned_time(day: date, at: time, zone: str, reader_zone: str) -> ZonedTime:
    """`day` `at` o'clock in `zone`, and that moment in `reader_zone`."""
    own = datetime.combine(day, at, tzinfo=ZoneInfo(zone))
    return ZonedTime(own, own.astimezone(ZoneInfo(reader_zone)))


def zone_label(key: str, now: datetime, language: str) -> str:
    """A member's zone as people say it: «Москва, МСК», «Новосибирск, МСК+4», «Moscow,
    UTC+3» — the city the zone is known by and its offset now; a zone no city here stands
    for, by its key («Asia/Famagusta, МСК»)."""
    city = _zone_city(key)
    name = city.name(language) if city is not None else zone_name(key)
    return f"{name}, {describe_offset(ZoneInfo(key), now, language)}"


@cache
def _zone_city(key: str) -> City | None:
    """The city a zone is read by («по Москве», `ZONE_CLOCK_CITIES`), else the first city of
    the list in it."""
    named = ZONE_CLOCK_CITIES.get(key)
    in_zone = [city for city in CITIES if city.tz == key]
    if named is not None:
        for city in in_zone:
            if city.name_en == named[1]:
                return city
    return in_zone[0] if in_zone else None


def describe_offset(zone: ZoneInfo, now: datetime, language: str) -> str:
    """«МСК+7» for Russian readers, «UTC+10» for English ones, at the given moment."""
    offset = now.astimezone(zone).utcoffset() or timedelta()
    if language == "ru":
        moscow = now.astimezone(MOSCOW).utcoffset() or timedelta()
        return "МСК" + _format_delta(offset - moscow)
    return "UTC" + _format_delta(offset)


def _format_delta(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes == 0:
        return ""
    sign = "+" if minutes > 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")
