"""The rules for events: their details, who may change them, and their lifecycle.

draft → pending (submitted for review) → published (by a campaign admin) → cancelled.
Services add and flush; the caller commits.
"""

import hashlib
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import func, select

from campaign.access import administers, may_edit, require
from campaign.countries import country_codes
from campaign.extensions import db
from campaign.localtime import (
    NonexistentLocalTime,
    local_to_utc,
    timezone_names,
    zone_or_none,
)
from campaign.messaging import event_messages
from campaign.models import (
    Campaign,
    Event,
    EventStatus,
    Membership,
    Organiser,
    VenueType,
    utcnow,
)
from campaign.models.group_sizes import size_problems
from campaign.service_errors import ServiceError
from campaign.texts import other_languages
from campaign.transactions import lock_event


class EventError(ServiceError):
    """An event rule was broken; ``problems`` lists every (field or None, code) found."""


@dataclass
class EventDetails:
    """What an organiser types; times are wall-clock times in ``timezone``."""

    title: str
    venue_type: VenueType
    venue_name: str
    city: str
    country: str
    timezone: str
    local_start: datetime
    local_end: datetime
    min_group_size: int
    max_group_size: int
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    local_signup_deadline: datetime | None = None
    description: str = ""


#: How far ahead an event may be planned; also keeps dates away from datetime's limits.
MAX_DAYS_AHEAD = 3 * 366


def _to_utc(problems, field, local, zone):
    try:
        return local_to_utc(local, zone)
    except NonexistentLocalTime:
        problems.append((field, "nonexistent_local_time"))
    except (OverflowError, ValueError):
        problems.append((field, "date_out_of_range"))
    return None


Problems = list[tuple[str | None, str]]


def _place_problems(details: EventDetails) -> Problems:
    problems: Problems = []
    if details.country not in country_codes():
        problems.append(("country", "unknown_country"))
    if (details.latitude is None) != (details.longitude is None):
        problems.append(("longitude" if details.longitude is None else "latitude", "half_a_place"))
    if details.latitude is not None and not -90 <= details.latitude <= 90:
        problems.append(("latitude", "latitude_out_of_range"))
    if details.longitude is not None and not -180 <= details.longitude <= 180:
        problems.append(("longitude", "longitude_out_of_range"))
    return problems


@dataclass
class _Times:
    """The typed wall-clock times in UTC; None where they could not be converted."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None
    deadline: datetime | None = None


def _utc_times(details: EventDetails, problems: Problems, kept_zone: str | None) -> _Times:
    # Only the zones the form lists, or the event's own zone kept unchanged (an old alias).
    listed = details.timezone in timezone_names() or details.timezone == kept_zone
    zone = zone_or_none(details.timezone) if listed else None
    if zone is None:
        problems.append(("timezone", "unknown_timezone"))
        return _Times()
    times = _Times(
        starts_at=_to_utc(problems, "local_start", details.local_start, zone),
        ends_at=_to_utc(problems, "local_end", details.local_end, zone),
    )
    if details.local_signup_deadline is not None:
        times.deadline = _to_utc(
            problems, "local_signup_deadline", details.local_signup_deadline, zone
        )
    return times


def _start_problems(times: _Times, event: Event | None, now: datetime) -> Problems:
    problems: Problems = []
    starts_at, ends_at = times.starts_at, times.ends_at
    if starts_at is None:
        return problems
    if (event is None or starts_at != event.starts_at) and starts_at <= now:
        problems.append(("local_start", "start_in_past"))
    if starts_at > now + timedelta(days=MAX_DAYS_AHEAD):
        problems.append(("local_start", "start_too_far_ahead"))
    if ends_at and ends_at <= starts_at:
        problems.append(("local_end", "end_before_start"))
    return problems


def _deadline_problems(times: _Times, event: Event | None, now: datetime) -> Problems:
    problems: Problems = []
    deadline = times.deadline
    if deadline is None:
        return problems
    if times.starts_at and deadline > times.starts_at:
        problems.append(("local_signup_deadline", "deadline_after_start"))
    if (event is None or deadline != event.signup_deadline) and deadline <= now:
        problems.append(("local_signup_deadline", "deadline_in_past"))
    return problems


def _stored_values(details: EventDetails, *, event: Event | None) -> dict:
    """Check every rule at once and return the column values; raise with all problems."""
    now = utcnow()
    problems = _place_problems(details)
    problems += size_problems(
        details.min_group_size,
        details.max_group_size,
        min_field="min_group_size",
        max_field="max_group_size",
    )
    times = _utc_times(details, problems, event.timezone if event else None)
    problems += _start_problems(times, event, now) + _deadline_problems(times, event, now)
    if problems:
        raise EventError.several(problems)
    starts_at, ends_at, deadline = times.starts_at, times.ends_at, times.deadline
    values = {
        f.name: getattr(details, f.name) for f in fields(details) if not f.name.startswith("local_")
    }
    for name in ("title", "venue_name", "address", "city", "description"):
        values[name] = (values[name] or "").strip()
    values.update(starts_at=starts_at, ends_at=ends_at, signup_deadline=deadline)
    return values


def create_event(campaign: Campaign, organiser: Organiser, details: EventDetails) -> Event:
    event = Event(campaign=campaign, organiser=organiser, status=EventStatus.DRAFT)
    for name, value in _stored_values(details, event=None).items():
        setattr(event, name, value)
    db.session.add(event)
    db.session.flush()
    return event


def review_fingerprint(event: Event) -> str:
    """A digest of everything an admin reads before publishing. The publish button carries
    the one the admin saw: if the organiser changed the event meanwhile, it differs."""
    parts = [getattr(event, name) for name in REVIEWED_FIELDS]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


#: Where and when a published event happens: what a campaign admin checked before publishing.
#: Stored column → the form field it comes from.
PLACE_AND_TIME = {
    "venue_type": "venue_type",
    "venue_name": "venue_name",
    "address": "address",
    "city": "city",
    "country": "country",
    "latitude": "latitude",
    "longitude": "longitude",
    "timezone": "timezone",
    "starts_at": "local_start",
    "ends_at": "local_end",
}


#: What a campaign admin reads before publishing (see ``review_fingerprint``).
REVIEWED_FIELDS = (
    "title",
    "description",
    *PLACE_AND_TIME,
    "signup_deadline",
    "min_group_size",
    "max_group_size",
    "organiser_id",
)


def largest_group_size(event: Event) -> int:
    """Members in the event's fullest group (0 with no members)."""
    per_group = (
        select(func.count(Membership.id).label("members"))
        .where(Membership.event_id == event.id)
        .group_by(Membership.group_id)
        .subquery()
    )
    return db.session.execute(select(func.coalesce(func.max(per_group.c.members), 0))).scalar_one()


def _same(stored, typed) -> bool:
    """The form shows times to the minute: seconds stored by other means are no change."""
    if isinstance(stored, datetime) and isinstance(typed, datetime):
        return stored.replace(second=0, microsecond=0) == typed.replace(second=0, microsecond=0)
    return stored == typed


def update_event(event: Event, organiser: Organiser, details: EventDetails) -> bool:
    """Apply new details; a change to a published event bumps its revision. True if changed.

    A published event's place and time were checked by a campaign admin: only an admin may
    change them, or an approved event could be moved somewhere unchecked (a trap). The
    maximum group size never drops below a group's current members."""
    # A join cannot slip in between counting the largest group and lowering the maximum.
    lock_event(event)
    require(may_edit(organiser, event))
    if event.status is EventStatus.CANCELLED:
        raise EventError("event_cancelled")
    values = _stored_values(details, event=event)
    by_admin = administers(organiser, event.campaign)
    problems: list[tuple[str | None, str]] = []
    if event.status is EventStatus.PUBLISHED and not by_admin:
        problems += [
            (field, "place_time_needs_admin")
            for name, field in PLACE_AND_TIME.items()
            if not _same(getattr(event, name), values[name])
        ]
    if values["max_group_size"] < event.max_group_size:
        largest = largest_group_size(event)
        if values["max_group_size"] < largest:
            problems.append(("max_group_size", "max_below_largest_group"))
    if problems:
        raise EventError.several(problems)
    moved = any(not _same(getattr(event, name), values[name]) for name in PLACE_AND_TIME)
    changed = False
    for name, value in values.items():
        if not _same(getattr(event, name), value):
            setattr(event, name, value)
            changed = True
    if changed and event.status is EventStatus.PUBLISHED:
        _published_event_changed(event, by_admin=by_admin, moved=moved)
    db.session.flush()
    return changed


def _published_event_changed(event: Event, *, by_admin: bool, moved: bool) -> None:
    """A new revision; the text vouched for (an admin's change) or flagged for review; the
    members told when the place or time moved."""
    event.revision += 1
    if by_admin:
        _vouch_for_text(event)
    else:
        _flag_text_changes(event)
    if moved:
        event_messages.event_changed(event)


def _vouch_for_text(event: Event) -> None:
    event.reviewed_title = event.title
    event.reviewed_description = event.description
    event.changed_since_review_at = None


def _flag_text_changes(event: Event) -> None:
    """The organiser changed what the public reads (a description could send people
    elsewhere): the campaign's admins see it in their review queue until they accept it.
    Changed back to what they vouched for, it needs no review."""
    if (event.title, event.description) == (event.reviewed_title, event.reviewed_description):
        event.changed_since_review_at = None
    else:
        event.changed_since_review_at = utcnow()


def accept_changes(event: Event, admin: Organiser) -> None:
    """A campaign admin read the changed title and description and vouches for them."""
    require(administers(admin, event.campaign))
    if event.status is not EventStatus.PUBLISHED or event.changed_since_review_at is None:
        raise EventError("nothing_to_accept")
    _vouch_for_text(event)
    db.session.flush()


#: The longest description, in any language.
MAX_DESCRIPTION = 5000


def translate_description(event: Event, admin: Organiser, translations: dict[str, str]) -> None:
    """A campaign admin writes the description in the campaign's other languages: they
    vouch for it as they do at publication, so it is not flagged for review."""
    require(administers(admin, event.campaign))
    if event.status is EventStatus.CANCELLED:
        raise EventError("event_cancelled")
    others = other_languages(event.campaign)
    problems = [
        (f"description__{code}", "description_too_long")
        for code, text in translations.items()
        if len(text) > MAX_DESCRIPTION
    ]
    if problems:
        raise EventError.several(problems)
    event.description_translations = {
        code: text.strip() for code, text in translations.items() if code in others and text.strip()
    }
    db.session.flush()


def _move(event: Event, allowed_from: set[EventStatus], to: EventStatus) -> None:
    if event.status not in allowed_from:
        raise EventError("wrong_status", to=to.value, status=event.status.value)
    event.status = to


def submit_for_review(event: Event, organiser: Organiser) -> None:
    require(may_edit(organiser, event))
    _move(event, {EventStatus.DRAFT}, EventStatus.PENDING)
    db.session.flush()


def publish_event(event: Event, admin: Organiser, seen: str | None = None) -> None:
    """A campaign admin vouches for the event: only now can the public see it.

    ``seen`` is the ``review_fingerprint`` of the page the admin read; an event changed
    since is refused, so nobody publishes a place they have not seen."""
    lock_event(event)
    require(administers(admin, event.campaign))
    if seen is not None and seen != review_fingerprint(event):
        raise EventError("changed_while_reviewing")
    _move(event, {EventStatus.PENDING}, EventStatus.PUBLISHED)
    event.published_at = utcnow()
    _vouch_for_text(event)
    db.session.flush()


def return_to_draft(event: Event, organiser: Organiser) -> None:
    """Withdraw a submission (the organiser) or send it back for changes (an admin)."""
    require(may_edit(organiser, event))
    _move(event, {EventStatus.PENDING}, EventStatus.DRAFT)
    db.session.flush()


#: The longest reason for a cancellation: it is shown in large letters and sent by email.
MAX_CANCEL_REASON = 500


def cancel_event(event: Event, organiser: Organiser, reason: str = "") -> None:
    """Cancel, saying why (the form asks for a reason once the event is public)."""
    require(may_edit(organiser, event))
    if len(reason) > MAX_CANCEL_REASON:
        raise EventError("cancel_reason_too_long", "reason", max=MAX_CANCEL_REASON)
    was_published = event.status is EventStatus.PUBLISHED
    _move(
        event,
        {EventStatus.DRAFT, EventStatus.PENDING, EventStatus.PUBLISHED},
        EventStatus.CANCELLED,
    )
    event.cancelled_at = utcnow()
    event.cancel_reason = reason.strip() or None
    if was_published:
        event.revision += 1
        event_messages.cancelled(event)
    db.session.flush()
