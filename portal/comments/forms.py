"""The comment form: the text and the language it is written in (the writer's interface
language unless they choose another)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired

from portal.content.models import CONTENT_LANGUAGES
from portal.core.forms import SelectField
from portal.core.i18n import LANGUAGE_NAMES, current_language


def language_choices() -> list[SelectChoice]:
    """The content languages, each named in itself and marked with its ``lang``."""
    return [
        SelectChoice(code, LANGUAGE_NAMES[code], render_kw={"lang": code})
        for code in CONTENT_LANGUAGES
    ]


class CommentForm(FlaskForm):
    # The service checks emptiness and length, with the same words for htmx and plain posts.
    body = TextAreaField(
        _l("Your comment"),
        description=_l(
            "Plain text; web addresses become links. Mention someone who can see this page "
            "with @ and their e-mail address."
        ),
    )
    lang = SelectField(
        _l("Language of the text"),
        choices=language_choices,
        default=current_language,
        validators=[InputRequired(_l("Choose the language the text is written in."))],
        invalid_choice_message=_l("Choose the language the text is written in."),
        invalid_value_message=_l("Choose the language the text is written in."),
    )


class EditCommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"))
