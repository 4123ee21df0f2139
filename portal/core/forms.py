"""Form pieces shared by every package."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from wtforms import SelectField as _SelectField
from wtforms.widgets import Select

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
