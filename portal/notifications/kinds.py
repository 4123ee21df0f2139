"""The kinds of event people are told about: their names in the interface and the sentence
that says who did what on which record."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext, pgettext

from portal.notifications.models import Frequency

EVENT_LABELS = {
    "proposal": _l("A match proposed to my side"),
    "match_accepted": _l("A match accepted"),
    "match_declined": _l("A match declined"),
    "project_started": _l("A project started"),
    "milestone_due": _l("A milestone due in 7 days"),
    "milestone_overdue": _l("A milestone overdue"),
    "report_due": _l("A status report due"),
    "report_posted": _l("A status report posted"),
    "comment": _l("A comment on something I follow"),
    "mention": _l("A mention of me"),
    "document": _l("A document added"),
    "agreement_ending": _l("The agreement ending soon"),
    "invitation_accepted": _l("An invitation accepted"),
}
EVENT_KINDS = tuple(EVENT_LABELS)

FREQUENCY_LABELS = {
    Frequency.IMMEDIATELY: _l("Immediately"),
    Frequency.DAILY: _l("Daily digest"),
    Frequency.WEEKLY: _l("Weekly digest"),
    Frequency.NEVER: _l("Never"),
}

DEFAULT_FREQUENCY = Frequency.IMMEDIATELY


def label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))


def quoted(title: str) -> str:
    """A record's title in the quotation marks of the current language."""
    return pgettext("a record's title in quotation marks", "“%(title)s”", title=title)


def sentence(kind: str, actor: str | None, title: str, detail: str = "") -> str:
    """Who did what on which record, in the current language. ``title`` is the record's title
    (or a neutral name for a restricted record in mail); ``detail`` a number of days, say."""
    someone = actor or _("Someone")
    if kind == "proposal":
        return _(
            "%(actor)s proposed a match for you to decide: %(title)s", actor=someone, title=title
        )
    if kind == "match_accepted":
        return _("%(actor)s accepted the match %(title)s", actor=someone, title=title)
    if kind == "match_declined":
        return _("%(actor)s declined the match %(title)s", actor=someone, title=title)
    if kind == "project_started":
        return _("%(actor)s started the project %(title)s", actor=someone, title=title)
    if kind == "milestone_due":
        return _("The milestone %(title)s is due in 7 days", title=title)
    if kind == "milestone_overdue":
        return _("The milestone %(title)s is overdue", title=title)
    if kind == "report_due":
        return _("A status report is due for the project %(title)s", title=title)
    if kind == "report_posted":
        return _("%(actor)s posted a status report on %(title)s", actor=someone, title=title)
    if kind == "comment":
        return _("%(actor)s commented on %(title)s", actor=someone, title=title)
    if kind == "mention":
        return _("%(actor)s mentioned you on %(title)s", actor=someone, title=title)
    if kind == "document":
        return _("%(actor)s added a document to %(title)s", actor=someone, title=title)
    if kind == "agreement_ending":
        days = int(detail or 0)
        return ngettext(
            "The agreement %(title)s ends in %(num)s day",
            "The agreement %(title)s ends in %(num)s days",
            days,
            title=title,
        )
    if kind == "invitation_accepted":
        return _("%(actor)s accepted the invitation and signed in", actor=someone)
    return _("%(actor)s changed %(title)s", actor=someone, title=title)
