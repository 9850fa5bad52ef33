"""The one model layer. Import models from here."""

from campaign.models.accounts import Organiser
from campaign.models.campaigns import (
    ABSOLUTE_MAX_GROUP_SIZE,
    ABSOLUTE_MIN_GROUP_SIZE,
    Campaign,
    campaign_admin,
)
from campaign.models.events import Event, EventStatus, VenueType
from campaign.models.types import UTCDateTime, utcnow

__all__ = [
    "ABSOLUTE_MAX_GROUP_SIZE",
    "ABSOLUTE_MIN_GROUP_SIZE",
    "Campaign",
    "Event",
    "EventStatus",
    "Organiser",
    "UTCDateTime",
    "VenueType",
    "campaign_admin",
    "utcnow",
]
