"""The report's documents: the standalone HTML (what is printed, frozen and turned into PDF),
the PDF (WeasyPrint, with DejaVu embedded: Cyrillic and å, ä, ö) and the XLSX (openpyxl, typed
cells: numbers as numbers, dates as dates).

Nothing is fetched from the network: the document carries its stylesheet and its charts (SVG)
inside, and the PDF's only outside resource is the font file, read from the portal's static
files or the system's font directory.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app, g, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from portal.dashboard import charts
from portal.reports.services import CouncilReport

# Where the PDF's font may be: the portal's own static files first, then Debian's fonts-dejavu.
FONT_DIRECTORIES = (
    Path(__file__).resolve().parent.parent / "static" / "fonts",
    Path("/usr/share/fonts/truetype/dejavu"),
)
FONT_FILES = {"normal": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
STYLESHEET = Path(__file__).resolve().parent / "report.css"


@contextmanager
def in_language(lang: str) -> Iterator[None]:
    """Render in ``lang`` whatever the reader's language: the messages (Flask-Babel's locale)
    and the portal's own reading of it (names, dates, numbers, multilingual texts)."""
    remembered = g.get("_portal_lang")
    g._portal_lang = lang
    try:
        with force_locale(lang):
            yield
    finally:
        if remembered is None:
            g.pop("_portal_lang", None)
        else:
            g._portal_lang = remembered


@cache
def stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


def style_hash() -> str:
    """The Content-Security-Policy source of the embedded stylesheet (the only style a report
    document has: it carries no script)."""
    import base64

    digest = hashlib.sha256(stylesheet().encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


DOCUMENT_CSP = (
    "default-src 'none'; img-src data:; style-src {}; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def chart_markup(report: CouncilReport) -> dict[str, Markup]:
    return {
        "funnel": charts.funnel_chart(
            "report-funnel",
            _("From needs to completed projects"),
            [(s.label, s.count) for s in report.funnel],
        ),
        "themes": charts.bar_chart(
            "report-themes", _("Projects by theme"), report.projects.theme_pairs
        ),
        "statuses": charts.bar_chart(
            "report-statuses", _("Projects by status"), report.projects.status_pairs
        ),
    }


def render_body(report: CouncilReport) -> str:
    return render_template("reports/_report.html", report=report, charts=chart_markup(report))


def render_document(report: CouncilReport) -> str:
    """The standalone document: what is printed, frozen and made into PDF."""
    return render_template(
        "reports/document.html",
        report=report,
        charts=chart_markup(report),
        # The portal's own file, not input: it goes into <style> as it is.
        stylesheet=Markup(stylesheet()),  # noqa: S704
    )


def _font_css() -> str:
    rules = []
    for weight, name in FONT_FILES.items():
        for directory in FONT_DIRECTORIES:
            path = directory / name
            if path.is_file():
                rules.append(
                    f'@font-face {{ font-family: "Report Sans"; font-weight: {weight}; '
                    f'src: url("{path.as_uri()}"); }}'
                )
                break
    return "\n".join(rules) + '\nbody, svg, svg text { font-family: "Report Sans", sans-serif; }'


def pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    # file: (the font) and data: only: a report never makes the server ask another host.
    fetcher = URLFetcher(allowed_protocols=("file", "data"))
    fonts = FontConfiguration()
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(string=_font_css(), font_config=fonts, url_fetcher=fetcher)],
        font_config=fonts,
    )


def xlsx(report: CouncilReport) -> bytes:
    """The report's figures and lists as a workbook, one sheet per table, in typed cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook()
    summary = book.active
    summary.title = _("Summary")[:31]

    def header(sheet: Any, *titles: str) -> None:
        sheet.append(list(titles))
        for cell in sheet[sheet.max_row]:
            cell.font = bold

    summary.append([_("Report to the city councils")])
    summary["A1"].font = bold
    summary.append([_("Agreement"), report.agreement.reference])
    summary.append([_("Period from"), report.period.start])
    summary.append([_("Period until"), report.period.end])
    summary.append([_("Produced on"), report.produced_on])
    summary.append([])
    header(summary, _("Figure"), _("Value"))
    for stage in report.funnel:
        summary.append([str(stage.label), stage.count])
    summary.append([_("Milestones due in the period"), report.milestones_due])
    summary.append([_("Milestones done in the period"), report.milestones_done])
    summary.append([_("Milestones overdue"), report.milestones_overdue])
    summary.append([_("Person-days committed"), report.person_days_committed])
    summary.append([_("Person-days committed in the period"), report.person_days_in_period])
    for row in summary.iter_rows():
        for cell in row:
            if hasattr(cell.value, "isoformat"):
                cell.number_format = "yyyy-mm-dd"
    summary.column_dimensions["A"].width = 44
    summary.column_dimensions["B"].width = 16

    by_theme = book.create_sheet(_("Projects by theme")[:31])
    statuses = report.projects.statuses
    header(by_theme, _("Theme"), *(s.label for s in statuses), _("Total"))
    for theme, counts, total in report.projects.by_theme:
        by_theme.append([theme.name, *(counts.get(s, 0) for s in statuses), total])
    by_theme.append(
        [_("Total"), *(c.count for c in report.projects.by_status), report.projects.total]
    )
    by_theme.column_dimensions["A"].width = 40

    projects = book.create_sheet(_("Active projects")[:31])
    header(
        projects,
        _("Project"),
        _("Theme"),
        _("Starts"),
        _("Ends"),
        _("Progress"),
        _("Latest status report"),
        _("Reported on"),
    )
    from portal.web import render_text

    for item in report.active_projects:
        project, latest = item.project, item.latest_report
        projects.append(
            [
                render_text(project.title).body,
                project.theme.name,
                project.starts_on,
                project.ends_on,
                project.progress / 100,
                latest.status.label if latest else _("No status report yet"),
                latest.created_at.date() if latest else None,
            ]
        )
        row = projects.max_row
        projects.cell(row, 3).number_format = "yyyy-mm-dd"
        projects.cell(row, 4).number_format = "yyyy-mm-dd"
        projects.cell(row, 5).number_format = "0%"
        projects.cell(row, 7).number_format = "yyyy-mm-dd"
    projects.column_dimensions["A"].width = 50
    projects.column_dimensions["B"].width = 30

    buffer = io.BytesIO()
    book.properties.creator = current_app.config.get(
        "PORTAL_NAME", "Stockholm–Kyiv cooperation portal"
    )
    book.save(buffer)
    return buffer.getvalue()
