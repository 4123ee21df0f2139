"""The audit log's filters, sent with GET."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional, ValidationError

from portal.core.forms import SelectField


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    record_type = SelectField(_l("Record type"), validate_choice=False)
    action = SelectField(_l("Action"), validate_choice=False)
    actor = StringField(
        _l("Who (e-mail address)"),
        description=_l("The whole address or a part of it."),
        validators=[Optional(), Length(max=254)],
    )
    date_from = DateField(
        lazy_pgettext("date", "From"),
        validators=[Optional()],
        render_kw={"max": "9999-12-31"},
    )
    date_until = DateField(
        _l("Until"),
        validators=[Optional()],
        render_kw={"max": "9999-12-31"},
    )

    def validate_date_until(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date must not be before the start date."))
