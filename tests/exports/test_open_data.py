"""The open data page lists every download, feed and the API with its licence, in three
languages, and the footer links to it."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from portal.core.enums import Visibility
from portal.extensions import db
from portal.projects.models import Project
from tests.projects.factories import bare_project


@pytest.fixture
def public_project(users):
    project = bare_project(users, 1, visibility=Visibility.PUBLIC)
    db.session.commit()
    return project.id


@pytest.mark.parametrize("lang", ["en", "sv", "uk"])
def test_open_data_page_lists_everything(client, lang, public_project):
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


def test_every_link_on_the_page_answers(client, public_project):
    import re

    body = client.get("/open-data").get_data(as_text=True)
    for href in set(re.findall(r'href="(/(?:exports|feeds|calendar|open-data)[^"]*)"', body)):
        href = href.replace("&amp;", "&")
        assert client.get(href).status_code == 200, href


@pytest.mark.parametrize(
    "lang, says",
    [
        ("en", "No cooperation project is public yet"),
        ("sv", "Inget samarbetsprojekt är offentligt ännu"),
        ("uk", "Жоден проєкт співпраці ще не є публічним"),
    ],
)
def test_before_any_project_is_public_there_is_no_iati_file_and_the_page_says_why(
    client, users, lang, says
):
    """The IATI standard requires at least one activity: an empty file would be invalid."""
    restricted = bare_project(users, 1, visibility=Visibility.PARTNERS)
    db.session.commit()
    page = client.get(f"/open-data?lang={lang}").get_data(as_text=True)
    assert says in page
    assert "/open-data/iati-activities.xml" not in page
    response = client.get("/open-data/iati-activities.xml")
    assert response.status_code == 404
    assert says in response.get_data(as_text=True)

    # Made public, the project is the file's first activity and the page links the file.
    db.session.execute(
        update(Project).where(Project.id == restricted.id).values(visibility=Visibility.PUBLIC)
    )
    db.session.commit()
    response = client.get("/open-data/iati-activities.xml")
    assert response.status_code == 200
    assert b"<iati-activity" in response.get_data()
    assert "/open-data/iati-activities.xml" in client.get(f"/open-data?lang={lang}").get_data(
        as_text=True
    )
