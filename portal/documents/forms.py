"""Forms for uploading a document and a new version of it. The file's checks (size, type,
virus scan) are the service's and come back beside the file field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.fields import SelectChoice

from portal.content.models import CONTENT_LANGUAGES
from portal.core.forms import SelectField
from portal.core.i18n import LANGUAGE_NAMES, current_language


def language_choices() -> list[SelectChoice]:
    """The content languages, each named in itself and marked with its ``lang``."""
    return [
        SelectChoice(code, LANGUAGE_NAMES[code], render_kw={"lang": code})
        for code in CONTENT_LANGUAGES
    ]


class UploadForm(FlaskForm):
    title = StringField(_l("Title"))
    lang = SelectField(
        _l("Language of the document"),
        choices=language_choices,
        default=current_language,
        validate_choice=False,  # the service refuses an unknown language beside the field
    )
    # "kind:id" of the record to attach to: the page's own record, or (on a project's page)
    # one of its milestones or status reports. Filled by the view.
    attach_to = SelectField(_l("Attach to"), validate_choice=False)
    file = FileField(_l("File"))


class VersionForm(FlaskForm):
    file = FileField(_l("File of the new version"))
