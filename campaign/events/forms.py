from datetime import datetime

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import (
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import Select, html_params

from campaign.countries import country_choices, country_codes, country_name
from campaign.events.service import MAX_CANCEL_REASON, MAX_DAYS_AHEAD, EventDetails
from campaign.forms import ServiceProblemsForm
from campaign.i18n import language_name
from campaign.localtime import localise_digits, utc_to_local_naive
from campaign.models import ABSOLUTE_MAX_GROUP_SIZE, ABSOLUTE_MIN_GROUP_SIZE, Event, VenueType
from campaign.zones import canonical_zones, only_zone_of, zone_fits_country, zone_groups

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"

#: EventError codes → messages shown beside the field (or at the top of the form).
EVENT_ERROR_MESSAGES = {
    "unknown_country": _l("Choose a country from the list."),
    "half_a_place": _l("Give both latitude and longitude, or neither."),
    "latitude_out_of_range": _l("Latitude is between -90 and 90."),
    "longitude_out_of_range": _l("Longitude is between -180 and 180."),
    "min_group_too_small": _l(
        "Groups need at least %(n)d people: nobody stands alone.", n=ABSOLUTE_MIN_GROUP_SIZE
    ),
    "max_group_too_large": _l("Groups are small: at most %(n)d people.", n=ABSOLUTE_MAX_GROUP_SIZE),
    "max_below_min": _l("The maximum cannot be below the minimum group size."),
    "unknown_timezone": _l("Choose a time zone from the list."),
    "nonexistent_local_time": _l(
        "This time does not exist in the chosen time zone (the clocks change then)."
    ),
    "date_out_of_range": _l("This date is out of range."),
    "start_in_past": _l("The start must be in the future."),
    "start_too_far_ahead": _l("The start can be at most %(n)d days ahead.", n=MAX_DAYS_AHEAD),
    "end_before_start": _l("The end must be after the start."),
    "deadline_after_start": _l("The sign-up deadline must be before the start."),
    "deadline_in_past": _l("The sign-up deadline must be in the future."),
    "not_allowed": _l("You may not change this event."),
    "event_cancelled": _l("This event is cancelled and can no longer be changed."),
    "cancel_reason_too_long": _l("Say why in at most %(max)d characters."),
    "description_too_long": _l("Use at most 5,000 characters."),
    "place_time_needs_admin": _l(
        "Only a campaign admin can change the place or time of a published event, so that"
        " nobody is sent somewhere unchecked. Ask an admin of this campaign."
    ),
    "max_below_largest_group": _l(
        "A group already has more members than this: the maximum cannot be lower."
    ),
    "wrong_status": _l("That is not possible for this event now."),
    "nothing_to_accept": _l("That is not possible for this event now."),
    "changed_while_reviewing": _l(
        "The event changed while you were reading it. Read it again, then publish."
    ),
}


class DescriptionsForm(ServiceProblemsForm):
    """The event's description in the campaign's other languages (``in_languages``)."""

    error_messages = EVENT_ERROR_MESSAGES
    other_languages: tuple[str, ...] = ()
    submit = SubmitField(_l("Save the translations"))

    @classmethod
    def in_languages(cls, languages) -> type["DescriptionsForm"]:
        fields: dict = {"other_languages": tuple(languages)}
        for code in languages:
            label = _l("Description in %(language)s", language=language_name(code))
            fields[f"description__{code}"] = TextAreaField(label, validators=[Optional()])
        return type("DescriptionsFormInLanguages", (cls,), fields)

    def translations(self) -> dict[str, str]:
        return {code: self[f"description__{code}"].data or "" for code in self.other_languages}


class CancelForm(ServiceProblemsForm):
    """ "Cancel this event?" A published event's members are told why, so the reason is
    required once it is public (``reason_required``)."""

    reason = TextAreaField(
        _l("Why is it cancelled?"),
        description=_l("Everyone who signed up sees this on their page and in the message."),
        validators=[Length(max=MAX_CANCEL_REASON)],
    )
    submit = SubmitField(_l("Cancel the event"))

    def __init__(self, *args, reason_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_required = reason_required

    def validate_reason(self, field) -> None:
        if self.reason_required and not (field.data or "").strip():
            raise ValidationError(_l("Say why, so that the people who signed up know."))


#: The zone does not keep the country's clock (a browser in London, an event in Pakistan).
ZONE_NOT_OF_COUNTRY = _l(
    "%(zone)s is not a time zone of %(country)s: the event's times would be wrong there."
    " Choose one of its zones (they are listed first), or tick the box below if %(zone)s"
    " is right."
)
ZONE_NOT_THE_ONLY_ONE = _l(
    "%(zone)s is not the time zone of %(country)s, which is %(own)s. Choose %(own)s, or"
    " tick the box below if %(zone)s is right."
)


def isolated(text: str | None) -> str:
    """A zone name inside a sentence, kept left to right in Persian and Urdu (FSI … PDI)."""
    return f"\N{FIRST STRONG ISOLATE}{text}\N{POP DIRECTIONAL ISOLATE}" if text else ""


class ZoneSelect(Select):
    """The zone select: a placeholder, then one <optgroup> per country, each marked with
    its country code so static/js/zones.js can bring the chosen country's group first."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        html.append(self.render_option(Choice("", field.placeholder, not field.data, {})))
        for group in field.groups:
            html.append(f"<optgroup {html_params(label=group.label, data_country=group.country)}>")
            html.extend(
                self.render_option(Choice(value, label, value == field.data, {}))
                for value, label in group.zones
            )
            html.append("</optgroup>")
        html.append("</select>")
        # Every value went through html_params or render_option, which escape it.
        return Markup("".join(html))  # noqa: S704  # nosec B704


class ZoneField(SelectField):
    """A time zone, offered by country: only current zone names, each with its offset."""

    widget = ZoneSelect()
    placeholder = _l("Choose a time zone")

    def set_groups(self, first_country: str | None, saved_zone: str | None) -> None:
        extra: tuple[tuple[str, str], ...] = ()
        if saved_zone and saved_zone not in canonical_zones():
            # An event saved with an old name (Asia/Calcutta) keeps it until changed.
            extra = ((str(_l("Saved with this event")), saved_zone),)
        self.groups = [
            group._replace(zones=tuple((v, localise_digits(lb)) for v, lb in group.zones))
            for group in zone_groups(country_choices(), first=first_country, extra=extra)
        ]
        self.choices = [
            SelectChoice("", self.placeholder),
            *(
                SelectChoice(value, label, optgroup=group.label)
                for group in self.groups
                for value, label in group.zones
            ),
        ]


class EventForm(ServiceProblemsForm):
    error_messages = EVENT_ERROR_MESSAGES

    campaign = SelectField(_l("Campaign"), coerce=int, validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=3, max=120)])
    venue_type = SelectField(
        _l("Kind of place"),
        choices=[SelectChoice(v.value, v.label) for v in VenueType],
        validators=[DataRequired()],
    )
    venue_name = StringField(
        _l("Name of the place"),
        description=_l("e.g. Parliament Square, St Paul's Cathedral"),
        validators=[DataRequired(), Length(max=120)],
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    country = SelectField(_l("Country"), validators=[DataRequired()])
    latitude = FloatField(
        _l("Latitude (optional)"),
        description=_l("Decimal degrees, e.g. 51.5007"),
        validators=[Optional()],
    )
    longitude = FloatField(
        _l("Longitude (optional)"),
        description=_l("Decimal degrees, e.g. -0.1246"),
        validators=[Optional()],
    )
    timezone = ZoneField(
        _l("Time zone of the place"),
        description=_l("Times below are in this zone. The country's zones are listed first."),
        validators=[DataRequired()],
    )
    #: "<country> <zone>" when the organiser confirmed a zone that is not the country's.
    zone_confirmed = StringField(validators=[Optional()])
    local_start = DateTimeLocalField(
        _l("Starts"), format=LOCAL_FORMAT, validators=[InputRequired()]
    )
    local_end = DateTimeLocalField(_l("Ends"), format=LOCAL_FORMAT, validators=[InputRequired()])
    local_signup_deadline = DateTimeLocalField(
        _l("Sign-up deadline (optional)"),
        format=LOCAL_FORMAT,
        description=_l("Nobody can join after this. Leave empty to allow joining until the start."),
        validators=[Optional()],
    )
    min_group_size = IntegerField(
        _l("Smallest group"),
        description=_l(
            "A group is not safe to go below this. At least %(n)d.", n=ABSOLUTE_MIN_GROUP_SIZE
        ),
        validators=[InputRequired()],
    )
    max_group_size = IntegerField(_l("Largest group"), validators=[InputRequired()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, campaigns=(), saved_place: tuple[str, str] | None = None, **kw):
        super().__init__(*args, **kw)
        #: The event's saved (country, zone): kept unchanged, it is never questioned.
        self.saved_place = saved_place
        #: Set when the zone is not the country's: the template offers to confirm it.
        self.zone_warning = False
        self.campaign.choices = [SelectChoice(c.id, c.name) for c in campaigns]
        self.country.choices = [
            SelectChoice("", _l("Choose a country")),
            *(SelectChoice(code, name) for code, name in country_choices()),
        ]
        self.timezone.set_groups(self.country.data, saved_place[1] if saved_place else None)

    @property
    def zone_isolated(self) -> str:
        return isolated(self.timezone.data)

    @property
    def zone_pair(self) -> str:
        """What the confirm box sends back: it confirms this country and zone only."""
        return f"{self.country.data} {self.timezone.data}"

    def validate_timezone(self, field) -> None:
        country, zone = self.country.data, field.data
        if field.errors or country not in country_codes() or zone_fits_country(zone, country):
            return
        if self.saved_place == (country, zone) or self.zone_confirmed.data == self.zone_pair:
            return
        self.zone_warning = True
        own = only_zone_of(country)
        names = {"zone": isolated(zone), "country": country_name(country), "own": isolated(own)}
        raise ValidationError(ZONE_NOT_THE_ONLY_ONE % names if own else ZONE_NOT_OF_COUNTRY % names)

    def show_country_zones(self) -> None:
        """Without JavaScript, "Show its time zones" sends the form to be shown again: the
        country's zones come first, and its only zone is chosen for it."""
        country = self.country.data
        if country not in country_codes():
            return
        own = only_zone_of(country)
        if own:
            self.timezone.data = own
        elif not zone_fits_country(self.timezone.data or "", country):
            self.timezone.data = ""

    #: A published event's place and time, which only a campaign admin may change.
    LOCKED = ("venue_type", "venue_name", "address", "city", "country", "latitude",
              "longitude", "timezone", "local_start", "local_end")  # fmt: skip
    locked = False

    def lock_place_and_time(self, event: Event) -> None:
        """Shown as text, not as fields; whatever a POST sends for them, the stored values
        are kept (the form's other fields still save)."""
        stored = type(self).for_event(event, campaigns=[event.campaign], formdata=None)
        for name in self.LOCKED:
            value = stored[name].data
            if isinstance(value, datetime):  # the event's local time, as the form types it
                value = value.replace(tzinfo=None)
            self[name].data = value
            self[name].raw_data = [str(value or "")]
            self[name].errors = []
        self.locked = True

    def details(self) -> EventDetails:
        return EventDetails(
            title=self.title.data.strip(),
            venue_type=VenueType(self.venue_type.data),
            venue_name=self.venue_name.data.strip(),
            address=(self.address.data or "").strip(),
            city=self.city.data.strip(),
            country=self.country.data,
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            timezone=self.timezone.data,
            local_start=self.local_start.data,
            local_end=self.local_end.data,
            local_signup_deadline=self.local_signup_deadline.data,
            min_group_size=self.min_group_size.data,
            max_group_size=self.max_group_size.data,
            description=(self.description.data or "").strip(),
        )

    @classmethod
    def for_event(cls, event: Event, **kwargs) -> "EventForm":
        zone = event.zone
        return cls(
            obj=event,
            local_start=utc_to_local_naive(event.starts_at, zone),
            local_end=utc_to_local_naive(event.ends_at, zone),
            local_signup_deadline=(
                utc_to_local_naive(event.signup_deadline, zone) if event.signup_deadline else None
            ),
            campaign=event.campaign_id,
            saved_place=(event.country, event.timezone),
            **kwargs,
        )
