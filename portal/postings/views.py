"""The pages of a kind of posting, written once: the list with live filters, the detail page, the
editor and the state changes, registered on the kind's own blueprint.

A kind subclasses ``PostingViews`` with its service, forms, messages and matching panel, and calls
``register()`` once; the endpoints are the kind's (``needs.detail``, ``offers.index`` …) and its
URLs name the id after the kind (``/needs/<need_id>``). Views are thin: load what the viewer may
see, authorise, validate, call one service, render. The request commits or rolls back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select

from portal.audit.services import history, shown_history
from portal.comments import services as comments
from portal.content.models import load_versions
from portal.core import empty, pagecache
from portal.core.conflicts import EditConflict
from portal.core.http import actor, load_visible_or_404, wants_fragment
from portal.core.statements import KeptStatements
from portal.core.text import clean_text
from portal.documents import services as documents
from portal.matching import panels
from portal.postings.forms import PostingFilterForm, PostingForm
from portal.postings.services import InvalidPosting, PostingService
from portal.web import query_form, read_query_form

# The shared templates (postings/…), found through each kind's blueprint.
templates = Blueprint("postings", __name__, template_folder="templates")

# A posting page's statement per kind, with what the page shows loaded with it; who may see the
# posting is asked of the loaded row (``can_view``), so the statement holds no reader.
_DETAIL = KeptStatements()


def filter_form(form_class: type[PostingFilterForm], args: Any) -> tuple[Any, Any]:
    """The list's filter form for the query ``args`` (``web.query_form``) and the filters it
    gives, read once per query, language and reference data's version (``read_query_form``):
    the same for every reader of the same query."""
    form = query_form(form_class, args)
    filters = read_query_form(form, "filters", lambda built: built.filters())
    # Each request its own copy: the kept filters are never changed by a request.
    return form, dataclasses.replace(filters)


class PostingViews:
    """The routes of one kind. Subclasses set the class attributes."""

    service: ClassVar[PostingService[Any]]
    form: ClassVar[type[PostingForm]]
    filter_form: ClassVar[type[PostingFilterForm]]
    # The matching panel of a posting's page: (viewer, posting) → the panel's values.
    panel: ClassVar[Callable[..., dict[str, Any]]]
    saved_message: ClassVar[LazyString]
    # The state changes the kind offers: endpoint → (service method name, message).
    state_changes: ClassVar[dict[str, tuple[str, LazyString]]]

    def __init__(self, bp: Blueprint) -> None:
        self.bp = bp
        self.kind = self.service.kind
        self.id_arg = f"{self.kind}_id"

    # ------------------------------------------------------------ registration

    def register(self) -> None:
        bp, id_ = self.bp, f"<int:{self.id_arg}>"
        bp.register_blueprint(templates)
        # Kept per viewer's scope and role (the detail page: per person, for their comments'
        # buttons and following); anonymous visitors' pages are kept whole before the view.
        bp.add_url_rule("/", "index", pagecache.kept_for_viewers()(self.index))
        bp.add_url_rule(
            f"/{id_}", "detail", pagecache.kept_for_viewers(per_person=True)(self.detail)
        )
        bp.add_url_rule("/new", "new", login_required(self.new), methods=["GET", "POST"])
        bp.add_url_rule(f"/{id_}/edit", "edit", login_required(self.edit), methods=["GET", "POST"])
        for endpoint, (change, message) in self.state_changes.items():
            bp.add_url_rule(
                f"/{id_}/{endpoint}",
                endpoint,
                login_required(self._state_view(change, message)),
                methods=["POST"],
            )

    def template(self, name: str) -> str:
        return f"{self.bp.name}/{name}"

    def url(self, endpoint: str, posting: Any) -> str:
        return url_for(f"{self.bp.name}.{endpoint}", **{self.id_arg: posting.id})

    def context(self, posting: Any = None, **values: Any) -> dict[str, Any]:
        """The template values of the kind's pages: its blueprint's name (``section``), its
        ``kind``, and the posting (as ``posting`` and under the kind's name) with a
        ``posting_url(endpoint)`` for its pages."""
        return {
            "section": self.bp.name,
            "kind": self.kind,
            "posting": posting,
            self.kind: posting,
            "posting_url": lambda endpoint: self.url(endpoint, posting),
            **values,
        }

    def load(self, route: dict[str, int]) -> Any:
        """The posting the address names, if the reader may see it (else 404), with its texts'
        versions and whether anything is in its comments, its documents and its matches (read
        in the same statement: a posting without any reads none of those lists)."""
        model, kind = self.service.model, self.kind

        def seen(row: Any) -> None:
            posting, has_comments, has_documents, has_matches = row
            if not has_comments:
                empty.found_empty("comments", kind, posting.id)
            if not has_documents:
                empty.found_empty("documents", kind, posting.id)
            if not has_matches:
                empty.found_empty("matches", kind, posting.id)

        posting = load_visible_or_404(
            model,
            route[self.id_arg],
            statement=_DETAIL.get(
                model,
                lambda: (
                    select(
                        model,
                        comments.any_on(kind, model.id).label("has_comments"),
                        documents.any_on(kind, model.id).label("has_documents"),
                        panels.any_on(kind, model.id).label("has_matches"),
                    )
                    .where(model.id == bindparam("record_id"))
                    .options(*self.service.detail_options())
                ),
            ),
            with_row=seen,
        )
        load_versions([posting.title, posting.description])
        return posting

    # ------------------------------------------------------------ pages

    def index(self):
        form, filters = filter_form(self.filter_form, request.args)

        def render_results() -> tuple[str, str]:
            page = self.service.list(
                current_user, filters, request.args, current_app.config["PAGE_SIZE"]
            )
            context = self.context(form=form, page=page)
            return (
                render_template(self.template("_count.html"), **context),
                render_template(self.template("_list.html"), **context),
            )

        # The same kept results serve the page and the htmx answer to a filter change; the
        # page's place (an old page number or a cursor) is part of the key with the filters.
        paging = tuple(request.args.get(name) for name in ("page", "after", "before"))
        results = pagecache.list_fragment(self.bp.name, (filters, paging), render_results)
        if wants_fragment():
            return render_template(
                "_list_update.html", results=results, count_id=f"{self.bp.name}-count"
            )
        return render_template(
            self.template("index.html"),
            can_create=self.service.can_create(current_user),
            **self.context(form=form, results=results),
        )

    def detail(self, **route: int):
        posting = self.load(route)
        return render_template(
            self.template("detail.html"),
            **self.context(
                posting,
                actions=self.service.actions_for(current_user, posting),
                history=(
                    shown_history(self.kind, posting.id) if current_user.is_authenticated else []
                ),
                panel=self.panel(current_user, posting),
            ),
        )

    def new(self):
        if not self.service.can_create(current_user):
            abort(403)
        form = self.form()
        if form.validate_on_submit():
            try:
                posting = self.service.create(actor(), **form.values())
            except InvalidPosting as error:
                self._blame(form, error)
            else:
                flash(str(self.saved_message), "success")
                return redirect(self.url("detail", posting))
        status = 422 if form.is_submitted() else 200
        return render_template(self.template("form.html"), **self.context(None, form=form)), status

    def edit(self, **route: int):
        posting = self.load(route)
        if not posting.can_edit(current_user):
            abort(403)
        form = self.form(is_new=False)
        if not form.is_submitted():
            form.load(posting)
            return render_template(self.template("form.html"), **self.context(posting, form=form))
        if form.validate():
            try:
                self.service.update(
                    actor(), posting, expected_version=form.version.data, **form.values()
                )
            except EditConflict as conflict:
                return self._conflict(form, conflict.record)
            except InvalidPosting as error:
                self._blame(form, error)
            else:
                flash(_("Your changes were saved."), "success")
                return redirect(self.url("detail", posting))
        return render_template(self.template("form.html"), **self.context(posting, form=form)), 422

    @staticmethod
    def _blame(form: PostingForm, error: InvalidPosting) -> None:
        target = getattr(form, error.field or "", None) or form.title
        target.errors = [*target.errors, error.message]

    def _conflict(self, form: PostingForm, theirs: Any):
        """Someone saved the posting after this editor loaded it: keep the editor's input, show
        the saved values beside it, and let the next save go ahead knowingly."""
        form.version.data = theirs.version
        form.version.raw_data = [str(theirs.version)]  # the input renders what was posted else
        return (
            render_template(
                self.template("form.html"),
                **self.context(
                    theirs,
                    form=form,
                    theirs=theirs,
                    differs=self.differences(form, theirs),
                    last_change=next(iter(history(self.kind, theirs.id, limit=1)), None),
                ),
            ),
            409,
        )

    def saved_values(self, posting: Any) -> dict[str, Any]:
        """Hook: the kind's own fields of a saved posting, as the form's values give them."""
        return {}

    def input_values(self, form: PostingForm) -> dict[str, Any]:
        """Hook: the editor's input, comparable with ``saved_values``."""
        return form.values()

    def differences(self, form: PostingForm, posting: Any) -> set[str]:
        """The fields whose saved value differs from the editor's input."""
        mine = self.input_values(form)
        lang = mine["lang"]
        title, description = posting.title.version(lang), posting.description.version(lang)
        saved = {
            "title": title.body if title else "",
            "description": description.body if description else "",
            "help_kind": posting.help_kind,
            "visibility": posting.visibility,
            **self.saved_values(posting),
        }
        return {
            key
            for key, value in saved.items()
            if (clean_text(mine[key]) if isinstance(mine[key], str) else mine[key]) != value
        }

    # ------------------------------------------------------------ state changes

    def _state_view(self, change: str, message: LazyString) -> Callable[..., Any]:
        def view(**route: int):
            posting = self.load(route)
            getattr(self.service, change)(actor(), posting)
            if wants_fragment():
                # The matches panel changes with the state (suggestions appear once the
                # posting is published, and go when it is closed): it comes along out of band.
                panel = self.panel(current_user, posting)
                panel["return_to"] = self.url("detail", posting)
                return render_template(
                    self.template("_state.html"),
                    **self.context(
                        posting,
                        actions=self.service.actions_for(current_user, posting),
                        message=str(message),
                        panel=panel,
                        panel_out_of_band=True,
                    ),
                )
            flash(str(message), "success")
            return redirect(self.url("detail", posting))

        view.__name__ = change
        return view
