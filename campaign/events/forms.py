from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from campaign.countries import country_choices
from campaign.events.service import MAX_CANCEL_REASON, MAX_DAYS_AHEAD, EventDetails
from campaign.forms import ServiceProblemsForm
from campaign.i18n import language_name
from campaign.localtime import timezone_names, utc_to_local_naive
from campaign.models import ABSOLUTE_MAX_GROUP_SIZE, ABSOLUTE_MIN_GROUP_SIZE, Event, VenueType

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
    timezone = SelectField(
        _l("Time zone of the place"),
        description=_l("Times below are in this zone."),
        validators=[DataRequired()],
    )
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

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign.choices = [SelectChoice(c.id, c.name) for c in campaigns]
        self.country.choices = [
            SelectChoice("", _l("Choose a country")),
            *(SelectChoice(code, name) for code, name in country_choices()),
        ]
        self.timezone.choices = list(timezone_names())

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
            **kwargs,
        )
