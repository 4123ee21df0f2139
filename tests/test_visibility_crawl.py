"""A restricted record never shows up for someone who may not see it: not in pages, lists, search,
counts, suggestions or exports. The crawl follows every link from the start page."""

from __future__ import annotations

import re
from collections import deque
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from portal.agreements.services import default_agreement
from portal.comments.models import Comment
from portal.content.models import Text
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    NeedStatus,
    OfferStatus,
    Priority,
    ProjectStatus,
    Side,
    Visibility,
)
from portal.documents import storage
from portal.documents.models import Document, DocumentVersion
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.projects.models import Milestone, Project
from portal.reference.models import Theme

# Every test here runs with the page cache off and on: nothing kept may widen what is seen.
pytestmark = pytest.mark.usefixtures("page_cache")

MARKER = "ZXQRESTRICTEDMARKER"
MAX_PAGES = 400


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("href", "hx-get", "action") if tag != "form" else ("action",):
            value = attributes.get(name)
            if value and (tag != "form" or (attributes.get("method", "get").lower() == "get")):
                self.links.append(value)


def _seed_restricted(users) -> dict[str, int]:
    """A restricted need, offer and project of Kyivvodokanal and Stockholm Vatten och Avfall,
    with the marker in every text, including a translation."""
    requester, expert = users["requester"], users["expert"]
    agreement = default_agreement()
    theme = db.session.scalar(db.select(Theme).filter_by(code="water_sewage"))

    def text(body: str, lang: str) -> Text:
        t = Text.new(f"{body} {MARKER}", lang, requester)
        t.set_version("sv", f"Svensk version {MARKER}", expert)
        return t

    need = Need(
        agreement=agreement,
        organisation=requester.organisation,
        created_by=requester,
        theme=theme,
        priority=Priority.CRITICAL,
        help_kind=HelpKind.ADVICE,
        visibility=Visibility.RESTRICTED,
        status=NeedStatus.MATCHED,
        title=text("Стан насосної станції", "uk"),
        description=text("Опис пошкоджень", "uk"),
        published_at=None,
        person_days=10,
    )
    offer = Offer(
        agreement=agreement,
        organisation=expert.organisation,
        created_by=expert,
        themes=[theme],
        help_kind=HelpKind.ADVICE,
        capacity_days=30,
        committed_days=10,
        available_from=date.today(),
        available_until=date.today() + timedelta(days=200),
        visibility=Visibility.RESTRICTED,
        status=OfferStatus.OPEN,
        title=text("Läcksökning", "sv"),
        description=text("Beskrivning", "sv"),
    )
    project = Project(
        agreement=agreement,
        theme=theme,
        requester_lead=requester.organisation,
        expert_lead=expert.organisation,
        title=text("Проєкт", "uk"),
        description=text("Опис проєкту", "uk"),
        starts_on=date.today(),
        ends_on=date.today() + timedelta(days=30),
        status=ProjectStatus.ACTIVE,
        visibility=Visibility.RESTRICTED,
        created_by=users["coordinator"],
        organisations=[requester.organisation, expert.organisation],
    )
    project.milestones.append(
        Milestone(title=text("Етап", "uk"), due_on=date.today() - timedelta(days=2), weight=1)
    )
    match = Match(
        need=need,
        offer=offer,
        project=project,
        status=MatchStatus.AGREED,
        score=90,
        reasons=["theme"],
        proposed_side=Side.REQUESTER,
        proposed_by=requester,
        person_days=10,
    )
    db.session.add_all([need, offer, project, match])
    db.session.flush()
    # A comment and a document on each of them, the marker in the text, the title and the file.
    comments, documents = [], []
    for kind, record in (("need", need), ("offer", offer), ("project", project), ("match", match)):
        comment = Comment(
            record_kind=kind,
            record_id=record.id,
            author=requester,
            body=f"Pump 4 {MARKER}",
            lang="en",
            mentioned=[expert],
        )
        db.session.add(comment)
        comments.append(comment)
    for kind, record in (
        ("need", need),
        ("project", project),
        ("milestone", project.milestones[0]),
    ):
        document = Document(
            record_kind=kind,
            record_id=record.id,
            title=f"Plan {MARKER}",
            lang="en",
            created_by=requester,
        )
        content = f"Plan {MARKER}".encode()
        document.versions.append(
            DocumentVersion(
                number=1,
                filename=f"{MARKER}.txt",
                content_type="text/plain; charset=utf-8",
                size=len(content),
                sha256=storage.store_bytes(content),
                uploaded_by=requester,
            )
        )
        db.session.add(document)
        documents.append(document)
    db.session.commit()
    return {
        "need": need.id,
        "offer": offer.id,
        "project": project.id,
        "match": match.id,
        "comments": [c.id for c in comments],
        "documents": [d.id for d in documents],
    }


def _crawl(client) -> dict[str, int]:
    seen: dict[str, int] = {}
    queue = deque(["/", "/needs/", "/offers/", "/projects/", "/dashboard/", "/matches/"])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc or url in seen or parts.path.startswith(("/static", "/logout")):
            continue
        response = client.get(url)
        seen[url] = response.status_code
        body = _file_text(response)
        assert MARKER not in body, f"restricted text leaked at {url}"
        if response.status_code in (301, 302, 303):
            queue.append(urljoin(url, response.headers["Location"]))
            continue
        if "html" not in (response.content_type or ""):
            continue
        parser = _Links()
        parser.feed(body)
        for link in parser.links:
            target = urljoin(url, link).split("#")[0]
            if re.search(r"lang=(sv|uk)", target):
                continue  # the same pages in other languages: once is enough here
            queue.append(target)
    return seen


@pytest.mark.parametrize("who", [None, "other_requester", "other_expert"])
def test_restricted_records_never_leak(app, client, users, login, who):
    ids = _seed_restricted(users)
    if who:
        login(who)
    seen = _crawl(client)
    assert len(seen) > 5
    for url in (
        f"/needs/{ids['need']}",
        f"/offers/{ids['offer']}",
        f"/projects/{ids['project']}",
        f"/matches/{ids['match']}",
    ):
        response = client.get(url)
        assert response.status_code in (302, 404), url  # anonymous: login wall; others: 404
        assert MARKER not in response.get_data(as_text=True)
    for kind in ("need", "offer", "project", "match"):
        record_id = ids[kind]
        for url in (
            f"/r/{kind}/{record_id}/comments",
            f"/r/{kind}/{record_id}/mentions?q=Ol",
            f"/r/{kind}/{record_id}/documents",
        ):
            response = client.get(url)
            assert response.status_code in (302, 401, 404), url
            assert MARKER not in response.get_data(as_text=True)
    for comment_id in ids["comments"]:
        response = client.get(f"/comments/{comment_id}/edit")
        assert response.status_code in (302, 401, 404) and MARKER not in response.get_data(
            as_text=True
        )
    for document_id in ids["documents"]:
        for url in (f"/documents/{document_id}", f"/documents/{document_id}/versions/1/file"):
            response = client.get(url)
            assert response.status_code in (302, 404), url
            assert MARKER not in response.get_data(as_text=True)
    for query in (MARKER.lower(), "насосної", "Läcksökning"):
        for list_url in ("/needs/", "/offers/", "/projects/"):
            body = client.get(f"{list_url}?q={query}&status=all").get_data(as_text=True)
            assert MARKER not in body


def test_the_marker_is_visible_to_those_who_may_see_it(app, client, users, login):
    """The crawl above can fail: the coordinator does see the marker."""
    ids = _seed_restricted(users)
    login("coordinator")
    assert MARKER in client.get(f"/needs/{ids['need']}").get_data(as_text=True)
    assert MARKER in client.get(f"/projects/{ids['project']}").get_data(as_text=True)


# ---------------------------------------------------------------- the read API, with tokens

API_LISTS = ("needs", "offers", "projects", "milestones", "themes", "districts", "organisations")


def _crawl_api(client, headers) -> str:
    """Every API list, page by page, and every record it lists: all the JSON it answered."""
    seen = []
    for name in API_LISTS:
        url = f"/api/v1/{name}?status=all&limit=2"
        while url:
            response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            assert "Set-Cookie" not in response.headers
            body = response.get_json()
            seen.append(response.get_data(as_text=True))
            if name in ("needs", "offers", "projects", "milestones"):
                for item in body["items"]:
                    one = client.get(f"/api/v1/{name}/{item['id']}", headers=headers)
                    assert one.status_code == 200
                    seen.append(one.get_data(as_text=True))
            url = body["next"]
    seen.append(client.get("/api/v1/agreement", headers=headers).get_data(as_text=True))
    return "\n".join(seen)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        (None, False),
        ("other_requester", False),
        ("other_expert", False),
        ("requester", True),
        ("expert", True),
        ("coordinator", True),
    ],
)
def test_api_shows_restricted_records_only_to_those_who_may_see_them(app, client, users, who, sees):
    from portal.api.services import create_token

    ids = _seed_restricted(users)
    headers = {}
    if who:
        _token, secret = create_token(users[who], "crawl")
        db.session.commit()
        headers = {"Authorization": f"Bearer {secret}"}
    assert (MARKER in _crawl_api(client, headers)) is sees
    for kind in ("need", "offer", "project"):
        response = client.get(f"/api/v1/{kind}s/{ids[kind]}", headers=headers)
        assert response.status_code == (200 if sees else 404)


# ---------------------------------------------------------------- exports, feeds and calendars

EXPORT_LISTS = ("needs", "offers", "matches", "projects", "milestones", "status-reports")
PUBLIC_FILES = (
    "/feeds/needs.atom",
    "/feeds/projects.atom",
    "/feeds/needs.atom?theme=water_sewage",
    "/feeds/projects.atom?theme=water_sewage",
    "/calendar/public.ics",
    "/open-data/iati-activities.xml",
)


def _file_text(response) -> str:
    """What a downloaded file says, the cells of a workbook included (XLSX is a zip: the marker
    would not show in its bytes)."""
    import io

    import openpyxl

    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return response.get_data(as_text=True)


def _exports(client) -> dict[str, str]:
    """Every export of every list (all statuses), as text, by URL."""
    found = {}
    for name in EXPORT_LISTS:
        for suffix in ("csv?status=all", "csv?sep=semicolon", "xlsx?status=all"):
            url = f"/exports/{name}.{suffix}"
            response = client.get(url)
            assert response.status_code in (200, 404), url  # 404: matches, signed out
            found[url] = _file_text(response) if response.status_code == 200 else ""
    return found


def _personal_calendar(client) -> str:
    body = client.post("/profile/calendar").get_data(as_text=True)
    address = re.search(r'value="https?://[^/"]+(/calendar/[^"]+\.ics)"', body)
    assert address, "no calendar address on the page"
    return client.get(address.group(1)).get_data(as_text=True)


@pytest.mark.parametrize("who", [None, "other_requester", "other_expert"])
def test_restricted_records_stay_out_of_exports_feeds_and_calendars(app, client, users, login, who):
    _seed_restricted(users)
    if who:
        login(who)
    for url, text in _exports(client).items():
        assert MARKER not in text, f"restricted text leaked in {url}"
    for url in PUBLIC_FILES:
        assert MARKER not in _file_text(client.get(url)), f"restricted text leaked in {url}"
    if who:
        assert MARKER not in _personal_calendar(client)


@pytest.mark.parametrize("who", ["requester", "expert", "coordinator"])
def test_those_who_may_see_restricted_records_find_them_in_exports_not_in_public_files(
    app, client, users, login, who
):
    """The checks above can fail: the organisations on the records and the coordinator do get
    them in their exports and their own calendar, and still never in the public files."""
    _seed_restricted(users)
    login(who)
    exports = _exports(client)
    for name in ("needs", "offers", "matches", "projects"):
        assert MARKER in exports[f"/exports/{name}.csv?status=all"], name
        assert MARKER in exports[f"/exports/{name}.xlsx?status=all"], name
    assert MARKER in exports["/exports/milestones.csv?status=all"]
    assert MARKER in _personal_calendar(client)
    for url in PUBLIC_FILES:
        assert MARKER not in _file_text(client.get(url)), f"restricted text in public {url}"


def _notify_everyone_about(ids: dict[str, int], users) -> None:
    """Inbox rows about the restricted records for every person, as if they had been told
    before the records became restricted."""
    from portal.notifications.models import Notification, NotificationEvent

    for kind in ("need", "offer", "project", "match"):
        event = NotificationEvent(kind="comment", record_kind=kind, record_id=ids[kind])
        db.session.add(event)
        for user in users.values():
            db.session.add(
                Notification(
                    event=event,
                    user_id=user.id,
                    kind="comment",
                    record_kind=kind,
                    record_id=ids[kind],
                )
            )
    db.session.commit()


@pytest.mark.parametrize("who", ["other_requester", "other_expert"])
def test_notifications_about_restricted_records_never_leak(app, client, users, login, who):
    ids = _seed_restricted(users)
    _notify_everyone_about(ids, users)
    login(who)
    for url in ("/notifications/", "/notifications/?unread=1", "/notifications/count", "/"):
        body = client.get(url).get_data(as_text=True)
        assert MARKER not in body, url
        assert 'class="badge"' not in body, url  # no count of what they may not see
    seen = _crawl(client)
    assert "/notifications/" in seen


def test_the_header_count_follows_a_person_who_no_longer_sees_the_records(
    app, client, users, login
):
    """The header's count is read with the person's row under the scope they had at their
    last count: a coordinator who becomes an expert of another organisation is counted under
    their new scope at once, not the one guessed."""
    from portal.core.enums import Role

    ids = _seed_restricted(users)
    _notify_everyone_about(ids, users)
    login("coordinator")
    for _ in range(2):  # counted apart, then read with the person's row
        assert 'class="badge">4' in client.get("/needs/").get_data(as_text=True)
    coordinator = db.session.get(type(users["coordinator"]), users["coordinator"].id)
    coordinator.role = Role.EXPERT
    coordinator.organisation_id = users["other_expert"].organisation_id
    db.session.commit()
    for url in ("/needs/", "/", "/needs/"):
        assert 'class="badge"' not in client.get(url).get_data(as_text=True), url


def test_notifications_about_restricted_records_reach_those_who_may_see_them(
    app, client, users, login
):
    """The test above can fail: the coordinator's inbox names the records and counts them."""
    ids = _seed_restricted(users)
    _notify_everyone_about(ids, users)
    login("coordinator")
    body = client.get("/notifications/").get_data(as_text=True)
    assert MARKER in body
    assert 'class="badge">4' in client.get("/notifications/count").get_data(as_text=True)
    assert MARKER in client.get(f"/r/match/{ids['match']}/comments").get_data(as_text=True)
    file = client.get(f"/documents/{ids['documents'][2]}/versions/1/file")
    assert MARKER in file.get_data(as_text=True)
