"""Every CallbackData class of the bot, in one place; each packs well under Telegram's 64 bytes.

A callback carries ids, never trust: the service re-checks that the member may act on the id.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from models.enums import Role

# Every number in callback data: a database id (32-bit on PostgreSQL), a page or an index. A
# forged 30-digit or negative one fails to unpack, so the press reads as a stale button instead
# of overflowing the database driver or indexing from the end of a list.
Int32 = Annotated[int, Field(ge=0, le=2**31 - 1)]


class InviteCallback(CallbackData, prefix="inv"):
    """/invite: the role the new person will have."""

    role: Role


class MemberAction(StrEnum):
    """What a head does to a member from /members."""

    ASK_DEACTIVATE = "ask"
    DEACTIVATE = "off"
    ACTIVATE = "on"
    BACK = "back"
    INVITE = "inv"


class MemberCallback(CallbackData, prefix="mem"):
    """/members: deactivate (asked first, then confirmed) or re-activate one member; «Отмена»
    goes back to the list."""

    action: MemberAction
    member_id: Int32


class SettingsField(StrEnum):
    """Fields of the /settings card."""

    TIMEZONE = "tz"
    HOURS = "hours"
    DAYS = "days"
    DIGEST = "digest"
    LANGUAGE = "lang"
    CANCEL = "cancel"


class SettingsCallback(CallbackData, prefix="set"):
    """/settings: open an editor for one field."""

    field: SettingsField


class SettingsValueCallback(CallbackData, prefix="setv"):
    """/settings: a value picked from buttons (a city key, a language, a day set)."""

    field: SettingsField
    value: str


# ClientCallback's action for the client's fields opened in a new message, the one pressed on
# staying as it is («✏️ Изменить» under a saved touch's confirmation).
EDIT_APART = "edit_apart"


class ClientCallback(CallbackData, prefix="cl"):
    """A client card and its sections.

    Actions: `open` (the card; `page` for long cards), `confirm` («Данные актуальны»), `tags`
    (markers), `edit`, `contacts`, `dates`, `deals`, `history` — each changes the card's own
    message. Under a list that must stay (the digest, /today, /overdue) `confirm_row` confirms
    the data and only marks the row; under a saved touch `edit_apart` (EDIT_APART) sends the
    client's fields as a new message.
    """

    action: str
    client_id: Int32
    page: Int32 = 0


class CardCallback(CallbackData, prefix="cc"):
    """A client card opened from a message that is not the card (a reminder, search results):
    the card comes as a new message and the message pressed on stays as it was. Inside the
    card, ClientCallback edits the card's own message."""

    client_id: Int32


class NewClientStep(StrEnum):
    """A button pressed while creating a client (/new, a shared contact, «not found»)."""

    KIND = "kind"
    CATEGORY = "cat"
    CITY = "city"
    # The time zone of a city the list does not hold: `value` is a listed city in that zone.
    ZONE = "zone"
    SKIP = "skip"
    CREATE_ANYWAY = "force"
    CANCEL = "cancel"
    # «Не нашёл… Создать клиента?»: start /new with what was searched for.
    FROM_SEARCH = "search"
    SHARED_NEW = "snew"
    SHARED_ADD = "sadd"


class NewClientCallback(CallbackData, prefix="cn"):
    """/new and shared contacts: one choice at one step; `value` is a kind, category or city."""

    step: NewClientStep
    value: str = ""


class FirstTouchDay(StrEnum):
    """Where the card answering /new moves the client's first touch."""

    TODAY = "today"
    TOMORROW = "tomorrow"
    # A typed day: the bot asks for it.
    OTHER = "other"


class FirstTouchCallback(CallbackData, prefix="ft"):
    """«Сегодня» / «Завтра» / «📅 Другой день» under the card answering /new: the touch is
    re-checked (the member's own, still an open first touch) before it moves."""

    touch_id: Int32
    day: FirstTouchDay


class MarkerAction(StrEnum):
    """What a button on the markers screen does."""

    PRESET = "p"
    CUSTOM = "c"
    ADD = "a"


class MarkerCallback(CallbackData, prefix="cm"):
    """Client markers: toggle preset `index`, remove custom marker `index`, or add one by text."""

    action: MarkerAction
    client_id: Int32
    index: Int32 = 0


class ContactTargetCallback(CallbackData, prefix="cp"):
    """A shared Telegram contact goes to this existing client."""

    client_id: Int32


class PlanAction(StrEnum):
    """What a button on a reminder or a digest item does to its touch."""

    DONE = "d"
    SNOOZE = "z"
    SKIP = "s"
    # «↩️ Назад» under an item of a list whose snooze choices are open: the item's row again.
    BACK = "b"


class PlanTouchCallback(CallbackData, prefix="pt"):
    """Reminders and digest items: «Сделано», «Отложить», «Пропустить» for one touch."""

    action: PlanAction
    touch_id: Int32


class PlanItemCallback(CallbackData, prefix="pi"):
    """The first button of a numbered item of the digest or /today: the client card in a new
    message. The list's rows are drawn again from these (the touch and its number), so a
    handled item reads as handled wherever it was handled from."""

    touch_id: Int32
    number: Int32


class OverduePageCallback(CallbackData, prefix="po"):
    """/overdue: turn to a page of the overdue touches and stale records."""

    page: Int32


class SnoozeOption(StrEnum):
    """How far «Отложить» moves a touch."""

    HOUR = "h"
    TOMORROW = "t"
    DATE = "d"


class SnoozeCallback(CallbackData, prefix="pz"):
    """«Отложить»: one hour, tomorrow, or a typed date."""

    option: SnoozeOption
    touch_id: Int32


class SkipReason(StrEnum):
    """Why a touch is skipped; OTHER asks for the reason as text."""

    IRRELEVANT = "na"
    DO_NOT_DISTURB = "dnd"
    DUPLICATE = "dup"
    OTHER = "other"


class SkipCallback(CallbackData, prefix="ps"):
    """«Пропустить»: a reason picked from buttons (or OTHER: typed)."""

    reason: SkipReason
    touch_id: Int32


class EventAction(StrEnum):
    """Steps of the /event audience picker and its confirmation."""

    ALL = "all"
    CATEGORIES = "cat"
    INDUSTRIES = "ind"
    TAGS = "tag"
    TOGGLE = "t"
    DONE = "done"
    BACK = "back"
    SAVE = "save"
    CANCEL = "x"
    NEW = "new"
    LIST = "list"
    DROP = "drop"
    DROP_YES = "dropy"


class EventCallback(CallbackData, prefix="pe"):
    """/event (head): pick the audience, toggle a category or industry (`value`), save; or
    cancel an upcoming event (`value` is its id: `DROP` asks, `DROP_YES` cancels)."""

    action: EventAction
    value: str = ""


class EditFieldCallback(CallbackData, prefix="cef"):
    """Card editing: open the editor of one field of a client, contact or deal.

    `entity` is `client`, `contact` or `deal`; `field` a name from services/client_edit.FIELDS.
    """

    entity: str
    entity_id: Int32
    field: str


class EditValueCallback(CallbackData, prefix="cev"):
    """Card editing: a value picked from buttons (a category, a channel, yes / no; «-» clears)."""

    entity: str
    entity_id: Int32
    field: str
    value: str


class ContactEditCallback(CallbackData, prefix="cec"):
    """Card editing, contacts: `open`, `add`, `primary`, `remove` (asks), `remove_yes`."""

    action: str
    client_id: Int32
    contact_id: Int32 = 0


class KeyDateEditCallback(CallbackData, prefix="ced"):
    """Card editing, key dates: `add` (starts the wizard), `remove` (asks), `remove_yes`."""

    action: str
    client_id: Int32
    key_date_id: Int32 = 0


class DealEditCallback(CallbackData, prefix="cdl"):
    """Card editing, deals: `open`, `add`, `close` (asks closed or lost)."""

    action: str
    client_id: Int32
    deal_id: Int32 = 0


class EditWizardCallback(CallbackData, prefix="cew"):
    """A button answer inside an add-contact / add-date / add-deal wizard (a choice or skip)."""

    value: str


class PolicyCallback(CallbackData, prefix="cep"):
    """/policy: the table (no category), one category's numbers, or the editor of one number."""

    category: str = ""
    field: str = ""


class LogCallback(CallbackData, prefix="lg"):
    """The logging journey's buttons: save, cancel, pick a client, edit or set a draft field.

    `action`: save, cancel, client, edit, set, goal (a quick pick), skip, start (from a card),
    touch (from a reminder's «Сделано»), was (a plan's card: it happened, log it); `value` is
    the field, the id or «field=value».
    """

    action: str
    value: str = ""


class HandoverCallback(CallbackData, prefix="hho"):
    """/handover steps: `start` (a client), `to` (a member), `stage`, `nonote`, `ok`, `cancel`."""

    action: str
    client_id: Int32 = 0
    member_id: Int32 = 0
    stage: str = ""


class ForgetCallback(CallbackData, prefix="hfg"):
    """/forget: `ask` (a client picked from the results), `ok` (erase), `cancel`."""

    action: str
    client_id: Int32 = 0


class TransferCallback(CallbackData, prefix="htr"):
    """/import: `go` (write the previewed rows), `owner` (into member_id's base), `cancel`."""

    action: str
    token: str = ""
    member_id: Int32 = 0


class BaseHandoverCallback(CallbackData, prefix="mbh"):
    """/members: a member's whole base to another member — `pick` (the giver), `to` (the
    receiver), `ok`, `cancel`, `later`."""

    action: str
    from_id: Int32 = 0
    to_id: Int32 = 0
