"""A suggestion's row on a need page, read from the stored list, is kept rendered by everything
it shows (portal.matching.views.suggestion_shown, portal.web.kept_part): the kept row is the
row rendered afresh, with the reader's own CSRF token, and a new title version or a renamed
theme is a new row at once."""

from __future__ import annotations

import re

import pytest

from portal import web
from portal.content.models import TextVersion
from portal.extensions import db
from portal.matching.models import SuggestionList
from portal.offers.models import Offer
from portal.reference import lists as reference_lists
from portal.reference.models import Theme

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


pytestmark = pytest.mark.usefixtures("no_kept_parts")


def suggestion_row(page: str, offer_id: int) -> str:
    start = page.index('id="suggestions-heading"')
    rows = page[start:].split("</ol>\n")[0].split("<h4>")[1:]
    return next(row for row in rows if f'name="offer_id" value="{offer_id}"' in row)


def kept_suggestions() -> int:
    return sum(1 for key in web._kept_parts._kept if key[0] == "suggestion")


@pytest.fixture
def pair(make_need, make_offer):
    need = make_need()
    offer = make_offer()
    # The job after the commits stored the need's list: the page reads it.
    assert db.session.get(SuggestionList, ("need", need.id)) is not None
    return need, offer


@pytest.mark.parametrize("lang", ["en", "sv", "uk"])
def test_a_kept_suggestion_is_the_row_rendered_afresh(client, login, pair, lang):
    need, offer = pair
    login("coordinator")
    fresh = suggestion_row(
        client.get(f"/needs/{need.id}?lang={lang}").get_data(as_text=True), offer.id
    )
    assert kept_suggestions() == 1
    page = client.get(f"/needs/{need.id}?lang={lang}").get_data(as_text=True)
    kept = suggestion_row(page, offer.id)
    assert kept_suggestions() == 1
    assert TOKEN.sub("TOKEN", kept) == TOKEN.sub("TOKEN", fresh)
    # The proposal posts with this request's token: the one in the page's meta tag.
    (token,) = TOKEN.findall(kept)
    assert f'<meta name="csrf-token" content="{token}">' in page


def test_a_new_title_version_or_theme_name_is_a_new_row(client, login, pair):
    need, offer = pair
    login("coordinator")
    row = suggestion_row(client.get(f"/needs/{need.id}?lang=sv").get_data(as_text=True), offer.id)
    assert "Leak detection training" in row

    title_id = db.session.get(Offer, offer.id).title_id
    db.session.add(TextVersion(text_id=title_id, lang="sv", body="Utbildning i läcksökning"))
    db.session.commit()
    row = suggestion_row(client.get(f"/needs/{need.id}?lang=sv").get_data(as_text=True), offer.id)
    assert "Utbildning i läcksökning" in row

    theme = db.session.get(Theme, db.session.get(Offer, offer.id).themes[0].id)
    theme.name_sv = "Vatten, avlopp och dagvatten"
    db.session.commit()
    row = suggestion_row(client.get(f"/needs/{need.id}?lang=sv").get_data(as_text=True), offer.id)
    assert "Vatten, avlopp och dagvatten" in row
    assert kept_suggestions() == 3


def test_with_kept_reference_lists_a_renamed_theme_is_a_new_row(
    app, client, login, pair, monkeypatch
):
    """With the reference lists kept, a row's reasons are keyed by their codes under the lists'
    version: the theme's new name shows once the lists are read anew (as ``flask seed
    reference`` and the admin's changes have them)."""
    monkeypatch.setitem(app.config, "REFERENCE_CACHE_SECONDS", 300)
    need, offer = pair
    login("coordinator")
    path = f"/needs/{need.id}?lang=sv"
    theme = db.session.get(Theme, db.session.get(Offer, offer.id).themes[0].id)
    old_name = theme.name_sv
    assert old_name in suggestion_row(client.get(path).get_data(as_text=True), offer.id)
    assert old_name in suggestion_row(client.get(path).get_data(as_text=True), offer.id)
    assert kept_suggestions() == 1

    theme.name_sv = "Vatten, avlopp och dagvatten"
    db.session.commit()
    with app.test_request_context():
        reference_lists.forget()
    row = suggestion_row(client.get(path).get_data(as_text=True), offer.id)
    assert "Vatten, avlopp och dagvatten" in row and old_name not in row
    assert kept_suggestions() == 2
