"""Cost that does not grow with the data: every main page issues the same number of SQL queries
with 10 records as with 1,000.

The records come from the bulk seeder (``bench.bulk.BulkLoader``, SQLAlchemy Core inserts)
at a small size, then 990 more needs and offers and ~100 more projects. Probe records of the
standard cast (a need, an offer, a project) get more related rows in between too (matches,
milestones, status reports), so that both a longer table and a longer list of children under one
record are covered. Each page is requested once before it is counted, so that one-off work
(the first request of a session) does not blur the comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from bench.bulk import BulkLoader
from portal.comments.models import Comment
from portal.core.enums import MatchStatus, NeedStatus, ProjectStatus, ReportStatus, Visibility
from portal.extensions import db
from portal.needs.models import Need
from portal.notifications.events import notify
from portal.offers.models import Offer
from portal.projects.models import Project
from tests.conftest import count_queries
from tests.dashboard import builders as b

SMALL = {"needs": 10, "offers": 10, "projects": 3}
MORE = {"needs": 990, "offers": 990, "projects": 97}
CHILDREN_MORE = 12  # extra matches, milestones and reports under each probe record

Path = Callable[[SimpleNamespace], str]

# (page, path) per role; the same pages for every role that may see them.
PAGES: dict[str, list[tuple[str, Path]]] = {
    "requester": [
        ("start page", lambda p: "/"),
        ("needs list", lambda p: "/needs/"),
        ("needs list, filtered", lambda p: f"/needs/?theme={p.theme_id}&priority=high"),
        ("need detail", lambda p: f"/needs/{p.need_id}"),
        ("offers list", lambda p: "/offers/"),
        ("offer detail", lambda p: f"/offers/{p.offer_id}"),
        ("matches list", lambda p: "/matches/"),
        ("projects list", lambda p: "/projects/"),
        ("project page", lambda p: f"/projects/{p.project_id}"),
        ("dashboard", lambda p: "/dashboard/"),
        ("notifications inbox", lambda p: "/notifications/"),
        ("notifications, unread of one kind", lambda p: "/notifications/?kind=comment&unread=1"),
        ("notification count", lambda p: "/notifications/count"),
    ],
    "expert": [
        ("start page", lambda p: "/"),
        ("needs list", lambda p: "/needs/"),
        ("need detail", lambda p: f"/needs/{p.need_id}"),
        ("offers list, filtered", lambda p: f"/offers/?theme={p.theme_id}"),
        ("offer detail", lambda p: f"/offers/{p.offer_id}"),
        ("matches list", lambda p: "/matches/"),
        ("project page", lambda p: f"/projects/{p.project_id}"),
        ("dashboard", lambda p: "/dashboard/"),
        ("notifications inbox", lambda p: "/notifications/"),
        ("notifications, unread of one kind", lambda p: "/notifications/?kind=comment&unread=1"),
        ("notification count", lambda p: "/notifications/count"),
    ],
    "coordinator": [
        ("start page", lambda p: "/"),
        ("needs list", lambda p: "/needs/?sort=priority"),
        ("need detail", lambda p: f"/needs/{p.need_id}"),
        ("offers list", lambda p: "/offers/"),
        ("offer detail", lambda p: f"/offers/{p.offer_id}"),
        ("matches list", lambda p: "/matches/"),
        ("projects list", lambda p: "/projects/"),
        ("project page", lambda p: f"/projects/{p.project_id}"),
        ("dashboard", lambda p: "/dashboard/"),
        ("notifications inbox", lambda p: "/notifications/"),
        ("notifications, unread of one kind", lambda p: "/notifications/?kind=comment&unread=1"),
        ("notification count", lambda p: "/notifications/count"),
    ],
    "anonymous": [
        ("welcome page", lambda p: "/"),
        ("public needs list", lambda p: "/needs/"),
        ("public needs list, filtered", lambda p: f"/needs/?theme={p.theme_id}"),
        ("public need detail", lambda p: f"/needs/{p.need_id}"),
        ("public offers list", lambda p: "/offers/"),
        ("public offer detail", lambda p: f"/offers/{p.offer_id}"),
        ("public projects list", lambda p: "/projects/"),
        ("public project page", lambda p: f"/projects/{p.project_id}"),
    ],
}


def _bulk(sizes: dict[str, int], seed: int) -> None:
    loader = BulkLoader(sizes["needs"], sizes["offers"], sizes["projects"], seed=seed)
    loader.load()
    db.session.expire_all()


def _probes(users) -> SimpleNamespace:
    """A public open need of the requester, a public open offer of the expert with a match
    between them, and a public project of both with a milestone and a report. Another open need
    and offer of the same organisations make sure that the probes' pages have suggestions at
    either size (a page without any runs fewer queries, whatever the data); the probe need and
    project lie in a district, so that the lists look districts up at either size too."""
    req, exp, coord = users["requester"], users["expert"], users["coordinator"]
    need = b.need(
        req,
        "water_sewage",
        "Probe need: leak detection",
        visibility=Visibility.PUBLIC,
        district_name="Darnytskyi",
    )
    offer = b.offer(
        exp, "water_sewage", "Probe offer: leak detection", visibility=Visibility.PUBLIC
    )
    b.match(need, offer, exp, expert=exp)
    b.need(req, "water_sewage", "Probe need: pipes", visibility=Visibility.PUBLIC)
    b.offer(exp, "water_sewage", "Probe offer: pipes", visibility=Visibility.PUBLIC)
    project = b.project(
        coord,
        req.organisation,
        exp.organisation,
        "water_sewage",
        "Probe project",
        visibility=Visibility.PUBLIC,
        latest=ReportStatus.AT_RISK,
        district_name="Darnytskyi",
    )
    b.milestone(project, "Probe milestone", 5)
    b.report(project, req, 2)
    db.session.commit()
    _notifications(need, project, users, 1)
    return SimpleNamespace(
        need_id=need.id,
        offer_id=offer.id,
        project_id=project.id,
        theme_id=need.theme_id,
        requester=req,
        expert=exp,
        coordinator=coord,
    )


def _notifications(need: Need, project: Project, users, n: int) -> None:
    """Notifications of several kinds for the requester, the expert and the coordinator."""
    req, exp, coord = users["requester"], users["expert"], users["coordinator"]
    for _i in range(n):
        notify("comment", need, coord, mentioned=[exp])
        notify("document", project, req, mentioned=[coord])
        notify("comment", project, exp)
    db.session.commit()


def _more_children(p: SimpleNamespace, n: int) -> None:
    """More matches on the probe need and offer, more milestones and reports on the project."""
    need, offer = db.session.get(Need, p.need_id), db.session.get(Offer, p.offer_id)
    project = db.session.get(Project, p.project_id)
    for i in range(n):
        other_offer = b.offer(p.expert, "water_sewage", f"Another offer {i}")
        b.match(need, other_offer, p.expert, expert=p.expert)
        other_need = b.need(p.requester, "water_sewage", f"Another need {i}")
        b.match(
            other_need,
            offer,
            p.expert,
            status=MatchStatus.DECLINED if i % 2 else MatchStatus.PROPOSED,
            expert=p.expert,
        )
        b.milestone(project, f"Milestone {i}", i - 6, done_in=i - 8 if i % 3 == 0 else None)
        b.report(project, p.expert if i % 2 else p.requester, i + 3, ReportStatus.ON_TRACK)
    db.session.commit()
    users = {"requester": p.requester, "expert": p.expert, "coordinator": p.coordinator}
    _notifications(need, project, users, 3 * n)
    db.session.expire_all()


def _count(app, client, path: str) -> tuple[int, int]:
    client.get(path)  # once before counting
    with count_queries(app) as statements:
        response = client.get(path)
    return response.status_code, len(statements)


def _measure(app, client, probes: SimpleNamespace, who: str) -> dict[str, tuple[int, int]]:
    return {name: _count(app, client, path(probes)) for name, path in PAGES[who]}


@pytest.mark.parametrize("who", list(PAGES))
def test_every_main_page_costs_the_same_with_10_and_1000_records(app, client, users, login, who):
    _bulk(SMALL, seed=1)
    probes = _probes(users)
    if who != "anonymous":
        login(who)
    small = _measure(app, client, probes, who)
    assert db.session.scalar(select(func.count(Need.id))) <= 40

    _bulk(MORE, seed=2)
    _more_children(probes, CHILDREN_MORE)
    assert db.session.scalar(select(func.count(Need.id))) >= 1000
    assert db.session.scalar(select(func.count(Offer.id))) >= 1000
    assert db.session.scalar(select(func.count(Project.id))) >= 100
    large = _measure(app, client, probes, who)

    assert all(status == 200 for status, _n in small.values()), small
    assert all(status == 200 for status, _n in large.values()), large
    grew = {
        page: f"{small[page][1]} -> {large[page][1]} queries"
        for page in small
        if large[page][1] != small[page][1]
    }
    assert not grew, f"queries grew with the data for {who}: {grew}"


def test_the_probe_need_really_has_more_children_when_counted_large(app, users):
    """The comparison above is only worth something if the probes' lists did grow."""
    probes = _probes(users)
    _more_children(probes, 3)
    need = db.session.get(Need, probes.need_id)
    project = db.session.get(Project, probes.project_id)
    assert len(need.matches) == 4
    assert len(project.milestones) == 4
    assert need.status == NeedStatus.OPEN and project.status == ProjectStatus.ACTIVE


def _discussion(project_id: int, authors: list, comments: int, documents: int) -> None:
    """Comments by several people (some edited, some removed, some mentioning) and documents
    with two versions on the project and its milestone."""
    from portal.comments.models import Comment
    from portal.core.types import utcnow
    from portal.documents.models import Document, DocumentVersion

    project = db.session.get(Project, project_id)
    for i in range(comments):
        author = authors[i % len(authors)]
        db.session.add(
            Comment(
                record_kind="project",
                record_id=project_id,
                author=author,
                body=f"Comment {i} https://example.org/{i}",
                lang=("uk", "sv", "en")[i % 3],
                edited_at=utcnow() if i % 5 == 0 else None,
                removed_at=utcnow() if i % 7 == 0 else None,
                removed_by=authors[0] if i % 7 == 0 else None,
                mentioned=[authors[(i + 1) % len(authors)]] if i % 4 == 0 else [],
            )
        )
    targets = [("project", project_id), ("milestone", project.milestones[0].id)]
    for i in range(documents):
        kind, record_id = targets[i % 2]
        document = Document(
            record_kind=kind,
            record_id=record_id,
            title=f"Document {i}",
            lang="en",
            created_by=authors[i % len(authors)],
        )
        for number in (1, 2):
            document.versions.append(
                DocumentVersion(
                    number=number,
                    filename=f"d{i}.pdf",
                    content_type="application/pdf",
                    size=1000 + i,
                    sha256=f"{i:064x}",
                    uploaded_by=authors[(i + number) % len(authors)],
                )
            )
        db.session.add(document)
    db.session.commit()
    db.session.expire_all()


@pytest.mark.parametrize("who", ["requester", "coordinator", "anonymous"])
def test_a_thread_of_200_comments_and_20_documents_costs_what_one_of_each_does(
    app, client, users, login, who
):
    probes = _probes(users)
    authors = [users[name] for name in ("requester", "expert", "coordinator", "other_expert")]
    if who != "anonymous":
        login(who)
    path = f"/projects/{probes.project_id}"
    _discussion(probes.project_id, authors, 1, 1)
    small = _count(app, client, path)
    _discussion(probes.project_id, authors, 199, 19)
    large = _count(app, client, path)
    page = client.get(path).get_data(as_text=True)
    assert "Comment 198" in page and "Document 18" in page
    assert small[0] == large[0] == 200
    assert small[1] == large[1], f"{small[1]} -> {large[1]} queries"


def test_record_pages_read_no_city(app, client, users):
    """A need's, an offer's and a project's page name no city: none of their statements joins
    the cities table (the agreement and organisations load theirs when asked, by default). Read
    by a visitor: a person's own statement reads their organisation's city, for its time zone."""
    probes = _probes(users)
    for path in (
        f"/needs/{probes.need_id}",
        f"/offers/{probes.offer_id}",
        f"/projects/{probes.project_id}",
    ):
        client.get(path)
        with count_queries(app) as statements:
            assert client.get(path).status_code == 200
        assert statements, path
        assert not [s for s in statements if "cities" in str(s)], path


def _comment(client, kind: str, record_id: int, body: str) -> None:
    """``body`` posted as a comment on the record by the signed-in client, and in the database."""
    prefix = f"comment-{kind}-{record_id}"
    posted = client.post(
        f"/r/{kind}/{record_id}/comments", data={f"{prefix}-body": body, f"{prefix}-lang": "en"}
    )
    assert posted.status_code == 302
    found = select(Comment.body).where(Comment.record_kind == kind, Comment.record_id == record_id)
    assert db.session.scalar(found) == body


def _lists_read(statements: list[str]) -> set[str]:
    """The lists a page read with statements of their own (a record's statement asks whether
    anything is in them as well: those are not counted)."""
    return {
        listed
        for listed in ("comments", "documents")
        for statement in statements
        if f"FROM {listed}" in str(statement) and "EXISTS" not in str(statement)
    }


@pytest.mark.parametrize("who", [None, "requester"])
def test_a_posting_without_comments_or_documents_reads_neither_list(app, client, login, users, who):
    """A need's and an offer's page learn from their record's own statement that nothing is in
    their comments and documents, and read neither list; a comment posted and a document
    uploaded are then read and shown on the next page."""
    from tests.projects.test_kept_parts import upload

    probes = _probes(users)
    if who:
        login(who)
    need_path, offer_path = f"/needs/{probes.need_id}", f"/offers/{probes.offer_id}"
    for path in (need_path, offer_path):
        with count_queries(app) as statements:
            page = client.get(path).get_data(as_text=True)
        assert _lists_read(statements) == set(), path
        assert 'id="discussion-' in page and 'id="documents-heading"' in page

    need = db.session.get(Need, probes.need_id)
    upload(app, users["requester"], need, "Pressure readings", "readings.csv", b"Zone 1: 3.1")
    if who is None:
        login("requester")
    _comment(client, "need", probes.need_id, "Loggers arrive Monday.")
    with count_queries(app) as statements:
        page = client.get(need_path).get_data(as_text=True)
    assert _lists_read(statements) == {"comments", "documents"}
    assert "Loggers arrive Monday." in page and "readings.csv" in page
    with count_queries(app) as statements:
        client.get(offer_path)
    assert _lists_read(statements) == set()  # the offer's lists are still empty


@pytest.mark.parametrize("who", [None, "coordinator"])
def test_a_project_without_comments_or_documents_reads_neither_list(app, client, login, users, who):
    """A project's page learns from its own statement that nothing is in its thread and that no
    document is attached to it, its milestones or its reports, and reads neither list; a
    document on its milestone and a comment on it are then read and shown."""
    from portal.projects.models import Milestone
    from tests.projects.test_kept_parts import upload

    probes = _probes(users)
    login(who or "coordinator")
    path = f"/projects/{probes.project_id}"
    if who is None:
        client.logout()
    with count_queries(app) as statements:
        page = client.get(path).get_data(as_text=True)
    assert _lists_read(statements) == set()
    assert 'id="documents-heading"' in page

    milestone = db.session.scalar(
        select(Milestone).where(Milestone.project_id == probes.project_id)
    )
    upload(app, users["coordinator"], milestone, "Pressure readings", "readings.csv", b"3.1")
    with count_queries(app) as statements:
        page = client.get(path).get_data(as_text=True)
    assert _lists_read(statements) == {"documents"}
    assert "readings.csv" in page

    login("coordinator")
    _comment(client, "project", probes.project_id, "Survey starts Monday.")
    if who is None:
        client.logout()
    with count_queries(app) as statements:
        page = client.get(path).get_data(as_text=True)
    assert _lists_read(statements) == {"comments", "documents"}
    assert "Survey starts Monday." in page and "readings.csv" in page
