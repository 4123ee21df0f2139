"""Sign-in and profile forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from portal.core.i18n import LANGUAGE_NAMES

TIMEZONES = [SelectChoice("Europe/Kyiv"), SelectChoice("Europe/Stockholm")]


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=128)],
    )


class ProfileForm(FlaskForm):
    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice(code, name, render_kw={"lang": code})
            for code, name in LANGUAGE_NAMES.items()
        ],
    )
    timezone = SelectField(_l("Time zone"), choices=TIMEZONES)


class EmailOnlyForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
