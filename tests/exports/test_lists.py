"""The list exports: CSV (UTF-8 with BOM, comma or semicolon) and XLSX (typed cells, frozen header
with filters), the list's own filters, and nothing the reader may not see."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import openpyxl
import pytest

from portal.core.enums import MatchStatus, NeedStatus, Priority, Visibility
from tests.factories import make_match, make_need, make_offer
from tests.projects.factories import bare_project

UK_TITLE = "Пошук витоків у мережі Солом’янського району"
SV_TITLE = "Läcksökning på Södermalm för vår och höst"


def read_csv(response, delimiter=","):
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode()), "Excel needs the byte-order mark"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=delimiter))


def read_xlsx(response):
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    return book.active


@pytest.fixture
def needs(users):
    requester = users["requester"]
    public = make_need(
        requester,
        title=UK_TITLE,
        title_translations={"sv": SV_TITLE},
        visibility=Visibility.PUBLIC,
        priority=Priority.CRITICAL,
        wanted_from=date(2027, 3, 1),
        wanted_until=date(2027, 6, 30),
        person_days=42,
        district_name="Solomianskyi",
    )
    partners = make_need(requester, title="Partners only need", visibility=Visibility.PARTNERS)
    restricted = make_need(
        users["requester"], title="Restricted pump station", visibility=Visibility.RESTRICTED
    )
    low = make_need(
        requester, title="=HYPERLINK(evil)", visibility=Visibility.PUBLIC, priority=Priority.LOW
    )
    return {"public": public, "partners": partners, "restricted": restricted, "low": low}


def test_needs_csv_is_utf8_with_bom_and_keeps_cyrillic(client, needs):
    response = client.get("/exports/needs.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"needs-{date.today().isoformat()}.csv" in disposition
    rows = read_csv(response)
    assert rows[0][:3] == ["ID", "Title", "Status"]
    titles = {row[1] for row in rows[1:]}
    # Anonymous: the public needs only.
    assert UK_TITLE in titles
    assert "Partners only need" not in titles
    assert "Restricted pump station" not in titles
    # A formula is never a formula in the file.
    assert "'=HYPERLINK(evil)" in titles


def test_semicolon_csv_for_swedish_excel_in_swedish(app, client, needs):
    response = client.get("/exports/needs.csv?sep=semicolon&lang=sv")
    rows = read_csv(response, delimiter=";")
    assert rows[0][:3] == ["ID", "Titel", "Status"]
    row = next(r for r in rows[1:] if r[0] == str(needs["public"].id))
    assert row[1] == SV_TITLE  # the reader's language version
    assert row[8:11] == ["2027-03-01", "2027-06-30", "42"]
    base = app.config["PORTAL_BASE_URL"].rstrip("/")
    assert row[-1] == f"{base}/needs/{needs['public'].id}"


def test_needs_xlsx_has_typed_cells_frozen_header_and_filters(client, needs, login):
    login("requester")
    response = client.get("/exports/needs.xlsx?lang=uk")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "no-store" in response.headers["Cache-Control"]
    sheet = read_xlsx(response)
    header = [c.value for c in sheet[1]]
    assert header[1] == "Назва"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    # The requester's own organisation: the restricted need too.
    assert needs["restricted"].id in rows
    public = rows[needs["public"].id]
    assert public[1].value == UK_TITLE
    assert isinstance(public[0].value, int)
    assert isinstance(public[8].value, datetime)  # a date cell (openpyxl reads it as datetime)
    assert public[8].value.date() == date(2027, 3, 1)
    assert public[8].is_date
    assert public[10].value == 42 and public[10].data_type == "n"
    assert rows[needs["low"].id][1].value == "=HYPERLINK(evil)"
    assert rows[needs["low"].id][1].data_type == "s"  # a string, never a formula


def test_the_export_takes_the_lists_filters(client, needs):
    rows = read_csv(client.get("/exports/needs.csv?priority=critical"))
    assert [int(r[0]) for r in rows[1:]] == [needs["public"].id]
    rows = read_csv(client.get("/exports/needs.csv?q=Солом"))
    assert [int(r[0]) for r in rows[1:]] == [needs["public"].id]


def test_restricted_needs_stay_out_of_other_peoples_exports(client, needs, login):
    login("other_requester")
    ids = {int(r[0]) for r in read_csv(client.get("/exports/needs.csv?status=all"))[1:]}
    assert needs["partners"].id in ids
    assert needs["restricted"].id not in ids
    sheet = read_xlsx(client.get("/exports/needs.xlsx?status=all"))
    assert needs["restricted"].id not in {r[0].value for r in sheet.iter_rows(min_row=2)}


def test_offers_export(client, users, login):
    offer = make_offer(users["expert"], title=SV_TITLE, capacity_days=25)
    draft = make_offer(users["expert"], title="Draft offer", status="draft")
    login("other_requester")
    rows = read_csv(client.get("/exports/offers.csv"))
    ids = {int(r[0]) for r in rows[1:]}
    assert offer.id in ids and draft.id not in ids
    row = next(r for r in rows[1:] if int(r[0]) == offer.id)
    assert row[1] == SV_TITLE and row[6] == "25"


def test_matches_export_needs_sign_in_and_honours_visibility(client, users, login):
    need = make_need(users["requester"], visibility=Visibility.RESTRICTED, status=NeedStatus.OPEN)
    offer = make_offer(users["expert"])
    match = make_match(need, offer, users["requester"], status=MatchStatus.PROPOSED)
    assert client.get("/exports/matches.csv").status_code == 404
    login("expert")
    rows = read_csv(client.get("/exports/matches.csv"))
    assert [int(r[0]) for r in rows[1:]] == [match.id]
    rows = read_csv(client.get("/exports/matches.csv?status=declined"))
    assert rows[1:] == []
    client.logout()
    login("other_expert")
    assert read_csv(client.get("/exports/matches.csv"))[1:] == []


def test_projects_milestones_and_reports(client, users, login, app):
    from portal.extensions import db

    public = bare_project(users, 1, visibility=Visibility.PUBLIC)
    restricted = bare_project(users, 2, visibility=Visibility.RESTRICTED)
    db.session.commit()
    rows = read_csv(client.get("/exports/projects.csv"))
    assert [int(r[0]) for r in rows[1:]] == [public.id]
    sheet = read_xlsx(client.get("/exports/projects.xlsx"))
    row = next(sheet.iter_rows(min_row=2))
    assert row[7].is_date and row[9].data_type == "n"
    milestones = read_csv(client.get("/exports/milestones.csv"))
    assert {int(r[0]) for r in milestones[1:]} == {public.id}
    assert len(milestones) == 3
    login("other_requester")
    assert restricted.id not in {
        int(r[0]) for r in read_csv(client.get("/exports/milestones.csv"))[1:]
    }
    client.logout()
    login("coordinator")
    ids = {int(r[0]) for r in read_csv(client.get("/exports/projects.csv"))[1:]}
    assert ids == {public.id, restricted.id}
    assert read_csv(client.get("/exports/status-reports.csv"))[0][0] == "Project ID"


def test_unknown_list_or_format_is_404(client):
    assert client.get("/exports/users.csv").status_code == 404
    assert client.get("/exports/needs.pdf").status_code == 404


def test_list_pages_link_their_downloads_with_the_filters(client, needs, login):
    body = client.get("/needs/?priority=critical&page=2").get_data(as_text=True)
    assert "/exports/needs.csv?priority=critical" in body
    assert "sep=semicolon" in body
    assert "/exports/needs.xlsx?priority=critical" in body
    assert "page=2" not in body.split("downloads", 1)[1]
    body = client.get("/needs/?priority=critical&after=abc&before=def").get_data(as_text=True)
    downloads = body.split('class="downloads"', 1)[1]
    assert "/exports/needs.csv?priority=critical" in downloads
    assert "after=" not in downloads and "before=" not in downloads
    # Kept links (web.kept_part) are each filter set's own, in each language.
    for priority in ("high", "critical", "high"):
        for lang in ("sv", "en"):
            body = client.get(f"/needs/?priority={priority}&lang={lang}").get_data(as_text=True)
            downloads = body.split('class="downloads"', 1)[1].split("</div>", 1)[0]
            assert f"/exports/needs.csv?priority={priority}&amp;lang={lang}" in downloads
            assert ("Ladda ner listan" in downloads) is (lang == "sv")
    body = client.get("/needs/").get_data(as_text=True)
    downloads = body.split('class="downloads"', 1)[1].split("</div>", 1)[0]
    assert '"/exports/needs.csv"' in downloads
    login("requester")
    body = client.get("/matches/?status=proposed").get_data(as_text=True)
    assert "/exports/matches.csv?status=proposed" in body
    body = client.get("/projects/?status=active").get_data(as_text=True)
    assert "/exports/milestones.xlsx?status=active" in body


def test_published_on_is_the_day_in_the_readers_time_zone(client, users, login):
    need = make_need(
        users["requester"],
        visibility=Visibility.PUBLIC,
        created_at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
    )
    login("requester")  # in Kyiv, 01:30 on 1 December
    rows = read_csv(client.get("/exports/needs.csv"))
    row = next(r for r in rows[1:] if int(r[0]) == need.id)
    assert row[12] == "2026-12-01"


@pytest.mark.parametrize(
    ("name", "fmt"), [("needs", "csv"), ("offers", "xlsx"), ("projects", "csv")]
)
def test_an_export_costs_the_same_queries_for_more_rows(app, client, users, name, fmt):
    """Rows come in batches with what they show loaded per batch, never a query per row."""
    from portal.extensions import db
    from tests.conftest import count_queries

    def build(n):
        for i in range(n):
            if name == "needs":
                make_need(
                    users["requester"],
                    title=f"Need {i}",
                    visibility=Visibility.PUBLIC,
                    commit=False,
                )
            elif name == "offers":
                make_offer(
                    users["expert"], title=f"Offer {i}", visibility=Visibility.PUBLIC, commit=False
                )
            else:
                bare_project(users, i, visibility=Visibility.PUBLIC)
        db.session.commit()

    def queries() -> int:
        with count_queries(app) as statements:
            assert client.get(f"/exports/{name}.{fmt}").status_code == 200
        return len(statements)

    build(3)
    few = queries()
    build(30)
    assert queries() == few


@pytest.mark.parametrize(
    "name", ["needs", "offers", "projects", "milestones", "status-reports", "matches"]
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_list_export_is_a_download_a_browser_never_renders(client, login, name, fmt):
    """A cell holds what people wrote, as written (a script in a report body stays text in the
    file): the answer must be a data type, an attachment and never sniffed as a page."""
    login("coordinator")
    response = client.get(f"/exports/{name}.{fmt}")
    assert response.status_code == 200
    assert response.mimetype in {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    assert response.mimetype.endswith(fmt if fmt == "csv" else "sheet")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
