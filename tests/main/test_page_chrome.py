"""The page's chrome (head links, the skip link, the main menu, the footer) kept rendered per
language and, for the menu, per set of roles (portal.web.kept_part): each reader still gets the
menu of their own roles, in their own language, and the same page as rendered afresh."""

from __future__ import annotations

import re

import pytest
from flask import url_for

from portal import web
from tests.conftest import masked

pytestmark = pytest.mark.usefixtures("no_kept_parts")

MENU = re.compile(r'<nav aria-label="[^"]+" class="main-nav">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"')

# Whose menu holds which of the restricted entries.
ENTRIES = {
    "requester": set(),
    "coordinator": {"content.missing", "audit.index"},
    "admin": {"audit.index", "admin.users"},
}


def menu_links(page: str) -> set[str]:
    [menu] = MENU.findall(page)
    return set(LINK.findall(menu))


def test_each_reader_gets_the_menu_of_their_own_roles(app, client, login, users):
    with app.test_request_context():
        restricted = {e: url_for(e) for e in ("content.missing", "audit.index", "admin.users")}
        always = {url_for(e) for e in ("needs.index", "offers.index", "projects.index")}
        signed_in = {url_for("matching.index"), url_for("dashboard.index")}
    anonymous = menu_links(client.get("/needs/").get_data(as_text=True))
    assert always <= anonymous
    assert not anonymous & (signed_in | set(restricted.values()))
    for round_ in range(2):  # the second round reads each menu from what the first kept
        for who, entries in ENTRIES.items():
            login(who)
            links = menu_links(client.get("/needs/").get_data(as_text=True))
            assert always | signed_in <= links, (who, round_)
            assert {e for e, url in restricted.items() if url in links} == entries, (who, round_)
            client.logout()
    assert len(web._kept_parts) > 0


@pytest.mark.parametrize("lang", ["sv", "uk", "en"])
def test_a_page_with_kept_chrome_is_the_page_rendered_afresh(client, login, lang):
    login("coordinator")
    client.get(f"/needs/?lang={lang}")
    kept = client.get("/needs/").get_data(as_text=True)
    web._kept_parts.clear()
    web._kept_rows.clear()
    fresh = client.get("/needs/").get_data(as_text=True)
    assert f'<html lang="{lang}">' in fresh
    assert masked(kept) == masked(fresh)
    assert "js/session.js" in kept
    client.logout()
    anonymous = client.get("/needs/").get_data(as_text=True)
    assert "js/session.js" not in anonymous
