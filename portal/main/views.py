"""Start page, language switch, health check, accessibility statement and problem reports."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from portal.core.enums import NeedStatus, Priority
from portal.core.http import safe_next
from portal.core.i18n import supported_languages
from portal.dashboard import charts
from portal.extensions import db, limiter
from portal.main import services
from portal.main.forms import AccessibilityReportForm, DesignSampleForm
from portal.reference import lists as reference_lists

bp = Blueprint("main", __name__, template_folder="templates")

# When the accessibility statement was last reviewed against the portal (the automated scan and
# keyboard tests of tests/browser run with every test run). Change it with the statement.
STATEMENT_REVIEWED_ON = date(2026, 11, 26)


@bp.before_app_request
def remember_language_choice() -> None:
    """``?lang=`` shows pages in that language and the session remembers it (a visitor's profile
    takes it at sign-in). A signed-in person's stored language changes only by their own
    choice: the switcher's POST or the profile, never a link someone sent them."""
    lang = request.args.get("lang")
    if lang in supported_languages():
        session["lang"] = lang


@bp.route("/")
def home():
    if current_user.is_authenticated:
        return render_template("main/start.html", waiting=services.waiting_for(current_user))
    return render_template("main/welcome.html", public=services.public_overview())


@bp.route("/language", methods=["POST"])
def language():
    lang = request.form.get("lang", "")
    if lang in supported_languages():
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"))


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means unhealthy
        db.session.rollback()
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok", database="ok")


def _portal_page(address: str | None) -> str:
    """``address`` when it is a page of this portal other than the statement and the report
    form (where someone came from before opening the statement), else ""."""
    if not address:
        return ""
    parts = urlsplit(address)
    own = urlsplit(request.host_url)
    if (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
        return ""
    if parts.path.rstrip("/") in (
        url_for("main.accessibility"),
        url_for("main.accessibility_report"),
    ):
        return ""
    return address


@bp.route("/accessibility")
def accessibility():
    return render_template(
        "main/accessibility.html",
        reviewed_on=STATEMENT_REVIEWED_ON,
        session_hours=int(current_app.config["ABSOLUTE_SESSION_LIFETIME"].total_seconds() // 3600),
        came_from=_portal_page(request.referrer),
    )


@bp.route("/accessibility/report", methods=["GET", "POST"])
@limiter.limit("5 per minute; 30 per hour", methods=["POST"])
def accessibility_report():
    form = AccessibilityReportForm()
    if request.method == "GET":
        form.page.data = _portal_page(request.args.get("page"))
    if form.validate_on_submit():
        services.report_accessibility_problem(
            current_user if current_user.is_authenticated else None,
            services.AccessibilityReport(
                description=form.description.data or "",
                page=form.page.data or "",
                name=form.name.data or "",
                email=form.email.data or "",
            ),
        )
        flash(
            _("Thank you for your report. The portal's administrators have received it."),
            "success",
        )
        return redirect(url_for("main.accessibility"))
    status = 422 if form.errors else 200
    return render_template("main/accessibility_report.html", form=form), status


@bp.route("/design")
def design():
    """The portal's visual system, every component on one page (docs/DESIGN.md), in the
    reader's language. Public: it shows no record."""
    form = DesignSampleForm(formdata=None)
    form.priority.choices = Priority.choices()
    form.themes.choices = [(str(t.id), t.name) for t in reference_lists.themes()[:3]]
    form.title.errors = [_("Enter a title.")]
    form.themes.errors = [_("Choose at least one theme.")]
    statuses = [NeedStatus.OPEN, NeedStatus.MATCHED, NeedStatus.IN_PROJECT, NeedStatus.CLOSED]
    rows = [(p, [3 * (i + 1) + j for j in range(len(statuses))]) for i, p in enumerate(Priority)]
    return render_template(
        "main/design.html",
        form=form,
        statuses=statuses,
        rows=rows,
        chart_pairs=[(priority.label, sum(counts)) for priority, counts in rows],
        charts=charts,
        priorities=list(Priority),
        colours=DESIGN_COLOURS,
    )


# The palette of portal.css with each colour's contrast against white (docs/DESIGN.md).
DESIGN_COLOURS = (
    ("--ink", "#1b1b1b", "17.2:1"),
    ("--muted", "#4a4a4a", "8.9:1"),
    ("--brand", "#005b99", "7.1:1"),
    ("--brand-dark", "#003f6b", "10.9:1"),
    ("--ok", "#1c6b2f", "6.6:1"),
    ("--warn", "#8a4b00", "6.8:1"),
    ("--bad", "#a4161a", "7.8:1"),
    ("--input-border", "#6b6b6b", "5.3:1"),
    ("--line", "#b1b4b6", "2.1:1"),
    ("--soft", "#f3f5f7", "1.1:1"),
    ("--focus", "#ffbf47", "1.6:1"),
)
