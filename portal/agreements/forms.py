"""The amendment form. Whether the new end is later than the current one is the service's rule
and comes back beside the field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.agreements.services import REASON_MAX
from portal.core.enums import AmendmentKind
from portal.core.forms import SelectField
from portal.core.i18n import LANGUAGE_NAMES


class AmendmentForm(FlaskForm):
    kind = SelectField(_l("What changes"), validators=[InputRequired(_l("Choose what changes."))])
    new_valid_until = DateField(
        _l("New end of the agreement"),
        validators=[Optional()],
    )
    decided_on = DateField(
        _l("Decided on"), validators=[InputRequired(_l("Enter the date of the decision."))]
    )
    reason = TextAreaField(
        _l("Reason and decision"),
        description=_l("Why the agreement changes and who decided it."),
        validators=[
            InputRequired(_l("Say why the agreement was changed.")),
            Length(max=REASON_MAX),
        ],
    )
    reason_lang = SelectField(
        _l("Language you write in"),
        choices=[
            SelectChoice(code, name, render_kw={"lang": code})
            for code, name in LANGUAGE_NAMES.items()
        ],
    )

    def set_choices(self) -> None:
        self.kind.choices = AmendmentKind.choices()
