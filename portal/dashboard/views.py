"""The dashboard: one URL, two renderings (the page, or only its panels for htmx)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from portal.agreements.services import default_terms
from portal.core import pagecache
from portal.core.http import wants_fragment
from portal.core.i18n import current_language
from portal.dashboard import charts, services
from portal.dashboard.forms import DashboardFilterForm
from portal.web import query_form, read_query_form

bp = Blueprint("dashboard", __name__, template_folder="templates", url_prefix="/dashboard")


def _checked(form: DashboardFilterForm) -> DashboardFilterForm:
    """The form as its kept markup shows it: checked, an unknown value's error beside it."""
    form.validate()
    return form


def _valid_ids(form: DashboardFilterForm) -> tuple[int | None, int | None, tuple[str, ...]]:
    theme_id, district_id, ignored = form.valid_ids()
    return theme_id, district_id, tuple(ignored)


@bp.route("/")
@login_required
@pagecache.kept_for_viewers()
def index():
    themes = services.themes()
    districts = services.districts()
    agreement = default_terms()
    form = query_form(
        DashboardFilterForm,
        request.args,
        lambda: _checked(DashboardFilterForm(request.args, themes=themes, districts=districts)),
    )
    theme_id, district_id, ignored = read_query_form(form, "valid_ids", _valid_ids)
    filters = services.Filters(
        theme_id=theme_id,
        district_id=district_id,
        agreement_id=agreement.id if agreement else None,
    )
    board = services.build(current_user, filters, all_themes=themes, agreement=agreement)
    context = {
        "board": board,
        "form": form,
        "ignored": ignored,
        "charts": charts,
        "theme": next((t for t in themes if t.id == theme_id), None),
        "district": next((d for d in districts if d.id == district_id), None),
    }
    context["figures"] = services.figures_html(
        board,
        current_language(),
        lambda: render_template("dashboard/_figures.html", board=board, charts=charts),
    )
    # A history restore needs the whole page, not the panels.
    if wants_fragment():
        return render_template("dashboard/_panels.html", **context)
    return render_template("dashboard/index.html", **context)
