"""One chat message about a contact turned into interaction fields, in Russian or English.

`parse_interaction` reads «Звонил Петрову из Ромашки, цель — предложить новый прайс, договорились
о встрече в пятницу в 15:00» into client candidates, contact, channel, direction, goal, result,
outcome, next step and next touch date, plus contact data changes (phone, e-mail, position);
«Встреча с Морозовым завтра в 15:00, обсудить каталог» — nothing happened yet — is read as a
plan (`ParsedInteraction.plan`) with its day, channel and goal.
`classify_message` tells a log message from a lookup («Петров», «из Ромашки», «+7 912»).

Pure and fast: the common date phrases are own regular expressions; dateparser (slow to load) is
only a fallback for phrasings they do not cover. Names are matched through `services.names`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any, Final, Literal, Protocol

import phonenumbers

from bot.i18n import translator
from models.enums import Channel, Direction, Outcome
from services.names import (
    LEGAL_FORMS,
    STOPWORDS,
    NameCandidate,
    NameIndex,
    TextMatch,
    fix_mixed_script,
    morph_analyzer,
)
from services.windows import is_russian_holiday

# ---------------------------------------------------------------------------------------------
# Public types


class ClientLike(Protocol):
    """What the parser needs to know about a client: its id, name and contacts' names."""

    @property
    def id(self) -> int:
        """The client's id."""

    @property
    def name(self) -> str:
        """The client's name as stored."""

    @property
    def contact_names(self) -> Sequence[str]:
        """Full names of the client's contacts as stored."""


@dataclass(frozen=True)
class ContactUpdates:
    """Contact data the message mentions: a new phone (E.164), e-mail or position."""

    phone: str | None = None
    email: str | None = None
    position: str | None = None

    @property
    def is_empty(self) -> bool:
        """Whether the message mentions no contact data at all."""
        return self.phone is None and self.email is None and self.position is None


@dataclass(frozen=True)
class ParsedInteraction:
    """Everything one message says about an interaction; missing fields are None."""

    client_ids: tuple[int, ...] = ()
    contact_name: str | None = None
    channel: Channel | None = None
    direction: Direction = Direction.OUTGOING
    outcome: Outcome | None = None
    goal: str | None = None
    result: str | None = None
    next_step: str | None = None
    next_touch: date | datetime | None = None
    updates: ContactUpdates = field(default_factory=ContactUpdates)
    # Set instead of `next_touch` when the next date named is impossible or past.
    refused_date: RefusedDate | None = None
    # A company named that is none of the clients found («из Рогов и копыт»), as typed.
    unknown_company: str | None = None
    # The message opens by reporting a contact with the person it names («Звонил Сидорову, …»).
    opens_with_contact: bool = False
    # A contact still to come, not one that happened: «Встреча с Морозовым завтра в 15:00,
    # обсудить каталог». `next_touch` is when, `goal` what for, `channel` how.
    plan: bool = False


# No such day («31 февраля»), a day already gone («вчера», «10.11.2026»), or one further
# ahead than anyone plans a contact («10.11.2031»: a typo for a year, most likely).
RefusalReason = Literal["impossible", "past", "far"]
# The furthest a next contact may be planned: «через полтора года» reads, «в 2031» is asked
# again. Two years is the longest re-verification period a policy allows (730 days): a record
# left longer is stale whatever the plan says.
PLAN_HORIZON_MONTHS: Final = 24


@dataclass(frozen=True)
class RefusedDate:
    """A next date the message names but that cannot be planned: no such day («31 февраля»),
    a day already gone («перезвонить вчера») or one too far ahead («10.11.2031»).
    `message_key` explains it to the manager."""

    phrase: str
    reason: RefusalReason

    @property
    def message_key(self) -> str:
        """The catalog key of the explanation to a date typed as an answer (`phrase` is its
        parameter): it asks for another day, whatever the question was (a next step, a plan's
        day, a first contact's)."""
        return f"parsing.date_refused_answer.{self.reason}"


MessageKind = Literal["log", "lookup"]

# ---------------------------------------------------------------------------------------------
# Vocabulary

# «Созвон с Тихоновым: …» heads a report of a call, and so does «Созвон с Тихоновым, обсудили…»
# (a comma, then a verb in the past tense or the client speaking); «созвон в пятницу» is a plan.
_HEADING = (
    r"(?:\s+с\s+[^,.:;!?\n]{1,40})?\s*"
    r"(?:[:—–]|,(?=\s*(?:[а-яё]+(?:л|ла|ли|лось|лась|лся|лись)|клиент\w*|он|она|они)\b))"
)
_CHANNEL_PATTERNS: Final[tuple[tuple[Channel, re.Pattern[str]], ...]] = (
    (
        Channel.EMAIL,
        re.compile(
            r"(?<!нов[ыо][йе] )(?<!new )"
            r"\b(?:(?:на|по)\s+почт\w*|почтой|письм\w*|e-?mail\w*|имейл\w*|емейл\w*|мейл\w*|"
            r"электронк\w*)(?![\s:—–-]*@)"
        ),
    ),
    (Channel.SMS, re.compile(r"\b(?:смс\w*|sms|эсэмэс\w*|смску|text(?:ed)?\s+(?:him|her))\b")),
    (
        Channel.WHATSAPP,
        re.compile(r"\b(?:ватсап\w*|вотсап\w*|вацап\w*|вотс\w*|ватс\w*|whats\s?app|wa)\b"),
    ),
    (
        Channel.TELEGRAM,
        re.compile(r"\b(?:телеграм\w*|телег[аеуи]\w*|тг|tg|telegram|телеге)\b"),
    ),
    (
        Channel.MEETING,
        re.compile(
            r"\b(?:встреч[аеиуй]\w*|встретил\w*|был[аи]?\s+(?:у|в)\b|заезжал\w*|заехал\w*|"
            r"приезжал\w*|съездил\w*|визит\w*|meeting|met|visited|demo\s+at)\b"
        ),
    ),
    (
        Channel.CALL,
        re.compile(
            r"\b(?:(?:по|до|пере|со)?зв[ао]?н[иы]?л\w*|недозвон\w*|набрал\w*|"
            r"звон[оу]к\w*|перезвонил\w*|по\s+телефону|поговорил\w*|говорил\w*|трубк\w*|"
            r"созвон(?=" + _HEADING + r")|"
            r"call(?:ed)?|phoned|rang|spoke|no\s+answer|(?:didn'?t|did\s+not)\s+pick\s+up|"
            r"voicemail)\b"
        ),
    ),
)
# «договорились о встрече», «назначили звонок»: the contact that is planned, not the one that was.
_PLANNED_BEFORE = re.compile(
    r"(?:(?:\bо|\bоб|\bпро|следующ\w*|нов\w+|next|another|\ba)\s+|"
    r"(?:договорил\w*|назнач\w*|запланир\w*|предложил\w*|перенес\w*|postpon\w*|resched\w*|"
    r"schedul\w*|set\s+up|написать|"
    r"напишу|отправить|отправлю|скинуть|скину|выслать|вышлю|прислать|позвонить|набрать|"
    r"перезвонить|send|will)\s+(?:\w+\s+){0,2})$"
)

_INCOMING = re.compile(
    r"\b(?:сам[аи]?\s+(?:\w+\s+)?(?:позвонил|перезвонил|написал|набрал|вышел|обратил|"
    r"приехал|пришел)\w*|(?:позвонил|перезвонил|написал|набрал)[аи]?\s+(?:сам|мне|нам)\b|"
    r"звонил[аи]?\s+(?:мне|нам)\b|пришл[оаи]\s+(?:письмо|сообщение|смс|заявка|запрос)|"
    r"входящ\w*|обратил\w*\s+(?:к\s+нам|ко\s+мне)|"
    r"(?:письмо|сообщение|звонок|смс|заявка|запрос)\s+от\b|"
    r"called\s+(?:me|us)|wrote\s+(?:to\s+)?(?:me|us)|(?:emailed|texted|messaged)\s+(?:me|us)|"
    r"reached\s+out|inbound|incoming|got\s+an?\s+(?:email|call|message)|"
    r"received\s+an?\s+(?:email|call|message))"
)

_OUTCOME_PATTERNS: Final[tuple[tuple[Outcome, re.Pattern[str]], ...]] = (
    (
        Outcome.NO_CONTACT,
        re.compile(
            r"\b(?:не\s+(?:смог\w*\s+)?дозвон\w*|недозвон\w*|не\s+ответил\w*|не\s+отвеча\w*|"
            r"не\s+(?:взял\w*|берет|берут)\s+трубк\w*|трубк\w+\s+не\s+(?:взял|берет)\w*|"
            r"недоступ\w*|вне\s+зоны|сбрасыва\w*|сбросил\w*|автоответчик\w*|без\s+ответа|"
            r"не\s+прочитал\w*|ответа\s+(?:пока\s+|еще\s+)?нет|(?:пока\s+|еще\s+)?нет\s+ответа|"
            r"пока\s+без\s+ответа|молч(?:ит|ат)|в\s+отпуске|в\s+командировке|"
            r"на\s+больничном|заболел\w*|нет\s+на\s+месте|в\s+отъезде|"
            # «Соколов на совещании», «директор на обеде», not «обсудили на совещании объёмы».
            r"(?:он|она|сейчас|был[аи]?|директор\w*|руководител\w*|бухгалтер\w*|"
            r"\w+(?:ов|ова|ев|ева|ин|ина|ий|ая))\s+на\s+(?:совещани\w*|планерк\w*|обеде)|"
            r"no\s+answer|no\s+reply|(?:he|she)\s+(?:was|is)\s+in\s+a\s+meeting|"
            r"out\s+of\s+(?:the\s+)?office|on\s+(?:vacation|holiday|leave)|"
            r"(?:didn'?t|did\s+not)\s+(?:answer|pick\s+up|reply)|not\s+heard\s+back|"
            r"unreachable|voicemail|no\s+response|not\s+picking\s+up)(?!\w)"
        ),
    ),
    (
        Outcome.NOT_ACHIEVED,
        re.compile(
            r"\b(?:отказал\w*|отказ\b|отказа\w*|не\s+интерес\w*|неинтерес\w*|не\s+актуальн\w*|"
            r"неактуальн\w*|не\s+нужн\w*|не\s+договорил\w*|не\s+согласил\w*|нет\s+бюджета|"
            r"бюджета\s+(?:пока\s+)?нет|не\s+хо(?:чет|тят)|"
            r"не\s+будут|не\s+будет\s+(?:брать|покупать|заказывать)|ушли\s+к\s+конкурент\w*|"
            r"declined|refused|rejected|not\s+interested|said\s+no|no\s+budget|turned\s+down)(?!\w)"
        ),
    ),
    (
        Outcome.PARTIAL,
        re.compile(
            r"\b(?:частичн\w*|(?:обещал\w*\s+)?подума\w*|обещал\w*|перезвонит|перезвонят|посмотрит|посмотрят|рассмотр\w*|"
            r"верн[её]тся|вернутся|обсуд(?:ит|ят)|соглас(?:ует|уют|овывает)|на\s+согласовании|"
            r"перенес(?:ли|л|ла)?|(?:по)?просил[аи]?\s+(?:перезвон|набрать|позвонить|связаться)\w*|"
            r"(?:по)?просил[аи]?\s+не\s+(?:звонить|беспокоить|писать)|"
            r"(?:оплат|заплат)(?:ит|ят)|подпиш(?:ет|ут)|закаж(?:ет|ут)|"
            r"postponed|rescheduled|asked\s+(?:me\s+|us\s+)?to\s+call\s+back|"
            r"пока\s+не\s+готов\w*|не\s+готов\w*|думает|думают|возможно|может\s+быть|"
            r"partial\w*|will\s+think|think\s+(?:about\s+it|it\s+over)|will\s+call\s+back|"
            r"get\s+back|considering|maybe|not\s+sure|(?:he|she|they|we)'ll\s+think|"
            r"жд(?:ет|ут|ем|у)(?=\s+\w)|ожида(?:ет|ют|ем)\b|waiting\s+for)(?!\w)"
        ),
    ),
    (
        Outcome.ACHIEVED,
        re.compile(
            r"\b(?:договорил\w*|договорел\w*|согласил\w*|соглас(?:ен|на|ны)\b|оплатил\w*|"
            r"оплата\s+прошла|подписал\w*|заказал\w*|купил\w*|утвердил\w*|подтвердил\w*|"
            r"принял\w*|одобрил\w*|согласовал\w*|успешно|(?<!не\s)решил[аи]?|"
            r"(?<!не\s)решен[оаы]?|"
            r"(?<!не\s)(?:берет|берут|возьмет|возьмут)(?!\s+трубк)|"
            r"agreed|signed|paid|confirmed|accepted|ordered|"
            r"approved|booked|closed\s+the\s+deal)(?!\w)"
        ),
    ),
)

# Markers that open a piece of the message; "strong" ones cut wherever they appear, "soft" ones
# (outcomes, future verbs) only open a piece where no other piece has started in the clause.
_GOAL_STRONG = re.compile(
    r"\b(?:цел[ьи](?:\s+(?:звонка|встречи|письма|контакта|визита|касания))?"
    r"(?:\s*[—–:-]+\s*|\s+(?:была\s+|это\s+)?)|с\s+целью\s+|чтобы\s+|чтоб\s+|хотел[аи]?\s+|"
    r"по\s+поводу\s+|насч[её]т\s+|на\s+тему\s+|по\s+вопросу\s+|"
    # «встреча по КП», «звонил по счёту 1234»: the subject is the goal, «по» kept with it.
    r"(?=по\s+(?:кп|коммерческ\w+|сч[её]т\w*|договор\w*|оплат\w*|поставк\w*|заказ\w*|"
    r"отгрузк\w*|прайс\w*|предложени\w*|скидк\w*|тендер\w*|проект\w*|рекламаци\w*|"
    r"претензи\w*|задолженност\w*|дебиторк\w*)(?!\w))|"
    r"(?:goal|purpose|aim)(?:\s+(?:was|is))?\s*[:—–-]?\s*(?:to\s+)?|in\s+order\s+to\s+|"
    r"wanted\s+to\s+|regarding\s+|re:\s*|about\s+(?!it\b))"
)
_GOAL_SOFT = re.compile(
    r"\b(?:предложил[аи]?|обсудил[аи]?|обсуждали|обговорил[аи]?|презентовал[аи]?|"
    r"напомнил[аи]?|уточнил[аи]?|поздравил[аи]?|отправил[аи]?|выслал[аи]?|скинул[аи]?|"
    r"переслал[аи]?|направил[аи]?|показал[аи]?|"
    r"discussed|offered|presented|reminded|proposed|pitched)\s+"
)
_REQUEST = re.compile(
    r"\b(?:(?:по)?просил[аи]?|запросил[аи]?|просят|просит|хотят|хочет|"
    r"интересу(?:ются|ется)|заинтересовал(?:ись|ся|ась)|asked\s+(?:for|us|me)|requested|"
    r"wants?|interested\s+in)\s+"
)
_RESULT_STRONG = re.compile(
    r"\b(?:результат\w*|итог\w*|в\s+итоге|итого|result|outcome)(?:\s*[:—–-]+\s*|\s+)"
)
_NEXT_STRONG = re.compile(
    r"\b(?:(?:следующ\w+|след\.?)\s*шаг\w*|next\s+steps?|next\s+action)(?:\s*[:—–-]+\s*|\s+)|"
    r"\b(?:дальше|далее|план|next|then|todo)\s*[:—–]+\s*"
)
_NEXT_VERB = re.compile(
    r"\b(?:перезвон(?:ю|ить|ит|ят|им)?\b|позвоню|позвонить|наберу|набрать|созвонимся|"
    r"созвониться|созвон\b(?!" + _HEADING + r")|встретимся|встретиться|отправлю|отправить|"
    r"отправим|вышлю|выслать|вышлем|пришлю|прислать|напишу|написать|подготовлю|подготовить|"
    r"заеду|заехать|приеду|приехать|напомню|напомнить|выставить|выставлю|попробую|"
    r"попробовать|следующ(?:ая|ий|ее|ую)\s+(?:встреч\w*|звон\w*|созвон\w*)|"
    r"follow[\s-]?up|call\s+(?:back|again)|"
    r"will\s+call|send|schedule|meet\s+again|to\s+meet|visit)"
)
_AGREED_ON = re.compile(
    r"\b(?:договорил\w*|agreed|договорел\w*|перенес\w*|postponed|rescheduled)"
    r"(?:\s*,?\s*(?:что|о|об|на|про|to|on))?\s+"
)
_UPDATE_BOUNDARY = re.compile(
    r"\b(?:нов\w+\s+(?:номер|телефон|тел|почта|email|e-mail|мейл|адрес)|теперь\s+(?=\w)|"
    r"стал[аи]?\s+|назначен\w*|new\s+(?:number|phone|email)|now\s+(?=\w))"
)
_CLAUSE_BREAK = re.compile(r"[!?;\n]|\.(?=\s|$)|,")

_POSITION_WORDS = re.compile(
    r"(?:директор|руководител|начальник|заместител|\bзам\b|менеджер|бухгалтер|главбух|закупщик|"
    r"специалист|инженер|юрист|владел|собственник|учредител|президент|председател|\bглав|"
    r"администратор|управляющ|секретар|ассистент|помощник|маркетолог|снабженец|технолог|"
    r"экономист|логист|аналитик|\bгд\b|head|director|manager|\bceo\b|\bcfo\b|\bcto\b|"
    r"\bcoo\b|officer|chief|\blead\b|buyer|accountant|\bvp\b|president|owner)"
)
_POSITION = re.compile(
    r"\b(?:теперь|сейчас\s+уже|уже|now)\s+(?:он\s+|она\s+|уже\s+|is\s+|he\s+is\s+|she\s+is\s+|"
    r"he's\s+|she's\s+|the\s+|our\s+)*(?P<a>[^,.;!?\n]+)|"
    r"\bстал[аи]?\s+(?:уже\s+)?(?P<b>[^,.;!?\n]+)|"
    r"\bназначен[аы]?\s+(?:на\s+должность\s+)?(?P<c>[^,.;!?\n]+)|"
    r"\b(?:перев[её]л\w*|перешел\w*|перешла)\s+на\s+должность\s+(?P<d>[^,.;!?\n]+)|"
    r"\b(?:нов\w+\s+)?должность\s*[:—–-]+\s*(?P<e>[^,.;!?\n]+)|"
    r"\b(?:promoted\s+to|became|new\s+(?:position|role|title)\s*[:—–-]?)\s+(?:the\s+)?"
    r"(?P<f>[^,.;!?\n]+)"
)
_POSITION_CUT = re.compile(
    r"\s+(?:и|а|но|цель|договорил\w*|результат|итог|звонил\w*|тел\w*|номер|почта|and|but|"
    r"goal|result|since|from|with|в\s+(?:понедельник|вторник|среду|четверг|пятницу)|"
    r"с\s+\d|\+?\d)\b.*$"
)

_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}|8)?[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}\b")
# The look-behind starts a match only where a run of address characters starts: without it a
# 4,000-character word is rescanned from each of its letters (80 ms per message).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# ---------------------------------------------------------------------------------------------
# Dates

_RU_MONTHS: Final = (
    ("январ", 1), ("янв", 1), ("феврал", 2), ("фев", 2), ("март", 3), ("мар", 3), ("апрел", 4),
    ("апр", 4), ("ма", 5), ("июн", 6), ("июл", 7), ("август", 8), ("авг", 8), ("сентябр", 9),
    ("сент", 9), ("сен", 9), ("октябр", 10), ("окт", 10), ("ноябр", 11), ("ноя", 11),
    ("декабр", 12), ("дек", 12),
)  # fmt: skip
_EN_MONTHS: Final = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_RU_MONTH = (
    r"(?P<month>январ[ья]|янв|феврал[ья]|фев|марта?|мар|апрел[ья]|апр|ма[йя]|июн[ья]|июл[ья]|"
    r"августа?|авг|сентябр[ья]|сент|сен|октябр[ья]|окт|ноябр[ья]|ноя|декабр[ья]|дек)\.?(?!\w)"
)
_EN_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?!\w)"
)
_RU_WEEKDAYS: Final = (
    ("понедельник", 0), ("пн", 0), ("вторник", 1), ("вт", 1), ("сред", 2), ("ср", 2),
    ("четверг", 3), ("чт", 3), ("пятниц", 4), ("пт", 4), ("суббот", 5), ("сб", 5),
    ("воскресень", 6), ("вс", 6),
)  # fmt: skip
_EN_WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMBER_WORDS: Final = {
    "один": 1, "одну": 1, "одна": 1, "одного": 1, "пару": 2, "пара": 2, "два": 2, "две": 2,
    "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9,
    "десять": 10, "несколько": 3, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple": 2,
    "a couple of": 2, "couple of": 2, "few": 3, "a few": 3,
}  # fmt: skip

_AFTER_RU = re.compile(
    r"\b(?:после|с)\s+(?P<day>\d{1,2})(?:-?го)?\s+" + _RU_MONTH + r"(?:\s+(?P<year>\d{4}))?"
)
_AFTER_EN = re.compile(
    r"\bafter\s+(?:(?P<day1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
    + _EN_MONTH.replace("month", "month1")
    + r"|"
    + _EN_MONTH
    + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?)"
)
_DAY_MONTH_RU = re.compile(
    r"\b(?P<day>\d{1,2})(?:-?го|-?е)?\s+" + _RU_MONTH + r"(?:\s+(?P<year>\d{4})(?:\s*г\.?)?)?"
)
_MONTH_DAY_EN = re.compile(
    r"\b(?:on\s+)?" + _EN_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{4}))?"
)
_DAY_MONTH_EN = re.compile(
    r"\b(?:on\s+)?(?:the\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
    + _EN_MONTH
    + r"(?:,?\s+(?P<year>\d{4})\b)?"
)
_NUMERIC_DATE = re.compile(
    r"(?<![\d.:])(?P<day>\d{1,2})\.(?P<month>\d{1,2})(?:\.(?P<year>\d{2,4}))?(?![\d:]|\.\d)"
)
# «10/11/2026», as some spreadsheets and phones write a date: day first, as in Russia; only
# with its year, so that «50/50» or «24/7» stay what they are.
_SLASH_DATE = re.compile(
    r"(?<![\d/])(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4}|\d{2})(?![\d/])"
)
_PART_OF_MONTH = re.compile(
    r"\b(?P<part>в\s+начале|к\s+началу|в\s+середине|к\s+середине|в\s+конце|до\s+конца|"
    r"к\s+концу)\s+" + _RU_MONTH
)
_IN_MONTH = re.compile(
    r"\b(?:в|во|in|by|until)\s+(?P<month>январе|феврале|марте|апреле|мае|июне|июле|августе|"
    r"сентябре|октябре|ноябре|декабре|january|february|march|april|may|june|july|august|"
    r"september|october|november|december)\b|"
    # «не звонить до января», «с февраля»: that month's start.
    r"\b(?:до|с|со)\s+(?P<month_gen>января|февраля|марта|апреля|мая|июня|июля|августа|"
    r"сентября|октября|ноября|декабря)\b(?!\s+\d)"
)
_DAY_OF_MONTH = re.compile(
    r"\b(?:к|до|на|после)?\s*(?P<day>\d{1,2})(?:-?(?:го|му|е|ое))?\s+(?:числ[ауо]|number)\b"
)
_ISO_DATE = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b")
_RELATIVE_DAY = re.compile(
    r"\b(?:(?P<after>послезавтра|day\s+after\s+tomorrow)|(?P<tomorrow>завтра|tomorrow)|"
    r"(?P<today>сегодня|today|tonight)|(?P<past>позавчера|вчера|yesterday))\b"
)
_WEEKDAY_RU = re.compile(
    r"\b(?:(?:в|во|на|к|ко|до|с|со)\s+)?(?:(?P<which>следующ\w+|след\.?|эт[уо]т?|ближайш\w+)\s*)?"
    r"(?<!\w)(?P<day>понедельник\w*|вторник\w*|сред[аеуы]|четверг\w*|пятниц[аеуы]|"
    r"суббот[аеуы]|воскресень[еяю])(?!\w)|"
    r"\b(?:в|во|к|до|с)\s+(?:(?P<which2>следующ\w+|след\.?)\s*)?"
    r"(?<!\w)(?P<abbr>пн|пнд|вт|втр|ср|срд|чт|чтв|пт|птн|сб|сбт|вс)\b"
)
_WEEKDAY_EN = re.compile(
    r"\b(?:(?:on|by|until|till)\s+)?(?:(?P<which>next|this|coming)\s+)?"
    r"(?P<day>monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"(?<=next\s)(?:mon|tue|tues|wed|thu|thurs|fri|sat|sun))\b"
)
_IN_PERIOD_RU = re.compile(
    r"\bчерез\s+(?:(?P<num>\d+)|(?P<word>пару|пара|несколько|одну|один|одна|два|две|три|"
    r"четыре|пять|шесть|семь|восемь|девять|десять)|"
    r"(?P<half>полгода|полчаса|полтора\s+(?:месяца|года|часа)|полторы\s+недели))?"
    r"\s*(?P<unit>дн\w*|день|сут\w*|недел\w*|месяц\w*|год\w*|лет|час\w*|минут\w*)?"
)
_IN_PERIOD_EN = re.compile(
    r"\bin\s+(?:(?P<num>\d+)|(?P<word>a\s+couple\s+of|couple\s+of|a\s+few|few|a|an|one|two|"
    r"three|four|five|six|seven|eight|nine|ten))\s+(?P<unit>days?|weeks?|months?|years?|"
    r"hours?|minutes?)\b"
)
_END_OF = re.compile(
    r"\b(?:до|к)\s+конц[ау]\s+(?P<ru>месяца|недели|года|квартала|дня)|"
    r"\bв\s+конце\s+(?P<ru2>месяца|недели|года)|"
    r"\b(?:by\s+|until\s+|till\s+|at\s+)?(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?"
    r"(?P<en>month|week|year|quarter)"
)
_NEXT_WEEK_DAY = r"(?P<{}>понедельник|вторник|сред[уа]|четверг|пятниц[уа]|пн|вт|ср|чт|пт)(?!\w)"
# «на след неделе», «на следующую неделю, в среду», «в среду на следующей неделе».
_NEXT_PERIOD = re.compile(
    r"\b(?:(?:в|во)\s+" + _NEXT_WEEK_DAY.format("before") + r"\s+)?"
    r"(?:на|в\s+течение)\s+(?:след(?:\.|ующ(?:ей|ую))?|будущ(?:ей|ую))\s*недел[еюи](?!\w)"
    r"(?:\s*,?\s*(?:в|во)\s+" + _NEXT_WEEK_DAY.format("after") + r")?|"
    r"\b(?:next\s+week|(?P<month>в\s+след(?:\.|ующем)?\s*месяце|next\s+month|"
    r"в\s+начале\s+следующего\s+месяца)|(?P<weekend>после\s+выходных|after\s+the\s+weekend))\b"
)
# «в конце следующей недели», «в начале этого месяца», «early next week», «end of next month».
_PART_OF_PERIOD = re.compile(
    r"\b(?P<part>в\s+начале|в\s+середине|в\s+конце|к\s+концу|до\s+конца)\s+"
    r"(?P<which>эт(?:ой|ого)|текущ(?:ей|его)|следующ(?:ей|его)|будущ(?:ей|его))\s+"
    r"(?P<unit>недели|месяца)\b|"
    r"\b(?P<part_en>early|mid|late|(?:at\s+)?the\s+(?:start|beginning|middle|end)\s+of|"
    r"(?:by\s+)?(?:the\s+)?end\s+of)\s+(?P<which_en>this|next)\s+(?P<unit_en>week|month)\b"
)
# «в начале недели» said on a Thursday is next Monday; «в середине недели» the next Wednesday.
_PART_OF_WEEK = re.compile(r"\bв\s+(?P<part>начале|середине)\s+недели\b")
# «после праздников», «после новогодних (праздников|каникул)», «после Нового года».
_AFTER_HOLIDAYS = re.compile(
    r"\bпосле\s+(?:(?P<new_year>новогодних(?:\s+(?:праздников|каникул))?|нового\s+года|нг)|"
    r"(?:майских\s+|мартовских\s+)?праздников)(?!\w)|"
    r"\bafter\s+(?:the\s+)?(?:(?P<new_year_en>new\s+year(?:'s)?(?:\s+holidays)?)|holidays)\b"
)
_HOLIDAY_SEARCH_DAYS: Final = 370
# Only month names and «числа» send a message to dateparser: «вторую неделю» is no date.
_DATEISH = re.compile(
    r"январ|феврал|март|апрел|\bма[йя]\b|июн|июл|август|сентябр|октябр|ноябр|декабр|"
    r"числ|january|february|march|april|june|july|august|september|october|november|december"
)

_TIME_HM = re.compile(
    r"(?:\b(?P<pre>в|во|к|на|at|by|с|from)\s+)?(?<![\d.])(?P<h>\d{1,2})"
    # «в 15-00» after a preposition; a bare «10-12» is a range of hours.
    r"(?:[:.]|(?(pre)-(?=[03]0\b)|(?!)))(?P<m>\d{2})(?![\d.])"
    r"(?:\s*(?P<ampm>am|pm))?"
)
_TIME_H = re.compile(
    r"\b(?:в|к|до|at|by|около|к\s+часу|после)\s+(?P<h>\d{1,2})(?!\s*[.:]\d)"
    r"(?P<hours>\s*(?:час\w*|ч\b\.?))?(?:\s*(?P<part>утра|дня|вечера|ночи|am|pm|a\.m\.|p\.m\.))?"
    r"(?![\w%])|"
    r"\b(?P<h2>\d{1,2})\s*(?P<part2>am|pm)\b|"
    r"\b(?P<noon>в\s+полдень|at\s+noon)\b"
)
_DOCUMENT_DATE = re.compile(r"(?:\bот|\bfrom|\bdated|\bс)\s*$")
_SOON_DAYS: Final = 300
_TIME_NEXT_WORD = re.compile(r"\s*(?:$|[,.;!?)\n]|и\b|and\b|завтра|tomorrow|сегодня|today)")

_FIRST_BUSINESS_HOUR: Final = 8
_AFTERNOON_SHIFT: Final = 12
_HOURS_IN_DAY: Final = 24
_MAX_MONTH: Final = 12
_MAX_DAY: Final = 31
_CENTURY: Final = 2000
_TWO_DIGIT_YEAR: Final = 100
_TIME_ATTACH_DISTANCE: Final = 25
_LOOKUP_MAX_WORDS: Final = 5
_CLIENT_MARGIN: Final = 5.0
_CLIENT_THRESHOLD: Final = 65.0
_SURE_CLIENT: Final = 70.0
_MAX_WEAK_CLIENTS: Final = 3
_NAME_SCORE_SHARE: Final = 0.3
_MIN_GOAL_WORDS: Final = 2
_MIN_NAME_LENGTH: Final = 3
_SATURDAY: Final = 5


@dataclass(frozen=True, slots=True)
class _DateHit:
    start: int
    end: int
    day: date | None  # None: a past day («вчера») that only swallows its time
    moment: datetime | None = None  # a relative hour («через 2 часа») fixes the time too
    impossible: bool = False  # «31 февраля», «30.02»: read as a date, but no such day exists


@dataclass(frozen=True, slots=True)
class _TimeHit:
    start: int
    end: int
    value: time
    bare: bool  # «в 11» without minutes or a part of day: only trusted next to a date


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _ru_month(token: str) -> int:
    for prefix, number in _RU_MONTHS:
        if token.startswith(prefix):
            return number
    raise ValueError(token)


def _en_month(token: str) -> int:
    return next(i for i, name in enumerate(_EN_MONTHS, 1) if name.startswith(token[:3]))


def _calendar_day(today: date, day: int, month: int, year: str | None) -> date | None:
    """A day of a month; without a year, the next such day from today on."""
    if not 1 <= month <= _MAX_MONTH or not 1 <= day <= _MAX_DAY:
        return None
    if year:
        full_year = int(year) + (_CENTURY if int(year) < _TWO_DIGIT_YEAR else 0)
        try:
            return date(full_year, month, day)
        except ValueError:
            return None
    for candidate_year in (today.year, today.year + 1, today.year + 2):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:  # 29 February
            continue
        if candidate >= today:
            return candidate
    return None


def _weekday_date(today: date, weekday: int, *, following_week: bool) -> date:
    """The coming `weekday` (a week ahead if it is today), or the one of next calendar week."""
    if following_week:
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=weekday)
    days_ahead = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=days_ahead)


def _period_amount(number: str | None, word: str | None) -> int:
    if number:
        return int(number)
    if word:
        return _NUMBER_WORDS.get(" ".join(word.split()), 1)
    return 1


def _shift(now: datetime, amount: int, unit: str) -> tuple[date, datetime | None]:
    today = now.date()
    if unit.startswith(("дн", "ден", "сут", "day")):
        return today + timedelta(days=amount), None
    if unit.startswith(("недел", "week")):
        return today + timedelta(weeks=amount), None
    if unit.startswith(("месяц", "month")):
        return _add_months(today, amount), None
    if unit.startswith(("год", "лет", "year")):
        return _add_months(today, 12 * amount), None
    delta = (
        timedelta(hours=amount) if unit.startswith(("час", "hour")) else timedelta(minutes=amount)
    )
    moment = (now + delta).replace(second=0, microsecond=0)
    return moment.date(), moment


def _end_of(today: date, period: str) -> date:
    if period.startswith("дн"):  # «до конца дня»
        return today
    if period.startswith(("месяц", "month")):
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    if period.startswith(("недел", "week")):
        friday = today + timedelta(days=(4 - today.weekday()) % 7)
        return friday if friday >= today else today
    if period.startswith(("квартал", "quarter")):
        last_month = (today.month - 1) // 3 * 3 + 3
        return date(today.year, last_month, calendar.monthrange(today.year, last_month)[1])
    return date(today.year, 12, 31)


def _overlaps(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)


_Found = tuple[date | None, datetime | None] | None


def _read_after_ru(match: re.Match[str], now: datetime) -> _Found:
    found = _calendar_day(now.date(), int(match["day"]), _ru_month(match["month"]), match["year"])
    return (found + timedelta(days=1), None) if found else None


def _read_after_en(match: re.Match[str], now: datetime) -> _Found:
    day_text = match["day1"] or match["day"]
    month_text = match["month1"] or match["month"]
    found = _calendar_day(now.date(), int(day_text), _en_month(month_text), None)
    return (found + timedelta(days=1), None) if found else None


def _read_day_month_ru(match: re.Match[str], now: datetime) -> _Found:
    found = _calendar_day(now.date(), int(match["day"]), _ru_month(match["month"]), match["year"])
    return (found, None) if found else None


def _read_day_month_en(match: re.Match[str], now: datetime) -> _Found:
    year = match.groupdict().get("year")
    found = _calendar_day(now.date(), int(match["day"]), _en_month(match["month"]), year)
    return (found, None) if found else None


def _read_numeric(match: re.Match[str], now: datetime) -> _Found:
    found = _calendar_day(now.date(), int(match["day"]), int(match["month"]), match["year"])
    return (found, None) if found else None


def _read_end_of(match: re.Match[str], now: datetime) -> _Found:
    return _end_of(now.date(), match["ru"] or match["ru2"] or match["en"]), None


def _read_next_period(match: re.Match[str], now: datetime) -> _Found:
    if match["month"]:
        return _add_months(now.date(), 1).replace(day=1), None
    if match["weekend"]:
        return _weekday_date(now.date(), 0, following_week=False), None
    named = match["before"] or match["after"]
    weekday = (
        next(number for prefix, number in _RU_WEEKDAYS if named.startswith(prefix)) if named else 0
    )
    return _weekday_date(now.date(), weekday, following_week=True), None


def _read_relative_day(match: re.Match[str], now: datetime) -> _Found:
    if match["past"]:
        return None, None
    shift = 2 if match["after"] else 1 if match["tomorrow"] else 0
    return now.date() + timedelta(days=shift), None


def _read_weekday_ru(match: re.Match[str], now: datetime) -> _Found:
    token = match["day"] or match["abbr"]
    weekday = next(number for prefix, number in _RU_WEEKDAYS if token.startswith(prefix))
    which = match["which"] or match["which2"]
    following = bool(which and which.startswith("след"))
    return _weekday_date(now.date(), weekday, following_week=following), None


def _read_weekday_en(match: re.Match[str], now: datetime) -> _Found:
    weekday = _EN_WEEKDAYS.index(match["day"][:3])
    return _weekday_date(now.date(), weekday, following_week=match["which"] == "next"), None


def _read_in_period_ru(match: re.Match[str], now: datetime) -> _Found:
    half = match["half"]
    if half and half.startswith("полгода"):
        return _add_months(now.date(), 6), None
    if half and half.startswith("полчаса"):
        moment = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
        return moment.date(), moment
    if half and half.startswith("полторы"):  # полторы недели
        return now.date() + timedelta(days=10), None
    if half and half.endswith("года"):
        return _add_months(now.date(), 18), None
    if half and half.endswith("часа"):
        moment = (now + timedelta(minutes=90)).replace(second=0, microsecond=0)
        return moment.date(), moment
    if half:  # полтора месяца
        return _add_months(now.date(), 1) + timedelta(days=15), None
    if not match["unit"]:
        return None
    return _shift(now, _period_amount(match["num"], match["word"]), match["unit"])


def _read_in_period_en(match: re.Match[str], now: datetime) -> _Found:
    return _shift(now, _period_amount(match["num"], match["word"]), match["unit"])


def _month_number(token: str) -> int:
    return _en_month(token) if token.isascii() else _ru_month(token)


def _first_of_month(today: date, month: int) -> date:
    year = today.year if month >= today.month else today.year + 1
    return date(year, month, 1) if (year, month) != (today.year, today.month) else today


def _read_part_of_month(match: re.Match[str], now: datetime) -> _Found:
    today = now.date()
    first = _first_of_month(today, _ru_month(match["month"]))
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    part = match["part"]
    if "начал" in part:
        day = first
    elif "середин" in part:
        day = first.replace(day=15)
    elif part.startswith("в"):  # «в конце декабря»: the last week, not the last day
        day = last - timedelta(days=6)
    else:  # «до конца декабря» is a deadline
        day = last
    return max(day, today), None


def _part_kind(part: str) -> str:
    """«start», «middle», «end» (the last days) or «deadline» (the very last day)."""
    if "начал" in part or part == "early" or "start" in part or "beginning" in part:
        return "start"
    if "середин" in part or part == "mid" or "middle" in part:
        return "middle"
    return "end" if part.startswith(("в", "late", "at")) else "deadline"


def _read_part_of_period(match: re.Match[str], now: datetime) -> _Found:
    """Start (Monday, the 1st), middle (Wednesday, the 15th) or end (Friday; a month's last
    week, or its last day for «до конца») of this or the next week or month."""
    today = now.date()
    kind = _part_kind(match["part"] or match["part_en"])
    following = (match["which"] or match["which_en"]).startswith(("следующ", "будущ", "next"))
    if (match["unit"] or match["unit_en"]).startswith(("недел", "week")):
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=int(following))
        day = monday + timedelta(days={"start": 0, "middle": 2}.get(kind, 4))
        return max(day, today), None
    first = _add_months(today.replace(day=1), int(following))
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    days = {"start": first, "middle": first.replace(day=15), "end": last - timedelta(days=6)}
    return max(days.get(kind, last), today), None


def _read_part_of_week(match: re.Match[str], now: datetime) -> _Found:
    today = now.date()
    weekday = 0 if match["part"] == "начале" else 2
    if today.weekday() <= weekday:
        return today + timedelta(days=weekday - today.weekday()), None
    return _weekday_date(today, weekday, following_week=True), None


def _read_after_holidays(match: re.Match[str], now: datetime) -> _Found:
    """The first working day after the next run of Russian public holidays (the New Year's one
    when named), weekends joined to it; from inside the holidays, the day they end."""
    today = now.date()
    new_year = bool(match["new_year"] or match["new_year_en"])
    day = today
    for _ in range(_HOLIDAY_SEARCH_DAYS):
        if is_russian_holiday(day) and (not new_year or day.month == 1):
            break
        day += timedelta(days=1)
    else:
        return None
    while is_russian_holiday(day) or day.weekday() >= _SATURDAY:
        day += timedelta(days=1)
    return day, None


def _read_in_month(match: re.Match[str], now: datetime) -> _Found:
    return _first_of_month(now.date(), _month_number(match["month"] or match["month_gen"])), None


def _read_day_of_month(match: re.Match[str], now: datetime) -> _Found:
    today, day = now.date(), int(match["day"])
    for month_start in (today.replace(day=1), _add_months(today.replace(day=1), 1)):
        if day <= calendar.monthrange(month_start.year, month_start.month)[1]:
            candidate = month_start.replace(day=day)
            if candidate >= today:
                return candidate, None
    return None


def _read_iso(match: re.Match[str], now: datetime) -> _Found:
    try:
        return date(int(match["year"]), int(match["month"]), int(match["day"])), None
    except ValueError:
        return None


# Earlier readers win overlaps: «после 5 января» before «5 января».
_DATE_READERS: Final = (
    (_ISO_DATE, _read_iso),
    (_PART_OF_MONTH, _read_part_of_month),
    (_PART_OF_PERIOD, _read_part_of_period),
    (_PART_OF_WEEK, _read_part_of_week),
    (_AFTER_HOLIDAYS, _read_after_holidays),
    (_AFTER_RU, _read_after_ru),
    (_AFTER_EN, _read_after_en),
    (_DAY_MONTH_RU, _read_day_month_ru),
    (_MONTH_DAY_EN, _read_day_month_en),
    (_DAY_MONTH_EN, _read_day_month_en),
    (_NUMERIC_DATE, _read_numeric),
    (_SLASH_DATE, _read_numeric),
    (_IN_MONTH, _read_in_month),
    (_DAY_OF_MONTH, _read_day_of_month),
    (_END_OF, _read_end_of),
    (_NEXT_PERIOD, _read_next_period),
    (_RELATIVE_DAY, _read_relative_day),
    (_WEEKDAY_RU, _read_weekday_ru),
    (_WEEKDAY_EN, _read_weekday_en),
    (_IN_PERIOD_RU, _read_in_period_ru),
    (_IN_PERIOD_EN, _read_in_period_en),
)


def _impossible(match: re.Match[str]) -> bool:
    """A day and month each in range that no year has together («31 февраля», «31.04»)."""
    groups = match.groupdict()
    day_text = groups.get("day") or groups.get("day1")
    month_text = groups.get("month") or groups.get("month1")
    if not day_text or not month_text:
        return False
    month = int(month_text) if month_text.isdigit() else _month_number(month_text)
    day = int(day_text)
    return 1 <= month <= _MAX_MONTH and 1 <= day <= _MAX_DAY and day > _LONGEST_MONTH[month]


_LONGEST_MONTH: Final = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_CALENDAR_PATTERNS: Final = frozenset(
    {_AFTER_RU, _AFTER_EN, _DAY_MONTH_RU, _MONTH_DAY_EN, _DAY_MONTH_EN, _NUMERIC_DATE, _SLASH_DATE}
)


def _find_dates(text: str, now: datetime) -> list[_DateHit]:
    """Every date phrase the own patterns know, in text order (impossible ones flagged)."""
    hits: list[_DateHit] = []
    taken: list[tuple[int, int]] = []
    for pattern, read in _DATE_READERS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if end - start == 0 or _overlaps(taken, start, end):
                continue
            found = read(match, now)
            if found is None:
                if pattern in _CALENDAR_PATTERNS and _impossible(match):
                    taken.append((start, end))
                    hits.append(_DateHit(start, end, None, impossible=True))
                continue
            taken.append((start, end))
            hits.append(_DateHit(start, end, found[0], found[1]))
    hits.sort(key=lambda hit: hit.start)
    return hits


def read_day(text: str, now: datetime) -> date | None:
    """The day of the first date phrase the own patterns know in `text` («после праздников»,
    «в конце следующей недели», «через 3 дня»), for answers that are only a date."""
    _, low = _prepare(text)
    return next((hit.day for hit in _find_dates(low, now) if hit.day is not None), None)


def furthest_plannable_day(today: date) -> date:
    """The last day a contact may be planned for, PLAN_HORIZON_MONTHS from today."""
    return _add_months(today, PLAN_HORIZON_MONTHS)


def refused_answer(text: str, now: datetime) -> RefusedDate | None:
    """Why a typed answer to «когда?» gives no day to plan, when a date reads in it: the
    whole answer is the next step, so a past day — «вчера», «10.11.2026», «10 ноября 26» —
    is refused as past (in a log message «звонил вчера» only tells when the call was)."""
    original, low = _prepare(text)
    found = _next_touch(low, now, [(0, len(low))])
    if isinstance(found, _Refusal):
        return RefusedDate(_refused_phrase(original, found.spans), found.reason)
    return None


def read_moment(text: str, now: datetime) -> date | datetime | None:
    """The first future date the own patterns know in `text`, with its time when one is given
    («сегодня в 17», «завтра в 15:00», «через 2 часа»): for answers that are only a date.
    `now` is aware, in the zone the text speaks of."""
    _, low = _prepare(text)
    found = _next_touch(low, now)
    # A refused date (impossible, past) is left to the date reader to explain.
    return found.value if isinstance(found, _Touch) else None


def _hour_with_part(hour: int, part: str | None) -> int | None:
    if part in {"дня", "вечера", "pm", "p.m."} and hour < _AFTERNOON_SHIFT:
        hour += _AFTERNOON_SHIFT
    elif part in {"ночи", "am", "a.m."} and hour == _AFTERNOON_SHIFT:
        hour = 0
    elif part is None and 1 <= hour < _FIRST_BUSINESS_HOUR:
        hour += _AFTERNOON_SHIFT  # «перезвонить в 3» means 15:00 in office hours
    return hour if 0 <= hour < _HOURS_IN_DAY else None


def _find_times(text: str, taken: Sequence[tuple[int, int]]) -> list[_TimeHit]:
    hits: list[_TimeHit] = []
    spans = list(taken)
    for match in _TIME_HM.finditer(text):
        hour, minute = int(match["h"]), int(match["m"])
        if match["ampm"] == "pm" and hour < _AFTERNOON_SHIFT:
            hour += _AFTERNOON_SHIFT
        if hour >= _HOURS_IN_DAY or minute >= 60 or _overlaps(spans, *match.span()):
            continue
        spans.append(match.span())
        hits.append(_TimeHit(match.start(), match.end(), time(hour, minute), bare=False))
    for match in _TIME_H.finditer(text):
        if _overlaps(spans, *match.span()):
            continue
        if match["noon"]:
            hits.append(_TimeHit(match.start(), match.end(), time(12), bare=False))
            continue
        raw_hour = match["h"] or match["h2"]
        part = match["part"] or match["part2"]
        shifted = _hour_with_part(int(raw_hour), part)
        if shifted is None:
            continue
        bare = not (part or match["hours"]) and not _TIME_NEXT_WORD.match(text, match.end())
        spans.append(match.span())
        hits.append(_TimeHit(match.start(), match.end(), time(shifted), bare=bare))
    hits.sort(key=lambda hit: hit.start)
    return hits


def _distance(first: tuple[int, int], second: tuple[int, int]) -> int:
    return max(second[0] - first[1], first[0] - second[1], 0)


@dataclass(frozen=True, slots=True)
class _Touch:
    value: date | datetime
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class _Refusal:
    reason: RefusalReason
    spans: tuple[tuple[int, int], ...]


def _refusal(
    dates: Sequence[_DateHit], today: date, next_steps: Sequence[tuple[int, int]]
) -> _Refusal | None:
    """An impossible date anywhere, or a past one inside a next step («перезвонить вчера»;
    «звонил вчера» tells when the call was, and is no plan)."""
    for hit in dates:
        if hit.impossible:
            return _Refusal("impossible", ((hit.start, hit.end),))
    for hit in dates:
        if (hit.day is None or hit.day < today) and _overlaps(next_steps, hit.start, hit.end):
            return _Refusal("past", ((hit.start, hit.end),))
    return None


def _next_touch(
    text: str, now: datetime, next_steps: Sequence[tuple[int, int]] = ()
) -> _Touch | _Refusal | None:
    """The first future date (with its time, when given) the text names, next steps' first;
    a refusal when the only date of the plan cannot be planned."""
    dates = _find_dates(text, now)
    times = _find_times(text, [(hit.start, hit.end) for hit in dates])
    today = now.date()
    # «счёт от 10.11» names a document, and «10.11» rolled to next year is rarely the plan.
    planned = [
        (hit, hit.day)
        for hit in dates
        if hit.day is not None
        and hit.day >= today
        and not _DOCUMENT_DATE.search(text, max(0, hit.start - 12), hit.start)
    ]
    soon = [(hit, day) for hit, day in planned if (day - today).days <= _SOON_DAYS]
    # «в отпуске до 1.12, перезвонить 2.12»: the date of the next step is the plan.
    planned.sort(key=lambda pair: not _overlaps(next_steps, pair[0].start, pair[0].end))
    soon.sort(key=lambda pair: not _overlaps(next_steps, pair[0].start, pair[0].end))
    if soon or planned:
        hit, day = (soon or planned)[0]
        span = (hit.start, hit.end)
        if day > furthest_plannable_day(today):
            return _Refusal("far", (span,))
        if hit.moment is not None:
            return _Touch(hit.moment, (span,))
        near = [
            candidate
            for candidate in times
            if _distance(span, (candidate.start, candidate.end))
            <= (3 if candidate.bare else _TIME_ATTACH_DISTANCE)
        ]
        if not near:
            return _Touch(day, (span,))
        chosen = min(near, key=lambda t: _distance(span, (t.start, t.end)))
        moment = datetime.combine(day, chosen.value, tzinfo=now.tzinfo)
        return _Touch(moment, (span, (chosen.start, chosen.end)))
    refusal = _refusal(dates, today, next_steps)
    if refusal is not None:
        # «вчера в 11»: the time goes with the refused day, not on to tomorrow.
        attached = [
            (candidate.start, candidate.end)
            for candidate in times
            if _distance(refusal.spans[0], (candidate.start, candidate.end))
            <= _TIME_ATTACH_DISTANCE
        ]
        return _Refusal(refusal.reason, (*refusal.spans, *attached[:1]))
    past_spans = [(hit.start, hit.end) for hit in dates]
    for chosen in times:
        if chosen.bare or any(
            _distance(span, (chosen.start, chosen.end)) <= _TIME_ATTACH_DISTANCE
            for span in past_spans
        ):
            continue
        moment = datetime.combine(today, chosen.value, tzinfo=now.tzinfo)
        if moment <= now:
            moment += timedelta(days=1)
        return _Touch(moment, ((chosen.start, chosen.end),))
    if not dates and _DATEISH.search(text):  # only when no own pattern fired at all
        return _dateparser_touch(text, now)
    return None


@lru_cache(maxsize=1)
def _dateparser_search() -> Any:
    from dateparser.search import search_dates  # noqa: PLC0415  - slow import, rarely needed

    return search_dates


def warm_up(now: datetime) -> None:
    """Load what the parser otherwise loads on first use — pymorphy3's dictionaries, dateparser
    and its Russian and English data (~0.4 s) — so that a start-up pays it, not the first
    message after it."""
    morph_analyzer()
    _dateparser_touch("перезвонить в конце следующей недели", now)


def _dateparser_touch(text: str, now: datetime) -> _Touch | None:
    """Slow path for phrasings the own patterns miss («в конце декабря»)."""
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        found = _dateparser_search()(text, languages=["ru", "en"], settings=settings)
    except (ValueError, OverflowError):  # dateparser raises on odd fragments
        return None
    for fragment, moment in found or ():
        if not re.search(r"\w{3,}|\d", fragment) or moment.date() < now.date():
            continue
        start = text.find(fragment)
        span = ((start, start + len(fragment)),) if start >= 0 else ()
        if _TIME_HM.search(fragment) or _TIME_H.search(fragment):
            return _Touch(moment.replace(tzinfo=now.tzinfo), span)
        return _Touch(moment.date(), span)
    return None


# ---------------------------------------------------------------------------------------------
# Pieces of the message


_Role = Literal["goal", "result", "next", "outcome", "request", "goal_soft", "boundary"]


@dataclass(slots=True)
class _Piece:
    role: _Role
    start: int  # where the piece's text starts (after a strong marker, at a soft one)
    end: int


_SOFT_OUTCOME = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in _OUTCOME_PATTERNS))
_STRONG: Final[tuple[tuple[_Role, re.Pattern[str]], ...]] = (
    ("goal", _GOAL_STRONG),
    ("result", _RESULT_STRONG),
    ("next", _NEXT_STRONG),
    ("boundary", _UPDATE_BOUNDARY),
)
_SOFT: Final[tuple[tuple[_Role, re.Pattern[str]], ...]] = (
    ("outcome", _SOFT_OUTCOME),
    ("request", _REQUEST),
    ("next", _NEXT_VERB),
    ("goal_soft", _GOAL_SOFT),
)


def _clauses(text: str) -> Iterator[tuple[int, int, bool]]:
    """Clause spans and whether each follows a comma (so an unmarked one continues a piece)."""
    start, after_comma = 0, False
    for match in _CLAUSE_BREAK.finditer(text):
        yield start, match.start(), after_comma
        start, after_comma = match.end(), match.group() == ","
    yield start, len(text), after_comma


# «Созвон с Тихоновым, обсудили…»: the heading's comma ends the clause the markers are sought
# in, so whether a «созвон» heads a report is asked of the whole text.
_CALL_HEADING = re.compile(r"созвон" + _HEADING)


def _markers(text: str, start: int, end: int) -> list[tuple[int, int, int, _Role]]:
    """Markers inside one clause as (start, end, 0 strong / 1 soft, role), in text order."""
    found: list[tuple[int, int, int, _Role]] = []
    for rank, patterns in ((0, _STRONG), (1, _SOFT)):
        for role, pattern in patterns:
            found.extend(
                (match.start(), match.end(), rank, role)
                for match in pattern.finditer(text, start, end)
                if not (role == "next" and _CALL_HEADING.match(text, match.start()))
            )
    found.sort()
    return found


def _may_open(
    role: _Role, strong: bool, opened: _Role | None, opened_agreed: bool, words_in: int
) -> bool:
    """Whether a marker opens a new piece inside a clause where `opened` is already open."""
    if opened is None:
        return True
    if strong:
        return role != opened
    if role == "next" and opened in {"outcome", "request"}:
        # «не дозвонился перезвон завтра» splits; «договорились созвониться» stays one piece.
        return not opened_agreed
    # «скинул счёт ждёт оплаты»: a done action's own verb is its first word.
    if words_in < (1 if opened == "goal_soft" else _MIN_GOAL_WORDS):
        return False
    # Unpunctuated «цель продлить договор она подумает»: an outcome or an ask ends the goal;
    # «обсудили объёмы перезвонить в 15:00»: so does a step after a done action.
    return (role in {"outcome", "request"} and opened in {"goal", "goal_soft"}) or (
        role == "next" and opened == "goal_soft"
    )


_SUBJECT = re.compile(r"\s*(?P<who>\S.*?)\s+")
_SPEAKER = re.compile(
    r"\b(?:он|она|они|клиент\w*)\s+(?:(?:сказал|ответил|говорит)\w*\s*,?\s*(?:что\s+)?)?$"
)
_SUBJECT_WORDS: Final = 3


def _subject_start(text: str, start: int, marker: int, *, whole: bool) -> int:
    """Where a result starts: with the few words before its marker that are no contact when it
    opens its clause (`whole`: «Петров перенёс встречу», «бухгалтерия подтвердила оплату»), or
    with the client speaking right before it («он сказал, что посмотрит»), else at its marker
    («звонил Петрову не дозвонился» keeps the call out)."""
    lead = _lead_words(text, start, marker) if whole else None
    if lead is not None:
        return lead
    speaker = _SPEAKER.search(text, start, marker)
    return speaker.start() if speaker else marker


def _lead_words(text: str, start: int, marker: int) -> int | None:
    """Where the few words (at most _SUBJECT_WORDS) between `start` and a marker begin; None
    when there are none, more, or they name a contact («звонил Петрову …»)."""
    subject = _SUBJECT.fullmatch(text, start, marker)
    if (
        subject is None
        or _count_words(text, start, marker, limit=_SUBJECT_WORDS + 1) > _SUBJECT_WORDS
        or _contact_marker(text, start, marker)
    ):
        return None
    return subject.start("who")


def _pieces(text: str) -> list[_Piece]:
    """Split the message into goal / result / next-step pieces by their markers."""
    pieces: list[_Piece] = []
    current: _Piece | None = None
    for clause_start, clause_end, after_comma in _clauses(text):
        markers = _markers(text, clause_start, clause_end)
        if not markers and not _contact_marker(text, clause_start, clause_end):
            # «цель — обсудить прайс, объёмы и сроки»: an unmarked clause continues the piece.
            if after_comma and current is not None and current.role != "goal_soft":
                current.end = clause_end
            else:
                current = None
            continue
        current = None
        opened: _Role | None = None
        opened_agreed = False
        last_end = clause_start
        for start, end, rank, role in markers:
            if start < last_end:
                continue
            words_in = _count_words(text, last_end, start, limit=_MIN_GOAL_WORDS)
            if not _may_open(role, rank == 0, opened, opened_agreed, words_in):
                continue
            piece_start = end if rank == 0 else start
            if role in {"outcome", "request"}:
                # «клиент берёт 200 штук», «заказ подтвердил», «по кп он сказал что посмотрит»:
                # who or what did it belongs to the result, not to the goal before it.
                piece_start = _subject_start(text, last_end, start, whole=opened is None)
            elif role == "next" and rank == 1 and opened is None:
                # «счёт выставлю в понедельник»: what the step is about comes before its verb.
                piece_start = _object_start(text, clause_start, start)
            if current is not None:
                current.end = piece_start
            current = _Piece(role, piece_start, clause_end)
            pieces.append(current)
            opened, last_end = role, end
            # «договорились созвониться», «обещал перезвонить»: the step is what was agreed.
            opened_agreed = role == "request" or text.startswith(
                ("agreed", "договорил", "договорел", "обещал"), start
            )
    return pieces


# Words before a step's verb that are no part of what it is about: «я перезвоню», «потом
# наберу», «нужно подготовить».
_NOT_OBJECT = re.compile(
    r"(?:(?:я|мы|тогда|потом|затем|ещё|еще|также|тоже|и|а|но|нужно|надо|необходимо|долж\w*|"
    r"буду|будем|хочу|хотим|планирую|планируем|постараюсь|i|we|then|also|and|but|need|have|"
    r"to|must|should)\s+)*",
    re.IGNORECASE,
)


def _object_start(text: str, clause_start: int, marker: int) -> int:
    """Where a step opening its clause starts: with the few words before its verb that tell
    what it is about («счёт выставлю», «КП пришлю», «образцы отвезу»), else at the verb. A
    clause that names a contact («звонил Петрову перезвоню») keeps it out."""
    lead = _lead_words(text, clause_start, marker)
    if lead is None:
        return marker
    skipped = _NOT_OBJECT.match(text, lead)
    start = skipped.end() if skipped else lead
    return start if start < marker else marker


_WORD_RUN = re.compile(r"\S+")


def _count_words(text: str, start: int, end: int, *, limit: int) -> int:
    """Words in text[start:end], counted up to `limit`: a clause of a thousand skipped markers
    stays linear (slicing from the last opened piece to each marker made it quadratic)."""
    return sum(1 for _ in islice(_WORD_RUN.finditer(text, start, end), limit))


def _contact_marker(text: str, start: int, end: int) -> bool:
    """Whether a clause names a contact («звонил в Вектор»), so it starts something new."""
    return any(pattern.search(text, start, end) for _, pattern in _CHANNEL_PATTERNS)


_TRIM = " \t,;:—–-.!?"
_TRAILING_SMALL_WORD = re.compile(
    r"(?:\s+(?:и|а|но|в|во|на|до|к|с|по|после|около|что|он|она|они|клиент|and|but|on|at|by|in|"
    r"to|the|he|she|"
    r"they))+\s*$",
    re.IGNORECASE,
)


def _clean(text: str) -> str | None:
    cleaned = " ".join(text.split()).strip(_TRIM)
    cleaned = _TRAILING_SMALL_WORD.sub("", " " + cleaned).strip(_TRIM)
    return cleaned or None


def _cut(original: str, start: int, end: int, remove: Sequence[tuple[int, int]] = ()) -> str:
    kept = [" " if any(a <= i < b for a, b in remove) else original[i] for i in range(start, end)]
    return "".join(kept)


@lru_cache(maxsize=4096)
def _nominative_phrase(phrase: str) -> str:
    """«о встрече» → «встреча», «коммерческим директором» → «коммерческий директор», «о
    пилотной партии» → «пилотная партия»: the leading adjectives and their noun, agreed."""
    words = phrase.split()
    if words and words[0].lower() in {"о", "об", "про", "на", "about", "on"} and len(words) > 1:
        words = words[1:]
    morph = morph_analyzer()
    readings: list[tuple[Any, ...]] = [
        tuple(morph.parse(word.lower())) if re.fullmatch(r"[а-яё]+", word.lower()) else ()
        for word in words
    ]
    adjectives = 0
    while (
        adjectives < len(words)
        and readings[adjectives][:1]
        and readings[adjectives][0].tag.POS in {"ADJF", "PRTF"}
    ):
        adjectives += 1
    if adjectives == len(words) or not readings[adjectives]:
        return " ".join(words)
    for noun in readings[adjectives]:
        if noun.tag.POS != "NOUN":
            continue
        agreed = [
            next(
                (
                    p
                    for p in readings[number]
                    if p.tag.POS in {"ADJF", "PRTF"}
                    and p.tag.case == noun.tag.case
                    and p.tag.number == noun.tag.number
                    and (noun.tag.number == "plur" or p.tag.gender in {noun.tag.gender, None})
                ),
                None,
            )
            for number in range(adjectives)
        ]
        if all(agreed):
            break
    else:
        return " ".join(words)
    if noun.tag.case == "nomn" or (not adjectives and noun.tag.case == "gent"):
        return " ".join(words)
    result = []
    for number, parse in enumerate([*agreed, noun]):
        inflected = parse.inflect({"nomn"}) if parse is not None else None
        result.append(inflected.word if inflected else words[number])
    return " ".join([*result, *words[adjectives + 1 :]])


_EN_INFINITIVES: Final = {
    "discussed": "discuss", "offered": "offer", "presented": "present", "reminded": "remind",
    "proposed": "propose", "pitched": "pitch",
}  # fmt: skip


def _infinitive_goal(text: str) -> str:
    """«предложил скидку» → «предложить скидку», «discussed kits» → «discuss kits»: goals read
    as what was meant to happen."""
    first, _, rest = text.partition(" ")
    if first.lower() in _EN_INFINITIVES:
        return f"{_EN_INFINITIVES[first.lower()]} {rest}".strip()
    if not re.fullmatch(r"[а-яё]+", first.lower()):
        return text
    parse = morph_analyzer().parse(first.lower())[0]
    if parse.tag.POS != "VERB":
        return text
    return f"{parse.normal_form} {rest}".strip()


# ---------------------------------------------------------------------------------------------
# Contact data


def _phone(text: str) -> tuple[str | None, list[tuple[int, int]]]:
    found: str | None = None
    spans: list[tuple[int, int]] = []
    for match in _PHONE.finditer(text):
        raw = match.group().strip()
        digits = re.sub(r"\D", "", raw)
        if raw.startswith("8") and len(digits) == 11:
            raw = "+7" + digits[1:]
        try:
            number = phonenumbers.parse(raw, "RU")
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        spans.append(match.span())
        if found is None:
            found = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return found, spans


def _position(original: str, text: str) -> str | None:
    for match in _POSITION.finditer(text):
        group = next(name for name, value in match.groupdict().items() if value)
        start, end = match.span(group)
        phrase = _POSITION_CUT.sub("", text[start:end]).strip(_TRIM)
        if not phrase or not _POSITION_WORDS.search(phrase) or len(phrase.split()) > 7:
            continue
        phrase = original[start : start + len(phrase)]
        return _nominative_phrase(" ".join(phrase.split())).lower()
    return None


# ---------------------------------------------------------------------------------------------
# Names


@lru_cache(maxsize=16384)
def _person_nominative(word: str, after_preposition: bool) -> str | None:
    """A surname or first name in the nominative («Сидорову» → «Сидоров»), else None."""
    if len(word) < _MIN_NAME_LENGTH or not re.fullmatch(r"[а-я]+", word):
        return None
    parses = morph_analyzer().parse(word)
    name_parses = [
        parse
        for parse in parses
        if {"Surn", "Name", "Patr"} & parse.tag.grammemes and parse.tag.number == "sing"
    ]
    if not name_parses or sum(parse.score for parse in name_parses) < _NAME_SCORE_SHARE:
        return None
    if after_preposition:
        # «у Орлова» is his genitive, not her nominative.
        name_parses.sort(key=lambda parse: parse.tag.case == "nomn")
    best = name_parses[0]
    inflected = best.inflect({"nomn", "sing"}) or best.inflect({"nomn"})
    base: str = inflected.word if inflected else best.normal_form
    return base.replace("ё", "е").capitalize()


_NAME_WORD = re.compile(r"[а-яa-z]+")
_PREPOSITIONS: Final = frozenset(
    {"у", "с", "со", "от", "для", "к", "ко", "из", "до", "без", "о", "об", "при", "про", "за"}
)


def _mentioned_person(text: str, skip: frozenset[str]) -> str | None:
    """The first person named in the text, in the nominative («с Волковым» → «Волков»)."""
    words: list[str] = []
    previous_end = -1
    previous_word = ""
    for match in _NAME_WORD.finditer(text):
        word = match.group()
        nominative = (
            None
            if word in skip or word in STOPWORDS or word in LEGAL_FORMS
            else _person_nominative(word, previous_word in _PREPOSITIONS)
        )
        if words and (nominative is None or match.start() - previous_end > 1):
            break
        if nominative is not None:
            words.append(nominative)
            previous_end = match.end()
        else:
            previous_word = word
    return " ".join(words) or None


_LATIN_PERSON = re.compile(
    r"\b(?i:called|call|phoned|emailed|email|met|meet|with|texted|messaged|to|from)\s+"
    r"(?P<name>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
)


def _mentioned_latin_person(original: str, skip: frozenset[str]) -> str | None:
    """«Called John Smith from Acme» → «John Smith» (capitals are the only hint in English)."""
    found = [
        match["name"]
        for match in _LATIN_PERSON.finditer(original)
        if not any(word.lower() in skip for word in match["name"].split())
    ]
    # «Called Initech, spoke to Bill Lumbergh»: a first and last name beats a lone word.
    full_names = [name for name in found if " " in name]
    return (full_names or found or [None])[0]


# «из Рогов и копыт», «от «Вектора»», «from Romashka»: a capitalised or quoted word after «из» /
# «от» names the contact's company, which the matched client must then be.
_NAMED_COMPANY = re.compile(
    r"(?<!\w)(?i:из|от|from)\s+(?:(?i:ооо|оао|зао|пао|ао|ип|llc|ltd)\s+)?[«\"“„']?"
    r"(?P<word>[A-ZА-ЯЁ][\w-]*)|[«\"“„](?P<quoted>[^\W\d_][\w-]*)"
)
_NOT_A_COMPANY: Final = frozenset({"Geox", "Name"})


def _named_companies(text: str) -> dict[str, str]:
    """Words that name a company in the message, folded, with their spelling in it («из Рогов
    и копыт» → рогов: Рогов); cities («из Казани») and first names are not companies."""
    found: dict[str, str] = {}
    for match in _NAMED_COMPANY.finditer(text):
        typed = match["word"] or match["quoted"]
        word = fix_mixed_script(typed.lower().replace("ё", "е"))
        if word in STOPWORDS or word in LEGAL_FORMS:
            continue
        if re.fullmatch(r"[а-я-]+", word):
            best = morph_analyzer().parse(word)[0]
            if _NOT_A_COMPANY & best.tag.grammemes:
                continue
        found.setdefault(word, typed)
    return found


def _named_company_rule(named: Iterable[str], matches: list[TextMatch]) -> list[TextMatch]:
    """Matches that agree with the company the message names: that company when it is a
    client; none of those found only through a person when it is not («Сидорову из Рогов и
    копыт» is not Сидорова of Вектор — the flow asks rather than picks)."""
    # «no answer from Sidorova»: a word that named the person is no company.
    named = set(named) - {
        word for match in matches for word in match.matched_words - match.company_words
    }
    if not named or not matches:
        return matches
    naming = [match for match in matches if match.company_words & named]
    return naming or [match for match in matches if match.company_words]


def _as_candidates(clients: Sequence[ClientLike]) -> list[NameCandidate]:
    return [
        client
        if isinstance(client, NameCandidate)
        else NameCandidate(client.id, client.name, tuple(client.contact_names))
        for client in clients
    ]


def _choose_clients(matches: Sequence[TextMatch]) -> list[TextMatch]:
    if not matches:
        return []
    best = matches[0].strength
    close = [match for match in matches if match.strength >= best - _CLIENT_MARGIN]
    if best < _SURE_CLIENT and len(close) > _MAX_WEAK_CLIENTS:
        return []  # a first name shared by many clients identifies none of them
    return close


# ---------------------------------------------------------------------------------------------
# Entry points


def _prepare(text: str) -> tuple[str, str]:
    """The original text and its lower-cased form with ё→е and Latin look-alikes inside
    Russian words made Cyrillic, index for index."""
    lowered = fix_mixed_script(text.lower().replace("ё", "е"))
    if len(lowered) != len(text):
        return lowered, lowered
    return text, lowered


def _mask(text: str, spans: Sequence[tuple[int, int]], filler: str = " ") -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = filler * (end - start)
    return "".join(chars)


def _channel(
    text: str, goal_spans: Sequence[tuple[int, int]]
) -> tuple[Channel | None, int | None]:
    """The channel of the contact that happened, and where the message names it."""
    best: tuple[int, Channel] | None = None
    for channel, pattern in _CHANNEL_PATTERNS:
        for match in pattern.finditer(text):
            if _overlaps(goal_spans, *match.span()):
                continue
            if _PLANNED_BEFORE.search(text, max(0, match.start() - 40), match.start()):
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), channel)
            break
    return (best[1], best[0]) if best else (None, None)


def _outcome(text: str, goal_spans: Sequence[tuple[int, int]]) -> tuple[Outcome, int] | None:
    for outcome, pattern in _OUTCOME_PATTERNS:
        for match in pattern.finditer(text):
            if not _overlaps(goal_spans, *match.span()):
                return outcome, match.start()
    return None


def outcome_of(result: str) -> Outcome | None:
    """The outcome a result's words tell, as a logged message is read: «не дозвонился» is no
    contact, «отказались» not achieved, «подумают» partial; None when they tell none."""
    found = _outcome(_prepare(result)[1], ())
    return found[0] if found else None


def _next_step_text(
    original: str, low: str, pieces: Sequence[_Piece], touch: _Touch | _Refusal | None
) -> str | None:
    date_spans = list(touch.spans) if touch else []
    candidates: list[tuple[int, int]] = [
        (piece.start, piece.end) for piece in pieces if piece.role == "next"
    ]
    for piece in pieces:
        if piece.role not in {"outcome", "result", "request"}:
            continue
        agreed = _AGREED_ON.search(low, piece.start, piece.end)
        verb = _NEXT_VERB.search(low, piece.start, piece.end)
        asked = _REQUEST.search(low, piece.start, piece.end) if piece.role == "request" else None
        if verb and (not agreed or verb.start() <= agreed.end()):
            candidates.append((verb.start(), piece.end))
        elif agreed:
            candidates.append((agreed.end(), piece.end))
        elif asked and touch and piece.start <= touch.spans[0][0] < piece.end:
            # «хотят КП до пятницы»: what they asked for by that day is the step.
            candidates.append((asked.end(), piece.end))
    if not candidates and touch:
        start = touch.spans[0][0]
        clause_start = max((m.end() for m in _CLAUSE_BREAK.finditer(low, 0, start)), default=0)
        clause_end = _CLAUSE_BREAK.search(low, start)
        holder = next((p for p in pieces if p.start <= start < p.end), None)
        if holder is not None and holder.role == "outcome":
            if _OUTCOME_PATTERNS[0][1].search(low, holder.start, holder.end):
                # «он в отпуске до 10 января»: a date to call again, but no step to name.
                return None
            clause_start = max(clause_start, holder.start)
        candidates.append((clause_start, clause_end.start() if clause_end else len(low)))
    for start, end in candidates:
        cleaned = _clean(_SPEECH.sub("", _clean(_cut(original, start, end, date_spans)) or ""))
        # «просил не звонить до января»: the date is the plan, «не звонить» no step to take;
        # «договорились на 5%»: a figure agreed is no step either.
        if (
            cleaned
            and _LETTER.search(cleaned)
            and not cleaned.lower().startswith(("не ", "not ", "don't "))
        ):
            return _nominative_phrase(_LEADING_TO.sub("", cleaned))
    return None


_LETTER = re.compile(r"[^\W\d_]")
_LEADING_TO = re.compile(r"^(?:to|что|чтобы|следующ(?:ая|ий|ее|ую))\s+", re.IGNORECASE)


# «сказал, что в среду»: who said it is no step; the date alone is («обещали оплатить» is one).
_SPEECH = re.compile(
    r"^(?:он\s+|она\s+|они\s+|he\s+|she\s+|they\s+)?(?:сказал[аи]?|говорит|говорят|"
    r"ответил[аи]?|said|says|told\s+(?:me|us))(?:\s*,?\s*(?:что|that)\b)?",
    re.IGNORECASE,
)


_JOINER = re.compile(r"^[\s,;:—–-]*(?:(?:и|а|но|and|but)\b[\s,]*)?$")


# A done action that is its own result: «отправил счёт, ждёт оплату» — the invoice was sent.
_DELIVERED = re.compile(r"(?:отправил|выслал|поздравил|скинул|переслал|направил)\w*")
# A talk held is a result when nothing else tells one: «обсудили зимние комплекты».
_DISCUSSED = re.compile(r"(?:обсудил|обсуждали|обговорил|discussed)\w*")


def _delivered(low: str, piece: _Piece) -> bool:
    return piece.role == "goal_soft" and bool(_DELIVERED.match(low, piece.start))


def _discussed(low: str, piece: _Piece) -> bool:
    return piece.role == "goal_soft" and bool(_DISCUSSED.match(low, piece.start))


# Where the result comes from, by preference; the last three tell no outcome of their own.
_RESULT_SOURCES: Final[tuple[tuple[str, Any], ...]] = (
    ("result", lambda low, piece: piece.role == "result"),
    ("outcome", lambda low, piece: piece.role == "outcome"),
    ("request", lambda low, piece: piece.role == "request"),
    ("delivered", _delivered),
    ("discussed", _discussed),
)
# Results that say the contact went as meant when no outcome word does: the client asked for
# something, the thing was sent, the subject was talked over.
_DONE_RESULTS: Final = frozenset({"request", "delivered", "discussed"})


def _result_text(original: str, low: str, pieces: Sequence[_Piece]) -> tuple[str, str] | None:
    """The result and where it came from: the explicit result, else the first outcome phrase
    with the outcomes right after it (and the done action right before it: «отправил счёт,
    ждёт оплату»), else the client's ask («хотят КП до пятницы»), else a done action, else a
    talk held («обсудили условия»)."""
    for source, wanted in _RESULT_SOURCES:
        chosen = [number for number, piece in enumerate(pieces) if wanted(low, piece)]
        if not chosen:
            continue
        first = last = chosen[0]
        while (
            source in {"outcome", "request"}
            and first > 0
            and (
                _delivered(low, pieces[first - 1])
                or (source == "outcome" and pieces[first - 1].role == "request")
            )
            and _JOINER.match(low[pieces[first - 1].end : pieces[first].start])
        ):
            # «отправил счёт, ждёт оплату», «хотят демо, договорились на среду»: the done action
            # or the ask before the outcome is part of the result.
            first -= 1
        while (
            last + 1 < len(pieces)
            and pieces[last + 1].role in {"result", "outcome", "request"}
            and _JOINER.match(low[pieces[last].end : pieces[last + 1].start])
        ):
            last += 1
        text = _clean(original[pieces[first].start : pieces[last].end])
        if text:
            return text, source
    return None


# «звонил Фомину поздравить с днём рождения», «заезжал к Петрову обсудить скидки»: what the
# contact was for, said with the verb that reports it, before any comma.
_PURPOSE = re.compile(
    r"^\s*(?:(?:по)?звонил\w*|набирал\w*|набрал\w*|написал\w*|заезжал\w*|заехал\w*|"
    r"приезжал\w*|ездил\w*|ходил\w*|был[аи]?\s+у)\s+(?:[^\s,.;:!?]+\s+){0,4}?"
    r"(?P<goal>(?:поздравить|уточнить|обсудить|предложить|напомнить|согласовать|узнать|"
    r"выяснить|пригласить|показать|рассказать|подтвердить|договориться|презентовать|"
    r"обсудить|спросить)\b[^,.;:!?\n]*)"
)


def _stated_goal(
    original: str, pieces: Sequence[_Piece], purpose: re.Match[str] | None
) -> str | None:
    """The goal the message states: after a goal marker («цель —», «чтобы»), as the purpose of
    the contact reported («звонил … поздравить»), or as a done action («предложил скидку» →
    «предложить скидку»), in that order of confidence."""
    for piece in pieces:
        if piece.role == "goal" and (goal := _clean(original[piece.start : piece.end])):
            return goal
    if purpose is not None and (
        goal := _clean(original[purpose.start("goal") : purpose.end("goal")])
    ):
        return goal
    for piece in pieces:
        if piece.role == "goal_soft" and (goal := _clean(original[piece.start : piece.end])):
            return _infinitive_goal(goal)
    return None


def parse_interaction(
    text: str,
    *,
    now: datetime,
    clients: Sequence[ClientLike] = (),
    index: NameIndex | None = None,
) -> ParsedInteraction:
    """Read one message about a contact; `now` is the manager's timezone-aware local time."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    original, low = _prepare(text)
    phone, phone_spans = _phone(low)
    email_match = _EMAIL.search(low)
    email = email_match.group().strip(".") if email_match else None
    # The address becomes «@@@» so that «email a@b.ru» is not read as the e-mail channel.
    masked = _mask(_mask(low, phone_spans), [email_match.span()] if email_match else [], "@")

    purpose = _PURPOSE.search(masked)
    pieces = [
        piece
        for piece in _pieces(masked)
        # «позвонил Сидоровой напомнить об оплате»: the purpose of this call, not a next step.
        if not (purpose and piece.role == "next" and piece.start == purpose.start("goal"))
    ]
    goal_spans = [(p.start, p.end) for p in pieces if p.role == "goal"]
    found_touch = _next_touch(masked, now, [(p.start, p.end) for p in pieces if p.role == "next"])
    touch = found_touch if isinstance(found_touch, _Touch) else None
    refused = found_touch if isinstance(found_touch, _Refusal) else None

    goal = _stated_goal(original, pieces, purpose)
    outcome_found = _outcome(masked, goal_spans)
    if goal is None and outcome_found and outcome_found[0] is Outcome.NO_CONTACT:
        # An attempt that reached nobody was an attempt to reach them: the message needs no
        # goal question («не дозвонился Сидоровой, наберу завтра в 11»).
        language = "ru" if re.search(r"[а-я]", low) else "en"
        goal = translator(language)("parsing.implied_goal.no_contact")
    found_result = _result_text(original, masked, pieces)
    result = found_result[0] if found_result else None
    if outcome_found and result is None:
        result = _clean(original[outcome_found[1] : _clause_end(masked, outcome_found[1])])
    outcome = outcome_found[0] if outcome_found else None
    if (
        outcome is None
        and found_result
        and (
            found_result[1] in _DONE_RESULTS
            or (found_result[1] == "result" and _REQUEST.search(found_result[0].lower() + " "))
        )
    ):
        # «хотят КП до пятницы», «отправил счёт», «обсудили условия», «итог — интересуются»:
        # no word of doubt or refusal, so the contact did what it was for (the card shows it,
        # one tap corrects it).
        outcome = Outcome.ACHIEVED

    name_index = index if index is not None else NameIndex(_as_candidates(clients))
    matches = _choose_clients(name_index.match_in_text(masked, threshold=_CLIENT_THRESHOLD))
    named = _named_companies(text)
    matches = _named_company_rule(named, matches)
    contact_name = matches[0].contact_name if matches else None
    if contact_name is None:
        skip = matches[0].matched_words if matches else frozenset()
        contact_name = _mentioned_person(masked, skip) or _mentioned_latin_person(original, skip)
    channel, channel_at = _channel(masked, goal_spans)
    plan = False
    planned = touch
    if planned is None and _PLAN_INTENT.match(masked) and _PLAN_HEAD.search(masked):
        # «Надо позвонить Петрову, обсудить каталог»: a plan whose day is still to be asked.
        planned = _Touch(now, ())
    if planned is not None and _is_plan(masked, now, planned, outcome_found, found_result):
        plan = True
        channel = _plan_channel(masked)
        if goal is None:
            names = frozenset(
                word.replace("ё", "е")
                for words in (
                    *(match.matched_words for match in matches),
                    (contact_name or "").lower().split(),
                )
                for word in words
            )
            goal = _plan_goal(original, masked, planned, names)

    return ParsedInteraction(
        client_ids=tuple(match.id for match in matches),
        contact_name=contact_name,
        channel=channel,
        direction=Direction.INCOMING if _INCOMING.search(masked) else Direction.OUTGOING,
        outcome=outcome,
        goal=goal,
        result=result,
        next_step=_next_step_text(original, masked, pieces, touch or refused),
        next_touch=touch.value if touch else None,
        updates=ContactUpdates(phone=phone, email=email, position=_position(original, masked)),
        refused_date=(
            RefusedDate(_refused_phrase(original, refused.spans), refused.reason)
            if refused
            else None
        ),
        unknown_company=_unknown_company(named, matches, contact_name),
        opens_with_contact=_opens_with_contact(masked, channel_at, contact_name),
        plan=plan,
    )


# ---------------------------------------------------------------------------------------------
# Plans: a contact still to come


# What names the contact planned: a channel word or a verb of getting in touch.
_PLAN_HEAD = re.compile(
    r"\b(?:запланир\w*|назнач\w*|(?:пере|по|со)?звон\w*|звонк\w*|набрать|наберу|набери|"
    r"встреч\w*|встрет\w*|заехать|заеду|заезд\w*|приехать|приеду|съездить|визит\w*|"
    r"написать|напишу|связаться|свяжусь|"
    r"call|calls|meet|meeting|visit|email|e-mail|write|text|phone)\b"
)
# Words of a contact to come that the channels of one that happened leave out («позвонить»).
_PLAN_CHANNELS: Final = (
    (Channel.MEETING, re.compile(r"\b(?:встреч\w*|встрет\w*|заех\w*|заеду|заезд\w*|приех\w*|"
                                 r"приеду|съездить|визит\w*|meet\w*|visit\w*)")),
    (Channel.CALL, re.compile(r"\b(?:(?:пере|по|со)?звон\w*|звонк\w*|набрать|наберу|набери|"
                              r"call\w*|phone\w*)")),
)  # fmt: skip
# Getting in touch is how, not what for: «позвонить, обсудить каталог» has the goal after it.
_CONTACT_VERBS: Final = frozenset(
    {
        "позвонить", "перезвонить", "звонить", "созвониться", "набрать", "встретиться",
        "увидеться", "написать", "связаться", "запланировать", "назначить", "заехать",
        "приехать", "съездить", "заскочить", "call", "meet", "visit", "email", "write", "text",
        "phone",
    }
)  # fmt: skip
# Words that tell neither how nor what for: «надо набрать клиенту завтра».
_PLAN_FILLERS: Final = frozenset(
    {"надо", "нужно", "необходимо", "клиент", "клиенту", "клиента", "клиентом", "ему", "ей",
     "им", "его", "ее", "их", "need", "have", "him", "her", "them", "the", "client"}
)  # fmt: skip
_EN_GOAL_VERB = re.compile(r"\bto\s+(?P<verb>[a-z]+)")
# Verbs that report a contact done, in English (a Russian one is told by its past tense).
_EN_DONE = re.compile(
    r"\b(?:called|phoned|emailed|texted|messaged|visited|discussed|offered|presented|reminded|"
    r"proposed|pitched|agreed|declined|refused|signed|paid|confirmed|ordered|met|spoke|rang|"
    r"sent|wrote|talked|asked|told|said|wanted|promised|was|were|had|did)\b"
)
# «Созвон с Тихоновым: перенести поставку на пятницу» heads a report of the call itself.
_REPORT_HEADING = re.compile(r"^\s*(?:встреч\w*|звонок|созвон|визит\w*|meeting|call)" + _HEADING)
# «следующая встреча в пятницу», «call again»: the next of contacts one of which just happened.
_ANOTHER_CONTACT = re.compile(
    r"\b(?:следующ\w*|след\.?|повторн\w*|ещ[её]\s+раз|снова|опять|next|another|again)\s"
)
# A message that opens by saying a contact is still to be made, with no day named: «надо
# позвонить…», «не забыть написать…», «need to call…».
_PLAN_INTENT = re.compile(
    r"^\s*(?:надо|нужно|необходимо|не\s+забыть|запланир\w*|need\s+to|have\s+to|"
    r"remember\s+to|don'?t\s+forget\s+to)\b"
)
_PLAN_CLAUSE = re.compile(r"[,;!?\n—–]|:(?!\d\d)|\.(?=\s|$)|\s-\s")
_RU_WORD = re.compile(r"[а-я]+")
_WRITE = re.compile(r"\b(?:написать|напишу|write)\b")


def _is_plan(
    low: str,
    now: datetime,
    touch: _Touch,
    outcome: tuple[Outcome, int] | None,
    result: tuple[str, str] | None,
) -> bool:
    """Whether a message with a next date is a plan: nothing in it happened yet — no outcome,
    no result, no verb in the past («звонил», «обсудили», «met»), no report heading, no «next»
    or «again» after a contact («встреча с Волковым, следующая встреча в пятницу»)."""
    if outcome is not None or result is not None:
        return False
    if touch.spans and isinstance(touch.value, datetime) and touch.value <= now:
        return False
    heading = _REPORT_HEADING.match(low)
    if heading is not None and not _overlaps(touch.spans, 0, heading.end()):
        return False
    if _EN_DONE.search(low) or _ANOTHER_CONTACT.search(low):
        return False
    morph = morph_analyzer()
    for word in _RU_WORD.findall(low):
        parses = morph.parse(word)
        if parses and parses[0].tag.POS == "VERB" and parses[0].tag.tense == "past":
            return False
    return True


def _plan_channel(low: str) -> Channel:
    """How the planned contact is to happen: a channel named in the message (planned ones
    included: «запланировать звонок», «написать в ватсап»), a verb of it («позвонить»,
    «встретиться»), else whatever a message sent does («написать Сидоровой» is «Другое»)."""
    found: list[tuple[int, Channel]] = []
    for channel, pattern in (*_CHANNEL_PATTERNS, *_PLAN_CHANNELS):
        match = pattern.search(low)
        if match is not None:
            found.append((match.start(), channel))
    if found:
        return min(found, key=lambda pair: pair[0])[1]
    return Channel.OTHER if _WRITE.search(low) else Channel.CALL


def _goal_verb_at(low: str, start: int, end: int) -> int | None:
    """Where the first verb of what the contact is for starts («обсудить», «to discuss»), not
    a verb of getting in touch («позвонить»)."""
    morph = morph_analyzer()
    for match in _RU_WORD.finditer(low, start, end):
        parses = morph.parse(match.group())
        if (
            parses
            and parses[0].tag.POS == "INFN"
            and parses[0].normal_form.replace("ё", "е") not in _CONTACT_VERBS
        ):
            return match.start()
    for match in _EN_GOAL_VERB.finditer(low, start, end):
        if match["verb"] not in _CONTACT_VERBS:
            return match.start("verb")
    return None


def _has_content(text: str, names: frozenset[str]) -> bool:
    """Whether a phrase says something besides whom, how and when: a word that is no name,
    no verb of getting in touch, no function word."""
    for word in re.findall(r"[а-яa-z]+", text.lower().replace("ё", "е")):
        if (
            word in STOPWORDS
            or word in names
            or word in _PLAN_FILLERS
            or _PLAN_HEAD.fullmatch(word)
            or (len(word) > 2 and _person_nominative(word, True) is not None)
        ):
            continue
        return True
    return False


def _plan_goal(original: str, low: str, touch: _Touch, names: frozenset[str]) -> str | None:
    """What a planned contact is for: the clauses after the one naming the contact and its
    time («…завтра в 15:00, обсудить каталог»), or what follows a verb of purpose in it
    («позвонить Петрову завтра предложить прайс»); else the phrase itself when it tells more
    than whom and when («написать Сидоровой в пятницу про счёт»). None: to be asked."""
    head = _PLAN_HEAD.search(low)
    head_start = head.start() if head is not None else touch.spans[0][0]
    starts = [0, *(match.end() for match in _PLAN_CLAUSE.finditer(low))]
    ends = [*(match.start() for match in _PLAN_CLAUSE.finditer(low)), len(low)]
    parts: list[str] = []
    head_phrase: str | None = None
    for start, end in zip(starts, ends, strict=True):
        begin = start
        if start <= head_start < end:
            verb = _goal_verb_at(low, head.end() if head else start, end)
            if verb is None:
                head_phrase = _clean(_cut(original, start, end, touch.spans))
                continue
            begin = verb
        text = _clean(_cut(original, begin, end, touch.spans))
        if text and _has_content(text, names):
            parts.append(text)
    if parts:
        return ", ".join(parts)
    if head_phrase and _has_content(head_phrase, names):
        return head_phrase
    return None


def _unknown_company(
    named: dict[str, str], matches: Sequence[TextMatch], contact_name: str | None
) -> str | None:
    """The company the message names that is none of its clients' («из Рогов и копыт»), as
    typed; a word that names the person («письмо от Абрамовой») is no company."""
    known = {word for match in matches for word in match.matched_words}
    person = {word.lower() for word in (contact_name or "").split()}
    for word, typed in named.items():
        if word in known:
            continue
        nominative = _person_nominative(word, True)
        if nominative is not None and nominative.lower() in person:
            continue
        return typed
    return None


_FIRST_CLAUSE = re.compile(r"[,;:!?\n—–]|\.(?=\s|$)|\s-\s")


def _opens_with_contact(low: str, channel_at: int | None, contact_name: str | None) -> bool:
    """Whether the message opens by reporting a contact with the person it names: «Звонил
    Сидорову, …», «Встреча с Ивановым: …» — not «Сидоров обещал перезвонить»."""
    if channel_at is None or contact_name is None:
        return False
    found = _FIRST_CLAUSE.search(low)
    end = found.start() if found else len(low)
    if channel_at >= end:
        return False
    first = {word.lower() for word in contact_name.split()}
    return any(
        (_person_nominative(word, True) or word).lower() in first
        for word in _NAME_WORD.findall(low, 0, end)
    )


def _refused_phrase(original: str, spans: Sequence[tuple[int, int]]) -> str:
    start, end = min(start for start, _ in spans), max(end for _, end in spans)
    return " ".join(original[start:end].split()).strip(_TRIM)


def _clause_end(text: str, start: int) -> int:
    found = _CLAUSE_BREAK.search(text, start)
    return found.start() if found else len(text)


_LOG_SIGNALS: Final = (
    *(pattern for _, pattern in _CHANNEL_PATTERNS),
    *(pattern for _, pattern in _OUTCOME_PATTERNS),
    _GOAL_STRONG,
    _GOAL_SOFT,
    _RESULT_STRONG,
    _NEXT_STRONG,
    _NEXT_VERB,
    _INCOMING,
    _UPDATE_BOUNDARY,
    re.compile(r"\b(?:написал\w*|должност\w*|wrote|emailed|texted|messaged|sent)\b"),
)


def classify_message(text: str) -> MessageKind:
    """«log» for a message about a contact, «lookup» for a lone name, company or phone."""
    _, low = _prepare(text)
    phone_free = _mask(low, _phone(low)[1])
    if any(pattern.search(phone_free) for pattern in _LOG_SIGNALS):
        return "log"
    words = re.findall(r"[\w+@.-]+", low)
    return "lookup" if len(words) <= _LOOKUP_MAX_WORDS else "log"
