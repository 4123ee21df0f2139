"""The open data page lists every download, feed and the API with its licence, in three
languages, and the footer links to it."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("lang", ["en", "sv", "uk"])
def test_open_data_page_lists_everything(client, lang):
    response = client.get(f"/open-data?lang={lang}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for path in (
        "/exports/needs.csv",
        "/exports/needs.csv?sep=semicolon",
        "/exports/projects.xlsx",
        "/open-data/iati-activities.xml",
        "/feeds/needs.atom",
        "/feeds/projects.atom?theme=water_sewage",
        "/calendar/public.ics",
        'href="/api/v1/"',
        'href="/api/v1/openapi.json"',
        "https://creativecommons.org/licenses/by/4.0/",
        "CC BY 4.0",
    ):
        assert path in body, path
    assert f'lang="{lang}"' in body


def test_the_footer_links_the_open_data_page(client):
    assert 'href="/open-data"' in client.get("/").get_data(as_text=True)


def test_every_link_on_the_page_answers(client):
    import re

    body = client.get("/open-data").get_data(as_text=True)
    for href in set(re.findall(r'href="(/(?:exports|feeds|calendar|open-data)[^"]*)"', body)):
        href = href.replace("&amp;", "&")
        assert client.get(href).status_code == 200, href
