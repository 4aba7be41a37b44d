"""The demo team and client base behind `python -m bot console --demo`.

`load_demo` fills an empty database with a sales team (a head and three managers) and about sixty
clients of a workwear and merchandise supplier: companies across Russia's time zones and a few
private buyers, their people with birthdays and families, current orders, four months of logged
interactions with goals and results, one next touch per client, and company events with a start
time and their invitations (one event cancelled since). Everything is drawn from a seeded
`random.Random`, so the same `now` always gives the same base; the dates are placed relative to
`now` so that the first digest has something to say (a birthday today, a wife's birthday
tomorrow, overdue touches, stale records, invitations). A database that already has the demo
team is left alone.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    CategoryPolicy,
    ChangeLog,
    Client,
    Contact,
    Deal,
    Interaction,
    KeyDate,
    Member,
    OwnerHistory,
    Touch,
)
from models.clients import DEFAULT_POLICIES
from models.enums import (
    Category,
    Channel,
    ClientKind,
    Direction,
    Outcome,
    Role,
    Stage,
    TouchReason,
    TouchStatus,
)
from services import audit, geo
from services.digest import member_schedule
from services.planner import (
    Audience,
    cancel_event,
    client_schedule,
    create_event,
    next_working_day,
    occasion_goal,
)
from services.touches import plan_touch

DEMO_SEED = 20_261_118
HISTORY_DAYS = 120
# How far back the history's outgoing contacts closed planned touches, and birthdays were
# congratulated: enough for last month's /team to have a plan to measure.
CLOSED_TOUCH_DAYS = 60
CONGRATULATED_DAYS = 60

HEAD_TELEGRAM_ID = 1001
CONSOLE_MANAGER_TELEGRAM_ID = 1002
SECOND_MANAGER_TELEGRAM_ID = 1003
SIBERIAN_MANAGER_TELEGRAM_ID = 1004

DMITRY = CONSOLE_MANAGER_TELEGRAM_ID
ANNA = SECOND_MANAGER_TELEGRAM_ID
SERGEY = SIBERIAN_MANAGER_TELEGRAM_ID

WEBINAR_TITLE = "Вебинар: новинки сезона"
WEBINAR_IN_DAYS = 10


@dataclass(frozen=True)
class _EventSpec:
    """A company event the head planned with /event some days ago (and maybe cancelled since)."""

    title: str
    # In this many days (the next weekday when that falls on a weekend).
    in_days: int
    starts_at: time
    audience: Audience
    description: str
    # When the head saved it: this many working days before today, at this team-clock time.
    planned_days_ago: int
    planned_at: time
    # When the head cancelled it, the same way; None while it stands.
    cancelled_days_ago: int | None = None
    cancelled_at: time | None = None


# Starts on the head's (Moscow) clock: a Novosibirsk manager's invitations read «в 11:00 по
# Москве, у вас 15:00».
EVENTS: tuple[_EventSpec, ...] = (
    _EventSpec(
        WEBINAR_TITLE,
        WEBINAR_IN_DAYS,
        time(11, 0),
        Audience(categories=(Category.KEY, Category.VIP)),
        "Новая коллекция спецодежды осень–зима: материалы, цены, сроки поставки. "
        "Запись пришлём всем зарегистрированным.",
        planned_days_ago=1,
        planned_at=time(16, 20),
    ),
    _EventSpec(
        "Выставка БИОТ: наш стенд",
        24,
        time(10, 0),
        Audience(tags=("Крупный опт",)),
        "«Безопасность и охрана труда» в Экспоцентре: стенд с образцами зимней коллекции, "
        "пригласительные билеты — через менеджера.",
        planned_days_ago=1,
        planned_at=time(11, 45),
    ),
    _EventSpec(
        "День открытых дверей на складе в Подольске",
        6,
        time(14, 0),
        Audience(industries=("строительство",)),
        "Экскурсия по складу и примерка образцов.",
        planned_days_ago=2,
        planned_at=time(15, 10),
        cancelled_days_ago=1,
        cancelled_at=time(9, 40),
    ),
)


@dataclass(frozen=True)
class DemoTeam:
    """Database ids of the demo team: the head and the managers, the console's manager first."""

    head_id: int
    manager_ids: tuple[int, ...]

    @property
    def console_manager_id(self) -> int:
        """The manager the console types as (Telegram id 1002)."""
        return self.manager_ids[0]

    @property
    def member_ids(self) -> tuple[int, ...]:
        """Everyone, the head first."""
        return (self.head_id, *self.manager_ids)


@dataclass(frozen=True)
class _TeamMember:
    telegram_id: int
    full_name: str
    username: str
    role: Role
    timezone: str


TEAM: tuple[_TeamMember, ...] = (
    _TeamMember(HEAD_TELEGRAM_ID, "Ольга Смирнова", "olga_head", Role.HEAD, "Europe/Moscow"),
    _TeamMember(DMITRY, "Дмитрий Орлов", "dmitry_sales", Role.MANAGER, "Europe/Moscow"),
    _TeamMember(ANNA, "Анна Кузнецова", "anna_kuznetsova", Role.MANAGER, "Europe/Moscow"),
    _TeamMember(SERGEY, "Сергей Ли", "sergey_li", Role.MANAGER, "Asia/Novosibirsk"),
)


@dataclass(frozen=True)
class _ClientSpec:
    """A client written by hand; whatever is left None is drawn from the seeded generator."""

    name: str
    industry: str | None
    city: str
    domain: str | None
    owner: int
    category: Category | None = None
    stage: Stage | None = None
    window: tuple[time, time] | None = None


# Companies first (the hand-made examples of PRODUCT.md lead), private buyers last.
COMPANIES: tuple[_ClientSpec, ...] = (
    _ClientSpec("ООО «Ромашка»", "торговля", "msk", "romashka-opt.ru", DMITRY,
                Category.KEY, Stage.ACCOUNT),
    _ClientSpec("ООО «Тихоокеанская логистика»", "логистика", "vvo", "tihlog.ru", DMITRY,
                Category.VIP, Stage.ACCOUNT, (time(10), time(18))),
    _ClientSpec("АО «Приморский рыбокомбинат»", "рыбная промышленность", "vvo", "primryba.ru",
                DMITRY, Category.REGULAR, Stage.ACCOUNT, (time(10), time(14))),
    _ClientSpec("ООО «Янтарная верфь»", "судостроение", "kgd", "amber-yard.ru", DMITRY,
                Category.VIP, Stage.ACCOUNT, (time(10), time(14))),
    _ClientSpec("ООО «ТехноПром»", "машиностроение", "ekb", "technoprom.ru", DMITRY,
                Category.KEY, Stage.ACCOUNT),
    _ClientSpec("ООО «СтройМонтаж»", "строительство", "msk", "stroymontazh.ru", DMITRY,
                Category.KEY, Stage.ACCOUNT),
    _ClientSpec("ООО «Северная логистика»", "логистика", "spb", "sevlog.ru", DMITRY,
                Category.KEY, Stage.ACCOUNT),
    _ClientSpec("АО «Уральская металлургическая компания»", "металлургия", "chel",
                "umk-steel.ru", DMITRY, Category.KEY, Stage.ACCOUNT),
    _ClientSpec("ООО «ВолгаАгро»", "сельское хозяйство", "smr", "volgaagro.ru", DMITRY),
    _ClientSpec("ООО «МедТехСнаб»", "медицина", "kzn", "medtechsnab.ru", DMITRY),
    _ClientSpec("ООО «ИнфоСофт»", "IT", "spb", "infosoft.ru", DMITRY),
    _ClientSpec("ООО «Альфа-Строй»", "строительство", "nn", "alfastroy-nn.ru", DMITRY),
    _ClientSpec("ООО «Кубань-Агроснаб»", "сельское хозяйство", "krd", "kubagrosnab.ru", DMITRY),
    _ClientSpec("АО «Балтийский терминал»", "логистика", "kgd", "baltterminal.ru", DMITRY),
    _ClientSpec("ООО «ЛогистикПро»", "логистика", "msk", "logisticpro.ru", DMITRY),
    _ClientSpec("ООО «МеталлТорг»", "металлургия", "msk", "metalltorg.ru", DMITRY),
    _ClientSpec("ООО «ЭнергоМонтаж»", "энергетика", "msk", "energomontazh.ru", DMITRY),
    _ClientSpec("ООО «Донской продукт»", "пищевое производство", "rnd", "donprod.ru", DMITRY),
    _ClientSpec("ООО «Невский стройкомплекс»", "строительство", "spb", "nevsky-sk.ru", DMITRY),
    _ClientSpec("ООО «ТехноСервис»", "IT", "msk", "technoservice.ru", DMITRY),
    _ClientSpec("ООО «Вектор»", "торговля", "msk", "vector-trade.ru", DMITRY),
    _ClientSpec("ООО «СпецСтройРесурс»", "строительство", "msk", "ssresurs.ru", DMITRY),
    _ClientSpec("ООО «Тюменьнефтесервис»", "нефтегаз", "tmn", "tmnneftservis.ru", DMITRY),
    _ClientSpec("ООО «Ярославский шинный центр»", "торговля", "yar", "yarshina.ru", DMITRY),
    _ClientSpec("ООО «Премьер-Клининг»", "клининг", "msk", "premier-clean.ru", DMITRY),
    _ClientSpec("ООО «Казанский механический завод»", "машиностроение", "kzn", "kmz-kazan.ru",
                ANNA),
    _ClientSpec("ООО «Цифровые решения»", "IT", "kzn", "digitalres.ru", ANNA),
    _ClientSpec("ООО «ГорСтрой»", "строительство", "krd", "gorstroy-krd.ru", ANNA),
    _ClientSpec("ООО «ПермьХимПром»", "химическая промышленность", "perm", "permhimprom.ru",
                ANNA),
    _ClientSpec("ООО «УралСпецТехника»", "машиностроение", "ekb", "uralspectech.ru", ANNA),
    _ClientSpec("ООО «Сталь-Инвест»", "металлургия", "ekb", "stal-invest.ru", ANNA),
    _ClientSpec("ООО «ВоронежАгроТорг»", "сельское хозяйство", "vrn", "vrnagrotorg.ru", ANNA),
    _ClientSpec("ООО «ФармаЛайн»", "медицина", "smr", "pharmaline.ru", ANNA),
    _ClientSpec("ООО «Заря-Агро»", "сельское хозяйство", "krd", "zarya-agro.ru", ANNA),
    _ClientSpec("ООО «Калининградский мясокомбинат»", "пищевое производство", "kgd",
                "kmk39.ru", ANNA),
    _ClientSpec("ООО «Ижевский трубный завод»", "металлургия", "izh", "itz-izh.ru", ANNA),
    _ClientSpec("ООО «Сочи-Отель-Сервис»", "гостиничный бизнес", "sochi", "sochihotels.ru",
                ANNA),
    _ClientSpec("ООО «ВолгоградНефтеМаш»", "нефтегаз", "vlg", "vnm34.ru", ANNA),
    _ClientSpec("ООО «Клиника Панацея»", "медицина", "ekb", "panacea-clinic.ru", ANNA),
    _ClientSpec("ООО «Уфимский приборный завод»", "машиностроение", "ufa", "upz-ufa.ru", ANNA),
    _ClientSpec("АО «Сибэнергосервис»", "энергетика", "nsk", "sibenergoservis.ru", SERGEY),
    _ClientSpec("ООО «ТрансКарго Сибирь»", "логистика", "nsk", "transcargo-sib.ru", SERGEY),
    _ClientSpec("ООО «Енисей-Энерго»", "энергетика", "krs", "enisey-energo.ru", SERGEY),
    _ClientSpec("ООО «Байкал-Лес»", "деревообработка", "irk", "baikal-les.ru", SERGEY),
    _ClientSpec("ООО «Омский хлебозавод»", "пищевое производство", "omsk", "omskhleb.ru",
                SERGEY),
    _ClientSpec("ООО «Томская электронная компания»", "IT", "tomsk", "tek-tomsk.ru", SERGEY),
    _ClientSpec("ООО «Дальневосточная стройгруппа»", "строительство", "hab", "dvsg.ru", SERGEY),
    _ClientSpec("ООО «Барнаульский элеватор»", "сельское хозяйство", "brn", "brn-elevator.ru",
                SERGEY),
    _ClientSpec("ООО «Кузбасс-Уголь-Сервис»", "горнодобыча", "kem", "kuzugol.ru", SERGEY),
    _ClientSpec("ООО «Снежинка»", "пищевое производство", "nsk", "snezhinka-nsk.ru", SERGEY),
    _ClientSpec("ООО «СибМеталлСнаб»", "металлургия", "nsk", "sibmetallsnab.ru", SERGEY),
    _ClientSpec("ООО «Красноярский стройтрест»", "строительство", "krs", "krstrest.ru", SERGEY),
)  # fmt: skip

PRIVATE_BUYERS: tuple[_ClientSpec, ...] = (
    _ClientSpec("Гордеев Павел Андреевич", None, "msk", None, DMITRY, Category.REGULAR),
    _ClientSpec("Белова Марина Игоревна", None, "spb", None, DMITRY, Category.OCCASIONAL),
    _ClientSpec("Захаров Игорь Николаевич", None, "krd", None, DMITRY, Category.NEW),
    _ClientSpec("Лебедева Светлана Олеговна", None, "msk", None, DMITRY, Category.REGULAR),
    _ClientSpec("Тимофеев Артём Сергеевич", None, "kzn", None, ANNA, Category.OCCASIONAL),
    _ClientSpec("Голубева Ирина Павловна", None, "smr", None, ANNA, Category.NEW),
    _ClientSpec("Рыбаков Константин Юрьевич", None, "nsk", None, SERGEY, Category.REGULAR),
    _ClientSpec("Власова Дарья Максимовна", None, "irk", None, SERGEY, Category.OCCASIONAL),
)

ROMASHKA = "ООО «Ромашка»"
VLADIVOSTOK_WIDE = "ООО «Тихоокеанская логистика»"
VLADIVOSTOK_NARROW = "АО «Приморский рыбокомбинат»"
KALININGRAD_NARROW = "ООО «Янтарная верфь»"
POSITION_CHANGE_CLIENT = "ООО «ТехноПром»"
SECOND_PETROVA_CLIENT = "ООО «СтройМонтаж»"
BIRTHDAY_TODAY_CLIENT = "ООО «Северная логистика»"
WIFE_TOMORROW_CLIENT = "АО «Уральская металлургическая компания»"
LEAP_DAY_CLIENT = "ООО «ЛогистикПро»"
SEVENTY_DAYS_STALE_CLIENT = "ООО «СтройМонтаж»"
SIDOROVA_CLIENT = "ООО «Вектор»"
PHONE_EXAMPLE_CLIENT = "ООО «Тюменьнефтесервис»"
PHONE_EXAMPLE = "+79135550142"

# The audit log's last days: a card view before each logged contact from this many working days
# back; the head's own reading (working days ago, team-clock time, client).
AUDIT_DAYS = 10
# The key clients' cadence the head changed to the current one (`_tighten_key_cadence`).
KEY_CADENCE_BEFORE = 45
KEY_CADENCE_CHANGED_DAYS_AGO = 5
HEAD_CARD_VIEWS: tuple[tuple[int, time, str], ...] = (
    (2, time(10, 5), ROMASHKA),
    (2, time(10, 9), WIFE_TOMORROW_CLIENT),
    (1, time(15, 32), VLADIVOSTOK_WIDE),
    (1, time(15, 36), KALININGRAD_NARROW),
    (1, time(15, 41), "АО «Сибэнергосервис»"),
)

MALE_NAMES: tuple[tuple[str, str, str], ...] = (
    ("Александр", "Александрович", "Александровна"),
    ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Сергей", "Сергеевич", "Сергеевна"),
    ("Игорь", "Игоревич", "Игоревна"),
    ("Михаил", "Михайлович", "Михайловна"),
    ("Николай", "Николаевич", "Николаевна"),
    ("Владимир", "Владимирович", "Владимировна"),
    ("Виктор", "Викторович", "Викторовна"),
    ("Олег", "Олегович", "Олеговна"),
    ("Павел", "Павлович", "Павловна"),
    ("Юрий", "Юрьевич", "Юрьевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Константин", "Константинович", "Константиновна"),
    ("Максим", "Максимович", "Максимовна"),
    ("Роман", "Романович", "Романовна"),
    ("Василий", "Васильевич", "Васильевна"),
    ("Геннадий", "Геннадьевич", "Геннадьевна"),
    ("Анатолий", "Анатольевич", "Анатольевна"),
    ("Борис", "Борисович", "Борисовна"),
    ("Вадим", "Вадимович", "Вадимовна"),
    ("Станислав", "Станиславович", "Станиславовна"),
    ("Григорий", "Григорьевич", "Григорьевна"),
)
FEMALE_NAMES: tuple[str, ...] = (
    "Елена", "Наталья", "Татьяна", "Ирина", "Светлана", "Марина", "Анастасия", "Екатерина",
    "Юлия", "Мария", "Галина", "Людмила", "Виктория", "Ксения", "Дарья", "Вера", "Надежда",
    "Алла", "Лариса", "Оксана",
)  # fmt: skip
# Masculine forms; the feminine adds «а». Петров, Волков and Сидоров are kept out: README and
# /help name them in examples, so the demo places exactly those people itself.
SURNAMES: tuple[str, ...] = (
    "Иванов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков", "Фёдоров", "Морозов",
    "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов",
    "Николаев", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов",
    "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Дмитриев",
    "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов",
    "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов",
    "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Матвеев",
    "Титов", "Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Мельников", "Денисов",
    "Гаврилов", "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев", "Фомин", "Чернов",
    "Абрамов", "Мартынов", "Ефимов", "Щербаков", "Назаров", "Калинин", "Исаев", "Быков",
    "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов", "Голубев",
    "Кудрявцев", "Прохоров", "Наумов", "Потапов", "Журавлёв", "Трофимов", "Леонов", "Соболев",
)  # fmt: skip

# The first contact of a company is the one the manager talks to; later ones fill in the team.
LEAD_POSITIONS = (
    "начальник отдела закупок",
    "менеджер по закупкам",
    "директор по снабжению",
    "генеральный директор",
    "коммерческий директор",
    "инженер по охране труда",
    "начальник АХО",
)
OTHER_POSITIONS = (
    "главный бухгалтер",
    "директор",
    "заместитель директора",
    "коммерческий директор",
    "главный инженер",
    "специалист по охране труда",
    "кладовщик",
)
WORK_SCHEDULES = (
    "пн–пт 9:00–18:00, обед 13:00–14:00",
    "пн–пт 8:00–17:00",
    "пн–пт 10:00–19:00",
    "по вторникам и четвергам на объектах, лучше звонить с утра",
    "пн–чт 9:00–18:00, пт до 16:45",
)
HOBBIES = (
    "рыбалка", "горные лыжи", "теннис", "шахматы", "охота", "дача, выращивает томаты",
    "бег, полумарафоны", "хоккей по выходным", "фотография", "история, военная техника",
    "коллекционирует виски", "яхтинг", "походы по Алтаю", "велосипед", "баня и рыбалка",
    "театр", "йога", "вышивка", "собирает модели самолётов", "футбол с сыном",
)  # fmt: skip
TEAMS_BY_CITY: dict[str, tuple[str, ...]] = {
    "msk": ("«Спартак» Москва", "ЦСКА", "«Динамо» Москва", "«Локомотив» Москва"),
    "spb": ("«Зенит»", "СКА (хоккей)"),
    "kzn": ("«Рубин»", "«Ак Барс» (хоккей)"),
    "ekb": ("«Урал»", "«Автомобилист» (хоккей)"),
    "chel": ("«Трактор» (хоккей)",),
    "nsk": ("«Сибирь» (хоккей)",),
    "krs": ("«Енисей»",),
    "vvo": ("«Адмирал» (хоккей)",),
    "kgd": ("«Балтика»",),
    "krd": ("«Краснодар»", "«Кубань»"),
    "rnd": ("«Ростов»",),
    "smr": ("«Крылья Советов»",),
    "omsk": ("«Авангард» (хоккей)",),
    "yar": ("«Локомотив» Ярославль (хоккей)",),
    "nn": ("«Пари НН»", "«Торпедо» НН (хоккей)"),
}
CONTACT_NOTES = (
    "Решения по закупкам согласует с финансовым директором.",
    "Не звонить в понедельник до 11:00 — планёрка.",
    "Предпочитает короткие письма с таблицей цен во вложении.",
    "Любит, когда приезжают с образцами.",
    "Просит напоминать о сроках оплаты за неделю.",
    "Общаться на «вы», без панибратства.",
    "Отвечает быстрее в WhatsApp, чем по почте.",
)
PREFERENCES = (
    "берёт синие и серые, партиями по 200",
    "летние костюмы, размеры 48–56, логотип на спине",
    "только с сертификатами ТР ТС, документы — заранее",
    "зимние куртки к октябрю, около 150 шт.",
    "перчатки нитриловые, ежемесячно 2000 пар",
    "футболки с логотипом к корпоративу, белые и тёмно-синие",
    "обувь с металлическим подноском, 40–46 размеры",
    "сигнальные жилеты оранжевые, по 100 шт. на объект",
    "халаты и медицинские костюмы, светло-голубые",
    "фартуки и колпаки для цеха, партиями по 300",
)
PRIVATE_PREFERENCES = (
    "костюм для рыбалки, размер 52–54, камуфляж",
    "рабочая одежда для дачи и стройки дома, размер 48",
    "термобельё и зимний костюм для охоты",
    "футболки с принтом для футбольной команды сына, 15 шт.",
)
CLIENT_NOTES = (
    "Склад в промзоне, въезд по пропускам — заказывать заранее.",
    "Оплата только по счёту, отсрочка 14 дней.",
    "Закупки через тендерную площадку, нужна регистрация.",
    "Отгрузка самовывозом со склада в Подольске.",
    "Сезонный спрос: пик заказов в марте и сентябре.",
    "Работают с двумя поставщиками, мы — основной.",
    "Новый директор с весны, отношения выстраиваем заново.",
)
CLIENT_TAGS = ("Позвонить", "Крупный опт", "Тендер", "Самовывоз", "Просрочка оплаты")
DEAL_TITLES = (
    "Костюмы рабочие летние, 200 шт.",
    "Зимние куртки к сезону, 150 шт.",
    "Перчатки нитриловые, 2000 пар",
    "Футболки с логотипом, 300 шт.",
    "Обувь защитная, 120 пар",
    "Каски и жилеты для новой бригады",
    "Халаты медицинские, 80 шт.",
    "Спецодежда для цеха, годовой контракт",
)
# Where the goods are for each deal stage.
GOODS_BY_STAGE: dict[str, tuple[str | None, ...]] = {
    "new": (None,),
    "negotiation": (None, "в производстве, готовность через 2 недели"),
    "invoiced": ("на складе в Подольске", "в производстве на фабрике в Иваново"),
    "paid": ("на складе в Подольске", "комплектуется на складе в Подольске"),
    "shipped": ("в пути, ТК «Деловые линии»", "в пути, ТК «ПЭК»", "в пути"),
    "closed": ("получено клиентом",),
}
CITY_AREA_CODES = {"msk": "495", "spb": "812"}
MOBILE_PREFIXES = (
    "903", "905", "909", "910", "915", "916", "917", "919", "921", "925", "926", "929", "977",
    "985", "999",
)  # fmt: skip
REGION_CODES = {
    "msk": "77", "spb": "78", "kzn": "16", "ekb": "66", "nsk": "54", "vvo": "25", "kgd": "39",
    "smr": "63", "krd": "23", "chel": "74", "nn": "52", "rnd": "61", "tmn": "72", "yar": "76",
    "perm": "59", "vrn": "36", "izh": "18", "sochi": "23", "vlg": "34", "ufa": "02",
    "krs": "24", "irk": "38", "omsk": "55", "tomsk": "70", "hab": "27", "brn": "22", "kem": "42",
}  # fmt: skip
_INN_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

# Per category: mean days between logged contacts, and how many of them the manager may start
# in the four months (the yearly ceiling, pro rata) — clients call in as well.
CONTACT_GAP_DAYS = {
    Category.KEY: 5.0,
    Category.VIP: 8.0,
    Category.REGULAR: 11.0,
    Category.OCCASIONAL: 25.0,
    Category.NEW: 5.0,
}
OUTGOING_BUDGET = {
    Category.KEY: 5,
    Category.VIP: 4,
    Category.REGULAR: 3,
    Category.OCCASIONAL: 2,
    Category.NEW: 5,
}
REMAINING_CATEGORIES = (Category.KEY, Category.VIP, Category.REGULAR, Category.OCCASIONAL,
                        Category.NEW)  # fmt: skip
REMAINING_WEIGHTS = (1, 2, 5, 2, 2)


@dataclass(frozen=True)
class _Scenario:
    """A goal and the results it can end in, each with the next step it implies (if any)."""

    goal: str
    results: dict[Outcome, tuple[str, str | None]]


OUTGOING_SCENARIOS: tuple[_Scenario, ...] = (
    _Scenario(
        "Предложить новый прайс на осенне-зимний сезон",
        {
            Outcome.ACHIEVED: (
                "Прайс отправлен, договорились о встрече в пятницу в 15:00",
                "Встреча: обсудить прайс и показать образцы",
            ),
            Outcome.PARTIAL: (
                "Прайс получил, просит скидку 5% на объём от 300 шт.",
                "Согласовать скидку на объём от 300 шт.",
            ),
            Outcome.NOT_ACHIEVED: (
                "Цены не устроили: закупились у конкурента до конца года",
                None,
            ),
            Outcome.NO_CONTACT: ("Не дозвонился, секретарь обещала передать", None),
        },
    ),
    _Scenario(
        "Согласовать объём следующей партии",
        {
            Outcome.ACHIEVED: (
                "Согласовали 200 шт., синие и серые, отгрузка через две недели",
                "Подтвердить дату отгрузки",
            ),
            Outcome.PARTIAL: (
                "Объём уточнят после совещания в четверг",
                "Узнать объём партии после совещания",
            ),
            Outcome.NO_CONTACT: ("Телефон недоступен, написал в WhatsApp", None),
        },
    ),
    _Scenario(
        "Напомнить об оплате счёта",
        {
            Outcome.ACHIEVED: ("Оплату подтвердили, платёжка пришла на почту", None),
            Outcome.PARTIAL: (
                "Обещали оплатить до конца недели, ждут решения финдиректора",
                "Проверить поступление оплаты",
            ),
            Outcome.NOT_ACHIEVED: (
                "Оплату переносят на следующий месяц",
                "Договориться о графике оплаты",
            ),
            Outcome.NO_CONTACT: ("Бухгалтерия не отвечает", None),
        },
    ),
    _Scenario(
        "Уточнить сроки поставки и адрес выгрузки",
        {
            Outcome.ACHIEVED: ("Выгрузка во вторник с 9 до 12, пропуск на машину заказан", None),
            Outcome.PARTIAL: (
                "Адрес подтвердили, время выгрузки сообщат накануне",
                "Узнать время выгрузки",
            ),
        },
    ),
    _Scenario(
        "Подтвердить актуальность контактов и реквизитов",
        {
            Outcome.ACHIEVED: ("Данные подтверждены, записал новый e-mail бухгалтерии", None),
            Outcome.PARTIAL: (
                "Телефон подтвердил, реквизиты пришлют письмом",
                "Получить обновлённые реквизиты",
            ),
            Outcome.NO_CONTACT: (
                "Не дозвонился, отправил письмо с просьбой подтвердить данные",
                None,
            ),
        },
    ),
    _Scenario(
        "Выяснить потребность на следующий квартал",
        {
            Outcome.ACHIEVED: (
                "Нужны зимние комплекты на 120 человек, готовят заявку",
                "Получить заявку на зимние комплекты",
            ),
            Outcome.PARTIAL: (
                "Потребность будет понятна после утверждения бюджета",
                "Узнать, утвердили ли бюджет на спецодежду",
            ),
            Outcome.NOT_ACHIEVED: ("Бюджет на спецодежду заморожен до весны", None),
        },
    ),
    _Scenario(
        "Отправить коммерческое предложение по новой коллекции",
        {
            Outcome.ACHIEVED: (
                "КП отправлено, клиент подтвердил получение и передал директору",
                "Узнать решение директора по КП",
            ),
            Outcome.PARTIAL: ("КП отправлено, ответа пока нет", "Узнать, получили ли КП"),
        },
    ),
    _Scenario(
        "Получить обратную связь по последней поставке",
        {
            Outcome.ACHIEVED: (
                "Всё понравилось, размеры сели хорошо, будут заказывать ещё",
                None,
            ),
            Outcome.PARTIAL: (
                "В целом довольны, но 5 курток пришли не того размера",
                "Заменить 5 курток не того размера",
            ),
            Outcome.NO_CONTACT: ("Не ответил, перезвоню завтра", None),
        },
    ),
    _Scenario(
        "Договориться о встрече и показать образцы",
        {
            Outcome.ACHIEVED: (
                "Встреча в офисе клиента в среду в 11:00, беру образцы тканей",
                "Встреча с образцами тканей",
            ),
            Outcome.NOT_ACHIEVED: ("Пока не готовы встречаться, просят прислать каталог", None),
            Outcome.NO_CONTACT: ("Абонент не отвечает", None),
        },
    ),
    _Scenario(
        "Пригласить на презентацию новой коллекции",
        {
            Outcome.ACHIEVED: ("Приглашение принял, будет с инженером по охране труда", None),
            Outcome.PARTIAL: (
                "Интересно, но на дату не успевает",
                "Отправить запись презентации",
            ),
        },
    ),
)
INCOMING_SCENARIOS: tuple[_Scenario, ...] = (
    _Scenario(
        "Клиент уточняет статус заказа",
        {
            Outcome.ACHIEVED: (
                "Сообщил, что партия на складе в Подольске, отгрузка завтра",
                None,
            ),
            Outcome.PARTIAL: (
                "Партия в пути, трек-номер отправлю после обеда",
                "Отправить трек-номер",
            ),
        },
    ),
    _Scenario(
        "Запрос счёта на партию",
        {
            Outcome.ACHIEVED: ("Счёт выставлен и отправлен на почту бухгалтерии", None),
            Outcome.PARTIAL: (
                "Счёт выставлю после уточнения размеров",
                "Уточнить размеры и выставить счёт",
            ),
        },
    ),
    _Scenario(
        "Претензия по качеству поставки",
        {
            Outcome.ACHIEVED: ("Брак признали, замена 12 курток отправлена", None),
            Outcome.PARTIAL: (
                "Запросил фото брака, передал на склад",
                "Проконтролировать замену брака",
            ),
        },
    ),
    _Scenario(
        "Запрос коммерческого предложения на перчатки",
        {
            Outcome.ACHIEVED: ("КП отправлено в тот же день", None),
            Outcome.PARTIAL: (
                "Отправил прайс, нужен расчёт с доставкой",
                "Отправить расчёт с доставкой",
            ),
        },
    ),
    _Scenario(
        "Вопрос по документам: УПД и акт сверки",
        {
            Outcome.ACHIEVED: ("Акт сверки отправлен, расхождений нет", None),
            Outcome.PARTIAL: (
                "Скан УПД отправлен, оригиналы — почтой",
                "Проверить, дошли ли оригиналы УПД",
            ),
        },
    ),
    _Scenario(
        "Клиент просит срочно дозаказать размеры",
        {
            Outcome.ACHIEVED: (
                "Дозаказ 30 шт. оформлен, отгрузка вместе с основной партией",
                None,
            ),
            Outcome.PARTIAL: (
                "Нужных размеров нет на складе, предложил замену",
                "Согласовать замену размеров",
            ),
        },
    ),
)
CADENCE_GOALS = (
    "Узнать, как идут дела, и предложить новинки сезона",
    "Выяснить потребность на следующий месяц",
    "Предложить новый прайс",
    "Напомнить о себе и уточнить планы по закупкам",
    "Получить обратную связь по последней поставке",
    "Предложить зимние комплекты заранее, до пика сезона",
)
NEW_CLIENT_GOALS = (
    "Отправить каталог и договориться о пробной партии",
    "Узнать, кто принимает решение о закупках",
    "Согласовать условия первой поставки",
)

OUTGOING_CHANNELS = (Channel.CALL, Channel.EMAIL, Channel.WHATSAPP, Channel.TELEGRAM,
                     Channel.MEETING, Channel.SMS)  # fmt: skip
OUTGOING_CHANNEL_WEIGHTS = (50, 20, 10, 10, 7, 3)
INCOMING_CHANNELS = (Channel.CALL, Channel.EMAIL, Channel.WHATSAPP, Channel.TELEGRAM,
                     Channel.MEETING)  # fmt: skip
INCOMING_CHANNEL_WEIGHTS = (45, 30, 12, 8, 5)
WRITTEN_CHANNELS = (Channel.EMAIL, Channel.WHATSAPP, Channel.TELEGRAM)
OUTCOME_WEIGHTS = {
    Outcome.ACHIEVED: 6.0,
    Outcome.PARTIAL: 2.5,
    Outcome.NOT_ACHIEVED: 1.0,
    Outcome.NO_CONTACT: 1.5,
}


@dataclass
class _Draft:
    """A client being built and what its history must end in."""

    spec: _ClientSpec
    client: Client
    due_on: date
    last_contact_on: date
    reason: TouchReason
    goal: str | None = None
    stale: bool = False
    occasion_contact: Contact | None = None
    occasion_key_date: KeyDate | None = None
    draft_text: str | None = None
    handed_over_on: date | None = None
    interactions: list[Interaction] = field(default_factory=list)


async def load_demo(session: AsyncSession, *, now: datetime, timezone: str) -> DemoTeam:
    """Fill an empty database with the demo team and base; a second run changes nothing."""
    if now.tzinfo is None:
        msg = "load_demo needs an aware `now`"
        raise ValueError(msg)
    existing = await _existing_team(session)
    if existing is not None:
        return existing
    builder = _DemoBuilder(session, now=now.astimezone(UTC), team_zone=ZoneInfo(timezone))
    return await builder.build()


async def _existing_team(session: AsyncSession) -> DemoTeam | None:
    members = list(await session.scalars(select(Member)))
    if not members:
        return None
    by_telegram = {member.telegram_id: member.id for member in members}
    if all(person.telegram_id in by_telegram for person in TEAM):
        return DemoTeam(
            head_id=by_telegram[HEAD_TELEGRAM_ID],
            manager_ids=tuple(by_telegram[person.telegram_id] for person in TEAM[1:]),
        )
    msg = "the demo base loads into an empty database only: this one already has a team"
    raise ValueError(msg)


class _DemoBuilder:
    """Draws the demo base from one seeded generator, in a fixed order."""

    def __init__(self, session: AsyncSession, *, now: datetime, team_zone: ZoneInfo) -> None:
        self.session = session
        self.now = now
        self.team_zone = team_zone
        self.today = now.astimezone(team_zone).date()
        self.rng = random.Random(DEMO_SEED)
        self.members: dict[int, Member] = {}
        self.phones: set[str] = set()
        self.drafts: list[_Draft] = []
        self.congratulations: list[Interaction] = []

    async def build(self) -> DemoTeam:
        await self._ensure_policies()
        await self._add_team()
        self._draft_clients()
        by_name = {draft.spec.name: draft for draft in self.drafts}
        self._add_special_people(by_name)
        self.session.add_all(draft.client for draft in self.drafts)
        await self.session.flush()
        key_dates = self._key_dates()
        self.session.add_all(key_dates)
        await self.session.flush()
        self.session.add_all(self._deals())
        self.session.add_all(self._owner_history())
        self.session.add_all(self._change_log(by_name))
        for draft in self.drafts:
            self._write_history(draft)
        self._congratulate_recent_birthdays(key_dates)
        for draft in self.drafts:
            self.session.add_all(draft.interactions)
        await self.session.flush()
        await self._close_past_touches()
        for draft in self.drafts:
            await self._plan_open_touch(draft)
        await self._add_events()
        await self._add_audit_trail()
        head = self.members[HEAD_TELEGRAM_ID]
        return DemoTeam(
            head_id=head.id,
            manager_ids=tuple(self.members[person.telegram_id].id for person in TEAM[1:]),
        )

    # The team and the policies.

    async def _ensure_policies(self) -> None:
        for category, (cadence, ceiling, reverify) in DEFAULT_POLICIES.items():
            if await self.session.get(CategoryPolicy, category) is None:
                self.session.add(
                    CategoryPolicy(
                        category=category,
                        cadence_days=cadence,
                        max_touches_year=ceiling,
                        reverify_days=reverify,
                    )
                )

    async def _add_team(self) -> None:
        joined = self.now - timedelta(days=400)
        for person in TEAM:
            member = Member(
                telegram_id=person.telegram_id,
                full_name=person.full_name,
                username=person.username,
                role=person.role,
                is_active=True,
                timezone=person.timezone,
                work_start=time(9, 0),
                work_end=time(18, 0),
                work_days="01234",
                digest_time=time(9, 0),
                language="ru",
                created_at=joined,
            )
            self.members[person.telegram_id] = member
            self.session.add(member)
        await self.session.flush()

    # Clients and their people.

    def _draft_clients(self) -> None:
        for spec in (*COMPANIES, *PRIVATE_BUYERS):
            self.drafts.append(self._draft_client(spec))
        self._place_occasions_and_lateness()

    def _draft_client(self, spec: _ClientSpec) -> _Draft:
        rng = self.rng
        city = geo.city_by_key(spec.city)
        category = spec.category or rng.choices(REMAINING_CATEGORIES, REMAINING_WEIGHTS)[0]
        stage = spec.stage or _stage_for(category, rng)
        is_company = spec.domain is not None
        # A new client is still older than its re-verification period, so it can be stale too.
        age_days = rng.randint(12, 75) if category is Category.NEW else rng.randint(200, 1800)
        created_at = self._work_moment(self.today - timedelta(days=age_days), city.tz)
        window = spec.window or rng.choice(
            ((time(10), time(18)),) * 4
            + ((time(9), time(17)), (time(10), time(16)), (time(11), time(19)))
        )
        tags = rng.sample(CLIENT_TAGS, k=rng.choice((0, 0, 1, 1, 2)))
        client = Client(
            kind=ClientKind.B2B if is_company else ClientKind.B2C,
            name=spec.name,
            inn=self._inn(spec.city) if is_company else None,
            industry=spec.industry,
            city=city.name_ru,
            timezone=city.tz,
            category=category,
            stage=stage,
            owner_id=self.members[spec.owner].id,
            tags=tags,
            preferences=rng.choice(PREFERENCES if is_company else PRIVATE_PREFERENCES),
            notes=rng.choice(CLIENT_NOTES) if is_company and rng.random() < 0.6 else None,
            window_start=window[0],
            window_end=window[1],
            window_days="012345" if spec.industry == "торговля" else "01234",
            observe_holidays=True,
            data_confirmed_at=created_at,
            created_at=created_at,
            updated_at=created_at,
            is_active=True,
        )
        if is_company:
            for index in range(rng.choice((1, 2, 2, 3))):
                client.contacts.append(self._company_contact(spec, created_at, lead=index == 0))
        else:
            client.contacts.append(self._private_contact(spec, created_at))
        cadence = DEFAULT_POLICIES[category][0]
        due_on = self.today + timedelta(days=rng.randint(1, max(2, min(cadence, 30))))
        # As the planner would: a call falls on a day both the client and its owner work.
        owner = self.members[spec.owner]
        due_on = next_working_day(due_on, client_schedule(client), member_schedule(owner))
        return _Draft(
            spec=spec,
            client=client,
            due_on=due_on,
            last_contact_on=due_on - timedelta(days=cadence),
            reason=TouchReason.CADENCE,
        )

    def _company_contact(self, spec: _ClientSpec, created_at: datetime, *, lead: bool) -> Contact:
        rng = self.rng
        female = rng.random() < 0.4
        surname, first, patronymic = _person_name(rng, female=female)
        position = rng.choice(LEAD_POSITIONS if lead else OTHER_POSITIONS)
        assert spec.domain is not None
        if position == "главный бухгалтер":
            email = f"buh@{spec.domain}"
        else:
            email = f"{_translit(first)[0]}.{_translit(surname)}@{spec.domain}"
        return self._contact(
            spec,
            full_name=f"{surname} {first} {patronymic}",
            position=position,
            email=email,
            created_at=created_at,
            lead=lead,
        )

    def _private_contact(self, spec: _ClientSpec, created_at: datetime) -> Contact:
        surname, first, _ = spec.name.split()
        mailbox = self.rng.choice(("mail.ru", "yandex.ru", "gmail.com"))
        email = f"{_translit(first)}.{_translit(surname)}{self.rng.randint(70, 99)}@{mailbox}"
        return self._contact(
            spec,
            full_name=spec.name,
            position=None,
            email=email,
            created_at=created_at,
            lead=True,
        )

    def _contact(
        self,
        spec: _ClientSpec,
        *,
        full_name: str,
        position: str | None,
        email: str,
        created_at: datetime,
        lead: bool,
    ) -> Contact:
        rng = self.rng
        surname, first = full_name.split()[:2]
        phone = self._mobile()
        extra = []
        if spec.city in CITY_AREA_CODES and spec.domain is not None and rng.random() < 0.4:
            extra.append(f"+7{CITY_AREA_CODES[spec.city]}{rng.randint(2_000_000, 7_999_999)}")
        preferred = rng.choices(
            (Channel.CALL, Channel.EMAIL, Channel.WHATSAPP, Channel.TELEGRAM), (5, 2, 2, 1)
        )[0]
        schedule: list[dict[str, str]] = []
        if preferred is Channel.CALL and rng.random() < 0.2:
            schedule = [{"from": "14:00", "channel": Channel.WHATSAPP.value}]
        team_choices = TEAMS_BY_CITY.get(spec.city, TEAMS_BY_CITY["msk"])
        return Contact(
            full_name=full_name,
            position=position,
            phone=phone,
            extra_phones=extra,
            email=email,
            telegram=(
                f"{_translit(first)}_{_translit(surname)}"[:32] if rng.random() < 0.4 else None
            ),
            whatsapp=phone if rng.random() < 0.5 else None,
            work_schedule=rng.choice(WORK_SCHEDULES)
            if spec.domain and rng.random() < 0.5
            else None,
            preferred_channel=preferred,
            channel_schedule=schedule,
            hobbies=rng.choice(HOBBIES) if rng.random() < 0.6 else None,
            favourite_team=rng.choice(team_choices) if rng.random() < 0.35 else None,
            notes=rng.choice(CONTACT_NOTES) if rng.random() < 0.3 else None,
            is_primary=lead,
            created_at=created_at,
        )

    def _add_special_people(self, by_name: dict[str, _Draft]) -> None:
        """The people PRODUCT.md's examples talk about, on top of the drawn ones."""
        romashka = by_name[ROMASHKA].client
        petrov = romashka.contacts[0]
        petrov.full_name = "Петров Иван Сергеевич"
        petrov.position = "начальник отдела закупок"
        petrov.email = "i.petrov@romashka-opt.ru"
        petrov.telegram = "ivan_petrov"
        petrov.hobbies = "рыбалка, футбол"
        petrov.favourite_team = "«Спартак» Москва"
        petrov.notes = "Решения по закупкам согласует с финансовым директором."
        romashka.preferences = "берёт синие и серые, партиями по 200"
        romashka.tags = ["Позвонить", "Подарить футболку", "Крупный опт"]
        romashka.notes = "Отгрузка самовывозом со склада в Подольске, отсрочка 14 дней."

        petrova = self._extra_contact(by_name[SECOND_PETROVA_CLIENT])
        petrova.full_name = "Петрова Елена Викторовна"
        petrova.position = "главный бухгалтер"
        petrova.email = "buh@stroymontazh.ru"

        promoted = by_name[POSITION_CHANGE_CLIENT].client.contacts[0]
        promoted.full_name = "Соколов Андрей Викторович"
        promoted.position = "коммерческий директор"
        promoted.email = "a.sokolov@technoprom.ru"
        promoted.notes = "Раньше был менеджером по закупкам, теперь решает сам — бюджет у него."

        volkov = self._extra_contact(by_name[POSITION_CHANGE_CLIENT])
        volkov.full_name = "Волков Михаил Андреевич"
        volkov.position = "инженер по охране труда"
        volkov.email = "m.volkov@technoprom.ru"

        sidorova = self._extra_contact(by_name[SIDOROVA_CLIENT])
        sidorova.full_name = "Сидорова Наталья Олеговна"
        sidorova.position = "главный бухгалтер"
        sidorova.email = "buh@vector-trade.ru"

        # /help suggests finding a client by a piece of a phone number: «913 555».
        by_name[PHONE_EXAMPLE_CLIENT].client.contacts[0].phone = PHONE_EXAMPLE

        by_name[BIRTHDAY_TODAY_CLIENT].client.tags = ["Поздравить", "Подарить футболку"]

    def _extra_contact(self, draft: _Draft) -> Contact:
        """A second contact of a company, added when the draw gave it only one."""
        contacts = draft.client.contacts
        if len(contacts) == 1:
            contacts.append(self._company_contact(draft.spec, draft.client.created_at, lead=False))
        return contacts[1]

    def _place_occasions_and_lateness(self) -> None:
        """Due dates that make the first digest worth reading: today, overdue, tomorrow."""
        rng = self.rng
        by_name = {draft.spec.name: draft for draft in self.drafts}
        today, tomorrow = self.today, self.today + timedelta(days=1)
        # The console manager's morning: six touches today, a few overdue, one tomorrow.
        for name in (ROMASHKA, BIRTHDAY_TODAY_CLIENT, VLADIVOSTOK_WIDE, VLADIVOSTOK_NARROW,
                     KALININGRAD_NARROW, "ООО «ВолгаАгро»"):  # fmt: skip
            self._set_due(by_name[name], today)
        for name, days_late in (("ООО «ИнфоСофт»", 12), ("ООО «МеталлТорг»", 25),
                                ("ООО «Вектор»", 40)):  # fmt: skip
            # A due date is always a working day, as the planner would have set it.
            self._set_due(by_name[name], _previous_weekday(today - timedelta(days=days_late)))
        self._set_due(by_name[WIFE_TOMORROW_CLIENT], tomorrow)
        # The rest of the team: a few due today and a few overdue each.
        others = [draft for draft in self.drafts if draft.spec.owner != DMITRY]
        for draft in rng.sample(others, k=5):
            self._set_due(draft, today)
        for draft in rng.sample([d for d in others if d.due_on != today], k=4):
            self._set_due(draft, _previous_weekday(today - timedelta(days=rng.randint(5, 45))))
        # Stale data: the key client with 70-day-old data, plus a handful drawn.
        by_name[SEVENTY_DAYS_STALE_CLIENT].stale = True
        for draft in rng.sample(self.drafts, k=6):
            draft.stale = True

    def _set_due(self, draft: _Draft, due_on: date) -> None:
        cadence = DEFAULT_POLICIES[draft.client.category][0]
        draft.due_on = due_on
        draft.last_contact_on = due_on - timedelta(days=cadence)

    # Key dates, deals, ownership, change log.

    def _key_dates(self) -> list[KeyDate]:
        rng = self.rng
        rows: list[KeyDate] = []
        by_name = {draft.spec.name: draft for draft in self.drafts}
        for draft in self.drafts:
            client = draft.client
            for contact in client.contacts:
                if rng.random() < 0.6:
                    rows.append(
                        self._birthday(client, contact, rng.randint(1, 28), rng.randint(1, 12))
                    )
                if rng.random() < 0.15:
                    rows.append(self._family_birthday(client, contact))
            if client.kind is ClientKind.B2B and rng.random() < 0.35:
                rows.append(self._founding_day(client))
        today, tomorrow = self.today, self.today + timedelta(days=1)

        birthday_draft = by_name[BIRTHDAY_TODAY_CLIENT]
        hero = birthday_draft.client.contacts[0]
        birthday = self._birthday(birthday_draft.client, hero, today.day, today.month)
        birthday.year = 1976
        birthday_draft.reason = TouchReason.OCCASION
        birthday_draft.occasion_contact = hero
        birthday_draft.occasion_key_date = birthday
        first, patronymic = hero.full_name.split()[1:3]
        birthday_draft.goal = occasion_goal(
            "birthday", language="ru", first_name=first, patronymic=patronymic, fallback_name=""
        )
        birthday_draft.draft_text = (
            f"{first} {patronymic}, с днём рождения! Здоровья, сил и удачных сделок. "
            f"Спасибо, что вы с нами. — {self.members[DMITRY].full_name}"
        )
        rows.append(birthday)

        wife_draft = by_name[WIFE_TOMORROW_CLIENT]
        husband = wife_draft.client.contacts[0]
        wife = self._family_birthday(wife_draft.client, husband, relation="жена")
        wife.person_name, wife.day, wife.month = "Марина", tomorrow.day, tomorrow.month
        wife_draft.reason = TouchReason.OCCASION
        wife_draft.occasion_contact = husband
        wife_draft.occasion_key_date = wife
        first, patronymic = husband.full_name.split()[1:3]
        wife_draft.goal = occasion_goal(
            "birthday",
            language="ru",
            first_name=first,
            patronymic=patronymic,
            fallback_name="",
            relation="жена",
            person="Марина",
        )
        wife_draft.draft_text = (
            f"{first} {patronymic}, передайте, пожалуйста, Марине наши поздравления "
            "с днём рождения! Цветы от нас уже в пути."
        )
        rows.append(wife)

        leap_client = by_name[LEAP_DAY_CLIENT].client
        leap = self._birthday(leap_client, leap_client.contacts[0], 29, 2)
        leap.year = 1988
        rows.append(leap)
        return rows

    def _birthday(self, client: Client, contact: Contact, day: int, month: int) -> KeyDate:
        return KeyDate(
            client_id=client.id,
            contact_id=contact.id,
            kind="birthday",
            title="День рождения",
            day=day,
            month=month,
            year=self.rng.randint(1962, 1996) if self.rng.random() < 0.7 else None,
            created_at=client.created_at,
        )

    def _family_birthday(
        self, client: Client, contact: Contact, *, relation: str | None = None
    ) -> KeyDate:
        rng = self.rng
        female_contact = contact.full_name.split()[-1].endswith("на")
        if relation is None:
            spouse = "муж" if female_contact else "жена"
            relation = rng.choice((spouse, "сын", "дочь"))
        if relation in {"жена", "дочь"}:
            name = rng.choice(FEMALE_NAMES)
        else:
            name = rng.choice(MALE_NAMES)[0]
        child = relation in {"сын", "дочь"}
        return KeyDate(
            client_id=client.id,
            contact_id=contact.id,
            kind="birthday",
            relation=relation,
            person_name=name,
            title=f"День рождения ({relation})",
            day=rng.randint(1, 28),
            month=rng.randint(1, 12),
            year=rng.randint(2004, 2016) if child else rng.randint(1965, 1992),
            created_at=client.created_at,
        )

    def _founding_day(self, client: Client) -> KeyDate:
        return KeyDate(
            client_id=client.id,
            contact_id=None,
            kind="anniversary",
            title="День основания компании",
            day=self.rng.randint(1, 28),
            month=self.rng.randint(1, 12),
            year=self.rng.randint(1993, 2019),
            created_at=client.created_at,
        )

    def _deals(self) -> list[Deal]:
        rng = self.rng
        rows: list[Deal] = []
        for draft in self.drafts:
            client = draft.client
            if client.category is Category.NEW and rng.random() < 0.5:
                continue
            if client.category is Category.OCCASIONAL and rng.random() < 0.6:
                continue
            stages = ["closed"] if rng.random() < 0.5 else []
            stages.append(rng.choice(("new", "negotiation", "invoiced", "paid", "shipped")))
            for stage in stages:
                rows.append(self._deal(client, stage))
        romashka = next(d.client for d in self.drafts if d.spec.name == ROMASHKA)
        current = self._deal(romashka, "invoiced")
        current.title = "Костюмы рабочие, синие и серые, 200 шт."
        current.amount = Decimal("1240000.00")
        current.goods_location = "на складе в Подольске"
        rows.append(current)
        travelling = self._deal(romashka, "shipped")
        travelling.title = "Перчатки нитриловые, 2000 пар"
        travelling.amount = Decimal("186000.00")
        travelling.goods_location = "в пути, ТК «Деловые линии»"
        rows.append(travelling)
        return rows

    def _deal(self, client: Client, stage: str) -> Deal:
        rng = self.rng
        amount = Decimal(rng.randrange(40_000, 2_500_000, 500)).quantize(Decimal("0.01"))
        days_ago = rng.randint(60, 110) if stage == "closed" else rng.randint(1, 40)
        started = max(client.created_at, self.now - timedelta(days=days_ago))
        return Deal(
            client_id=client.id,
            title=rng.choice(DEAL_TITLES),
            stage=stage,
            amount=amount,
            goods_location=rng.choice(GOODS_BY_STAGE[stage]),
            is_paid=stage in {"paid", "shipped", "closed"},
            created_at=started,
            updated_at=started + (self.now - started) / 2,
        )

    def _owner_history(self) -> list[OwnerHistory]:
        """Who brought each client in; some account clients came to their owner by handover."""
        rng = self.rng
        head = self.members[HEAD_TELEGRAM_ID]
        rows: list[OwnerHistory] = []
        for draft in self.drafts:
            client = draft.client
            owner = self.members[draft.spec.owner]
            handed_over = (
                client.stage is Stage.ACCOUNT
                and draft.spec.owner != ANNA
                and client.kind is ClientKind.B2B
                and rng.random() < 0.3
            )
            if not handed_over:
                rows.append(
                    OwnerHistory(
                        client_id=client.id,
                        from_member_id=None,
                        to_member_id=owner.id,
                        from_stage=None,
                        to_stage=client.stage,
                        note=None,
                        by_member_id=head.id,
                        at=client.created_at,
                    )
                )
                continue
            hunter = self.members[ANNA]
            moved = self.now - timedelta(days=rng.randint(60, 100))
            handover_at = max(client.created_at, _office_time(moved, client.id))
            draft.handed_over_on = handover_at.date()
            rows += [
                OwnerHistory(
                    client_id=client.id,
                    from_member_id=None,
                    to_member_id=hunter.id,
                    from_stage=None,
                    to_stage=Stage.ACQUISITION,
                    note=None,
                    by_member_id=head.id,
                    at=client.created_at,
                ),
                OwnerHistory(
                    client_id=client.id,
                    from_member_id=hunter.id,
                    to_member_id=owner.id,
                    from_stage=Stage.ACQUISITION,
                    to_stage=Stage.ACCOUNT,
                    note="Передан на сопровождение после первой отгрузки",
                    by_member_id=head.id,
                    at=handover_at,
                ),
            ]
        return rows

    def _change_log(self, by_name: dict[str, _Draft]) -> list[ChangeLog]:
        dmitry = self.members[DMITRY]
        technoprom = by_name[POSITION_CHANGE_CLIENT].client
        promoted = technoprom.contacts[0]
        rows = [
            ChangeLog(
                client_id=technoprom.id,
                entity="contact",
                entity_id=promoted.id,
                field="position",
                old_value="менеджер по закупкам",
                new_value="коммерческий директор",
                member_id=dmitry.id,
                changed_at=self.now - timedelta(days=41, hours=3),
            )
        ]
        for name in (ROMASHKA, SECOND_PETROVA_CLIENT):
            client = by_name[name].client
            contact = client.contacts[0]
            old_phone = self._mobile()
            rows.append(
                ChangeLog(
                    client_id=client.id,
                    entity="contact",
                    entity_id=contact.id,
                    field="phone",
                    old_value=old_phone,
                    new_value=contact.phone,
                    member_id=dmitry.id,
                    changed_at=self.now - timedelta(days=self.rng.randint(20, 90)),
                )
            )
        return rows

    # Four months of interactions, ending where the open touch picks up.

    def _write_history(self, draft: _Draft) -> None:
        rng = self.rng
        client = draft.client
        category = client.category
        first_day = client.created_at.date() + timedelta(days=1)
        history_start = max(first_day, self.today - timedelta(days=HISTORY_DAYS))
        last = _previous_weekday(min(draft.last_contact_on, self.today - timedelta(days=1)))
        if last < first_day:
            last = _next_weekday(first_day)
        days: list[date] = [last]
        moment = last
        while True:
            gap = max(1, round(rng.expovariate(1 / CONTACT_GAP_DAYS[category])))
            moment = _previous_weekday(moment - timedelta(days=gap))
            if moment < history_start:
                break
            days.append(moment)
        outgoing_left = OUTGOING_BUDGET[category]
        follow_up = draft.reason is TouchReason.CADENCE and rng.random() < 0.3
        for index, day in enumerate(days):
            newest = index == 0
            outgoing = newest or (outgoing_left > 0 and rng.random() < 0.45)
            if outgoing:
                outgoing_left -= 1
            # The newest contact's next step is what the open touch follows up, or there is none.
            next_step = follow_up if newest else None
            interaction = self._interaction(draft, day, outgoing=outgoing, next_step=next_step)
            draft.interactions.append(interaction)
        newest_interaction = draft.interactions[0]
        if follow_up:
            assert newest_interaction.next_step is not None
            draft.reason = TouchReason.FOLLOW_UP
            draft.goal = newest_interaction.next_step
            newest_interaction.next_touch_on = draft.due_on
        self._confirm_data(draft, newest_interaction.happened_at)
        client.updated_at = max(client.updated_at, newest_interaction.created_at)

    def _congratulate_recent_birthdays(self, key_dates: Sequence[KeyDate]) -> None:
        """Birthdays of the last weeks were congratulated on the day (the Friday before, at a
        weekend), so the statistics have occasions to count."""
        by_client = {draft.client.id: draft for draft in self.drafts}
        since = self.today - timedelta(days=CONGRATULATED_DAYS)
        for key_date in key_dates:
            if key_date.kind != "birthday" or key_date.relation or key_date.contact_id is None:
                continue
            draft = by_client[key_date.client_id]
            day = _last_occurrence(key_date.day, key_date.month, before=self.today)
            if day is None:
                continue
            day = _previous_weekday(day + timedelta(days=1))
            newest = draft.interactions[0].happened_at.date() if draft.interactions else None
            # Only between older contacts: the newest one is what the open touch follows.
            if day < since or newest is None or day >= newest:
                continue
            contact = next(c for c in draft.client.contacts if c.id == key_date.contact_id)
            member = self.members[draft.spec.owner]
            words = contact.full_name.split()
            moment = self._contact_moment(draft.client, member, day)
            interaction = Interaction(
                client_id=draft.client.id,
                contact_id=contact.id,
                member_id=member.id,
                channel=self.rng.choice((Channel.CALL, Channel.WHATSAPP, Channel.TELEGRAM)),
                direction=Direction.OUTGOING,
                goal=occasion_goal(
                    "birthday",
                    language="ru",
                    first_name=words[1] if len(words) > 1 else None,
                    patronymic=words[2] if len(words) > 2 else None,
                    fallback_name=contact.full_name,
                ),
                result="Поздравил, поблагодарили; заодно уточнил планы на следующий месяц",
                outcome=Outcome.ACHIEVED,
                happened_at=moment,
                created_at=moment,
            )
            draft.interactions.append(interaction)
            self.congratulations.append(interaction)

    async def _close_past_touches(self) -> None:
        """The plan behind the history: each outgoing contact of the last weeks closed a planned
        touch — most on their day, some late — so /team and /stats show a real month."""
        rng = self.rng
        since = self.today - timedelta(days=CLOSED_TOUCH_DAYS)
        pairs: list[tuple[Interaction, Touch]] = []
        congratulated = {id(interaction) for interaction in self.congratulations}
        for draft in self.drafts:
            for interaction in draft.interactions:
                day = interaction.happened_at.astimezone(self.team_zone).date()
                if interaction.direction is not Direction.OUTGOING or day < since:
                    continue
                occasion = id(interaction) in congratulated
                late = 0 if occasion else rng.choices((0, 1, 2, 3, 6), (70, 12, 8, 6, 4))[0]
                touch = Touch(
                    client_id=interaction.client_id,
                    member_id=interaction.member_id,
                    contact_id=interaction.contact_id,
                    due_on=day - timedelta(days=late),
                    reason=TouchReason.OCCASION if occasion else TouchReason.CADENCE,
                    status=TouchStatus.DONE,
                    goal=interaction.goal,
                    dedupe_key=f"demo-done:{interaction.id}",
                    created_at=interaction.happened_at - timedelta(days=30),
                    closed_at=interaction.happened_at,
                )
                pairs.append((interaction, touch))
        self.session.add_all(touch for _, touch in pairs)
        await self.session.flush()
        for interaction, touch in pairs:
            interaction.touch_id = touch.id
        await self.session.flush()

    def _interaction(
        self, draft: _Draft, day: date, *, outgoing: bool, next_step: bool | None
    ) -> Interaction:
        """One logged contact; `next_step` True demands one, False forbids it, None lets chance
        decide."""
        rng = self.rng
        client = draft.client
        contact = rng.choice(client.contacts)
        member = self.members[draft.spec.owner]
        if draft.handed_over_on is not None and day < draft.handed_over_on:
            member = self.members[ANNA]
        channel_reachable = self._overlaps(client, member)
        channels: Sequence[Channel]
        weights: Sequence[int]
        if outgoing:
            channels = OUTGOING_CHANNELS if channel_reachable else WRITTEN_CHANNELS
            weights = OUTGOING_CHANNEL_WEIGHTS if channel_reachable else (5, 3, 2)
            scenarios = OUTGOING_SCENARIOS
        else:
            channels, weights = INCOMING_CHANNELS, INCOMING_CHANNEL_WEIGHTS
            scenarios = INCOMING_SCENARIOS
        channel = rng.choices(channels, weights)[0]
        scenario = rng.choice(scenarios)
        endings = [
            (outcome, ending)
            for outcome, ending in scenario.results.items()
            if next_step is None or next_step is (ending[1] is not None)
            if not (channel is Channel.MEETING and outcome is Outcome.NO_CONTACT)
        ]
        while not endings:
            scenario = rng.choice(scenarios)
            endings = [
                (outcome, ending)
                for outcome, ending in scenario.results.items()
                if next_step is None or next_step is (ending[1] is not None)
            ]
        likelihoods = [OUTCOME_WEIGHTS[outcome] for outcome, _ in endings]
        outcome, (result, planned_step) = rng.choices(endings, likelihoods)[0]
        happened_at = self._contact_moment(client, member, day)
        return Interaction(
            client_id=client.id,
            contact_id=contact.id,
            member_id=member.id,
            channel=channel,
            direction=Direction.OUTGOING if outgoing else Direction.INCOMING,
            goal=scenario.goal,
            result=result,
            outcome=outcome,
            notes=rng.choice(CONTACT_NOTES) if rng.random() < 0.1 else None,
            next_step=planned_step,
            next_touch_on=None,
            happened_at=happened_at,
            created_at=min(self.now, happened_at + timedelta(minutes=rng.randint(2, 90))),
        )

    def _confirm_data(self, draft: _Draft, last_contact: datetime) -> None:
        client = draft.client
        reverify = DEFAULT_POLICIES[client.category][2]
        if draft.spec.name == SEVENTY_DAYS_STALE_CLIENT:
            confirmed = self.now - timedelta(days=70)
        elif draft.stale:
            confirmed = self.now - timedelta(days=reverify + self.rng.randint(10, 60))
        elif self.rng.random() < 0.5 and self.now - last_contact < timedelta(days=reverify):
            confirmed = last_contact
        else:
            confirmed = self.now - timedelta(days=self.rng.randint(1, reverify * 2 // 3))
        client.data_confirmed_at = max(client.created_at, confirmed)

    # The open touches and the company event.

    async def _plan_open_touch(self, draft: _Draft) -> None:
        client = draft.client
        if draft.goal is None:
            goals = NEW_CLIENT_GOALS if client.category is Category.NEW else CADENCE_GOALS
            draft.goal = self.rng.choice(goals)
        # An overdue touch stays a call that also checks the data: an overdue data check on its
        # own would have the planner add today's cadence call beside it.
        if (
            draft.reason is TouchReason.CADENCE
            and draft.stale
            and draft.due_on >= self.today
            and self.rng.random() < 0.5
        ):
            draft.reason = TouchReason.STALE_DATA
            draft.goal = "Проверить данные: телефон, e-mail и должность контакта"
        contact = draft.occasion_contact or client.contacts[0]
        key_date = draft.occasion_key_date
        await plan_touch(
            self.session,
            client=client,
            due_on=draft.due_on,
            reason=draft.reason,
            goal=draft.goal,
            dedupe_key=f"demo:{client.id}",
            now=self.now,
            contact_id=contact.id,
            draft_text=draft.draft_text,
            occasion_key=(
                f"birthday:{key_date.id}:{draft.due_on.year}" if key_date is not None else None
            ),
            occasion_on=draft.due_on if key_date is not None else None,
            key_date_id=key_date.id if key_date is not None else None,
        )

    async def _add_events(self) -> None:
        """The events as /event saved them: invitations spread from the day they were planned,
        and the cancelled one's open invitations closed as «event_cancelled»."""
        head = self.members[HEAD_TELEGRAM_ID]
        for spec in EVENTS:
            planned = self._team_moment(spec.planned_days_ago, spec.planned_at)
            event, _ = await create_event(
                self.session,
                by=head,
                title=spec.title,
                happens_on=_next_weekday(self.today + timedelta(days=spec.in_days)),
                audience=spec.audience,
                now=planned,
                starts_at=spec.starts_at,
                description=spec.description,
            )
            if spec.cancelled_days_ago is not None and spec.cancelled_at is not None:
                cancelled = self._team_moment(spec.cancelled_days_ago, spec.cancelled_at)
                await cancel_event(
                    self.session,
                    by=head,
                    event_id=event.id,
                    today=cancelled.astimezone(self.team_zone).date(),
                    now=cancelled,
                )

    # The audit log.

    async def _add_audit_trail(self) -> None:
        """The audit log as the product writes it (`services.audit.record`, the same details):
        the past handovers; over the last two weeks the managers' card views just before each
        logged contact, the head reading key clients' cards and exporting the base, Сергей
        switched off by mistake and back a minute later, the key clients' cadence tightened,
        Дмитрий's /audit and Анна's old card button refused (the events created and cancelled
        are recorded by the planner as /event does)."""
        head = self.members[HEAD_TELEGRAM_ID]
        handovers = list(
            await self.session.scalars(
                select(OwnerHistory)
                .where(OwnerHistory.from_member_id.is_not(None))
                .order_by(OwnerHistory.at, OwnerHistory.id)
            )
        )
        for row in handovers:
            await audit.record(
                self.session,
                member=head,
                action="handover",
                now=row.at,
                client_id=row.client_id,
                from_member=row.from_member_id,
                to_member=row.to_member_id,
                from_stage=row.from_stage.value if row.from_stage is not None else None,
                to_stage=row.to_stage.value,
            )
        by_id = {member.id: member for member in self.members.values()}
        since = self._team_moment(AUDIT_DAYS, time(0))
        contacts = sorted(
            (
                interaction
                for draft in self.drafts
                for interaction in draft.interactions
                if interaction.happened_at >= since
            ),
            key=lambda interaction: interaction.happened_at,
        )
        for interaction in contacts:
            await audit.record(
                self.session,
                member=by_id[interaction.member_id],
                action="card_view",
                now=interaction.happened_at - timedelta(minutes=self.rng.randint(2, 15)),
                client_id=interaction.client_id,
            )
        by_name = {draft.spec.name: draft.client for draft in self.drafts}
        for days_ago, at, name in HEAD_CARD_VIEWS:
            await audit.record(
                self.session,
                member=head,
                action="card_view",
                now=self._team_moment(days_ago, at),
                client_id=by_name[name].id,
            )
        await audit.record(
            self.session,
            member=head,
            action="export",
            now=self._team_moment(1, time(17, 40)),
            clients=len(self.drafts),
        )
        sergey = self.members[SERGEY]
        for minute, action in ((time(10, 12), "member_off"), (time(10, 13), "member_on")):
            await audit.record(
                self.session,
                member=head,
                action=action,
                now=self._team_moment(3, minute),
                member_id=sergey.id,
            )
        await self._tighten_key_cadence(head)
        await audit.record(
            self.session,
            member=self.members[DMITRY],
            action="denied",
            now=self._team_moment(2, time(12, 5)),
            command="audit",
        )
        if handovers:
            # Анна presses an old card button of a client she handed over: refused, as
            # `access.client_for` records it.
            await audit.record(
                self.session,
                member=self.members[ANNA],
                action="denied",
                now=self._team_moment(4, time(11, 20)),
                client_id=None,
                target=handovers[-1].client_id,
            )

    async def _tighten_key_cadence(self, head: Member) -> None:
        """A week ago the head brought key clients from every 45 days to the 30 the base is
        planned with, as /policy records it: the row names who and when, the audit old → new."""
        moment = self._team_moment(KEY_CADENCE_CHANGED_DAYS_AGO, time(10, 5))
        row = await self.session.get(CategoryPolicy, Category.KEY)
        assert row is not None
        row.updated_by_id = head.id
        row.updated_at = moment
        await audit.record(
            self.session,
            member=head,
            action="policy_change",
            now=moment,
            category=Category.KEY.value,
            field="cadence_days",
            old=KEY_CADENCE_BEFORE,
            new=row.cadence_days,
        )

    def _team_moment(self, working_days_ago: int, at: time) -> datetime:
        """A moment on the team's clock this many working days before today."""
        day = self.today
        for _ in range(working_days_ago):
            day = _previous_weekday(day - timedelta(days=1))
        return datetime.combine(day, at, tzinfo=self.team_zone).astimezone(UTC)

    # Small generators.

    def _mobile(self) -> str:
        while True:
            phone = f"+7{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randint(0, 9_999_999):07d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def _inn(self, city_key: str) -> str:
        region = REGION_CODES.get(city_key, "77")
        body = region + "".join(str(self.rng.randint(0, 9)) for _ in range(7))
        check = sum(w * int(d) for w, d in zip(_INN_WEIGHTS, body, strict=True)) % 11 % 10
        return body + str(check)

    def _work_moment(self, day: date, zone_name: str) -> datetime:
        local = datetime.combine(
            _previous_weekday(day), time(self.rng.randint(9, 17), self.rng.randint(0, 59))
        )
        return local.replace(tzinfo=ZoneInfo(zone_name)).astimezone(UTC)

    def _overlaps(self, client: Client, member: Member) -> bool:
        return bool(self._shared_hours(client, member, self.today))

    def _shared_hours(self, client: Client, member: Member, day: date) -> list[datetime]:
        """Whole hours of `day` (member's calendar) inside both the member's and client's day."""
        member_zone, client_zone = ZoneInfo(member.timezone), ZoneInfo(client.timezone)
        moments = []
        for hour in range(member.work_start.hour, member.work_end.hour):
            moment = datetime.combine(day, time(hour), tzinfo=member_zone)
            local = moment.astimezone(client_zone).time()
            if client.window_start <= local < client.window_end:
                moments.append(moment)
        return moments

    def _contact_moment(self, client: Client, member: Member, day: date) -> datetime:
        hours = self._shared_hours(client, member, day)
        if not hours:
            member_zone = ZoneInfo(member.timezone)
            hours = [
                datetime.combine(day, time(hour), tzinfo=member_zone)
                for hour in range(member.work_start.hour, member.work_end.hour)
            ]
        moment = self.rng.choice(hours) + timedelta(minutes=self.rng.randint(0, 55))
        return moment.astimezone(UTC)


def _office_time(moment: datetime, seed: int) -> datetime:
    """`moment`'s UTC day at a time between 07:00 and 14:00 UTC (Moscow office hours) picked by
    `seed`: not drawn from the generator, so every later draw, and the base, stays as it was."""
    minutes = seed * 37 % (7 * 60)
    return datetime.combine(moment.date(), time(7 + minutes // 60, minutes % 60), tzinfo=UTC)


def _stage_for(category: Category, rng: random.Random) -> Stage:
    if category is Category.NEW:
        return rng.choice((Stage.ACQUISITION, Stage.ACQUISITION, Stage.SALE))
    if category in {Category.KEY, Category.VIP}:
        return Stage.ACCOUNT
    return rng.choice((Stage.SALE, Stage.ACCOUNT, Stage.ACCOUNT))


def _person_name(rng: random.Random, *, female: bool) -> tuple[str, str, str]:
    surname = rng.choice(SURNAMES)
    _, father_male, father_female = rng.choice(MALE_NAMES)
    if female:
        return surname + "а", rng.choice(FEMALE_NAMES), father_female
    return surname, rng.choice(MALE_NAMES)[0], father_male


def _translit(word: str) -> str:
    return "".join(_TRANSLIT.get(char, char) for char in word.casefold())


def _last_occurrence(day: int, month: int, *, before: date) -> date | None:
    """The latest date with this day and month before `before` (None for 29 February when the
    last two years had none)."""
    for year in (before.year, before.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate < before:
            return candidate
    return None


def _previous_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
