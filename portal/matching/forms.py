"""Forms for proposing a match, declining one, and filtering the list of matches."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.core.enums import MatchStatus
from portal.core.forms import SelectField

# Larger ids cannot exist and would overflow the database's integer.
from portal.core.http import MAX_ID
from portal.matching.queries import MatchFilters
from portal.matching.services import DECLINE_REASON_MAX_LENGTH, MESSAGE_MAX_LENGTH


class ProposeForm(FlaskForm):
    need_id = IntegerField(
        _l("Need number"),
        description=_l("The number shown on the need's page."),
        validators=[
            InputRequired(_l("Enter the number of a need.")),
            NumberRange(1, MAX_ID, _l("Enter the number of a need.")),
        ],
    )
    offer_id = IntegerField(
        _l("Offer number"),
        description=_l("The number shown on the offer's page."),
        validators=[
            InputRequired(_l("Enter the number of an offer.")),
            NumberRange(1, MAX_ID, _l("Enter the number of an offer.")),
        ],
    )
    person_days = IntegerField(
        _l("Person-days (optional)"),
        description=_l("Leave empty to take what the need asks for, as far as the offer has left."),
        validators=[
            Optional(),
            NumberRange(
                1,
                10_000,
                _l("Enter a number of person-days from %(min)s to %(max)s.", min=1, max=10_000),
            ),
        ],
    )
    message = TextAreaField(
        _l("Message to the other side (optional)"),
        validators=[
            Optional(),
            Length(
                max=MESSAGE_MAX_LENGTH,
                message=_l("The message is too long (at most %(max)d characters)."),
            ),
        ],
    )
    # Where to go back to after a plain (non-htmx) post, and which panel to re-render for htmx.
    next = HiddenField()
    panel = HiddenField()


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for declining (optional)"),
        validators=[
            Optional(),
            Length(
                max=DECLINE_REASON_MAX_LENGTH,
                message=_l("The reason is too long (at most %(max)d characters)."),
            ),
        ],
    )


class MatchFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), validate_choice=True)
    waiting = BooleanField(_l("Only those waiting for my decision"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels are translated at request time, so the choices are built here.
        self.status.choices = [SelectChoice("", _l("All")), *MatchStatus.choices()]

    def filters(self) -> MatchFilters:
        """The list's filters from the input (an unknown status shows every match); the page
        and its exports read them here."""
        status = None
        if self.status.data and self.validate():
            status = MatchStatus(self.status.data)
        return MatchFilters(status=status, waiting=bool(self.waiting.data))
