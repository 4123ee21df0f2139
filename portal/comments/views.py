"""Comment routes, by the record's kind and id: the thread as a page of its own, posting,
the people to mention while typing, correcting and removing. One URL, two renderings: an htmx
request gets the thread (or the comment) as a fragment, a plain form post a redirect."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.comments import services
from portal.comments.forms import CommentForm, EditCommentForm
from portal.comments.models import COMMENT_KINDS, Comment
from portal.comments.rendering import render_comment
from portal.core.http import actor, load_visible_or_404, record_page_url, wants_fragment
from portal.core.i18n import current_language
from portal.core.records import kind_of, load_record
from portal.core.types import utcnow
from portal.web import BlankForm

bp = Blueprint("comments", __name__, template_folder="templates")

# The "@…" being typed at the end of the text, as the mention suggestions read it.
_TYPING_MENTION = re.compile(r"(?:^|\s)@(\S{2,100})$")


def load_commentable(kind: str, record_id: int) -> Any:
    """The record, or 404 when the kind has no discussion, the record is gone or hidden."""
    if kind not in COMMENT_KINDS:
        abort(404)
    record = load_record(kind, record_id)
    if record is None or not record.can_view(current_user):
        abort(404)
    return record


def page_of(record: Any) -> str:
    kind = kind_of(record)
    return record_page_url(kind, record.id, current_user) or url_for(
        "comments.thread", kind=kind, record_id=record.id
    )


def discussion(record: Any, form: CommentForm | BlankForm | None = None) -> SimpleNamespace:
    """What the thread fragment shows for ``record`` to the current user."""
    kind = kind_of(record)
    can_post = services.can_comment(current_user, record)
    if form is None and can_post:
        prefix = f"comment-{kind}-{record.id}"
        # Built only if its kept markup is not found (its language is the reader's).
        form = BlankForm(
            lambda: CommentForm(formdata=None, prefix=prefix),
            (CommentForm, prefix, current_language()),
        )
    return SimpleNamespace(
        record=record,
        kind=kind,
        anchor=f"discussion-{kind}-{record.id}",
        comments=services.thread(record),
        form=form if can_post else None,
        post_url=url_for("comments.post", kind=kind, record_id=record.id),
        mentions_url=url_for("comments.mentions", kind=kind, record_id=record.id),
    )


@bp.app_template_global()
def comment_thread(record: Any) -> SimpleNamespace | None:
    """For ``{% include "comments/_thread.html" %}`` on a record's page."""
    if record is None:
        return None
    try:
        kind = kind_of(record)
    except LookupError:
        return None
    return discussion(record) if kind in COMMENT_KINDS else None


@bp.app_template_global()
def comments_shown(thread: SimpleNamespace, posted: int | None) -> tuple[Any, ...]:
    """Everything a thread's list of comments shows, its key as a kept part: each comment's
    shown values (``ShownComment``) with what the reader may do with it now (correct it while
    the edit window is open, remove it), and the comment an htmx answer puts the focus on.
    Fifty comments included one by one cost the page more than the rest of it."""
    user = current_user._get_current_object()
    now = utcnow()
    return (
        thread.anchor,
        posted,
        tuple(
            (comment, comment.can_edit(user, now), comment.can_remove(user))
            for comment in thread.comments
        ),
    )


@bp.app_template_filter("comment_body")
def comment_body(body: str) -> Any:
    return render_comment(body)


@bp.route("/r/<kind>/<int:record_id>/comments")
def thread(kind: str, record_id: int):
    """The discussion as a page of its own (where a failed plain post comes back to)."""
    record = load_commentable(kind, record_id)
    return render_template(
        "comments/thread.html",
        thread=discussion(record),
        back=record_page_url(kind, record_id, current_user),
    )


@bp.route("/r/<kind>/<int:record_id>/comments", methods=["POST"])
@login_required
def post(kind: str, record_id: int):
    record = load_commentable(kind, record_id)
    if not services.can_comment(current_user, record):
        abort(403)
    form = CommentForm(prefix=f"comment-{kind}-{record.id}")
    error = None
    if form.validate_on_submit():
        try:
            comment = services.post(actor(), record, form.body.data or "", form.lang.data or "")
        except services.CommentError as refused:
            error = refused.message
        else:
            if wants_fragment():
                return render_template(
                    "comments/_thread.html", thread=discussion(record), posted=comment.id
                )
            flash(_("Your comment was posted."), "success")
            return redirect(f"{page_of(record)}#comment-{comment.id}")
    if error:
        form.body.errors = [*form.body.errors, error]
    current = discussion(record, form)
    if wants_fragment():
        return render_template("comments/_thread.html", thread=current), 422
    return render_template(
        "comments/thread.html", thread=current, back=record_page_url(kind, record_id, current_user)
    ), 422


@bp.route("/r/<kind>/<int:record_id>/mentions")
@login_required
def mentions(kind: str, record_id: int):
    """People to mention: only those who may see the record. Reads the "@…" at the end of
    the text typed so far (``body``-like fields) or ``q``."""
    record = load_commentable(kind, record_id)
    typed = request.args.get("q")
    if typed is None:
        text = next((v for k, v in request.args.items() if k.endswith("body")), "")
        found = _TYPING_MENTION.search(text or "")
        typed = found.group(1) if found else ""
    people = services.mention_candidates(current_user, record, typed)
    response = render_template("comments/_mentions.html", people=people, typed=typed)
    return response, 200, {"Cache-Control": "private, no-store"}


def _load_comment(comment_id: int) -> Comment:
    comment = load_visible_or_404(Comment, comment_id)
    if comment.record_kind not in COMMENT_KINDS:
        abort(404)
    return comment


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(comment_id: int):
    comment = _load_comment(comment_id)
    record = comment.record
    if comment.author_id != current_user.id:
        abort(403)
    if not comment.can_edit(current_user):
        flash(_("A comment can be corrected for 15 minutes after posting it."), "error")
        return redirect(f"{page_of(record)}#comment-{comment.id}")
    form = EditCommentForm(obj=comment if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.edit(actor(), comment, form.body.data or "")
        except services.CommentError as refused:
            form.body.errors = [*form.body.errors, refused.message]
        else:
            flash(_("Your comment was corrected."), "success")
            return redirect(f"{page_of(record)}#comment-{comment.id}")
    code = 422 if form.errors else 200
    return render_template(
        "comments/edit.html", comment=comment, form=form, back=page_of(record)
    ), code


@bp.route("/comments/<int:comment_id>/remove", methods=["POST"])
@login_required
def remove(comment_id: int):
    comment = _load_comment(comment_id)
    if not comment.can_remove(current_user):
        abort(403)
    services.remove(actor(), comment)
    if wants_fragment():
        return render_template("comments/_comment.html", comment=comment, removed_now=True)
    flash(_("The comment was removed."), "success")
    return redirect(f"{page_of(comment.record)}#comment-{comment.id}")
