"""The need editor and the filter form of the needs list.

The small helpers at the top (language choices, optional select values, lenient filter forms)
are shared with the offers forms, which have the same shape.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateField,
    IntegerField,
    SearchField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from portal.content.models import CONTENT_LANGUAGES
from portal.core.enums import HelpKind, NeedStatus, Priority, Visibility
from portal.core.forms import SelectField
from portal.core.i18n import LANGUAGE_NAMES, current_language
from portal.extensions import db
from portal.needs.services import (
    DESCRIPTION_MAX,
    PERSON_DAYS_MAX,
    TITLE_MAX,
    NeedFilters,
)
from portal.reference import lists as reference_lists
from portal.reference.models import District, Theme

# ---------------------------------------------------------------- shared helpers


def optional_int(value: Any) -> int | None:
    """Coerce for a select whose first option is "any" (an empty value)."""
    if value in (None, ""):
        return None
    return int(value)


def optional_enum(enum_class: type) -> Any:
    def coerce(value: Any) -> Any:
        if value in (None, ""):
            return None
        return enum_class(value)

    return coerce


def language_choices() -> list[SelectChoice]:
    """The content languages, each named in itself and marked with its ``lang``."""
    return [
        SelectChoice(code, LANGUAGE_NAMES[code], render_kw={"lang": code})
        for code in CONTENT_LANGUAGES
    ]


def theme_choices(themes: list[Theme], mark_critical: bool = True) -> list[SelectChoice]:
    choices = []
    for theme in themes:
        label = theme.name
        if mark_critical and theme.is_critical:
            label = _("%(theme)s (critical infrastructure)", theme=theme.name)
        choices.append(SelectChoice(str(theme.id), label))
    return choices


def all_themes() -> list[Theme]:
    return list(db.session.scalars(select(Theme).order_by(Theme.position, Theme.id)))


class FilterForm(FlaskForm):
    """A GET form whose invalid values are dropped instead of refused: a hand-edited or stale
    URL still shows a list, never an error page."""

    class Meta:
        csrf = False

    def relax(self) -> None:
        self.validate()
        for field in self:
            if field.errors:
                field.data = field.default
                field.errors = []


# ---------------------------------------------------------------- the need editor


VISIBILITY_HINT = _l(
    "Public: anyone, also without an account. Partners: every signed-in user. Restricted: your "
    "organisation, the organisations on a match or project, and coordinators. Needs on "
    "critical-infrastructure themes (water, electricity, heating) are restricted by default: "
    "under martial law their state must not be published."
)


class NeedForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Enter a title.")),
            Length(max=TITLE_MAX, message=_l("Keep the title under %(max)d characters.")),
        ],
    )
    description = TextAreaField(
        _l("Description"),
        description=_l("What is the situation, and what kind of help would make a difference?"),
        validators=[
            DataRequired(_l("Describe what is needed.")),
            Length(
                max=DESCRIPTION_MAX,
                message=_l("Keep the description under %(max)d characters."),
            ),
        ],
    )
    lang = SelectField(
        _l("Language of the text"),
        description=_l(
            "The language you write the title and description in. Others can add translations."
        ),
        choices=language_choices,
        default=current_language,
        validators=[InputRequired(_l("Choose the language the text is written in."))],
        invalid_choice_message=_l("Choose the language the text is written in."),
        invalid_value_message=_l("Choose the language the text is written in."),
    )
    theme = SelectField(
        _l("Theme"),
        coerce=optional_int,
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
    help_kind = SelectField(
        _l("Kind of help"),
        coerce=HelpKind,
        choices=HelpKind.choices,
        invalid_choice_message=_l("Choose a kind of help from the list."),
        invalid_value_message=_l("Choose a kind of help from the list."),
    )
    district = SelectField(
        _l("District"),
        description=_l("Leave empty when the need concerns the whole city."),
        coerce=optional_int,
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
    visibility = SelectField(
        _l("Visibility"),
        description=VISIBILITY_HINT,
        coerce=optional_enum(Visibility),
        invalid_choice_message=_l("Choose a visibility from the list."),
        invalid_value_message=_l("Choose a visibility from the list."),
    )
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def __init__(self, *args: Any, is_new: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_new = is_new
        self.themes = {t.id: t for t in all_themes()}
        self.theme.choices = [
            SelectChoice("", _("Choose a theme")),
            *theme_choices(list(self.themes.values())),
        ]
        districts = db.session.scalars(select(District).order_by(District.code))
        self.districts = {d.id: d for d in districts}
        self.district.choices = [
            SelectChoice("", _("Whole city")),
            *(SelectChoice(str(d.id), d.name) for d in self.districts.values()),
        ]
        visibilities = Visibility.choices()
        if is_new:
            visibilities.insert(0, SelectChoice("", _("Default for the theme")))
        self.visibility.choices = visibilities

    def validate_wanted_until(self, field: DateField) -> None:
        start = self.wanted_from.data
        if field.data and start and field.data < start:
            raise ValidationError(_("The end of the wanted period cannot be before its start."))

    def validate_visibility(self, field: SelectField) -> None:
        if field.data is None and not self.is_new:
            raise ValidationError(_("Choose a visibility from the list."))

    def values(self) -> dict[str, Any]:
        """The form's input as keyword arguments for ``create_need`` / ``update_need``.
        Only the fields declared here: extra posted fields never reach the service."""
        return {
            "title": self.title.data or "",
            "description": self.description.data or "",
            "lang": self.lang.data,
            "theme": self.themes[self.theme.data],
            "priority": self.priority.data,
            "help_kind": self.help_kind.data,
            "district": self.districts.get(self.district.data) if self.district.data else None,
            "wanted_from": self.wanted_from.data,
            "wanted_until": self.wanted_until.data,
            "person_days": self.person_days.data,
            "visibility": self.visibility.data,
        }

    def load(self, need: Any) -> None:
        """Fill an unsubmitted form from a saved need, texts in their original language."""
        self.title.data = need.title.original
        self.description.data = need.description.original
        self.lang.data = need.title.original_lang
        self.theme.data = need.theme_id
        self.priority.data = need.priority
        self.help_kind.data = need.help_kind
        self.district.data = need.district_id
        self.wanted_from.data = need.wanted_from
        self.wanted_until.data = need.wanted_until
        self.person_days.data = need.person_days
        self.visibility.data = need.visibility
        self.version.data = need.version


# ---------------------------------------------------------------- the list's filters

LIVE = "live"
ALL = "all"


class NeedFilterForm(FilterForm):
    q = SearchField(
        _l("Search"),
        description=_l(
            "Words in the title or description, in any language, machine translations included."
        ),
        validators=[Optional(), Length(max=200)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    theme = SelectField(_l("Theme"), coerce=optional_int)
    status = SelectField(_l("Status"), default=LIVE)
    priority = SelectField(_l("Priority"), coerce=optional_enum(Priority))
    help_kind = SelectField(_l("Kind of help"), coerce=optional_enum(HelpKind))
    district = SelectField(_l("District"), coerce=optional_int)
    organisation = SelectField(_l("Organisation"), coerce=optional_int)
    sort = SelectField(_l("Sort by"), default="newest")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_ = SelectChoice("", _("Any"))
        self.theme.choices = [any_, *theme_choices(reference_lists.themes(), mark_critical=False)]
        self.status.choices = [
            SelectChoice(LIVE, _("Open, matched or in project")),
            SelectChoice(ALL, _("All")),
            *NeedStatus.choices(),
        ]
        self.priority.choices = [any_, *Priority.choices()]
        self.help_kind.choices = [any_, *HelpKind.choices()]
        self.district.choices = [
            any_,
            *(SelectChoice(str(d.id), d.name) for d in reference_lists.districts()),
        ]
        self.organisation.choices = [
            any_,
            *(SelectChoice(str(o.id), o.name) for o in reference_lists.organisations("requester")),
        ]
        self.sort.choices = [
            SelectChoice("newest", _("Newest first")),
            SelectChoice("priority", _("Priority, critical first")),
            SelectChoice("wanted", _("Wanted period, soonest first")),
        ]
        self.relax()

    def filters(self) -> NeedFilters:
        status = self.status.data
        if status == ALL:
            statuses = None
        elif status == LIVE or status is None:
            statuses = NeedFilters.statuses
        else:
            statuses = (NeedStatus(status),)
        return NeedFilters(
            statuses=statuses,
            theme_id=self.theme.data,
            priority=self.priority.data,
            help_kind=self.help_kind.data,
            district_id=self.district.data,
            organisation_id=self.organisation.data,
            q=self.q.data or "",
            sort=self.sort.data or "newest",
        )
