"""The form for reporting an accessibility problem."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Form,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.enums import Priority

LONG_TEXT = _l("Keep it under %(max)d characters.")


class AccessibilityReportForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        description=_l("Optional."),
        validators=[Optional(), Length(max=120, message=LONG_TEXT)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Your e-mail address"),
        description=_l("Optional. Give it if you would like an answer."),
        validators=[
            Optional(),
            Length(max=254, message=LONG_TEXT),
            Email(_l("Enter an e-mail address such as name@example.org.")),
        ],
        render_kw={"autocomplete": "email"},
    )
    page = StringField(
        _l("Address of the page"),
        description=_l("Where you met the problem. Optional."),
        validators=[Optional(), Length(max=2000, message=LONG_TEXT)],
        render_kw={"autocomplete": "off"},
    )
    description = TextAreaField(
        _l("What is the problem?"),
        description=_l(
            "What you tried to do and what happened. If you like, also the browser and any "
            "assistive technology you use."
        ),
        validators=[
            DataRequired(_l("Describe the problem.")),
            Length(max=5000, message=LONG_TEXT),
        ],
    )


class DesignSampleForm(Form):
    """The form shown on the design page (/design): every kind of field, in its error state.
    Never submitted; its labels are the portal's own."""

    title = StringField(_l("Title"))
    priority = RadioField(_l("Priority"), choices=Priority.choices())
    themes = SelectMultipleField(
        _l("Themes"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    waiting = BooleanField(_l("Only those waiting for my decision"))
