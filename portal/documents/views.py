"""Document routes: the documents of a record (a page, and the list included on the record's
page), uploading, a document's versions, new versions, downloads and the admin's overview.
Every file is served as an attachment only to those who see its record."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from portal.core import limits
from portal.core.http import actor, load_visible_or_404, record_page_url
from portal.core.i18n import current_language, format_date, format_number
from portal.core.records import kind_of, load_record
from portal.documents import scanner, services, storage
from portal.documents.forms import UploadForm, VersionForm
from portal.documents.models import DOCUMENT_KINDS, Document, DocumentVersion
from portal.errors import render_error
from portal.extensions import db
from portal.web import BlankForm, render_text

bp = Blueprint("documents", __name__, template_folder="templates")

UPLOAD_ENDPOINTS = ("documents.upload", "documents.new_version")
# What a multipart form adds around the file (boundaries, the title, the token).
FORM_OVERHEAD = 256 * 1024
# A refused upload is read to its end (up to this many times the limit) so that the browser
# receives the 413 page instead of a connection reset while it is still sending.
DRAIN_FACTOR = 4


@bp.record_once
def _raise_upload_limit(state: Any) -> None:
    """Uploads may be larger than other requests (MAX_CONTENT_LENGTH): the limit is raised for
    the two upload routes before anything (the CSRF check included) reads the form."""

    def raise_limit() -> None:
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = services.max_bytes() + FORM_OVERHEAD

    state.app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):
    stream = request.environ.get("wsgi.input")
    remaining = min(request.content_length or 0, DRAIN_FACTOR * services.max_bytes())
    try:
        while stream is not None and remaining > 0:
            chunk = stream.read(min(remaining, 64 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)
    except OSError:
        pass
    message = None
    if request.endpoint in UPLOAD_ENDPOINTS:
        message = _(
            "The file is too large: at most %(size)s are accepted.",
            size=services.size_limit_text(),
        )
    return render_error(413, message)


# ---------------------------------------------------------------- helpers


def load_attachable(kind: str, record_id: int) -> Any:
    if kind not in DOCUMENT_KINDS:
        abort(404)
    record = load_record(kind, record_id)
    if record is None or not record.can_view(current_user):
        abort(404)
    return record


def page_of(record: Any) -> str:
    project = services.project_of(record)
    if project is not None:
        return url_for("projects.detail", project_id=project.id, _anchor="documents")
    kind = kind_of(record)
    url = record_page_url(kind, record.id, current_user)
    return f"{url}#documents" if url else url_for("documents.index", kind=kind, record_id=record.id)


def label_of(record: Any) -> str:
    kind = kind_of(record)
    if kind == "milestone":
        return _("Milestone: %(title)s", title=render_text(record.title).body)
    if kind == "status_report":
        return _(
            "Status report from %(organisation)s, %(date)s",
            organisation=record.organisation.name,
            date=format_date(record.created_at),
        )
    if kind == "project":
        return _("The project itself")
    return render_text(record.title).body


def _labelled(record: Any) -> tuple[Any, ...]:
    """What ``label_of`` makes ``record``'s label from (to key a kept upload form by)."""
    kind = kind_of(record)
    if kind == "status_report":
        return (kind, record.id, record.organisation.name, record.created_at)
    if kind == "project":
        return (kind, record.id)
    return (kind, record.id, record.title.shown())


def _attach_choices(form: UploadForm, uploadable: list[Any], record: Any) -> UploadForm:
    """The records ``form`` may attach a document to, the page's own chosen unless another
    was."""
    form.attach_to.choices = [(f"{kind_of(t)}:{t.id}", label_of(t)) for t in uploadable]
    if form.attach_to.data is None and uploadable:
        form.attach_to.data = f"{kind_of(record)}:{record.id}"
    return form


def _targets(record: Any) -> list[Any]:
    """The page's record and, on a project's page, its milestones and status reports."""
    if kind_of(record) == "project":
        return [record, *record.milestones, *record.reports]
    return [record]


def listing(record: Any, form: UploadForm | BlankForm | None = None) -> SimpleNamespace | None:
    """What the documents list on ``record``'s page shows to the current user."""
    kind = kind_of(record)
    if kind not in DOCUMENT_KINDS:
        return None
    targets = _targets(record)
    found = services.documents_of(targets)
    groups = [
        SimpleNamespace(label=label_of(t), kind=kind_of(t), record=t, documents=docs)
        for t in targets
        if (docs := found.get((kind_of(t), t.id)))
    ]
    if kind == "project":
        # A milestone's or report's documents are uploaded by whoever may upload the project's
        # (``can_upload`` asks the project for them): asked once.
        uploadable = targets if services.can_upload(current_user, record) else []
    else:
        uploadable = [t for t in targets if services.can_upload(current_user, t)]
    if uploadable and form is None:
        # Built only if its kept markup is not found: its choices' labels are made from what
        # ``_labelled`` gives for each record they name (and the reader's language and time zone).
        form = BlankForm(
            lambda: _attach_choices(UploadForm(formdata=None), uploadable, record),
            (UploadForm, current_language(), tuple(_labelled(t) for t in uploadable)),
        )
    elif isinstance(form, UploadForm):  # the one a refused upload sent back
        _attach_choices(form, uploadable, record)
    return SimpleNamespace(
        record=record,
        kind=kind,
        groups=groups,
        count=sum(len(g.documents) for g in groups),
        form=form if uploadable else None,
        choose_target=len(uploadable) > 1,
        upload_url=url_for("documents.upload", kind=kind, record_id=record.id),
        scanning=scanner.scanning_socket() is not None,
        limit=services.size_limit_text(),
    )


@bp.app_template_global()
def document_list(record: Any) -> SimpleNamespace | None:
    """For ``{% include "documents/_list.html" %}`` on a record's page."""
    if record is None:
        return None
    try:
        kind_of(record)
    except LookupError:
        return None
    return listing(record)


@bp.app_template_global()
def documents_shown(docs: SimpleNamespace) -> tuple[Any, ...]:
    """Everything a record's list of documents shows, its key as a kept part: the record's
    kind, each group's heading and its documents' shown values (the list holds no form)."""
    return (docs.kind, tuple((group.label, tuple(group.documents)) for group in docs.groups))


@bp.app_template_global()
def file_size(size: int) -> str:
    """A file's size as the reader writes numbers: kB below a megabyte, MB above."""
    if size < 1024 * 1024:
        return _("%(size)s kB", size=format_number(max(1, round(size / 1024))))
    return _("%(size)s MB", size=format_number(round(size / (1024 * 1024), 1)))


# ---------------------------------------------------------------- routes


@bp.route("/r/<kind>/<int:record_id>/documents")
def index(kind: str, record_id: int):
    """A record's documents as a page of their own (a failed plain upload comes back here)."""
    record = load_attachable(kind, record_id)
    return render_template("documents/index.html", docs=listing(record), back=page_of(record))


@bp.route("/r/<kind>/<int:record_id>/documents", methods=["POST"])
@login_required
def upload(kind: str, record_id: int):
    record = load_attachable(kind, record_id)
    form = UploadForm()
    current = listing(record, form)
    if current is None or current.form is None:
        abort(403)
    if form.validate_on_submit():
        chosen = form.attach_to.data or f"{kind}:{record.id}"
        target_kind, _sep, target_id = chosen.partition(":")
        allowed = {value for value, _label in form.attach_to.choices}
        if chosen not in allowed or not target_id.isdigit():
            form.attach_to.errors = [_("Choose what to attach the document to.")]
        else:
            upload_file = form.file.data
            try:
                document = services.upload(
                    actor(),
                    load_record(target_kind, int(target_id)),
                    title=form.title.data or "",
                    lang=form.lang.data or "",
                    stream=upload_file.stream if upload_file else None,
                    filename=(upload_file.filename or "") if upload_file else "",
                )
            except services.DocumentError as refused:
                field = getattr(form, refused.field)
                field.errors = [*field.errors, refused.message]
            else:
                flash(_("The document %(title)s was uploaded.", title=document.title), "success")
                return redirect(page_of(record))
    current = listing(record, form)
    return render_template("documents/index.html", docs=current, back=page_of(record)), 422


def _load_document(document_id: int) -> Document:
    document = load_visible_or_404(Document, document_id)
    if document.record is None:
        abort(404)
    return document


@bp.route("/documents/<int:document_id>")
def detail(document_id: int):
    document = _load_document(document_id)
    record = document.record
    form = VersionForm(formdata=None) if services.can_upload(current_user, record) else None
    return render_template(
        "documents/detail.html",
        document=document,
        form=form,
        back=page_of(record),
        record_label=label_of(record),
    )


@bp.route("/documents/<int:document_id>/versions", methods=["POST"])
@login_required
def new_version(document_id: int):
    document = _load_document(document_id)
    record = document.record
    if not services.can_upload(current_user, record):
        abort(403)
    form = VersionForm()
    if form.validate_on_submit():
        upload_file = form.file.data
        try:
            version = services.add_version(
                actor(),
                document,
                stream=upload_file.stream if upload_file else None,
                filename=(upload_file.filename or "") if upload_file else "",
            )
        except services.DocumentError as refused:
            form.file.errors = [*form.file.errors, refused.message]
        else:
            flash(
                _(
                    "Version %(number)s of %(title)s was uploaded.",
                    number=version.number,
                    title=document.title,
                ),
                "success",
            )
            return redirect(url_for("documents.detail", document_id=document.id))
    return render_template(
        "documents/detail.html",
        document=document,
        form=form,
        back=page_of(record),
        record_label=label_of(record),
    ), 422


@bp.route("/documents/<int:document_id>/versions/<int:number>/file")
@limits.downloads
def download(document_id: int, number: int):
    document = _load_document(document_id)
    version = db.session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id, DocumentVersion.number == number
        )
    )
    if version is None:
        abort(404)
    try:
        handle = storage.open_file(version.sha256)
    except FileNotFoundError:
        current_app.logger.error("document file missing: %s", version.sha256)
        abort(404)
    response: Response = send_file(
        handle,
        mimetype=version.content_type,
        as_attachment=True,
        download_name=version.filename,
        conditional=True,
        etag=version.sha256,
        max_age=0,
    )
    response.headers["Content-Type"] = version.content_type  # as stored, charset included
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Never kept by a shared cache: the next reader may not see the record.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/admin/documents")
@login_required
def admin():
    """For administrators: where files are stored, whether they are scanned, how many."""
    if not current_user.is_admin:
        abort(403)
    count, total = db.session.execute(
        select(func.count(DocumentVersion.id), func.coalesce(func.sum(DocumentVersion.size), 0))
    ).one()
    return render_template(
        "documents/admin.html",
        scanning=scanner.scanning_socket(),
        files_dir=storage.files_dir(),
        versions=count,
        total_bytes=total,
        limit=services.size_limit_text(),
        documents=db.session.scalar(select(func.count(Document.id))),
    )
