"""Form pieces shared by every package."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from wtforms import SelectField as _SelectField
from wtforms.widgets import Select

from portal.core.kept import KeptChoices

_OPTION = Markup('<option %svalue="%s">%s</option>')  # "%" escapes the value and the label


class QuickSelect(Select):
    """wtforms' ``<select>``, writing plain options without ``html_params``: the list pages'
    filters render some eighty options per request, and wtforms' general path (sorting and
    escaping every attribute of every option) cost a tenth of a list page. Options with
    ``render_kw`` (the language choices carry ``lang``) or extra arguments go the general way.
    The markup is the same: ``<option selected value="…">label</option>``."""

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        if choice.render_kw or kwargs:
            return super().render_option(choice, **kwargs)
        value = choice.value
        if isinstance(value, bool):
            value = str(value)
        return _OPTION % ("selected " if choice.selected else "", value, choice.label or value)


class SelectField(_SelectField):
    widget = QuickSelect()

    def pre_validate(self, form: Any) -> None:
        """wtforms' check that the value is among the choices, which builds two objects per
        choice on every request; with kept choices (a list's filters), one set lookup, and
        wtforms' own check (and its message) only for a value that is not among them."""
        choices = self.choices
        if (
            isinstance(choices, KeptChoices)
            and not self.process_errors
            and self.data in choices.accepted(self.coerce)
        ):
            return
        super().pre_validate(form)
