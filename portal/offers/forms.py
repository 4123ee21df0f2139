"""The offer editor and the filter form of the offers list."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SearchField,
    SelectMultipleField,
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
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from portal.core.enums import HelpKind, OfferStatus, Visibility
from portal.core.forms import SelectField
from portal.core.i18n import current_language
from portal.needs.forms import (
    FilterForm,
    all_themes,
    language_choices,
    optional_enum,
    optional_int,
    theme_choices,
)
from portal.offers.services import CAPACITY_MAX, DESCRIPTION_MAX, TITLE_MAX, OfferFilters
from portal.reference import lists as reference_lists

VISIBILITY_HINT = _l(
    "Public: anyone, also without an account. Partners: every signed-in user. Restricted: your "
    "organisation, the organisations on a match or project, and coordinators. Offers on "
    "critical-infrastructure themes (water, electricity, heating) are for partners by default."
)


class OfferForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Enter a title.")),
            Length(max=TITLE_MAX, message=_l("Keep the title under %(max)d characters.")),
        ],
    )
    description = TextAreaField(
        _l("Description"),
        description=_l("What expertise do you offer, and what have you done before?"),
        validators=[
            DataRequired(_l("Describe the expertise you offer.")),
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
    help_kind = SelectField(
        _l("Kind of help"),
        coerce=HelpKind,
        choices=HelpKind.choices,
        invalid_choice_message=_l("Choose a kind of help from the list."),
        invalid_value_message=_l("Choose a kind of help from the list."),
    )
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
        self.theme_objects = {t.id: t for t in all_themes()}
        self.themes.choices = theme_choices(list(self.theme_objects.values()))
        visibilities = Visibility.choices()
        if is_new:
            visibilities.insert(0, SelectChoice("", _("Default for the themes")))
        self.visibility.choices = visibilities

    def validate_available_until(self, field: DateField) -> None:
        start = self.available_from.data
        if field.data and start and field.data < start:
            raise ValidationError(_("The end of the availability cannot be before its start."))

    def validate_visibility(self, field: SelectField) -> None:
        if field.data is None and not self.is_new:
            raise ValidationError(_("Choose a visibility from the list."))

    def values(self) -> dict[str, Any]:
        """The form's input as keyword arguments for ``create_offer`` / ``update_offer``.
        Only the fields declared here: extra posted fields never reach the service."""
        return {
            "title": self.title.data or "",
            "description": self.description.data or "",
            "lang": self.lang.data,
            "themes": [self.theme_objects[i] for i in self.themes.data or []],
            "help_kind": self.help_kind.data,
            "capacity_days": self.capacity_days.data,
            "available_from": self.available_from.data,
            "available_until": self.available_until.data,
            "visibility": self.visibility.data,
        }

    def load(self, offer: Any) -> None:
        """Fill an unsubmitted form from a saved offer, texts in their original language."""
        self.title.data = offer.title.original
        self.description.data = offer.description.original
        self.lang.data = offer.title.original_lang
        self.themes.data = [t.id for t in offer.themes]
        self.help_kind.data = offer.help_kind
        self.capacity_days.data = offer.capacity_days
        self.available_from.data = offer.available_from
        self.available_until.data = offer.available_until
        self.visibility.data = offer.visibility
        self.version.data = offer.version


ALL = "all"


class OfferFilterForm(FilterForm):
    q = SearchField(
        _l("Search"),
        description=_l(
            "Words in the title or description, in any language, machine translations included."
        ),
        validators=[Optional(), Length(max=200)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    theme = SelectField(_l("Theme"), coerce=optional_int)
    status = SelectField(_l("Status"), default=OfferStatus.OPEN.value)
    help_kind = SelectField(_l("Kind of help"), coerce=optional_enum(HelpKind))
    organisation = SelectField(_l("Organisation"), coerce=optional_int)
    sort = SelectField(_l("Sort by"), default="newest")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_ = SelectChoice("", _("Any"))
        self.theme.choices = [any_, *theme_choices(reference_lists.themes(), mark_critical=False)]
        self.status.choices = [*OfferStatus.choices(), SelectChoice(ALL, _("All"))]
        self.help_kind.choices = [any_, *HelpKind.choices()]
        self.organisation.choices = [
            any_,
            *(SelectChoice(str(o.id), o.name) for o in reference_lists.organisations("expert")),
        ]
        self.sort.choices = [
            SelectChoice("newest", _("Newest first")),
            SelectChoice("available", _("Available from, soonest first")),
        ]
        self.relax()

    def filters(self) -> OfferFilters:
        status = self.status.data
        if status == ALL:
            statuses = None
        elif status:
            statuses = (OfferStatus(status),)
        else:
            statuses = OfferFilters.statuses
        return OfferFilters(
            statuses=statuses,
            theme_id=self.theme.data,
            help_kind=self.help_kind.data,
            organisation_id=self.organisation.data,
            q=self.q.data or "",
            sort=self.sort.data or "newest",
        )
