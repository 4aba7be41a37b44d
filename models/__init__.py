"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""

from models.audit import AuditEntry
from models.base import Base
from models.clients import (
    CategoryPolicy,
    ChangeLog,
    Client,
    Contact,
    Deal,
    KeyDate,
    OwnerHistory,
)
from models.fsm import ConversationState
from models.interactions import Attachment, Interaction
from models.planner import Event, Outbox, Touch
from models.team import Invite, Member

__all__ = [
    "Attachment",
    "AuditEntry",
    "Base",
    "CategoryPolicy",
    "ChangeLog",
    "Client",
    "Contact",
    "ConversationState",
    "Deal",
    "Event",
    "Interaction",
    "Invite",
    "KeyDate",
    "Member",
    "Outbox",
    "OwnerHistory",
    "Touch",
]
