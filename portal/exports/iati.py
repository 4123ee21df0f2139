"""The public cooperation projects as IATI activities (IATI activity standard 2.03).

One ``iati-activity`` per public project: its identifier, the title and description in every
language version it has (``narrative`` with ``xml:lang``), the lead organisations with their
roles, the activity status, planned and actual dates, the theme's OECD DAC purpose code as the
sector, Ukraine as the recipient country, the district as the location, and the milestones as
results. Restricted and partners-only projects are never in the file: it is built from
``Project.visible_to(None)``, what anyone without an account sees.

Written with the standard library's ElementTree, streamed activity by activity.
``tests/exports/test_iati.py`` validates the output against the official XSD.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from xml.etree import ElementTree as ET  # nosec B405 (builds XML, never parses any)

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, selectinload

from portal.content.models import CONTENT_LANGUAGES, Text
from portal.core.enums import OrganisationKind, ProjectStatus
from portal.core.types import utcnow
from portal.extensions import db
from portal.mail.services import external_url

VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# IATI ActivityStatus: 1 pipeline, 2 implementation, 4 closed, 5 cancelled, 6 suspended.
ACTIVITY_STATUS = {
    ProjectStatus.PLANNED: "1",
    ProjectStatus.ACTIVE: "2",
    ProjectStatus.COMPLETED: "4",
    ProjectStatus.CANCELLED: "5",
    ProjectStatus.ON_HOLD: "6",
}
# IATI OrganisationType.
ORGANISATION_TYPE = {
    OrganisationKind.CITY_ADMINISTRATION: "11",  # local government
    OrganisationKind.CITY_OWNED_COMPANY: "15",  # other public sector
    OrganisationKind.PRIVATE_COMPANY: "70",
    OrganisationKind.NGO: "22",
    OrganisationKind.UNIVERSITY: "80",
}
# IATI OrganisationRole: 1 funding, 2 accountable, 3 extending, 4 implementing. Stockholm funds
# the expertise it gives; its lead organisation does the work; the Kyiv lead owns the need.
FUNDING, ACCOUNTABLE, IMPLEMENTING = "1", "2", "4"
# IATI ActivityDateType.
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = "1", "2", "3", "4"
# Organisation identifier prefixes (org-id.guide) of each city's registry.
REGISTRY_PREFIX = {"SE": "SE-ON", "UA": "UA-EDR"}


def _narratives(parent: ET.Element, text: Text) -> None:
    """One narrative per language version, the original first."""
    versions = sorted(
        (v for v in text.versions if v.body),
        key=lambda v: (v.lang != text.original_lang, CONTENT_LANGUAGES.index(v.lang)),
    )
    for version in versions:
        narrative = ET.SubElement(parent, "narrative", {XML_LANG: version.lang})
        narrative.text = version.body


def _named(parent: ET.Element, named: Any) -> None:
    """Narratives of a thing named in three languages (organisations, districts)."""
    for lang in ("en", "sv", "uk"):
        narrative = ET.SubElement(parent, "narrative", {XML_LANG: lang})
        narrative.text = getattr(named, f"name_{lang}")


def organisation_ref(organisation: Any) -> str | None:
    prefix = REGISTRY_PREFIX.get(organisation.city.country_code)
    if not organisation.registry_id or prefix is None:
        return None
    return f"{prefix}-{re.sub(r'[^0-9A-Za-z]', '', organisation.registry_id)}"


def dac_code(theme: Any) -> str | None:
    """The theme's first OECD DAC 5-digit purpose code ("14010–14050" → "14010")."""
    codes = re.findall(r"\d{5}", theme.dac_codes or "")
    return codes[0] if codes else None


def _participant(activity: ET.Element, organisation: Any, role: str) -> None:
    attrs = {"role": role}
    ref = organisation_ref(organisation)
    if ref:
        attrs["ref"] = ref
    kind = ORGANISATION_TYPE.get(organisation.kind)
    if kind:
        attrs["type"] = kind
    _named(ET.SubElement(activity, "participating-org", attrs), organisation)


def _date(activity: ET.Element, kind: str, day: date) -> None:
    ET.SubElement(activity, "activity-date", {"type": kind, "iso-date": day.isoformat()})


def activity(project: Any, reporting: dict[str, str], today: date) -> ET.Element:
    """One project as an ``iati-activity`` element."""
    lang = project.title.original_lang
    element = ET.Element(
        "iati-activity",
        {
            "last-updated-datetime": project.updated_at.isoformat(timespec="seconds"),
            XML_LANG: lang,
            "default-currency": "SEK",
        },
    )
    identifier = ET.SubElement(element, "iati-identifier")
    identifier.text = f"{reporting['ref']}-PROJECT-{project.id}"
    org = ET.SubElement(element, "reporting-org", {"ref": reporting["ref"], "type": "11"})
    narrative = ET.SubElement(org, "narrative", {XML_LANG: "sv"})
    narrative.text = reporting["name"]

    _narratives(ET.SubElement(element, "title"), project.title)
    _narratives(ET.SubElement(element, "description", {"type": "1"}), project.description)

    funder = ET.SubElement(
        element, "participating-org", {"ref": reporting["ref"], "role": FUNDING, "type": "11"}
    )
    narrative = ET.SubElement(funder, "narrative", {XML_LANG: "sv"})
    narrative.text = reporting["name"]
    _participant(element, project.requester_lead, ACCOUNTABLE)
    _participant(element, project.expert_lead, IMPLEMENTING)

    ET.SubElement(element, "activity-status", {"code": ACTIVITY_STATUS[project.status]})
    _date(element, PLANNED_START, project.starts_on)
    started = project.status in (
        ProjectStatus.ACTIVE,
        ProjectStatus.COMPLETED,
        ProjectStatus.ON_HOLD,
    )
    if started and project.starts_on <= today:
        _date(element, ACTUAL_START, project.starts_on)
    _date(element, PLANNED_END, project.ends_on)
    if project.status == ProjectStatus.COMPLETED and project.ends_on <= today:
        _date(element, ACTUAL_END, project.ends_on)

    ET.SubElement(element, "activity-scope", {"code": "6"})  # sub-national: a city
    ET.SubElement(element, "recipient-country", {"code": "UA", "percentage": "100"})
    if project.district is not None:
        _location(element, project.district)
    code = dac_code(project.theme)
    if code:
        sector = ET.SubElement(
            element, "sector", {"vocabulary": "1", "code": code, "percentage": "100"}
        )
        _named(sector, project.theme)
    ET.SubElement(element, "collaboration-type", {"code": "1"})  # bilateral
    link = ET.SubElement(
        element,
        "document-link",
        {"url": external_url("projects.detail", project_id=project.id), "format": "text/html"},
    )
    title = ET.SubElement(link, "title")
    _narratives(title, project.title)
    ET.SubElement(link, "category", {"code": "A12"})  # activity web page
    for milestone in project.milestones:
        _result(element, project, milestone)
    return element


def _location(activity: ET.Element, district: Any) -> None:
    location = ET.SubElement(activity, "location", {"ref": district.code})
    ET.SubElement(location, "location-reach", {"code": "1"})  # the activity happens here
    # A9: the country's own vocabulary, here Ukraine's KATOTTH codes.
    ET.SubElement(location, "location-id", {"code": district.code, "vocabulary": "A9"})
    _named(ET.SubElement(location, "name"), district)
    ET.SubElement(
        location, "administrative", {"code": district.code, "vocabulary": "A9", "level": "2"}
    )
    ET.SubElement(location, "exactness", {"code": "2"})  # approximate: a whole district
    ET.SubElement(location, "location-class", {"code": "1"})  # administrative region


def _result(activity: ET.Element, project: Any, milestone: Any) -> None:
    """A milestone as an output whose one indicator is whether it was reached by its date."""
    result = ET.SubElement(activity, "result", {"type": "1", "aggregation-status": "0"})
    _narratives(ET.SubElement(result, "title"), milestone.title)
    indicator = ET.SubElement(result, "indicator", {"measure": "1", "ascending": "1"})
    _narratives(ET.SubElement(indicator, "title"), milestone.title)
    period = ET.SubElement(indicator, "period")
    start = min(project.starts_on, milestone.due_on)
    ET.SubElement(period, "period-start", {"iso-date": start.isoformat()})
    ET.SubElement(period, "period-end", {"iso-date": milestone.due_on.isoformat()})
    ET.SubElement(period, "target", {"value": "1"})
    ET.SubElement(period, "actual", {"value": "1" if milestone.done_on is not None else "0"})


def public_projects_query() -> Any:
    from portal.projects.models import Milestone, Project

    return (
        select(Project)
        .where(Project.visible_to(None))
        .options(
            joinedload(Project.title),
            joinedload(Project.description),
            joinedload(Project.theme),
            joinedload(Project.district),
            joinedload(Project.agreement),
            joinedload(Project.requester_lead),
            joinedload(Project.expert_lead),
            selectinload(Project.milestones).joinedload(Milestone.title),
        )
        .order_by(Project.id)
        .execution_options(yield_per=200)
    )


def has_activities() -> bool:
    """Whether any project is public: the standard's file holds at least one activity, so
    without one there is no file to publish."""
    from portal.projects.models import Project

    return bool(db.session.scalar(select(exists().where(Project.visible_to(None)))))


def activities_xml() -> Iterator[bytes]:
    """The file, piece by piece: the opening, one activity at a time, the closing."""
    config = current_app.config
    # The publisher (IATI_REPORTING_ORG_REF / _NAME): by default the City of Stockholm,
    # organisationsnummer 212000-0142.
    reporting = {
        "ref": config["IATI_REPORTING_ORG_REF"],
        "name": config["IATI_REPORTING_ORG_NAME"],
    }
    generated = utcnow().isoformat(timespec="seconds")
    today = date.today()
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<iati-activities version="{VERSION}" generated-datetime="{generated}">\n'
    ).encode()
    for project in db.session.scalars(public_projects_query()):
        yield ET.tostring(
            activity(project, reporting, today), encoding="utf-8", xml_declaration=False
        )
        yield b"\n"
    yield b"</iati-activities>\n"
