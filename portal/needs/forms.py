"""The need editor and the filter form of the needs list (the shared fields and behaviour are in
``portal.postings.forms``)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateField, IntegerField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from portal.core.collation import by_name
from portal.core.enums import HelpKind, NeedStatus, Priority
from portal.core.forms import SelectField
from portal.extensions import db
from portal.needs.services import PERSON_DAYS_MAX, NeedFilters
from portal.postings import forms as postings
from portal.reference import lists as reference_lists
from portal.reference.models import District

VISIBILITY_HINT = _l(
    "Public: anyone, also without an account. Partners: every signed-in user. Restricted: your "
    "organisation, the organisations on a match or project, and coordinators. Needs on "
    "critical-infrastructure themes (water, electricity, heating) are restricted by default: "
    "under martial law their state must not be published."
)


class NeedForm(postings.PostingForm):
    title = postings.title_field()
    description = postings.description_field(
        _l("What is the situation, and what kind of help would make a difference?"),
        _l("Describe what is needed."),
    )
    lang = postings.lang_field()
    theme = SelectField(
        _l("Theme"),
        coerce=postings.optional_int,
        validators=[InputRequired(_l("Choose a theme."))],
        invalid_choice_message=_l("Choose a theme from the list."),
        invalid_value_message=_l("Choose a theme from the list."),
    )
    priority = SelectField(
        _l("Priority"),
        coerce=Priority,
        choices=Priority.choices,
        default=Priority.MEDIUM,
        invalid_choice_message=_l("Choose a priority from the list."),
        invalid_value_message=_l("Choose a priority from the list."),
    )
    help_kind = postings.help_kind_field()
    district = SelectField(
        _l("District"),
        description=_l("Leave empty when the need concerns the whole city."),
        coerce=postings.optional_int,
        invalid_choice_message=_l("Choose a district from the list."),
        invalid_value_message=_l("Choose a district from the list."),
    )
    wanted_from = DateField(
        _l("Wanted from"),
        validators=[Optional()],
        render_kw={"autocomplete": "off"},
    )
    wanted_until = DateField(
        _l("Wanted until"),
        validators=[Optional()],
        render_kw={"autocomplete": "off"},
    )
    person_days = IntegerField(
        _l("Person-days"),
        description=_l("An estimate of the expert time needed, if you have one."),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=PERSON_DAYS_MAX,
                message=_l(
                    "Enter a number of person-days from %(min)s to %(max)s.",
                    min=1,
                    max=PERSON_DAYS_MAX,
                ),
            ),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    visibility = postings.visibility_field(VISIBILITY_HINT)
    version = postings.version_field()

    default_visibility_label = _l("Default for the theme")

    def __init__(self, *args: Any, is_new: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, is_new=is_new, **kwargs)
        self.themes = {t.id: t for t in postings.all_themes()}
        self.theme.choices = [
            SelectChoice("", _("Choose a theme")),
            *postings.theme_choices(list(self.themes.values())),
        ]
        districts = by_name(db.session.scalars(select(District)))
        self.districts = {d.id: d for d in districts}
        self.district.choices = [
            SelectChoice("", _("Whole city")),
            *(SelectChoice(str(d.id), d.name) for d in self.districts.values()),
        ]

    def validate_wanted_until(self, field: DateField) -> None:
        start = self.wanted_from.data
        if field.data and start and field.data < start:
            raise ValidationError(_("The end of the wanted period cannot be before its start."))

    def own_values(self) -> dict[str, Any]:
        return {
            "theme": self.themes[self.theme.data],
            "priority": self.priority.data,
            "district": self.districts.get(self.district.data) if self.district.data else None,
            "wanted_from": self.wanted_from.data,
            "wanted_until": self.wanted_until.data,
            "person_days": self.person_days.data,
        }

    def load_own(self, need: Any) -> None:
        self.theme.data = need.theme_id
        self.priority.data = need.priority
        self.district.data = need.district_id
        self.wanted_from.data = need.wanted_from
        self.wanted_until.data = need.wanted_until
        self.person_days.data = need.person_days


LIVE = "live"


class NeedFilterForm(postings.PostingFilterForm):
    q = postings.search_field()
    theme = SelectField(_l("Theme"), coerce=postings.optional_int)
    status = SelectField(_l("Status"), default=LIVE)
    priority = SelectField(_l("Priority"), coerce=postings.optional_enum(Priority))
    help_kind = SelectField(_l("Kind of help"), coerce=postings.optional_enum(HelpKind))
    district = SelectField(_l("District"), coerce=postings.optional_int)
    organisation = SelectField(_l("Organisation"), coerce=postings.optional_int)
    sort = SelectField(_l("Sort by"), default="newest")

    organisation_role = "requester"

    def kind_choices(self, any_: SelectChoice) -> None:
        self.status.choices = [
            SelectChoice(LIVE, _("Open, matched or in project")),
            SelectChoice(postings.ALL, _("All")),
            *NeedStatus.choices(),
        ]
        self.priority.choices = [any_, *Priority.choices()]
        self.district.choices = [
            any_,
            *(SelectChoice(str(d.id), d.name) for d in reference_lists.districts()),
        ]
        self.sort.choices = [
            SelectChoice("newest", _("Newest first")),
            SelectChoice("priority", _("Priority, critical first")),
            SelectChoice("wanted", _("Wanted period, soonest first")),
        ]

    def filters(self) -> NeedFilters:
        status = self.status.data
        if status == postings.ALL:
            statuses = None
        elif status == LIVE or status is None:
            statuses = NeedFilters.statuses
        else:
            statuses = (NeedStatus(status),)
        return NeedFilters(
            statuses=statuses,
            priority=self.priority.data,
            district_id=self.district.data,
            **self.filter_values(),
        )
