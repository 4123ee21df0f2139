"""The floor page of make bench (bench/floor.py) shows, from the same database, the needs the
portal's public list shows a visitor, in the same order, in the reader's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from markupsafe import escape

from bench import floor
from portal.core.enums import NeedStatus, Priority, Visibility
from portal.core.types import utcnow
from portal.extensions import db
from portal.reference.models import District, Organisation, Theme
from tests.factories import make_match, make_need, make_offer

NEED_LINK = re.compile(r'href="/needs/(\d+)"')


@pytest.fixture
def floor_app(app, database_url: str) -> Iterator[Flask]:
    floor_app = floor.create_app(database_url)
    yield floor_app
    floor_app.extensions["floor_engine"].dispose()


def test_floor_serves_the_first_page_of_the_public_needs_list(app, client, users, floor_app):
    requester = users["requester"]
    district = db.session.scalars(db.select(District).order_by(District.id)).first()
    start = utcnow() - timedelta(days=1)
    public = [
        make_need(
            requester,
            title=f"Pump station {n}",
            lang="uk",
            title_translations={"sv": f"Pumpstation {n}"} if n % 2 else None,
            created_at=start + timedelta(minutes=n),
            visibility=Visibility.PUBLIC,
        )
        for n in range(floor.PAGE_SIZE + 2)
    ]
    districted = make_need(
        requester,
        title="Pump station in a district",
        lang="uk",
        district_name=district.name_en,
        created_at=start + timedelta(hours=1),
        visibility=Visibility.PUBLIC,
    )
    hidden = [
        make_need(requester, title="Restricted valve", visibility=Visibility.RESTRICTED),
        make_need(requester, title="Partners only valve", visibility=Visibility.PARTNERS),
        make_need(
            requester,
            title="Draft valve",
            visibility=Visibility.PUBLIC,
            status=NeedStatus.DRAFT,
        ),
        make_need(
            requester,
            title="Withdrawn valve",
            visibility=Visibility.PUBLIC,
            status=NeedStatus.WITHDRAWN,
        ),
    ]

    response = floor_app.test_client().get(
        "/", headers={"Accept-Language": "sv", "Accept-Encoding": "identity"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = [int(i) for i in NEED_LINK.findall(page)]
    newest_first = [districted.id, *[n.id for n in reversed(public)][: floor.PAGE_SIZE - 1]]
    assert shown == newest_first
    portal_page = client.get("/needs/", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert shown == [int(i) for i in NEED_LINK.findall(portal_page)][: floor.PAGE_SIZE]
    for need in hidden:
        assert need.id not in shown
    assert "valve" not in page
    # The reader's language where a version exists, else the original marked with its own.
    assert '<span lang="sv">Pumpstation 21</span>' in page
    # Names in the reader's language.
    theme = db.session.get(Theme, districted.theme_id)
    organisation = db.session.get(Organisation, districted.organisation_id)
    assert f"<span>{escape(theme.name_sv)}</span>" in page
    assert f"<span>{escape(organisation.name_sv)}</span>" in page
    assert f"<span>Stadsdel: {escape(district.name_sv)}</span>" in page
    assert '<span lang="uk">Pump station 20</span>' in page
    assert 'rel="next"' in page  # more than a page
    assert '<html lang="sv">' in page
    assert "Set-Cookie" not in response.headers


def test_floor_escapes_titles_and_compresses_as_the_portal_does(app, users, floor_app):
    make_need(users["requester"], title="<script>alert(1)</script>", visibility=Visibility.PUBLIC)
    client = floor_app.test_client()
    page = client.get("/", headers={"Accept-Encoding": "identity"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    compressed = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert compressed.headers["Content-Encoding"] in ("br", "gzip")


def _signed_in_floor(floor_app: Flask, person: Any, path: str, generation: int | None = None):
    client = floor_app.test_client()
    cookie = floor.session_cookie(
        floor_app.secret_key,
        person.id,
        person.session_generation if generation is None else generation,
    )
    client.set_cookie("session", cookie)
    return client.get(path, headers={"Accept-Language": "en", "Accept-Encoding": "identity"})


def test_signed_in_floor_shows_what_the_portal_shows_the_person(app, users, floor_app, login):
    """The signed-in floor's list is the expert's filtered needs list under the portal's rule:
    their organisation's restricted needs, public and partners' ones, restricted ones granted to
    their organisation by a live match, not another organisation's restricted or draft needs,
    and only the theme and priority asked for."""
    requester, expert = users["requester"], users["expert"]
    water = db.session.scalars(db.select(Theme).filter_by(code="water_sewage")).one()
    start = utcnow() - timedelta(days=1)

    def need(title: str, minutes: int, **values: Any):
        return make_need(
            requester,
            title=title,
            lang="en",
            created_at=start + timedelta(minutes=minutes),
            **values,
        )

    public = need("Public pump", 1, visibility=Visibility.PUBLIC)
    partners = need("Partners pump", 2, visibility=Visibility.PARTNERS)
    granted = need("Granted pump", 3, visibility=Visibility.RESTRICTED)
    make_match(granted, make_offer(expert), expert)
    withheld = need("Withheld pump", 4, visibility=Visibility.RESTRICTED)
    draft = need("Draft pump", 5, visibility=Visibility.PUBLIC, status=NeedStatus.DRAFT)
    low = need("Low pump", 6, visibility=Visibility.PUBLIC, priority=Priority.LOW)
    other_theme = need("Housing pump", 7, visibility=Visibility.PUBLIC, theme_code="housing")
    path = f"/signed-in?theme={water.id}&priority=high"

    response = _signed_in_floor(floor_app, expert, path)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = [int(i) for i in NEED_LINK.findall(page)]
    assert shown == [granted.id, partners.id, public.id]
    for hidden in (withheld, draft, low, other_theme):
        assert hidden.id not in shown
    portal = login("expert").get(f"/needs/?theme={water.id}&priority=high")
    assert shown == [int(i) for i in NEED_LINK.findall(portal.get_data(as_text=True))]
    assert f"<span>{escape(expert.name)}</span>" in page
    assert re.search(r'name="csrf_token" value="[^"]+"', page)
    # The requester's organisation's own restricted need is on theirs, as on the portal's.
    own = _signed_in_floor(floor_app, requester, path).get_data(as_text=True)
    own_shown = [int(i) for i in NEED_LINK.findall(own)]
    assert withheld.id in own_shown
    login("expert").logout()
    portal = login("requester").get(f"/needs/?theme={water.id}&priority=high")
    assert own_shown == [int(i) for i in NEED_LINK.findall(portal.get_data(as_text=True))]


def test_signed_in_floor_refuses_a_session_that_is_not_the_persons(app, users, floor_app):
    expert = users["expert"]
    path = "/signed-in?theme=1&priority=high"
    ended = _signed_in_floor(floor_app, expert, path, generation=expert.session_generation + 1)
    assert ended.status_code == 401
    assert floor_app.test_client().get(path).status_code == 400  # no session at all
    assert _signed_in_floor(floor_app, expert, "/signed-in?theme=1").status_code == 400
