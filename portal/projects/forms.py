"""Forms of the projects pages. Choices that depend on the data or the reader's language are
filled in by the view; the rules about dates and leads are the services' and come back as
``ProjectRuleError`` beside the field."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange

from portal.core.enums import ProjectStatus, ReportStatus, Visibility
from portal.core.forms import SelectField
from portal.core.i18n import LANGUAGE_NAMES
from portal.projects.services import BODY_MAX, MAX_WEIGHT, TITLE_MAX
from portal.reference import lists as reference_lists


def language_choices() -> list[SelectChoice]:
    return [
        SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()
    ]


def optional_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def optional_visibility(value: Any) -> Visibility | None:
    if value in (None, ""):
        return None
    return Visibility(value)


class ProjectFields(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("Enter a title.")), Length(max=TITLE_MAX)],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[InputRequired(_l("Describe the project.")), Length(max=BODY_MAX)],
    )
    lang = SelectField(_l("Language you write in"), choices=language_choices())
    starts_on = DateField(
        lazy_pgettext("date", "Start"), validators=[InputRequired(_l("Enter the start date."))]
    )
    ends_on = DateField(
        lazy_pgettext("date", "End"), validators=[InputRequired(_l("Enter the end date."))]
    )
    visibility = SelectField(_l("Visibility"), coerce=optional_visibility)
    requester_lead = SelectField(_l("Lead organisation, requesting side"), coerce=optional_int)
    expert_lead = SelectField(_l("Lead organisation, expert side"), coerce=optional_int)

    def set_choices(self, requester_orgs: list, expert_orgs: list, *, optional: bool) -> None:
        """Fill the organisation and visibility choices; ``optional`` offers "as the matches"."""
        empty = [SelectChoice("", str(_l("As in the first match")))] if optional else []
        self.requester_lead.choices = empty + [
            SelectChoice(str(o.id), o.name) for o in requester_orgs
        ]
        self.expert_lead.choices = empty + [SelectChoice(str(o.id), o.name) for o in expert_orgs]
        vis_empty = (
            [SelectChoice("", str(_l("As the most restricted of the needs")))] if optional else []
        )
        self.visibility.choices = vis_empty + Visibility.choices()


class NewProjectForm(ProjectFields):
    # Sent as "match" (as in /projects/new?match=3): a control named "matches" would hide the
    # form element's own matches() method from scripts (htmx, axe, assistive tools).
    matches = SelectMultipleField(
        _l("Agreed matches"),
        name="match",
        coerce=int,
        validators=[InputRequired(_l("Choose at least one agreed match."))],
    )


class EditProjectForm(ProjectFields):
    version = HiddenField()


class MilestoneForm(FlaskForm):
    title = StringField(
        _l("Milestone"),
        validators=[InputRequired(_l("Enter what the milestone is.")), Length(max=TITLE_MAX)],
    )
    lang = SelectField(_l("Language you write in"), choices=language_choices())
    due_on = DateField(_l("Due on"), validators=[InputRequired(_l("Enter the due date."))])
    weight = IntegerField(
        _l("Weight"),
        default=1,
        description=_l("How much this milestone counts towards progress, from 1 to 100."),
        validators=[
            InputRequired(_l("Enter a weight.")),
            NumberRange(min=1, max=MAX_WEIGHT, message=_l("Use a whole number from 1 to 100.")),
        ],
    )


class ReportForm(FlaskForm):
    status = RadioField(
        _l("Status"), validators=[InputRequired(_l("Choose how the project is going."))]
    )
    body = TextAreaField(
        _l("Report"),
        validators=[InputRequired(_l("Write what happened.")), Length(max=BODY_MAX)],
    )
    lang = SelectField(_l("Language you write in"), choices=language_choices())

    def set_choices(self) -> None:
        self.status.choices = ReportStatus.choices()


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[InputRequired(_l("Choose the new status."))])

    def set_choices(self, targets: list[ProjectStatus]) -> None:
        self.status.choices = [SelectChoice(s.value, s.label) for s in targets]


class ProjectFilterForm(FlaskForm):
    """The list's filters: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Length(max=200)])
    theme = SelectField(_l("Theme"), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)
    district = SelectField(_l("District"), validate_choice=False)

    def set_choices(self) -> None:
        """The themes and districts in the reader's alphabet, kept (``kept_choices``)."""
        everything = lambda: SelectChoice("", str(_l("All")))  # noqa: E731
        self.theme.choices = reference_lists.kept_choices(
            "projects:theme",
            lambda: [
                everything(),
                *(SelectChoice(t.code, t.name) for t in reference_lists.themes()),
            ],
        )
        self.status.choices = reference_lists.kept_choices(
            "projects:status", lambda: [everything(), *ProjectStatus.choices()]
        )
        self.district.choices = reference_lists.kept_choices(
            "projects:district",
            lambda: [
                everything(),
                *(SelectChoice(d.code, d.name) for d in reference_lists.districts()),
            ],
        )
