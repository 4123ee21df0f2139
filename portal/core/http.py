"""What every view shares about HTTP: the fragment rule, the acting user, safe redirects, loading
a record the viewer may see, record URLs, bounded ids and the request's one transaction.

One home each: views import these from here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, ClassVar, TypeVar

from flask import Flask, Response, abort, current_app, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_login import current_user
from werkzeug.routing import BuildError, IntegerConverter, Map, Rule

from portal.extensions import db, htmx

# Larger ids cannot exist and would overflow the database's integer column.
MAX_ID = 2**31 - 1

Record = TypeVar("Record")


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` on every route: an id past the database's integer range is a 404, never a
    500 from the database refusing the number."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def wants_fragment() -> bool:
    """An htmx request from the page itself gets the fragment; a history restore (the browser's
    back button after the cache was emptied) needs the whole page. The portal does not boost."""
    return bool(htmx) and not htmx.history_restore_request


def actor() -> Any:
    """The signed-in user itself, not the proxy: services attach it to new rows."""
    return current_user._get_current_object()


def safe_next(target: str | None) -> str | None:
    """A redirect target only when it stays within the portal: a path starting with one ``/``,
    no scheme, no host, no backslash and no control character. Anything else is ignored (None),
    never an error."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    if ":" in target.split("?", 1)[0].split("/", 2)[1]:
        return None  # "/javascript:…" is a path, but nothing the portal serves looks like it
    return target


def load_visible_or_404(
    model: type[Record],
    record_id: int,
    *,
    options: Iterable[Any] = (),
    can_view: Callable[[Record], bool] | None = None,
    statement: Any = None,
    with_row: Callable[[Any], None] | None = None,
) -> Record:
    """The record, or 404 when it does not exist or the viewer may not see it: the two look the
    same from outside. ``can_view`` defaults to the record's own ``can_view(current_user)``.
    ``statement``, a kept ``select(model)`` with its options and the id as the bound parameter
    ``record_id``, reads it instead of ``Session.get`` (which builds its statement anew); any
    more columns it reads are given, with the record first, to ``with_row`` once the viewer
    may see the record."""
    record: Record | None
    row = None
    if record_id > MAX_ID:
        record = None
    elif statement is not None:
        row = db.session.execute(statement, {"record_id": record_id}).first()
        record = None if row is None else row[0]
    else:
        record = db.session.get(model, record_id, options=list(options))
    if record is None:
        abort(404)
    allowed = can_view(record) if can_view is not None else record.can_view(current_user)  # type: ignore[attr-defined]
    if not allowed:
        abort(404)
    if with_row is not None and row is not None:
        with_row(row)
    return record


def record_url(endpoint: str, record_id: int, fallback: str | None = None) -> str | None:
    """The URL of a record's page, whatever its view names the id argument.

    The detail views belong to other domains: this asks the URL map for the endpoint's single
    argument instead of guessing its name, and falls back to ``fallback``'s page (or None)."""
    try:
        rules = list(current_app.url_map.iter_rules(endpoint))
    except KeyError:
        rules = []
    for rule in rules:
        arguments = rule.arguments - set(rule.defaults or {})
        if len(arguments) == 1:
            try:
                values: dict[str, Any] = {next(iter(arguments)): record_id}
                return url_for(endpoint, **values)
            except BuildError:
                break
    if fallback is not None:
        try:
            return url_for(fallback)
        except BuildError:
            return None
    return None


# The page of each kind of record that has one; the audit log and the translation queue link to
# them. Users and organisations are edited by admins only.
RECORD_ENDPOINTS = {
    "user": "admin.edit_user",
    "organisation": "admin.edit_organisation",
    "need": "needs.detail",
    "offer": "offers.detail",
    "match": "matching.detail",
    "project": "projects.detail",
    "agreement": "agreements.detail",
}
ADMIN_ONLY_RECORDS = {"user", "organisation"}


def record_page_url(record_type: str, record_id: int | None, viewer: Any) -> str | None:
    """The page showing a record of this type, when the portal has one and ``viewer`` may open
    the kind of page (each page still checks the record itself)."""
    endpoint = RECORD_ENDPOINTS.get(record_type)
    if endpoint is None or record_id is None:
        return None
    if record_type in ADMIN_ONLY_RECORDS and not getattr(viewer, "is_admin", False):
        return None
    return record_url(endpoint, record_id)


def register_transaction_boundary(app: Flask) -> None:
    """One transaction per request, as Indico's request handler: services flush, the request
    commits once when the response is a success, and rolls back on any error or refusal (4xx,
    5xx, an exception). A service that must keep a record of a refusal (a failed sign-in, say)
    commits that record itself."""

    @app.after_request
    def commit_or_roll_back(response: Response) -> Response:
        if response.status_code >= 400:
            db.session.rollback()
            return response
        if not db.session().in_transaction():
            return response  # nothing was read or written (a page from the cache)
        try:
            db.session.commit()
        except Exception as error:  # the error handlers say what went wrong (409, 503, 500)
            db.session.rollback()
            return current_app.make_response(current_app.handle_user_exception(error))
        return response

    # An exception inside a view never reaches the commit above, and Flask-SQLAlchemy removes
    # the session (rolling back what it held) when the request's context ends.


def register_converters(app: Flask) -> None:
    app.url_rule_class = PortalRule
    app.url_map.converters["int"] = BoundedIntConverter


class PortalRule(Rule):
    """Werkzeug's rule, whose URL builders are made once per process.

    Werkzeug writes each rule two Python functions that build its URLs, by compiling a syntax
    tree: four fifths of building the portal's app. A builder depends only on the rule's text,
    its parts and whether it appends unknown arguments (it reaches the rule's converters through
    the rule it is bound to), so every app of a process (the test suite makes one per test) can
    share it. A rule with defaults folds them into its builder and makes its own."""

    _builders: ClassVar[dict[tuple[Hashable, ...], Callable[..., tuple[str, str]]]] = {}

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        if self.defaults:
            return super()._compile_builder(append_unknown)
        key = (self.rule, tuple(self._trace), append_unknown)
        builder = self._builders.get(key)
        if builder is None:
            builder = self._builders[key] = super()._compile_builder(append_unknown)
        return builder


class PortalSessionInterface(SecureCookieSessionInterface):
    """Flask sends ``Vary: Cookie`` whenever the session was read, and Flask-Login reads it on
    every request. A visitor without a session gets the same page whatever cookie others send,
    so only a session that exists (or ends with this response) makes the page vary on it."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified and isinstance(session, SecureCookieSession):
            session.accessed = False
        super().save_session(app, session, response)


class PortalFlask(Flask):
    """Flask, asking once per function whether it is a coroutine function.

    Flask passes every view, before- and after-request function, context processor and
    teardown through ``ensure_sync`` on each request (some forty on a page), and each time
    ``inspect.iscoroutinefunction`` unwraps the function to find out. The answer does not change:
    it is kept per function (the functions are the app's own, registered once)."""

    _KEPT_AT_MOST = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synchronous: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._synchronous[func]
        except KeyError:
            made = super().ensure_sync(func)
            if len(self._synchronous) < self._KEPT_AT_MOST:
                self._synchronous[func] = made
            return made
        except TypeError:  # a callable that cannot be a key
            return super().ensure_sync(func)
