"""What the editors and the list filters of needs and offers share.

The fields both kinds have are made by the functions here, so that each kind's form declares its
fields in the order its page shows them (WTForms orders fields by when they were made, and the
error summary lists them in that order); the behaviour around them is in the two base classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import wtforms
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SearchField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from portal.content.models import CONTENT_LANGUAGES
from portal.core.collation import by_name
from portal.core.enums import HelpKind, Visibility
from portal.core.forms import SelectField
from portal.core.i18n import LANGUAGE_NAMES, current_language
from portal.extensions import db
from portal.postings.services import DESCRIPTION_MAX, TITLE_MAX
from portal.reference import lists as reference_lists
from portal.reference.lists import Named
from portal.reference.models import Theme

# ---------------------------------------------------------------- helpers


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


def theme_choices(
    themes: Sequence[Theme | Named], mark_critical: bool = True
) -> list[SelectChoice]:
    choices = []
    for theme in themes:
        label = theme.name
        if mark_critical and theme.is_critical:
            label = _("%(theme)s (critical infrastructure)", theme=theme.name)
        choices.append(SelectChoice(str(theme.id), label))
    return choices


def all_themes() -> list[Theme]:
    """Every theme, in the reader's alphabet (as the filters list them)."""
    return by_name(db.session.scalars(select(Theme)))


# ---------------------------------------------------------------- the editor's fields


def title_field() -> StringField:
    return StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Enter a title.")),
            Length(max=TITLE_MAX, message=_l("Keep the title under %(max)d characters.")),
        ],
    )


def description_field(hint: Any, missing: Any) -> TextAreaField:
    return TextAreaField(
        _l("Description"),
        description=hint,
        validators=[
            DataRequired(missing),
            Length(
                max=DESCRIPTION_MAX,
                message=_l("Keep the description under %(max)d characters."),
            ),
        ],
    )


def lang_field() -> SelectField:
    return SelectField(
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


def help_kind_field() -> SelectField:
    return SelectField(
        _l("Kind of help"),
        coerce=HelpKind,
        choices=HelpKind.choices,
        invalid_choice_message=_l("Choose a kind of help from the list."),
        invalid_value_message=_l("Choose a kind of help from the list."),
    )


def visibility_field(hint: Any) -> SelectField:
    return SelectField(
        _l("Visibility"),
        description=hint,
        coerce=optional_enum(Visibility),
        invalid_choice_message=_l("Choose a visibility from the list."),
        invalid_value_message=_l("Choose a visibility from the list."),
    )


def version_field() -> IntegerField:
    return IntegerField(widget=HiddenInput(), validators=[Optional()])


class PostingForm(FlaskForm):
    """The editor of a posting. A kind's form declares the fields (with the functions above)
    and says how its own fields read from and write to a posting."""

    title: StringField
    description: TextAreaField
    lang: SelectField
    help_kind: SelectField
    visibility: SelectField
    version: IntegerField

    # The first choice of a new posting's visibility: the kind's default.
    default_visibility_label: Any = _l("Default for the theme")

    def __init__(self, *args: Any, is_new: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_new = is_new
        visibilities = Visibility.choices()
        if is_new:
            visibilities.insert(0, SelectChoice("", str(self.default_visibility_label)))
        self.visibility.choices = visibilities

    def validate_visibility(self, field: SelectField) -> None:
        if field.data is None and not self.is_new:
            raise ValidationError(_("Choose a visibility from the list."))

    def own_values(self) -> dict[str, Any]:
        """The kind's own fields as keyword arguments for its service."""
        raise NotImplementedError

    def load_own(self, posting: Any) -> None:
        """Fill the kind's own fields from a saved posting."""
        raise NotImplementedError

    def values(self) -> dict[str, Any]:
        """The form's input as keyword arguments for the service's create / update. Only the
        fields declared here: extra posted fields never reach the service."""
        return {
            "title": self.title.data or "",
            "description": self.description.data or "",
            "lang": self.lang.data,
            "help_kind": self.help_kind.data,
            "visibility": self.visibility.data,
            **self.own_values(),
        }

    def load(self, posting: Any) -> None:
        """Fill an unsubmitted form from a saved posting, texts in their original language."""
        self.title.data = posting.title.original
        self.description.data = posting.description.original
        self.lang.data = posting.title.original_lang
        self.help_kind.data = posting.help_kind
        self.visibility.data = posting.visibility
        self.version.data = posting.version
        self.load_own(posting)


# ---------------------------------------------------------------- the list's filters

ALL = "all"


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


def search_field() -> SearchField:
    return SearchField(
        _l("Search"),
        description=_l(
            "Words in the title or description, in any language, machine translations included."
        ),
        validators=[Optional(), Length(max=200)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


class PostingFilterForm(FilterForm):
    """The filters of a list of postings. A kind's form declares the fields (``q``, ``theme``,
    ``status``, ``help_kind``, ``organisation``, ``sort`` and its own) and fills the choices
    that differ in ``kind_choices``."""

    q: SearchField
    theme: SelectField
    status: SelectField
    help_kind: SelectField
    organisation: SelectField
    sort: SelectField

    # Which organisations post this kind ("requester", "expert").
    organisation_role: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The choices are the same for every reader of a language until the reference data
        # changes: made once per form, language and reference data's version, and kept.
        made: dict[str, Any] = {}

        def choices_of(name: str) -> Any:
            if not made:
                self.make_choices()
                made.update((f.name, f.choices) for f in self if isinstance(f, wtforms.SelectField))
            return made[name]

        for field in self:
            if isinstance(field, wtforms.SelectField):
                field.choices = reference_lists.kept_choices(
                    f"{type(self).__name__}:{field.name}",
                    lambda name=field.name: choices_of(name),  # type: ignore[misc]
                )
        self.relax()

    def make_choices(self) -> None:
        any_ = SelectChoice("", _("Any"))
        self.theme.choices = [any_, *theme_choices(reference_lists.themes(), mark_critical=False)]
        self.help_kind.choices = [any_, *HelpKind.choices()]
        self.organisation.choices = [
            any_,
            *(
                SelectChoice(str(o.id), o.name)
                for o in reference_lists.organisations(self.organisation_role)
            ),
        ]
        self.kind_choices(any_)

    def kind_choices(self, any_: SelectChoice) -> None:
        """Hook: the choices of the status, the sort and the kind's own filters."""
        raise NotImplementedError

    def filters(self) -> Any:
        """The kind's filters (``NeedFilters``, ``OfferFilters``) from the input."""
        raise NotImplementedError

    def filter_values(self) -> dict[str, Any]:
        """The filters both kinds have, as keyword arguments of the kind's filters."""
        return {
            "theme_id": self.theme.data,
            "help_kind": self.help_kind.data,
            "organisation_id": self.organisation.data,
            "q": self.q.data or "",
            "sort": self.sort.data or "newest",
        }
