"""The one model layer. Import models from here."""

from campaign.models.accounts import Organiser, OrganiserDevice
from campaign.models.campaigns import Campaign, campaign_admin
from campaign.models.events import Event, EventStatus, VenueType
from campaign.models.group_sizes import (
    ABSOLUTE_MAX_GROUP_SIZE,
    ABSOLUTE_MIN_GROUP_SIZE,
    DEFAULT_MAX_GROUP_SIZE,
    GroupState,
    group_state,
)
from campaign.models.groups import (
    ContactAccess,
    ContactKind,
    DepartedLink,
    Group,
    GroupActivity,
    GroupActivityKind,
    Membership,
)
from campaign.models.messages import (
    Channel,
    Message,
    MessageStatus,
    SmsJoinRequest,
    VerificationCode,
)
from campaign.models.slogans import Slogan, SloganKind, SloganStatus
from campaign.models.types import UTCDateTime, utcnow

__all__ = [
    "ABSOLUTE_MAX_GROUP_SIZE",
    "ABSOLUTE_MIN_GROUP_SIZE",
    "DEFAULT_MAX_GROUP_SIZE",
    "Campaign",
    "Channel",
    "ContactAccess",
    "ContactKind",
    "DepartedLink",
    "Event",
    "EventStatus",
    "Group",
    "GroupActivity",
    "GroupActivityKind",
    "GroupState",
    "Membership",
    "Message",
    "MessageStatus",
    "Organiser",
    "OrganiserDevice",
    "Slogan",
    "SloganKind",
    "SloganStatus",
    "SmsJoinRequest",
    "UTCDateTime",
    "VenueType",
    "VerificationCode",
    "campaign_admin",
    "group_state",
    "utcnow",
]
