"""Downloads and feeds of the portal's data: the lists as CSV and Excel, the public projects as
IATI activities, calendars (public and personal) and Atom feeds, and the open data page that
lists them all.

Every file answers to the same rule as the page it comes from: an export is the list's own query
for the person asking, a feed or calendar holds what its reader may see (the public ones: public
records only). Links inside files are absolute, from PORTAL_BASE_URL.
"""

from __future__ import annotations

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
from flask_login import current_user

from portal.exports import writers
from portal.exports.tables import table

bp = Blueprint("exports", __name__, template_folder="templates")

FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_DATE_FORMAT = "yyyy-mm-dd"


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
        delimiter = writers.DELIMITERS.get(args.get("sep", ""), ",")
        lines = writers.csv_lines(headers, rows, delimiter)
        body = stream_with_context(writers.encoded(lines))
        return file_response(body, CSV_TYPE, f"{stem}.csv")
    workbook = writers.xlsx_file(headers, rows, str(export.sheet), XLSX_DATE_FORMAT)
    return file_response(writers.chunks(workbook), XLSX_TYPE, f"{stem}.xlsx")


@bp.app_template_global("export_url")
def export_url(name: str, fmt: str, **extra: str) -> str:
    """The download of a list with the filters of the current request (the list page or its
    htmx fragment), the page number left out."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    args.pop("sep", None)
    return url_for("exports.download", name=name, fmt=fmt, **args, **extra)


@bp.route("/open-data")
def open_data():
    return render_template("exports/open_data.html")
