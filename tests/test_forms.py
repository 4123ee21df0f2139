"""The portal's select widget writes exactly the markup of wtforms' own, only faster."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms import SelectField as WtformsSelectField
from wtforms.fields.choices import SelectChoice

from portal.core.enums import Priority
from portal.core.forms import QuickSelect, SelectField

CHOICES = [
    SelectChoice("", "Any"),
    SelectChoice("1", 'Water & "sewage" <critical>'),
    SelectChoice("2", "Водопостачання і каналізація"),
    SelectChoice("3"),  # the label defaults to the value
    SelectChoice("uk", "Українська", render_kw={"lang": "uk"}),
    *Priority.choices(),
]


def _forms(selected: str) -> tuple[Form, Form]:
    class Ours(Form):
        field = SelectField("Field", choices=CHOICES)

    class Theirs(Form):
        field = WtformsSelectField("Field", choices=CHOICES)

    data = MultiDict({"field": selected})
    return Ours(data), Theirs(data)


@pytest.mark.parametrize("selected", ["", "1", "2", "3", "uk", "high", "not a choice"])
def test_same_markup_as_wtforms(selected):
    ours, theirs = _forms(selected)
    assert isinstance(ours.field.widget, QuickSelect)
    assert str(ours.field(**{"aria-describedby": "hint"})) == str(
        theirs.field(**{"aria-describedby": "hint"})
    )
    assert ("selected" in str(ours.field)) == (selected != "not a choice")


def test_labels_and_values_are_escaped():
    ours, _theirs = _forms("1")
    html = str(ours.field)
    assert "Water &amp; &#34;sewage&#34; &lt;critical&gt;" in html
    assert "<critical>" not in html
    assert '<option selected value="1">' in html
    assert '<option lang="uk" value="uk">Українська</option>' in html
