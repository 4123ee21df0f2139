"""Downloads and feeds of the portal's data: the lists as CSV and Excel, the public projects as
IATI activities, calendars (public and personal) and Atom feeds, and the open data page that
lists them all.

Every file answers to the same rule as the page it comes from: an export is the list's own query
for the person asking, a feed or calendar holds what its reader may see (the public ones: public
records only). Links inside files are absolute, from PORTAL_BASE_URL.
"""

from __future__ import annotations

import tempfile
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.core.http import actor
from portal.core.i18n import current_language
from portal.core.limits import made_files
from portal.errors import render_error
from portal.exports import atom as atom_feeds
from portal.exports import calendar, iati, services, writers
from portal.exports.tables import table
from portal.mail.services import external_url
from portal.reference.lists import themes

bp = Blueprint("exports", __name__, template_folder="templates")

FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_DATE_FORMAT = "yyyy-mm-dd"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
ICS_TYPE = "text/calendar; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
FEED_KINDS = ("needs", "projects")


def file_response(
    body: Any, mimetype: str, filename: str | None = None, *, private: bool = True
) -> Response:
    """A file: its type, never sniffed, as an attachment named ``filename`` (when given), kept
    by no cache when it may hold what only this person sees."""
    response = Response(body, mimetype=mimetype)
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    else:
        response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/exports/<name>.<fmt>")
@made_files
def download(name: str, fmt: str):
    """A list as a file, with the list's filters (the query string the list page had)."""
    export = table(name)
    if export is None or fmt not in FORMATS:
        abort(404)
    if export.needs_sign_in and not current_user.is_authenticated:
        abort(404)
    args = request.args
    headers = export.headers()
    rows = export.rows(current_user, args)
    stem = f"{export.name}-{date.today().isoformat()}"
    if fmt == "csv":
        # Written to a temporary file here, in the request, as the workbook is: every row is
        # read before the request commits and lets go of the viewer (a stream read them after,
        # and failed for people signed in). Memory stays flat; the file is sent in pieces.
        delimiter = writers.DELIMITERS.get(args.get("sep", ""), ",")
        spool = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
        for piece in writers.encoded(writers.csv_lines(headers, rows, delimiter)):
            spool.write(piece)
        spool.seek(0)
        return file_response(writers.chunks(spool), CSV_TYPE, f"{stem}.csv")
    workbook = writers.xlsx_file(headers, rows, str(export.sheet), XLSX_DATE_FORMAT)
    return file_response(writers.chunks(workbook), XLSX_TYPE, f"{stem}.xlsx")


_NOT_CARRIED = frozenset({"page", "after", "before", "sep"})


@bp.app_template_global("export_filters")
def export_filters() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The current request's arguments a download carries (its filters: the list page's or its
    htmx fragment's, the page, number or cursor, left out), in order; the key a list's kept
    download links are kept under (``exports/_downloads.html``)."""
    return tuple(
        (key, tuple(values)) for key, values in request.args.lists() if key not in _NOT_CARRIED
    )


@bp.app_template_global("export_url")
def export_url(name: str, fmt: str, **extra: str) -> str:
    """The download of a list with the filters of the current request (``export_filters``)."""
    values: dict[str, Any] = {key: list(given) for key, given in export_filters()}
    values.update(extra, name=name, fmt=fmt)
    return url_for("exports.download", **values)


# ---------------------------------------------------------------- feeds


@bp.route("/feeds/<feed>.atom")
def atom(feed: str):
    """Newly published public needs or projects; ``?theme=<code>`` for one theme."""
    if feed not in FEED_KINDS:
        abort(404)
    code = request.args.get("theme")
    theme = atom_feeds.theme_by_code(code)
    if code and theme is None:
        abort(404)
    body = atom_feeds.feed_for(feed, theme, current_language())
    return file_response(body, ATOM_TYPE, private=False)


@bp.route("/calendar/public.ics")
def public_calendar():
    """The public projects' dates and milestones and the agreement's end."""
    body = calendar.calendar_for(None, current_language(), _("Cooperation portal: public projects"))
    return file_response(body, ICS_TYPE, "stockholm-kyiv-public.ics", private=False)


@bp.route("/calendar/<token>.ics")
def personal_calendar(token: str):
    """What the owner of the secret address may see, in their language. An unknown or renewed
    token is a 404, like any address that does not exist."""
    user = services.user_for_calendar_token(token)
    if user is None:
        abort(404)
    lang = user.locale or "en"
    with force_locale(lang):
        body = calendar.calendar_for(user, lang, _("Cooperation portal: my projects"))
    return file_response(body, ICS_TYPE, "stockholm-kyiv.ics")


@bp.route("/profile/calendar", methods=["POST"])
@login_required
def renew_calendar():
    """A new secret calendar address; the old one stops working. Shown once, here."""
    token = services.renew_calendar_token(actor())
    return render_template(
        "exports/calendar_address.html",
        address=external_url("exports.personal_calendar", token=token),
    )


@bp.route("/open-data/iati-activities.xml")
@made_files
def iati_activities():
    """The public projects as IATI activities (standard 2.03). Before any project is public
    there is no file: the standard requires at least one activity, and an IATI registry reading
    this address takes a 404 as "nothing published yet" rather than an invalid file."""
    if not iati.has_activities():
        return render_error(404, no_iati_file_message())
    body = stream_with_context(iati.activities_xml())
    filename = f"stockholm-kyiv-iati-activities-{date.today().isoformat()}.xml"
    return file_response(body, XML_TYPE, filename, private=False)


@bp.app_template_global("has_calendar_address")
def has_calendar_address(user: Any) -> bool:
    return services.calendar_token_of(user) is not None


# ---------------------------------------------------------------- the open data page


@bp.route("/open-data")
def open_data():
    return render_template(
        "exports/open_data.html",
        themes=themes(),
        feed_kinds=FEED_KINDS,
        has_iati_activities=iati.has_activities(),
        no_iati_file=no_iati_file_message(),
    )


def no_iati_file_message() -> str:
    return _(
        "No cooperation project is public yet, so there is no IATI activity file: the standard "
        "requires at least one activity. The file appears here when the first project is made "
        "public."
    )
