"""Writing and reading comments: posting (with mentions), correcting within the edit window,
removing. Every write takes the acting user, checks the record's and the comment's predicates,
refuses on an expired agreement, records an audit event, flushes and then tells the
notifications (``portal.notifications.events.notify``); the request commits."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, func, or_, select
from werkzeug.exceptions import Forbidden

from portal.accounts.models import User
from portal.audit import services as audit
from portal.comments.models import COMMENT_KINDS, Comment, ShownAuthor, ShownComment
from portal.content.models import CONTENT_LANGUAGES
from portal.core import empty
from portal.core.i18n import ShownName
from portal.core.records import kind_of
from portal.core.statements import KeptStatements, read_columns
from portal.core.text import clean_text
from portal.core.types import utcnow
from portal.core.visibility import is_signed_in
from portal.extensions import db
from portal.notifications.events import notify
from portal.reference.models import Organisation

BODY_MAX = 5_000
# Mentions written without JavaScript: "@" followed by the person's e-mail address.
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# At most this many people are offered while typing a mention.
SUGGESTIONS = 8


class CommentError(ValueError):
    """A comment that cannot be saved as written; the message is translated and says why."""

    @property
    def message(self) -> str:
        return str(self.args[0])


class NotAllowed(Forbidden):
    """The acting user may not do this (answered 403)."""


def agreement_of(record: Any) -> Any:
    """The agreement a record belongs to (a match's is its need's)."""
    if hasattr(record, "agreement"):
        return record.agreement
    if hasattr(record, "need"):
        return record.need.agreement
    return record.project.agreement


def can_comment(user: Any, record: Any) -> bool:
    """Any signed-in person who sees the record takes part in its discussion."""
    return (
        is_signed_in(user)
        and kind_of(record) in COMMENT_KINDS
        and bool(record.can_view(user))
        and not agreement_of(record).has_expired()
    )


def _check_body(body: str) -> str:
    body = clean_text(body)
    if not body:
        raise CommentError(_("Write something before posting."))
    if len(body) > BODY_MAX:
        raise CommentError(
            _("A comment may be at most %(max)s characters long.", max=f"{BODY_MAX:,}")
        )
    return body


def mentioned_in(body: str, record: Any) -> list[User]:
    """The people a body mentions by e-mail address ("@name@example.org") who may see the
    record. Anyone else is left out without a word: a comment never tells whether an address
    has an account."""
    addresses = {address.lower().rstrip(".") for address in _MENTION.findall(body)}
    if not addresses:
        return []
    people = db.session.scalars(
        select(User).where(func.lower(User.email).in_(addresses)).order_by(User.name)
    )
    return [person for person in people if person.is_active and record.can_view(person)]


def post(actor: User, record: Any, body: str, lang: str) -> Comment:
    if not can_comment(actor, record):
        raise NotAllowed()
    agreement_of(record).ensure_writable()
    body = _check_body(body)
    if lang not in CONTENT_LANGUAGES:
        raise CommentError(_("Choose the language you write in."))
    mentioned = mentioned_in(body, record)
    comment = Comment(
        record_kind=kind_of(record),
        record_id=record.id,
        author=actor,
        body=body,
        lang=lang,
        created_at=utcnow(),
        mentioned=mentioned,
    )
    db.session.add(comment)
    db.session.flush()
    audit.record(
        actor,
        "create",
        "comment",
        comment.id,
        after={**audit.snapshot(comment), "mentioned": [p.id for p in mentioned]},
    )
    db.session.flush()
    notify("comment", record, actor, mentioned=mentioned)
    return comment


def edit(actor: User, comment: Comment, body: str) -> Comment:
    """A correction by its author within the edit window; the thread says "edited". People
    newly mentioned are told; those already told are not told again."""
    if not comment.can_edit(actor):
        raise NotAllowed()
    record = comment.record
    agreement_of(record).ensure_writable()
    body = _check_body(body)
    before = audit.snapshot(comment)
    already = {p.id for p in comment.mentioned}
    mentioned = mentioned_in(body, record)
    comment.body = body
    comment.edited_at = utcnow()
    comment.mentioned = mentioned
    db.session.flush()
    audit.record(actor, "update", "comment", comment.id, before, audit.snapshot(comment))
    db.session.flush()
    newly = [p for p in mentioned if p.id not in already]
    if newly:
        notify("comment", record, actor, mentioned=newly)
    return comment


def remove(actor: User, comment: Comment) -> Comment:
    """Removed by its author or a coordinator: the thread says "removed"; the text stays in
    the audit log only."""
    if not comment.can_remove(actor):
        raise NotAllowed()
    before = audit.snapshot(comment)
    comment.removed_at = utcnow()
    comment.removed_by = actor
    comment.body = ""
    comment.mentioned = []
    db.session.flush()
    audit.record(actor, "remove", "comment", comment.id, before, audit.snapshot(comment))
    db.session.flush()
    return comment


# ---------------------------------------------------------------- reading


_THREAD = KeptStatements()


def thread(record: Any) -> list[ShownComment]:
    """The record's comments, oldest first, with their authors' and organisations' names: one
    select of the shown columns, built once (the page that shows the thread has checked that its
    reader may see the record, and every comment on it is seen by whoever sees the record)."""

    def build() -> Any:
        return (
            select(
                Comment.id,
                Comment.author_id,
                Comment.body,
                Comment.lang,
                Comment.created_at,
                Comment.edited_at,
                Comment.removed_at,
                User.name,
                Organisation.name_en,
                Organisation.name_sv,
                Organisation.name_uk,
            )
            .join(User, User.id == Comment.author_id)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(
                Comment.record_kind == bindparam("record_kind"),
                Comment.record_id == bindparam("record_id"),
            )
            .order_by(Comment.created_at, Comment.id)
        )

    kind = kind_of(record)
    if empty.known_empty("comments", kind, record.id):
        return []
    rows = read_columns(_THREAD.get("thread", build), {"record_kind": kind, "record_id": record.id})
    # The comment's seven columns (ShownComment's fields, in order: mypy cannot count a slice),
    # then its author's name and organisation's three names.
    return [
        ShownComment(*row[:7], author=ShownAuthor(row[7], ShownName(*row[8:])))  # type: ignore[misc]
        for row in rows
    ]


def any_on(kind: str, record_id: Any) -> Any:
    """Whether any comment is on the record of ``kind`` whose id is ``record_id`` (a column):
    a column for the statement that loads the record (``empty.found_empty``)."""
    return exists().where(Comment.record_kind == kind, Comment.record_id == record_id)


def count_visible(user: Any, kinds: Iterable[str] = COMMENT_KINDS) -> int:
    """How many comments ``user`` may see (on the records of ``kinds``)."""
    statement = select(func.count(Comment.id)).where(
        Comment.visible_to(user), Comment.record_kind.in_(tuple(kinds))
    )
    return db.session.scalar(statement) or 0


def mention_candidates(actor: Any, record: Any, query: str) -> list[User]:
    """People whose name or e-mail address starts (or has a word starting) with ``query`` and
    who may see the record: never anyone else."""
    query = clean_text(query).lstrip("@")[:100]
    if not is_signed_in(actor) or len(query) < 2:
        return []
    pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    candidates = db.session.scalars(
        select(User)
        .where(
            User.is_active_account.is_(True),
            or_(
                User.name.ilike(f"{pattern}%", escape="\\"),
                User.name.ilike(f"% {pattern}%", escape="\\"),
                User.email.ilike(f"{pattern}%", escape="\\"),
            ),
        )
        .order_by(User.name, User.id)
        .limit(50)
    )
    return [person for person in candidates if record.can_view(person)][:SUGGESTIONS]
