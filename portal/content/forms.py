"""Forms for adding or correcting a language version, and the "needs translation" filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired

from portal.core.forms import SelectField


class TranslationForm(FlaskForm):
    # The label names the language; the view sets it.
    body = TextAreaField(
        _l("Version"),
        validators=[DataRequired(_l("Enter the text. An empty version cannot be saved."))],
    )
    # version_token() of the version the form was loaded with, to refuse a silent overwrite.
    loaded = HiddenField()
    next = HiddenField()


class MissingFilterForm(FlaskForm):
    class Meta:
        csrf = False

    theme = SelectField(_l("Theme"), validate_choice=False)
    # Not "lang": that query argument switches the interface language.
    missing = SelectField(_l("Language missing"), validate_choice=False)


class ApproveForm(FlaskForm):
    """Approving a machine translation as it is: nothing but the CSRF token and where to go."""

    next = HiddenField()
