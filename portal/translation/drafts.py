"""Machine drafts of texts: requested when a text's original is saved, written by a job.

Every save of a text passes through the session's flush, whichever domain wrote it (a need's
form, a project's milestone, the demo loader), so the request for drafts is hooked there, once:
after a flush that wrote an original, the text's id waits for the transaction to commit
(:func:`portal.core.transaction.call_after_commit`) and is then handed to a background job
(:mod:`portal.jobs`). A save that is rolled back requests nothing.

The job asks the configured provider for each language that has no version a person wrote,
stores the answer as a version marked ``is_machine`` and never touches a person's version.
Texts of restricted records go only to a trusted (self-hosted) provider; otherwise they wait in
the "needs translation" queue for people.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from portal import jobs
from portal.content.models import CONTENT_LANGUAGES, Text, TextVersion, fold
from portal.core.enums import Visibility
from portal.core.transaction import call_after_commit
from portal.core.types import utcnow
from portal.extensions import db
from portal.translation.providers import Provider, ProviderUnavailable, from_config

_WAITING = "portal_draft_texts"
RETRIES = 3


def provider() -> Provider | None:
    return from_config(current_app.config)


# ---------------------------------------------------------------- requesting drafts


def _originals_written(session: Session) -> set[int]:
    ids = set()
    for row in (*session.new, *session.dirty):
        if not isinstance(row, TextVersion) or row.is_machine or not row.body:
            continue
        if row in session.dirty and not inspect(row).attrs.body.history.has_changes():
            continue
        text = row.text
        if text is not None and row.lang == text.original_lang and text.id is not None:
            ids.add(text.id)
    return ids


@event.listens_for(Session, "after_flush")
def _remember_originals(session: Session, context: Any) -> None:
    if not has_app_context() or provider() is None:
        return
    ids = _originals_written(session)
    if ids:
        session.info.setdefault(_WAITING, set()).update(ids)
        call_after_commit(_request_waiting)


@event.listens_for(Session, "after_soft_rollback")
def _forget_originals(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_WAITING, None)


def _request_waiting() -> None:
    for text_id in sorted(db.session.info.pop(_WAITING, set())):
        jobs.enqueue(write_drafts, text_id, retries=RETRIES)


# ---------------------------------------------------------------- writing them (the job)


def visibility_of(text: Text) -> Visibility | None:
    from portal.content.services import _project, owner_of

    owner = owner_of(text.id)
    if owner is None:
        return None
    record = _project(owner.record) or owner.record
    return record.visibility


def may_send(text: Text, to: Provider) -> bool:
    """Restricted records' texts leave the portal only for the city's own provider."""
    return to.trusted or visibility_of(text) != Visibility.RESTRICTED


def wanted_languages(text: Text) -> list[str]:
    """Languages a draft is written in: every other one without a person's version."""
    wanted = []
    for lang in CONTENT_LANGUAGES:
        version = text.version(lang)
        if lang != text.original_lang and (
            version is None or version.is_machine or not version.body
        ):
            wanted.append(lang)
    return wanted


def write_drafts(text_id: int) -> list[str]:
    """The job: drafts of the text's original in the languages that lack a person's version.
    Raises :class:`ProviderUnavailable` (the job is retried) when the provider fails; the
    drafts already written by then are kept. Returns the languages written."""
    to = provider()
    text = db.session.get(Text, text_id)
    if to is None or text is None or not may_send(text, to):
        return []
    original = text.version(text.original_lang)
    if original is None or not original.body:
        return []
    written = []
    for lang in wanted_languages(text):
        body = to.translate(original.body, text.original_lang, lang).strip()
        if _store(text, lang, body):
            written.append(lang)
            db.session.commit()  # one language at a time: a later failure keeps this one
    return written


def _store(text: Text, lang: str, body: str) -> bool:
    current = text.version(lang)
    if current is None:
        text.versions.append(TextVersion(lang=lang, body=body, author=None, is_machine=True))
        try:
            db.session.flush()
        except IntegrityError:
            # A person saved this language meanwhile: theirs stays. The drafts written before
            # are committed already.
            db.session.rollback()
            return False
        return True
    # Only over a draft: a person may have saved this language since the job read it.
    changed = db.session.execute(
        update(TextVersion)
        .where(TextVersion.id == current.id, TextVersion.is_machine.is_(True))
        .values(body=body, folded=fold(body), written_at=utcnow(), author_id=None)
        .execution_options(synchronize_session=False)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


__all__ = ["ProviderUnavailable", "may_send", "provider", "write_drafts"]
