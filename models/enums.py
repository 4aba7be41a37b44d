"""The product vocabulary as str-Enums: shared by models, services and handlers."""

from enum import StrEnum


class Role(StrEnum):
    """What a team member may do."""

    MANAGER = "manager"
    HEAD = "head"


class Channel(StrEnum):
    """How a contact with a client happened or should happen."""

    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    OTHER = "other"


class Outcome(StrEnum):
    """How an interaction ended relative to its goal."""

    ACHIEVED = "achieved"
    PARTIAL = "partial"
    NOT_ACHIEVED = "not_achieved"
    NO_CONTACT = "no_contact"


class Direction(StrEnum):
    """Who started the contact."""

    OUTGOING = "outgoing"
    INCOMING = "incoming"


class ClientKind(StrEnum):
    """A company (B2B) or a person (B2C)."""

    B2B = "b2b"
    B2C = "b2c"


class Category(StrEnum):
    """Client categories; each has a touch policy."""

    KEY = "key"
    VIP = "vip"
    REGULAR = "regular"
    OCCASIONAL = "occasional"
    NEW = "new"


class Stage(StrEnum):
    """Pipeline stages a client moves through, with explicit handover."""

    ACQUISITION = "acquisition"
    SALE = "sale"
    ACCOUNT = "account"


class TouchReason(StrEnum):
    """Why a touch was planned."""

    CADENCE = "cadence"
    FOLLOW_UP = "follow_up"
    OCCASION = "occasion"
    EVENT = "event"
    STALE_DATA = "stale_data"


class TouchStatus(StrEnum):
    """Where a planned touch stands."""

    PLANNED = "planned"
    DONE = "done"
    SNOOZED = "snoozed"
    SKIPPED = "skipped"
