"""Atom feeds (RFC 4287) of newly published public needs and projects, for all themes or one.

Hand-built with the standard library's ElementTree rather than feedgen: an Atom feed is a small,
fixed format, and feedgen would bring lxml and python-dateutil into the running portal for a few
dozen elements. Only public records are in a feed (``visible_to(None)``: what anyone without an
account sees), whoever asks; every link is absolute, from PORTAL_BASE_URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET  # nosec B405 (builds XML, never parses any)

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.content.models import Text
from portal.core.types import utcnow
from portal.extensions import db
from portal.mail.services import external_url
from portal.reference.models import Theme

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# A feed says what is new; a reader that wants everything uses the exports or the API.
ENTRIES = 50
SUMMARY_MAX = 600

ET.register_namespace("", ATOM)


@dataclass(frozen=True)
class Entry:
    id: str
    title: Text
    summary: Text | None
    link: str
    published: datetime
    updated: datetime
    author: str
    category: Theme | None


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(parent: ET.Element, tag: str, text: Text, lang: str, limit: int | None = None) -> None:
    rendered = text.render(lang)
    body = rendered.body
    if limit is not None and len(body) > limit:
        body = body[: limit - 1].rstrip() + "…"
    _el(parent, tag, body, type="text", **{XML_LANG: rendered.lang})


def feed_xml(
    *,
    feed_id: str,
    title: str,
    alternate: str,
    entries: Iterable[Entry],
    lang: str,
) -> bytes:
    entries = list(entries)
    feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: lang})
    _el(feed, "id", feed_id)
    _el(feed, "title", title)
    _el(feed, "subtitle", _("Stockholm–Kyiv cooperation portal"))
    updated = max((e.updated for e in entries), default=None) or utcnow()
    _el(feed, "updated", _stamp(updated))
    _el(feed, "link", rel="self", href=feed_id, type="application/atom+xml")
    _el(feed, "link", rel="alternate", href=alternate, type="text/html")
    _el(feed, "rights", _("Licence: CC BY 4.0, City of Stockholm and City of Kyiv"))
    _el(feed, "generator", "Stockholm–Kyiv cooperation portal")
    for entry in entries:
        item = _el(feed, "entry")
        _el(item, "id", entry.id)
        _text(item, "title", entry.title, lang)
        _el(item, "link", rel="alternate", href=entry.link, type="text/html")
        _el(item, "published", _stamp(entry.published))
        _el(item, "updated", _stamp(entry.updated))
        author = _el(item, "author")
        _el(author, "name", entry.author)
        if entry.category is not None:
            _el(item, "category", term=entry.category.code, label=entry.category.name)
        if entry.summary is not None:
            _text(item, "summary", entry.summary, lang, SUMMARY_MAX)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def theme_by_code(code: str | None) -> Theme | None:
    if not code:
        return None
    return db.session.scalar(select(Theme).where(Theme.code == code[:40]))


def need_entries(theme: Theme | None) -> list[Entry]:
    """The newest published public needs (of one theme)."""
    from portal.needs.models import Need

    stmt = (
        select(Need)
        .where(Need.visible_to(None), Need.published_at.is_not(None))
        .options(
            joinedload(Need.title),
            joinedload(Need.description),
            joinedload(Need.organisation),
            joinedload(Need.theme),
        )
        .order_by(Need.published_at.desc(), Need.id.desc())
        .limit(ENTRIES)
    )
    if theme is not None:
        stmt = stmt.where(Need.theme_id == theme.id)
    return [
        Entry(
            id=external_url("needs.detail", need_id=need.id),
            title=need.title,
            summary=need.description,
            link=external_url("needs.detail", need_id=need.id),
            published=need.published_at or need.created_at,
            updated=max(need.updated_at, need.published_at or need.created_at),
            author=need.organisation.name,
            category=need.theme,
        )
        for need in db.session.scalars(stmt)
    ]


def project_entries(theme: Theme | None) -> list[Entry]:
    """The newest public projects (of one theme)."""
    from portal.projects.models import Project

    stmt = (
        select(Project)
        .where(Project.visible_to(None))
        .options(
            joinedload(Project.title),
            joinedload(Project.description),
            joinedload(Project.requester_lead),
            joinedload(Project.expert_lead),
            joinedload(Project.theme),
        )
        .order_by(Project.created_at.desc(), Project.id.desc())
        .limit(ENTRIES)
    )
    if theme is not None:
        stmt = stmt.where(Project.theme_id == theme.id)
    return [
        Entry(
            id=external_url("projects.detail", project_id=project.id),
            title=project.title,
            summary=project.description,
            link=external_url("projects.detail", project_id=project.id),
            published=project.created_at,
            updated=project.updated_at,
            author=f"{project.requester_lead.name} · {project.expert_lead.name}",
            category=project.theme,
        )
        for project in db.session.scalars(stmt)
    ]


def feed_for(kind: str, theme: Theme | None, lang: str) -> bytes:
    """The feed of ``kind`` ("needs" or "projects")."""
    values: dict[str, Any] = {"theme": theme.code} if theme is not None else {}
    feed_id = external_url("exports.atom", feed=kind, **values)
    if kind == "needs":
        title = _("Public needs: %(theme)s", theme=theme.name) if theme else _("Public needs")
        alternate_values = {"theme": str(theme.id)} if theme else {}
        return feed_xml(
            feed_id=feed_id,
            title=title,
            alternate=external_url("needs.index", **alternate_values),
            entries=need_entries(theme),
            lang=lang,
        )
    title = (
        _("Public cooperation projects: %(theme)s", theme=theme.name)
        if theme
        else _("Public cooperation projects")
    )
    return feed_xml(
        feed_id=feed_id,
        title=title,
        alternate=external_url("projects.index", **values),
        entries=project_entries(theme),
        lang=lang,
    )
