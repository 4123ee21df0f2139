"""The offer editor and the filter form of the offers list (the shared fields and behaviour are
in ``portal.postings.forms``)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectMultipleField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.enums import HelpKind, OfferStatus
from portal.core.forms import SelectField
from portal.offers.services import CAPACITY_MAX, OfferFilters
from portal.postings import forms as postings

VISIBILITY_HINT = _l(
    "Public: anyone, also without an account. Partners: every signed-in user. Restricted: your "
    "organisation, the organisations on a match or project, and coordinators. Offers on "
    "critical-infrastructure themes (water, electricity, heating) are for partners by default."
)


class OfferForm(postings.PostingForm):
    title = postings.title_field()
    description = postings.description_field(
        _l("What expertise do you offer, and what have you done before?"),
        _l("Describe the expertise you offer."),
    )
    lang = postings.lang_field()
    themes = SelectMultipleField(
        _l("Themes"),
        description=_l("Choose every theme the expertise is useful for."),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired(_l("Choose at least one theme."))],
        invalid_choice_message=_l("Choose themes from the list."),
        invalid_value_message=_l("Choose themes from the list."),
    )
    help_kind = postings.help_kind_field()
    capacity_days = IntegerField(
        _l("Capacity in person-days"),
        description=_l("How much expert time your organisation can give in all."),
        validators=[
            InputRequired(_l("Enter the capacity in person-days.")),
            NumberRange(
                min=1,
                max=CAPACITY_MAX,
                message=_l(
                    "Enter a capacity from %(min)s to %(max)s person-days.", min=1, max=CAPACITY_MAX
                ),
            ),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    available_from = DateField(
        _l("Available from"),
        validators=[InputRequired(_l("Enter the first day the expertise is available."))],
    )
    available_until = DateField(
        _l("Available until"),
        validators=[InputRequired(_l("Enter the last day the expertise is available."))],
    )
    visibility = postings.visibility_field(VISIBILITY_HINT)
    version = postings.version_field()

    default_visibility_label = _l("Default for the themes")

    def __init__(self, *args: Any, is_new: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, is_new=is_new, **kwargs)
        self.theme_objects = {t.id: t for t in postings.all_themes()}
        self.themes.choices = postings.theme_choices(list(self.theme_objects.values()))

    def validate_available_until(self, field: DateField) -> None:
        start = self.available_from.data
        if field.data and start and field.data < start:
            raise ValidationError(_("The end of the availability cannot be before its start."))

    def own_values(self) -> dict[str, Any]:
        return {
            "themes": [self.theme_objects[i] for i in self.themes.data or []],
            "capacity_days": self.capacity_days.data,
            "available_from": self.available_from.data,
            "available_until": self.available_until.data,
        }

    def load_own(self, offer: Any) -> None:
        self.themes.data = [t.id for t in offer.themes]
        self.capacity_days.data = offer.capacity_days
        self.available_from.data = offer.available_from
        self.available_until.data = offer.available_until


class OfferFilterForm(postings.PostingFilterForm):
    q = postings.search_field()
    theme = SelectField(_l("Theme"), coerce=postings.optional_int)
    status = SelectField(_l("Status"), default=OfferStatus.OPEN.value)
    help_kind = SelectField(_l("Kind of help"), coerce=postings.optional_enum(HelpKind))
    organisation = SelectField(_l("Organisation"), coerce=postings.optional_int)
    sort = SelectField(_l("Sort by"), default="newest")

    organisation_role = "expert"

    def kind_choices(self, any_: SelectChoice) -> None:
        self.status.choices = [*OfferStatus.choices(), SelectChoice(postings.ALL, _("All"))]
        self.sort.choices = [
            SelectChoice("newest", _("Newest first")),
            SelectChoice("available", _("Available from, soonest first")),
        ]

    def filters(self) -> OfferFilters:
        status = self.status.data
        if status == postings.ALL:
            statuses = None
        elif status:
            statuses = (OfferStatus(status),)
        else:
            statuses = OfferFilters.statuses
        return OfferFilters(statuses=statuses, **self.filter_values())
