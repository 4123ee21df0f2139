"""The choice of a report: which agreement and which period (a quarter unless changed)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired

from portal.agreements.models import Agreement
from portal.core.forms import SelectField
from portal.extensions import db
from portal.reports.services import Period


class ReportForm(FlaskForm):
    """A GET form (no CSRF token: it changes nothing), filled with the default agreement and the
    current quarter."""

    class Meta:
        csrf = False

    agreement = SelectField(_l("Agreement"), coerce=int)
    start = DateField(
        _l("First day of the period"),
        validators=[InputRequired(_l("Enter the first day of the period."))],
    )
    end = DateField(
        _l("Last day of the period"),
        validators=[InputRequired(_l("Enter the last day of the period."))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agreements = list(
            db.session.scalars(
                select(Agreement).order_by(Agreement.is_default.desc(), Agreement.reference)
            )
        )
        self.agreements = {a.id: a for a in agreements}
        self.agreement.choices = [
            SelectChoice(str(a.id), f"{a.reference}: {a.title}") for a in agreements
        ]
        if not self.is_submitted() and not self.start.raw_data:
            quarter = Period.quarter_of(date.today())
            self.start.data = self.start.data or quarter.start
            self.end.data = self.end.data or quarter.end
        if self.agreement.data is None and agreements:
            self.agreement.data = agreements[0].id

    def is_submitted(self) -> bool:
        return False

    def query(self) -> dict[str, str]:
        return {
            "agreement": str(self.agreement.data),
            "start": self.start.data.isoformat() if self.start.data else "",
            "end": self.end.data.isoformat() if self.end.data else "",
        }
