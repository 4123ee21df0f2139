"""The dashboard's filter form: theme and district, read from the query string."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Form
from wtforms.fields import SelectChoice

from portal.core.forms import SelectField
from portal.reference import lists as reference_lists


def _optional_id(value: Any) -> int | None:
    """ "" and None mean "all"; anything else must be a whole number (ValueError otherwise)."""
    if value is None or value == "":
        return None
    return int(value)


class DashboardFilterForm(Form):
    """Built from ``request.args``; a plain WTForms form, as a GET that changes nothing needs
    no CSRF token."""

    theme = SelectField(_l("Theme"), coerce=_optional_id)
    district = SelectField(_l("District"), coerce=_optional_id)

    def __init__(self, *args: Any, themes: list[Any], districts: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        # The reference lists' themes and districts: kept per language and version.
        self.theme.choices = reference_lists.kept_choices(
            "dashboard:theme",
            lambda: [
                SelectChoice("", str(_l("All themes"))),
                *(SelectChoice(str(t.id), t.name) for t in themes),
            ],
        )
        self.district.choices = reference_lists.kept_choices(
            "dashboard:district",
            lambda: [
                SelectChoice("", str(_l("All districts"))),
                *(SelectChoice(str(d.id), d.name) for d in districts),
            ],
        )

    def valid_ids(self) -> tuple[int | None, int | None, list[str]]:
        """The theme and district to filter by, ignoring values that are not on offer, and a
        message for each value that was ignored."""
        self.validate()
        ignored: list[str] = []
        theme_id = self.theme.data
        if self.theme.errors:
            theme_id = None
            ignored.append(str(_l("The theme in the address is unknown; showing all themes.")))
        district_id = self.district.data
        if self.district.errors:
            district_id = None
            ignored.append(
                str(_l("The district in the address is unknown; showing all districts."))
            )
        return theme_id, district_id, ignored
