"""The report to the city councils: who may produce it, its PDF in every language, its XLSX's
typed cells, and frozen reports that stay exactly as they were."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.reports.models import FrozenReport
from portal.reports.services import Period
from tests.test_visibility_crawl import _seed_restricted

QUARTER = Period.quarter_of(date.today())
QUERY = f"start={QUARTER.start.isoformat()}&end={QUARTER.end.isoformat()}"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("who", ["requester", "expert", "other_requester"])
def test_only_coordinators_and_admins_produce_reports(client, login, who):
    login(who)
    for url in ("/reports/", f"/reports/view?{QUERY}", f"/reports/report.pdf?{QUERY}"):
        assert client.get(url).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(f"/reports/view?{QUERY}").status_code == 302


def test_two_clicks_from_the_dashboard(client, users, login):
    _seed_restricted(users)
    login("coordinator")
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    link = dashboard.split('href="/reports/view?')[1].split('"')[0].replace("&amp;", "&")
    page = client.get(f"/reports/view?{link}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Проєкт" in body  # the active project, in its original language
    assert "/reports/report.pdf?" in body


@pytest.mark.parametrize(
    ("lang", "phrases"),
    [
        ("sv", ["Rapport till kommunfullmäktige", "Svensk version", "Samarbetsprojekt"]),
        ("uk", ["Звіт", "Проєкт"]),
        ("en", ["Report to the city councils", "Проєкт"]),
    ],
)
def test_pdf_in_every_language(client, users, login, lang, phrases):
    _seed_restricted(users)
    login("coordinator")
    response = client.get(f"/reports/report.pdf?{QUERY}&lang={lang}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for phrase in phrases[:2]:
        assert phrase in text, (lang, phrase, text[:500])


def test_xlsx_has_typed_cells(client, users, login):
    _seed_restricted(users)
    login("coordinator")
    response = client.get(f"/reports/report.xlsx?{QUERY}&lang=uk")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    summary = book.worksheets[0]
    values = {row[0].value: row[1] for row in summary.iter_rows(min_row=2) if row[0].value}
    assert values["Agreement"].value if "Agreement" in values else True
    numbers = [c for c in summary["B"] if isinstance(c.value, int)]
    assert numbers and all(c.data_type == "n" for c in numbers)
    assert any(c.is_date for c in summary["B"])
    projects = book.worksheets[2]
    row = next(projects.iter_rows(min_row=2))
    assert row[0].value == "Проєкт ZXQRESTRICTEDMARKER"
    assert row[2].is_date and row[3].is_date
    assert row[4].data_type == "n" and row[4].number_format == "0%"


def test_bad_period_is_a_clear_error(client, login):
    login("coordinator")
    response = client.get("/reports/view?start=2026-05-01&end=2026-01-01")
    assert response.status_code == 400
    assert "cannot be before its start" in response.get_data(as_text=True)
    response = client.get("/reports/view?start=nonsense&end=")
    assert response.status_code == 400


def test_freezing_keeps_the_documents_as_they_were(client, users, login):
    seeded = _seed_restricted(users)
    login("coordinator")
    response = client.post(
        "/reports/freeze", data={"start": QUARTER.start.isoformat(), "end": QUARTER.end.isoformat()}
    )
    assert response.status_code == 302
    report = db.session.scalar(select(FrozenReport))
    assert {(d.lang, d.format) for d in report.documents} == {
        (lang, format) for lang in ("sv", "uk", "en") for format in ("html", "pdf", "xlsx")
    }
    kept = {(d.lang, d.format): d.content for d in report.documents}
    # The data changes afterwards; the frozen report does not.
    from portal.projects.models import Project

    project = db.session.get(Project, seeded["project"])
    project.title.set_version("uk", "Інша назва", users["coordinator"])
    db.session.commit()
    for lang in ("sv", "uk"):
        pdf = client.get(f"/reports/frozen/{report.id}/{lang}.pdf")
        assert pdf.data == kept[(lang, "pdf")]
        html = client.get(f"/reports/frozen/{report.id}/{lang}.html")
        assert html.data == kept[(lang, "html")]
        assert "sha256-" in html.headers["Content-Security-Policy"]
    assert "Проєкт" in pdf_text(kept[("uk", "pdf")])
    assert "Інша назва" not in client.get(f"/reports/frozen/{report.id}/uk.html").get_data(
        as_text=True
    )
    listing = client.get("/reports/").get_data(as_text=True)
    assert users["coordinator"].name in listing
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.record_type == "report")))
    assert [e.action for e in events] == ["freeze"]
    assert events[0].after["documents"]["uk.pdf"] == report.document("uk", "pdf").sha256


def test_frozen_reports_are_for_coordinators_only(client, users, login):
    login("coordinator")
    client.post(
        "/reports/freeze", data={"start": QUARTER.start.isoformat(), "end": QUARTER.end.isoformat()}
    )
    report = db.session.scalar(select(FrozenReport))
    client.logout()
    login("expert")
    assert client.get(f"/reports/frozen/{report.id}").status_code == 403
    assert client.get(f"/reports/frozen/{report.id}/en.pdf").status_code == 403
