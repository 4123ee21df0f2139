"""Calendar feeds (iCalendar, RFC 5545, written with ``icalendar``): the projects a person may
see with their dates and milestones, and the end of the agreement.

The public feed is what anyone without an account sees: public projects only. A personal feed
(a secret address, ``services.renew_calendar_token``) shows what its owner may see, in their
language. Every event is a whole day (dates carry no time zone); its UID is stable, so a
calendar application updates an event rather than adding it again.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.core.types import utcnow
from portal.extensions import db
from portal.mail.services import external_url

# Projects that ended longer ago than this are history, not plans: left out of the calendar.
PAST = timedelta(days=365)
# A calendar application fetches the feed again after this long (RFC 7986 REFRESH-INTERVAL).
REFRESH = timedelta(hours=6)


def _uid(kind: str, record_id: int) -> str:
    host = urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "portal"
    return f"{kind}-{record_id}@{host}"


def _all_day(uid: str, summary: str, first: date, last: date, url: str | None) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("summary", summary)
    event.add("dtstart", first)
    event.add("dtend", last + timedelta(days=1))  # DTEND of a whole-day event is exclusive
    event.add("transp", "TRANSPARENT")  # a plan, not a meeting: it does not make anyone busy
    if url:
        event.add("url", url)
    return event


def calendar_for(viewer: Any, lang: str, name: str) -> bytes:
    """The calendar of what ``viewer`` (None: anyone) may see, in ``lang``."""
    from portal.agreements.services import default_agreement
    from portal.projects.models import Milestone, Project

    calendar = Calendar()
    calendar.add("prodid", "-//Stockholm-Kyiv cooperation portal//calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})

    agreement = default_agreement()
    calendar.add_component(
        _all_day(
            _uid("agreement-end", agreement.id),
            _("The cooperation agreement %(reference)s ends", reference=agreement.reference),
            agreement.valid_until,
            agreement.valid_until,
            external_url("agreements.detail", agreement_id=agreement.id),
        )
    )
    stmt = (
        select(Project)
        .where(Project.visible_to(viewer), Project.ends_on >= date.today() - PAST)
        .options(
            joinedload(Project.title),
            selectinload(Project.milestones).joinedload(Milestone.title),
        )
        .order_by(Project.starts_on, Project.id)
        .execution_options(yield_per=200)
    )
    for project in db.session.scalars(stmt):
        title = project.title.render(lang).body
        url = external_url("projects.detail", project_id=project.id)
        calendar.add_component(
            _all_day(
                _uid("project", project.id),
                _("Project: %(title)s", title=title),
                project.starts_on,
                project.ends_on,
                url,
            )
        )
        for milestone in project.milestones:
            summary = _(
                "Milestone: %(milestone)s (%(project)s)",
                milestone=milestone.title.render(lang).body,
                project=title,
            )
            if milestone.done_on is not None:
                summary = _("Done: %(summary)s", summary=summary)
            calendar.add_component(
                _all_day(
                    _uid("milestone", milestone.id),
                    summary,
                    milestone.due_on,
                    milestone.due_on,
                    url,
                )
            )
    return calendar.to_ical()
