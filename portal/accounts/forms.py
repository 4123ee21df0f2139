"""Forms for signing in, two-factor codes, passwords and the profile."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from portal.accounts.passwords import MAX_LENGTH
from portal.core.forms import SelectField
from portal.core.i18n import LANGUAGE_NAMES

TIMEZONES = [SelectChoice("Europe/Kyiv"), SelectChoice("Europe/Stockholm")]


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_LENGTH)],
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        description=_l(
            "The six-digit code from your authenticator app, or one of your recovery codes."
        ),
        validators=[DataRequired(_l("Enter the code.")), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off"},
    )


class EnrolForm(FlaskForm):
    code = StringField(
        _l("Code from the app"),
        description=_l("Scan the QR code or type the key into your app, then enter its code."),
        validators=[DataRequired(_l("Enter the code.")), Length(max=10)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ConfirmPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_LENGTH)],
    )


class ConfirmIdentityForm(FlaskForm):
    """Re-authentication: the password, and the current code when the second factor is on."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code"),
        description=_l(
            "The six-digit code from your authenticator app, or one of your recovery codes."
        ),
        validators=[DataRequired(_l("Enter the code.")), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off"},
    )


class NewPasswordMixin:
    new_password = PasswordField(
        _l("New password"),
        description=_l(
            "At least 12 characters. A phrase of several words is long and easy to remember."
        ),
        validators=[DataRequired(_l("Enter a new password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the new password.")),
            EqualTo("new_password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class SetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
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
