"""The report to the city councils: choosing it, reading it (page, PDF, XLSX), freezing it and
reading frozen ones. Coordinators and admins only."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.core.http import actor, load_visible_or_404
from portal.core.i18n import current_language
from portal.core.limits import made_files
from portal.reports import documents, services
from portal.reports.forms import ReportForm
from portal.reports.models import (
    MEDIA_TYPES,
    FrozenReport,
    may_produce_reports,
)

bp = Blueprint("reports", __name__, template_folder="templates", url_prefix="/reports")


@bp.before_request
@login_required
def coordinators_only() -> None:
    if not may_produce_reports(current_user):
        abort(403)


def _chosen(args: Any) -> tuple[ReportForm, Any, services.Period | None]:
    form = ReportForm(formdata=args)
    period = None
    agreement = None
    if args and form.validate():
        agreement = form.agreements.get(form.agreement.data)
        try:
            period = services.Period.checked(form.start.data, form.end.data)
        except services.InvalidPeriod as error:
            form.end.errors = [*form.end.errors, error.message]
    return form, agreement, period


def _index(form: ReportForm, status: int = 200):
    return render_template(
        "reports/index.html", form=form, frozen=services.frozen_reports(current_user)
    ), status


@bp.route("/")
def index():
    return _index(ReportForm(formdata=None))


def _report() -> tuple[ReportForm, services.CouncilReport | None]:
    form, agreement, period = _chosen(request.args)
    if agreement is None or period is None:
        return form, None
    return form, services.build_report(current_user, agreement, period)


def _filename(report: services.CouncilReport, extension: str) -> str:
    reference = "".join(c if c.isalnum() else "-" for c in report.agreement.reference)
    return (
        f"report-{reference}-{report.period.start.isoformat()}-{report.period.end.isoformat()}-"
        f"{current_language()}.{extension}"
    )


@bp.route("/view")
def view():
    form, report = _report()
    if report is None:
        return _index(form, 400)
    return render_template(
        "reports/report.html",
        report=report,
        charts=documents.chart_markup(report),
        query=form.query(),
    )


@bp.route("/report.pdf")
@made_files
def pdf():
    form, report = _report()
    if report is None:
        return _index(form, 400)
    return _download(
        documents.pdf(documents.render_document(report)), "pdf", _filename(report, "pdf")
    )


@bp.route("/report.xlsx")
@made_files
def spreadsheet():
    form, report = _report()
    if report is None:
        return _index(form, 400)
    return _download(documents.xlsx(report), "xlsx", _filename(report, "xlsx"))


def _download(content: bytes, format: str, filename: str) -> Response:
    response = Response(content, mimetype=MEDIA_TYPES[format].split(";")[0])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/freeze", methods=["POST"])
@made_files
def freeze():
    form, agreement, period = _chosen(request.form)
    if agreement is None or period is None:
        return _index(form, 422)
    report = services.freeze(actor(), agreement, period)
    flash(_("The report was frozen. It stays exactly as it is now."), "success")
    return redirect(url_for("reports.frozen", report_id=report.id))


def _frozen(report_id: int) -> FrozenReport:
    return load_visible_or_404(FrozenReport, report_id)


@bp.route("/frozen/<int:report_id>")
def frozen(report_id: int):
    return render_template("reports/frozen.html", report=_frozen(report_id))


# "language", not "lang": ?lang= is the portal's language switch on every page.
@bp.route("/frozen/<int:report_id>/<any(sv,uk,en):language>.<any(html,pdf,xlsx):format>")
def frozen_document(report_id: int, language: str, format: str):
    report = _frozen(report_id)
    lang = language
    document = report.document(lang, format)
    if document is None:
        abort(404)
    if format == "html":
        # The stored page as it was: its own stylesheet (allowed by its hash), no script.
        response = Response(document.content, mimetype="text/html")
        response.headers["Content-Security-Policy"] = documents.DOCUMENT_CSP.format(
            documents.style_hash()
        )
        return response
    filename = (
        f"report-{report.id}-{report.period_start.isoformat()}-{report.period_end.isoformat()}"
        f"-{lang}.{format}"
    )
    return _download(document.content, format, filename)


@bp.app_template_global()
def council_report_url(user: Any) -> str | None:
    """The dashboard's link to the current quarter's report, for those who may produce it."""
    if not may_produce_reports(user):
        return None
    return dashboard_report_url()


def dashboard_report_url() -> str:
    """The current quarter's report of the default agreement: the dashboard's link."""
    quarter = services.Period.quarter_of(date.today())
    return url_for("reports.view", start=quarter.start.isoformat(), end=quarter.end.isoformat())
