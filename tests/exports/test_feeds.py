"""Atom feeds of public needs and projects, with absolute links from PORTAL_BASE_URL."""

from __future__ import annotations

from lxml import etree as ET

from portal.core.enums import NeedStatus, Visibility
from portal.extensions import db
from tests.factories import make_need
from tests.projects.factories import bare_project

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def entries(response):
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.get_data())
    assert feed.tag == f"{ATOM}feed"
    return feed, feed.findall(f"{ATOM}entry")


def test_needs_feed_holds_public_published_needs_only(app, client, users, login):
    public = make_need(
        users["requester"],
        title="Відновлення насосної станції",
        lang="uk",
        visibility=Visibility.PUBLIC,
    )
    make_need(users["requester"], title="Partners need", visibility=Visibility.PARTNERS)
    make_need(users["requester"], title="Restricted need", visibility=Visibility.RESTRICTED)
    make_need(
        users["requester"],
        title="Draft need",
        visibility=Visibility.PUBLIC,
        status=NeedStatus.DRAFT,
    )
    login("coordinator")  # signed in or not, a feed is public
    feed, items = entries(client.get("/feeds/needs.atom", headers={"Host": "127.0.0.1"}))
    titles = [e.findtext(f"{ATOM}title") for e in items]
    assert titles == ["Відновлення насосної станції"]
    title = items[0].find(f"{ATOM}title")
    assert title.get(XML_LANG) == "uk"
    base = app.config["PORTAL_BASE_URL"].rstrip("/")
    link = items[0].find(f"{ATOM}link").get("href")
    assert link == f"{base}/needs/{public.id}"  # never the request's host
    self_link = next(li for li in feed.findall(f"{ATOM}link") if li.get("rel") == "self").get(
        "href"
    )
    assert self_link.startswith(base)
    assert items[0].find(f"{ATOM}category").get("term") == "water_sewage"


def test_feeds_per_theme(client, users):
    make_need(users["requester"], title="Water", visibility=Visibility.PUBLIC)
    make_need(
        users["requester"],
        title="School",
        theme_code="education",
        visibility=Visibility.PUBLIC,
    )
    _, items = entries(client.get("/feeds/needs.atom?theme=education"))
    assert [e.findtext(f"{ATOM}title") for e in items] == ["School"]
    assert client.get("/feeds/needs.atom?theme=nonsense").status_code == 404
    assert client.get("/feeds/users.atom").status_code == 404


def test_projects_feed(client, users):
    public = bare_project(users, 1, visibility=Visibility.PUBLIC)
    bare_project(users, 2, visibility=Visibility.RESTRICTED)
    bare_project(users, 3, visibility=Visibility.PARTNERS)
    db.session.commit()
    _, items = entries(client.get("/feeds/projects.atom?lang=sv"))
    assert [e.findtext(f"{ATOM}title") for e in items] == ["Project 1"]
    assert items[0].findtext(f"{ATOM}id").endswith(f"/projects/{public.id}")
    _, items = entries(client.get("/feeds/projects.atom?theme=education"))
    assert items == []
