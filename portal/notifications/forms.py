"""The mail settings form: one choice of frequency per kind of event."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, FormField, RadioField
from wtforms.fields import SelectChoice

from portal.notifications.kinds import EVENT_LABELS, FREQUENCY_LABELS
from portal.notifications.models import Frequency


def settings_form(current: dict[str, Frequency]) -> FlaskForm:
    """A form with one radio group per kind, named after the kind, preset to ``current``."""

    class Choices(Form):
        pass

    for kind, label in EVENT_LABELS.items():
        setattr(
            Choices,
            kind,
            RadioField(
                label,
                choices=[SelectChoice(f.value, text) for f, text in FREQUENCY_LABELS.items()],
                default=current[kind].value,
            ),
        )

    class SettingsForm(FlaskForm):
        kinds = FormField(Choices, label="")

    return SettingsForm()
