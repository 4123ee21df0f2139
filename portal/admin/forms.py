"""Forms for administering users and organisations."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.admin.services import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from portal.core.enums import OrganisationKind, Role
from portal.core.forms import SelectField

# Ids are the database's 32-bit integers: a larger number cannot name a record (and would
# overflow the query's parameter).
from portal.core.http import MAX_ID
from portal.core.i18n import LANGUAGE_NAMES
from portal.core.text import clean_text


def _optional_int(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _clean(value: object) -> object:
    """Text fields as the portal stores text (portal.core.text): control characters are never
    part of a name (and PostgreSQL refuses NUL)."""
    return clean_text(value) if isinstance(value, str) else value


def _email_address(form: FlaskForm, field: EmailField) -> None:
    # Reserved test domains (.test) are accepted outside production, where demo accounts use them.
    testing = current_app.config.get("ENV_NAME") != "production"
    Email(
        message=_l("Enter a valid e-mail address, such as name@example.org."),
        test_environment=testing,
    )(form, field)


def language_choices() -> list[SelectChoice]:
    return [
        SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()
    ]


class UserFilterForm(FlaskForm):
    """The users list's filters, sent with GET."""

    class Meta:
        csrf = False

    organisation = SelectField(_l("Organisation"), coerce=_optional_int, validate_choice=False)
    role = SelectField(_l("Role"), validate_choice=False)
    active = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("Active and inactive")),
            SelectChoice("yes", _l("Active")),
            SelectChoice("no", _l("Inactive")),
        ],
        validate_choice=False,
    )


class UserForm(FlaskForm):
    """Editing an account: what an admin may change after creation."""

    name = StringField(
        _l("Name"),
        filters=[_clean],
        validators=[DataRequired(_l("Enter the person's name.")), Length(max=120)],
    )
    role = SelectField(_l("Role"), choices=Role.choices())
    organisation = SelectField(_l("Organisation"), coerce=int)
    fingerprint = HiddenField()


class NewUserForm(UserForm):
    email = EmailField(
        _l("E-mail address"),
        filters=[_clean],
        validators=[
            DataRequired(_l("Enter the e-mail address.")),
            Length(max=254),
            _email_address,
        ],
    )
    password = PasswordField(
        _l("Initial password"),
        description=_l(
            "At least %(min)d and at most %(max)d characters. Give it to the person by a "
            "separate channel.",
            min=PASSWORD_MIN_LENGTH,
            max=PASSWORD_MAX_LENGTH,
        ),
        validators=[
            DataRequired(_l("Enter an initial password.")),
            Length(
                min=PASSWORD_MIN_LENGTH,
                max=PASSWORD_MAX_LENGTH,
                message=_l(
                    "The password must have between %(min)d and %(max)d characters.",
                    min=PASSWORD_MIN_LENGTH,
                    max=PASSWORD_MAX_LENGTH,
                ),
            ),
        ],
    )
    locale = SelectField(_l("Interface language"), choices=language_choices())


class OrganisationForm(FlaskForm):
    name_en = StringField(
        _l("Name in English"),
        filters=[_clean],
        validators=[DataRequired(_l("Enter the name in English.")), Length(max=160)],
        render_kw={"lang": "en"},
    )
    name_sv = StringField(
        _l("Name in Swedish"),
        filters=[_clean],
        validators=[DataRequired(_l("Enter the name in Swedish.")), Length(max=160)],
        render_kw={"lang": "sv"},
    )
    name_uk = StringField(
        _l("Name in Ukrainian"),
        filters=[_clean],
        validators=[DataRequired(_l("Enter the name in Ukrainian.")), Length(max=160)],
        render_kw={"lang": "uk"},
    )
    kind = SelectField(_l("Kind"), choices=OrganisationKind.choices())
    city = SelectField(_l("City"), coerce=int)
    registry_id = StringField(
        _l("Registry id"),
        filters=[_clean],
        description=_l(
            "Optional. Swedish organisation number (NNNNNN-NNNN) or Ukrainian EDRPOU code "
            "(8 digits)."
        ),
        validators=[Optional(), Length(max=32)],
    )
    themes = SelectMultipleField(
        _l("Themes of expertise"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    fingerprint = HiddenField()


class SecurityForm(FlaskForm):
    everyone = BooleanField(
        _l("Require two-factor sign-in of everyone"),
        description=_l(
            "Coordinators and administrators always sign in with a second factor. When this is "
            "on, requesters and experts must set one up at their next sign-in."
        ),
    )
