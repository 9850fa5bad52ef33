from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from campaign.forms import FlaskForm, HoneypotForm, ServiceProblemsForm
from campaign.groups.contacts import ContactError, normalise_contact
from campaign.groups.service import MAX_NAME_LENGTH, Volunteer

#: SignUpError codes → messages for volunteers and organisers.
SIGNUP_ERROR_MESSAGES = {
    "event_not_open": _l("This event is not taking sign-ups."),
    "event_over": _l("This event is over."),
    "deadline_passed": _l("Sign-up for this event has closed."),
    "group_full": _l("This group is full. Join another group for the same event."),
    "group_merged": _l("This group was merged into another one."),
    "already_joined": _l("You're already in a group for this event."),
    "name_required": _l("Give a name your group can call you (a pseudonym is fine)."),
    "name_too_long": _l("Use at most %(n)d characters.", n=MAX_NAME_LENGTH),
    "pledge_required": _l("You must accept the pledge to join a group."),
    "contact_required": _l("Give a phone number or an email address."),
    "bad_phone": _l(
        "This does not look like a phone number. For a number from another country, "
        "start with its country code, e.g. +44 20 7946 0000."
    ),
    "bad_email": _l("This does not look like an email address."),
    "confirm_leave": _l("Please confirm."),
    "not_leader": _l("Only the group leader can do that."),
    "not_in_group": _l("That person is not in your group."),
    "cannot_remove_self": _l("To leave the group yourself, use “Leave the group”."),
    "group_name_too_long": _l("Use at most %(n)d characters.", n=MAX_NAME_LENGTH),
    "meeting_point_too_long": _l("Use at most 200 characters."),
    "meeting_after_end": _l("Meet before the event ends."),
    "meeting_too_early": _l("Meet at most a day before the event."),
    "meeting_time_nonexistent": _l("This time does not exist in the event's time zone."),
    "check_in_closed": _l("Check-in opens on the day of the event."),
    "not_checked_in": _l("Check in first."),
    "not_allowed": _l("You may not change this event's groups."),
    "merge_same_group": _l("Choose two different groups."),
    "merge_other_event": _l("Both groups must belong to this event."),
    "merge_not_forming": _l("Only groups still below their minimum can be merged."),
    "merge_too_large": _l("Together these groups would be above the maximum size."),
    "too_many_codes": _l(
        "Too many codes were sent to this contact in the last hour. Wait an hour, then try again."
    ),
    "sms_budget_spent": _l(
        "We cannot send more text messages today. Use an email address instead, or try "
        "again tomorrow."
    ),
    "already_verified": _l("Your contact is already confirmed."),
    "not_verified": _l("Confirm your contact first."),
}

#: What a member is told after typing a verification code.
VERIFY_MESSAGES = {
    "ok": _l("Confirmed: you count toward your group now."),
    "already_verified": _l("Your contact is already confirmed."),
    "wrong": _l("That code is not right. Check it and try again."),
    "expired": _l("That code has expired or was already used. Ask for a new one."),
    "too_many_tries": _l("Too many wrong codes. Ask for a new one."),
    "already_joined": _l(
        "This contact is already confirmed in a group for this event, so this place was "
        "released. Open the link you were sent, or ask for it again."
    ),
}

#: Which form field a code belongs beside; other codes are shown at the top.
SIGNUP_ERROR_FIELDS = {
    "name_required": "display_name",
    "name_too_long": "display_name",
    "pledge_required": "pledge",
    "contact_required": "contact",
    "bad_phone": "contact",
    "bad_email": "contact",
}


class VolunteerForm(HoneypotForm, ServiceProblemsForm):
    error_messages = SIGNUP_ERROR_MESSAGES
    code_fields = SIGNUP_ERROR_FIELDS

    display_name = StringField(
        _l("Your name"),
        description=_l("What your group calls you. A first name or a pseudonym is fine."),
        validators=[
            DataRequired(message=SIGNUP_ERROR_MESSAGES["name_required"]),
            Length(max=MAX_NAME_LENGTH),
        ],
    )
    contact = StringField(
        _l("Phone number or email"),
        description=_l(
            "Only the event's organisers see it, to reach you about this event. "
            "It is never shown on public pages."
        ),
        validators=[
            DataRequired(message=SIGNUP_ERROR_MESSAGES["contact_required"]),
            Length(max=254),
        ],
    )
    share_contact = BooleanField(_l("Show my phone number or email to the others in my group"))
    pledge = BooleanField(
        _l("I accept the pledge"),
        validators=[DataRequired(message=SIGNUP_ERROR_MESSAGES["pledge_required"])],
    )
    submit = SubmitField(_l("Join"))
    #: A one-time key for this form, given when it is shown; the device's session holds
    #: the member token it will get (``campaign.groups.views.JOIN_ATTEMPTS``).
    #: Labelled (never shown): an unlabelled field asks WTForms' own translations for a
    #: label, and Flask-WTF reads their catalog from disk once per request (about 1 ms).
    attempt = HiddenField("")

    #: The event's country: a number typed without +country is read as one of its numbers.
    region = "US"

    def validate_contact(self, field) -> None:
        """The contact's shape is checked with the other fields, so that every problem is
        shown at once (the service checks again, and decides)."""
        if not (field.data or "").strip():
            return  # DataRequired has said so
        try:
            normalise_contact(field.data, self.region)
        except ContactError as error:
            raise ValidationError(SIGNUP_ERROR_MESSAGES[error.code]) from None

    def volunteer(self) -> Volunteer:
        return Volunteer(
            display_name=self.display_name.data,
            contact=self.contact.data,
            pledge_accepted=bool(self.pledge.data),
            share_contact=bool(self.share_contact.data),
        )


class JoinEventForm(VolunteerForm):
    mode = RadioField(
        _l("How do you want to join?"),
        choices=[
            SelectChoice("any", _l("Join a group that needs people")),
            SelectChoice("new", _l("Start a new group — you lead it and invite others")),
        ],
        default="any",
        validators=[DataRequired()],
    )


class VerifyForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(message=_l("Type the code you were sent.")), Length(max=20)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "dir": "ltr",
        },
    )
    submit = SubmitField(_l("Confirm"))


class LinkForm(FlaskForm):
    contact = StringField(
        _l("Your phone number or email"),
        description=_l("The one you joined with."),
        validators=[
            DataRequired(message=_l("Give a phone number or an email address.")),
            Length(max=200),
        ],
        render_kw={"autocomplete": "tel email", "dir": "ltr"},
    )
    submit = SubmitField(_l("Send me my link"))


class LeaveForm(FlaskForm):
    confirmed = HiddenField("")  # labelled: see VolunteerForm.attempt


class RenameForm(FlaskForm):
    name = StringField(_l("Group name"), validators=[Optional(), Length(max=MAX_NAME_LENGTH)])
    submit = SubmitField(_l("Rename"))


class MeetingForm(FlaskForm):
    meeting_point = StringField(
        _l("Meeting point"),
        description=_l(
            "Somewhere near the venue where the group meets before walking in together."
        ),
        validators=[Optional(), Length(max=200)],
    )
    meeting_at = DateTimeLocalField(
        _l("Meeting time"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    submit = SubmitField(_l("Save meeting point"))


class MergeForm(FlaskForm):
    source = SelectField(_l("Move everyone from"), coerce=int)
    target = SelectField(_l("into"), coerce=int)
    submit = SubmitField(_l("Merge groups"))

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [SelectChoice(g.id, f"{g.display_code} ({g.member_count})") for g in groups]
        self.source.choices = choices
        self.target.choices = list(choices)
