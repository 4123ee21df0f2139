"""The IATI activity file validates against the official 2.03 schema and holds public projects
only, with every language version of their texts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from portal.core.enums import ProjectStatus, Visibility
from portal.extensions import db
from tests.factories import district, theme
from tests.projects.factories import bare_project

SCHEMA_FILE = Path(__file__).parent.parent / "data" / "iati-2.03" / "iati-activities-schema.xsd"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


@pytest.fixture
def projects(users):
    public = bare_project(users, 1, visibility=Visibility.PUBLIC)
    public.title.set_version("uk", "Пілотний проєкт пошуку витоків", None)
    public.title.set_version("sv", "Pilotprojekt för läcksökning", None)
    public.milestones[0].done_on = date.today()
    heating = bare_project(users, 2, visibility=Visibility.PUBLIC, status=ProjectStatus.PLANNED)
    heating.theme = theme("district_heating")
    heating.district = None
    partners = bare_project(users, 3, visibility=Visibility.PARTNERS)
    restricted = bare_project(users, 4, visibility=Visibility.RESTRICTED)
    done = bare_project(users, 5, visibility=Visibility.PUBLIC, status=ProjectStatus.COMPLETED)
    done.district = district("Darnytskyi")
    db.session.commit()
    return {
        "public": public,
        "heating": heating,
        "partners": partners,
        "restricted": restricted,
        "done": done,
    }


def test_the_file_is_valid_iati_2_03(client, projects, schema, login):
    login("coordinator")  # who asks makes no difference: the file is public
    response = client.get("/open-data/iati-activities.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    document = etree.fromstring(response.get_data())
    schema.assertValid(document)  # raises with every error the schema finds
    assert document.get("version") == "2.03"


def test_only_public_projects_with_every_language(client, projects, schema):
    document = etree.fromstring(client.get("/open-data/iati-activities.xml").get_data())
    activities = document.findall("iati-activity")
    identifiers = [a.findtext("iati-identifier") for a in activities]
    ids = {int(i.rsplit("-", 1)[1]) for i in identifiers}
    assert ids == {projects["public"].id, projects["heating"].id, projects["done"].id}
    assert all(i.startswith("SE-ON-2120000142-PROJECT-") for i in identifiers)

    public = next(
        a for a in activities if a.findtext("iati-identifier").endswith(f"-{projects['public'].id}")
    )
    titles = {n.get(XML_LANG): n.text for n in public.find("title").findall("narrative")}
    assert titles == {
        "en": "Project 1",
        "uk": "Пілотний проєкт пошуку витоків",
        "sv": "Pilotprojekt för läcksökning",
    }
    roles = {o.get("role") for o in public.findall("participating-org")}
    assert roles == {"1", "2", "4"}
    assert public.find("activity-status").get("code") == "2"
    dates = {d.get("type") for d in public.findall("activity-date")}
    assert {"1", "3"} <= dates
    assert public.find("recipient-country").get("code") == "UA"
    assert public.find("sector").get("code") == "14010"
    assert public.find("sector").get("vocabulary") == "1"
    location = public.find("location")
    assert location.find("location-id").get("code") == "UA80000000000551439"  # Obolonskyi
    results = public.findall("result")
    assert len(results) == 2
    actuals = [r.find("indicator/period/actual").get("value") for r in results]
    assert sorted(actuals) == ["0", "1"]

    heating = next(
        a
        for a in activities
        if a.findtext("iati-identifier").endswith(f"-{projects['heating'].id}")
    )
    assert heating.find("sector").get("code") == "23620"
    assert heating.find("location") is None
    assert heating.find("activity-status").get("code") == "1"
    done = next(
        a for a in activities if a.findtext("iati-identifier").endswith(f"-{projects['done'].id}")
    )
    assert done.find("activity-status").get("code") == "4"


def test_the_schema_check_can_fail(client, projects, schema):
    """An activity without its required title is refused: the validation above means something."""
    document = etree.fromstring(client.get("/open-data/iati-activities.xml").get_data())
    activity = document.find("iati-activity")
    activity.remove(activity.find("title"))
    assert not schema.validate(document)
