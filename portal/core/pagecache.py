"""Rendered output kept per visibility scope: public pages whole, list fragments per scope.

Keys are made of the viewer's visibility scope (``Scope.key``, the very object the SQL rules
``visible_to`` are built from), the language, the time zone, today's date, the address (path,
host, the query arguments in their order: the page's links repeat them) and a **data
version**. Every transaction that writes something a page may show bumps the version once it
has committed (one hook on the session's ``after_commit``), so a write by one organisation is
on every other's next page at once, on every worker and app server sharing Redis; a TTL
(``PAGE_CACHE_SECONDS``, 0: nothing kept) is only the backstop. Without Redis (``make run``)
the same code keeps entries and the version in the process (Flask-Caching's SimpleCache).

Public pages are kept whole for anonymous visitors without a session (they mint none on public
pages, see ``portal.web``): the final response, compressed bytes included, per content
encoding. For signed-in people (``kept_for_viewers``) the lists and the dashboard are kept per
scope and role, the record pages per person, with holes for what is the reader's own (the
header's name and unread count, waiting messages, the session clock, the CSRF token) filled in
on every request; the list fragments are kept per scope as well, for the htmx answers and the
pages that cannot be kept. A Redis that does not answer means nothing is kept or served: pages
are rendered as without the cache.

The cheapest answers take one round trip to Redis and none to PostgreSQL: a kept public page is
answered before Flask (``PublicPagesFirst``); for a signed-in GET of a kept page, the person's
facts, unread count and own copy of the page are read with the versions
(``read_version_first``, portal.accounts.viewer). The copy is served only if it was kept under
the key this request computes; otherwise the page kept for the scope is read in a second round
trip. The copy holds the compressed answer last given to the person too (``Packed``): while
their own parts, their session and the encoding asked for are the same, it is given again as
it is, without filling in or compressing anything.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    make_response,
    request,
    session,
)
from flask_babel import get_timezone
from flask_compress.flask_compress import _choose_algorithm
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import event, inspect
from sqlalchemy.orm import (
    MANYTOONE,
    ORMExecuteState,
    RelationshipProperty,
    Session,
    SessionTransaction,
    UOWTransaction,
)
from werkzeug.http import HTTP_STATUS_CODES

from portal.core.i18n import current_language
from portal.core.visibility import PUBLIC_SCOPE, Scope
from portal.extensions import cache, compress

log = logging.getLogger(__name__)

VERSION_KEY = "pagecache:version"
INBOX_VERSION_KEY = "pagecache:inbox-version"
ACCOUNTS_VERSION_KEY = "pagecache:accounts-version"
# The reference lists' version (portal.reference.lists), read with the others when a page asks.
REFERENCE_VERSION_KEY = "reference:version"
_DIRTY = "pagecache_dirty"
_INBOX_DIRTY = "pagecache_inbox_dirty"
_ACCOUNTS_DIRTY = "pagecache_accounts_dirty"

# Tables no kept page or fragment reads: writing them (a sign-in, an audit event, a read
# notification, mail) leaves the kept output valid. Any other table, one added later included,
# bumps the version.
UNSEEN_TABLES = frozenset(
    {
        "users",  # sign-ins, failed attempts and codes; names on pages may lag by the TTL
        "recovery_codes",
        "one_time_tokens",
        "api_tokens",
        "calendar_tokens",
        "audit_events",
        "outbox_messages",
        "notification_events",
        "notifications",  # the header's unread count is a hole (below), kept apart
        "notification_preferences",
        "notification_digests",
        "notification_deliveries",
    }
)
# Written by nothing a kept page shows but the unread count in the header: kept under its own
# version (INBOX_VERSION_KEY), bumped after commits that write them.
INBOX_TABLES = frozenset({"notifications", "notification_events"})
# What a signed-in person's kept facts (portal.accounts.viewer) are read from: their account,
# its organisation and city (active, time zone), and the site's settings (second factor for
# everyone). A commit writing any of them makes every kept viewer out of date.
ACCOUNTS_TABLES = frozenset({"users", "organisations", "cities", "site_settings"})

# The pages kept whole for anonymous visitors: the same for every visitor without a session.
PUBLIC_PAGES = frozenset(
    {
        "main.home",
        "needs.index",
        "needs.detail",
        "offers.index",
        "offers.detail",
        "projects.index",
        "projects.detail",
    }
)

_inc_lock = threading.Lock()


# ---------------------------------------------------------------- the data version


def seconds() -> int:
    return int(current_app.config.get("PAGE_CACHE_SECONDS", 0) or 0)


def data_version() -> int | None:
    """The version the current request's output is kept under, read once per request before
    it reads the database (None: the cache does not answer, keep nothing)."""
    if "pagecache_version" not in g:
        _read_versions()
    return g.pagecache_version


def inbox_version() -> int | None:
    """The version of everyone's notifications, read with the data version (one round trip)."""
    if "pagecache_inbox_version" not in g:
        _read_versions()
    return g.pagecache_inbox_version


def read_versions() -> bool:
    """Read the versions now, if this request has not (``_read_versions``): whether it had not.
    The reference lists ask first when a page needs their version before the data version."""
    if "pagecache_version" in g:
        return False
    _read_versions()
    return True


def _read_versions(*also: str) -> list[Any]:
    """Read the data, inbox and accounts versions (started when missing) and the entries
    ``also`` in one round trip; returns the latter (None each when Redis does not answer)."""
    version: int | None
    inbox: int | None
    accounts: int | None
    # The reference lists' version too (portal.reference.lists.version), which a rendered page
    # asks for: in this round trip instead of one of its own.
    reference = "reference_version" not in g and bool(
        current_app.config.get("REFERENCE_CACHE_SECONDS", 0)
    )
    try:
        version, inbox, accounts, *found = cache.get_many(
            VERSION_KEY,
            INBOX_VERSION_KEY,
            ACCOUNTS_VERSION_KEY,
            *also,
            *((REFERENCE_VERSION_KEY,) if reference else ()),
        )
        if reference:
            token = found.pop()
            if token is not None:  # else lists.version() starts one
                g.reference_version = token
        if version is None:
            version = _start_version(VERSION_KEY)
        if inbox is None:
            inbox = _start_version(INBOX_VERSION_KEY)
        if accounts is None:
            accounts = _start_version(ACCOUNTS_VERSION_KEY)
    except Exception as error:  # Redis away: render, keep nothing
        log.warning("page cache unavailable: %s", error)
        version = inbox = accounts = None
        found = [None] * len(also)
    g.pagecache_version = version
    g.pagecache_inbox_version = inbox
    g.pagecache_accounts_version = accounts
    return found


def _start_version(key: str = VERSION_KEY) -> int:
    """A version that no earlier one can equal: should Redis lose the key (evicted, flushed),
    counting starts again from the clock, never from an old number with entries still kept."""
    cache.add(key, time.time_ns() // 1000, timeout=0)
    return int(cache.get(key))


def bump_version(key: str = VERSION_KEY) -> None:
    """Every kept page and fragment (or, with INBOX_VERSION_KEY, every kept unread count) is
    out of date from now on."""
    try:
        with _inc_lock:  # SimpleCache counts with get and set; Redis with INCR
            if cache.get(key) is None:
                _start_version(key)
            cache.cache.inc(key)
    except Exception as error:
        log.warning("page cache version not bumped: %s", error)


def _touches_pages(tables: set[str]) -> bool:
    return bool(tables - UNSEEN_TABLES)


def _written_tables(obj: Any, whole_row: bool) -> set[str]:
    """The tables a flush of ``obj`` writes: its own when it is new or deleted (``whole_row``)
    or a column (or many-to-one) changed, and the association table of a changed many-to-many
    collection. A one-to-many collection changes no row of ``obj`` (adding a user to an
    organisation writes the user, not the organisation)."""
    state = inspect(obj)
    own = state.mapper.local_table.name
    if whole_row and own not in UNSEEN_TABLES:
        return {own}  # its history adds nothing that matters
    tables = {own} if whole_row else set()
    for attr in state.attrs:
        if not attr.history.has_changes():
            continue
        prop = state.mapper.attrs[attr.key]
        if isinstance(prop, RelationshipProperty):
            if prop.secondary is not None:
                tables.add(getattr(prop.secondary, "name", ""))
            elif prop.direction is MANYTOONE:
                tables.add(own)
        else:
            tables.add(own)
    return tables


@event.listens_for(Session, "after_flush")
def _mark_written(session: Session, flush_context: UOWTransaction) -> None:
    written = [(obj, True) for obj in (*session.new, *session.deleted)]
    written += [(obj, False) for obj in session.dirty]
    for flag, tables in ((_INBOX_DIRTY, INBOX_TABLES), (_ACCOUNTS_DIRTY, ACCOUNTS_TABLES)):
        if not session.info.get(flag) and any(
            inspect(obj).mapper.local_table.name in tables for obj, _ in written
        ):
            session.info[flag] = True
    if session.info.get(_DIRTY):
        return
    # The first object whose tables pages show settles it: the rest are not looked at.
    if any(_touches_pages(_written_tables(obj, whole_row)) for obj, whole_row in written):
        session.info[_DIRTY] = True


@event.listens_for(Session, "do_orm_execute")
def _mark_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        note_written(state.session, getattr(table, "name", ""))


def note_written(session: Session, name: str) -> None:
    """The session wrote table ``name`` (a statement, or rows sent past the ORM): the versions
    it decides are bumped after the commit."""
    if _touches_pages({name}):
        session.info[_DIRTY] = True
    if name in INBOX_TABLES:
        session.info[_INBOX_DIRTY] = True
    if name in ACCOUNTS_TABLES:
        session.info[_ACCOUNTS_DIRTY] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if session.info.pop(_DIRTY, False):
        bump_version()
    if session.info.pop(_INBOX_DIRTY, False):
        bump_version(INBOX_VERSION_KEY)
    if session.info.pop(_ACCOUNTS_DIRTY, False):
        bump_version(ACCOUNTS_VERSION_KEY)


@event.listens_for(Session, "after_soft_rollback")
def _forget_written(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_DIRTY, None)
        session.info.pop(_INBOX_DIRTY, None)
        session.info.pop(_ACCOUNTS_DIRTY, None)


# ---------------------------------------------------------------- keys


def _key(kind: str, scope: Scope, *parts: Any) -> str | None:
    version = data_version()
    if version is None:
        return None
    return f"pagecache:{release()}:{version}:{kind}:{_digest(scope, *parts)}"


def _digest(scope: Scope, *parts: Any) -> str:
    """What the output depends on besides the data version: the scope, the reader's language,
    time zone and date, and the address."""
    return _digest_of(
        scope.key,
        current_language(),
        str(get_timezone()),
        request.scheme,
        request.host,
        request.path,
        tuple(request.args.items(multi=True)),
        *parts,
    )


def _digest_of(
    scope_key: Any,
    language: str,
    timezone: str,
    scheme: str,
    host: str,
    path: str,
    arguments: tuple[tuple[str, str], ...],
    *parts: Any,
) -> str:
    described = repr(
        (
            scope_key,
            language,
            timezone,
            date.today().isoformat(),
            scheme,
            host,
            path,
            arguments,
            *parts,
        )
    )
    return hashlib.sha256(described.encode()).hexdigest()[:40]


_release: str | None = None


def release() -> str:
    """What this process renders with: a digest of the contents of the portal's code, templates
    and compiled catalogs, so that every app server of one release agrees. A new release never
    serves a page kept by the old one, which servers still running it may share the cache with
    for a while."""
    global _release
    if _release is None:
        package = Path(__file__).resolve().parents[1]
        files = sorted(
            [
                *package.rglob("*.py"),
                *package.rglob("*.html"),
                *package.parent.glob("translations/*/LC_MESSAGES/*.mo"),
            ]
        )
        described = hashlib.sha256()
        for path in files:
            described.update(str(path.relative_to(package.parent)).encode())
            described.update(path.read_bytes())
        _release = described.hexdigest()[:12]
    return _release


# ---------------------------------------------------------------- list fragments


@dataclass(frozen=True)
class ListFragment:
    """A list's rendered pieces: its count (the live region) and the list itself."""

    count: Markup
    items: Markup


def list_fragment(name: str, normalised: Any, build: Callable[[], tuple[str, str]]) -> ListFragment:
    """The list ``name`` for the current viewer's scope: kept, or built by ``build`` (which
    renders the count and the list) and kept. ``normalised`` is the list's filters and page
    as the view understood them."""
    key = None
    if seconds() > 0:
        key = _key("list", Scope.of(current_user), name, repr(normalised))
    count, items = _kept(key, lambda: tuple(str(part) for part in build()))
    return ListFragment(_rendered(count), _rendered(items))


def _kept(key: str | None, build: Callable[[], Any]) -> Any:
    """What is kept under ``key``, or what ``build`` makes, kept there for ``seconds()``.
    Without a key, or with a Redis that does not answer, built and not kept."""
    if key is None:
        return build()
    try:
        found = cache.get(key)
    except Exception as error:
        log.warning("page cache unavailable: %s", error)
        return build()
    if found is not None:
        return found
    value = build()
    try:
        cache.set(key, value, timeout=seconds())
    except Exception as error:
        log.warning("page cache unavailable: %s", error)
    return value


def _rendered(html: str) -> Markup:
    """Output of the portal's own autoescaping templates (or the cache holding it): already
    HTML, not text to escape again."""
    return Markup(html)  # noqa: S704


# ---------------------------------------------------------------- whole public pages


def is_public_request() -> bool:
    """A GET of a public page by a visitor without a session (no sign-in, no chosen language,
    nothing waiting to be shown): the page is the same for every such visitor."""
    return (
        request.method == "GET"
        and request.endpoint in PUBLIC_PAGES
        and not session
        and "lang" not in request.args
    )


def _encoding(headers: Any = None) -> str | None:
    """The content encoding Flask-Compress will choose for this request."""
    accepted = (request.headers if headers is None else headers).get("Accept-Encoding", "")
    return _choose_algorithm(compress.enabled_algorithms, accepted)


def _page_key() -> str:
    """A public page's key holds no version: the kept entry says which version it was made
    from, so that one round trip to Redis reads the version and the page together."""
    return f"pagecache:{release()}:page:{_digest(PUBLIC_SCOPE, _htmx_asks(), _encoding())}"


def _htmx_asks(headers: Any = None) -> tuple[str, str]:
    """htmx asks for the list alone, except when it restores the page from history."""
    headers = request.headers if headers is None else headers
    return (
        headers.get("HX-Request", ""),
        headers.get("HX-History-Restore-Request", ""),
    )


# Headers of the final response that are not kept: the length is counted again, the date is
# the answer's own (Flask-Compress's conditional handling adds it; servers write it too).
_UNKEPT_HEADERS = frozenset({"content-length", "set-cookie", "date"})


def serve_public_page() -> Response | None:
    """before_request: a kept public page, when there is one for this request and it was made
    from the current data version (read with it by ``read_version_first``)."""
    if "pagecache_page_key" not in g:
        return None
    kept = g.pop("pagecache_public_kept", None)
    version = data_version()
    if version is None:
        g.pop("pagecache_page_key")
        return None
    if kept is None or kept[0] != version:
        return None  # rendered, and kept by keep_public_page under this version
    _made_from, status, headers, body = kept
    g.pop("pagecache_page_key")
    g.pagecache_served = True
    response = Response(body, status=status)
    response.headers.update(headers)
    return response


def keep_public_page(response: Response) -> Response:
    """after_request, after compression: keep the final bytes of a public page."""
    key = g.pop("pagecache_page_key", None)
    if (
        key is None
        or g.get("pagecache_served")
        or response.status_code != 200
        or response.is_streamed
        or "Set-Cookie" in response.headers
        or session  # something was put into the session on the way (a flash, a form)
        or current_user.is_authenticated
    ):
        return response
    version = data_version()
    if version is None:
        return response
    # The final headers (the hooks have run): PublicPagesFirst answers with them as they are.
    headers = [(n, v) for n, v in response.headers.items() if n.lower() not in _UNKEPT_HEADERS]
    try:
        cache.set(key, (version, 200, headers, response.get_data()), timeout=seconds())
    except Exception as error:
        log.warning("page cache unavailable: %s", error)
    return response


def public_cache_control(response: Response) -> None:
    """A public page answered to a visitor without a session may be kept by a reverse proxy
    for ``PAGE_CACHE_MAX_AGE`` seconds (``s-maxage``). Not by the browser (``max-age=0``):
    the response does not vary on the cookie, and a browser that has just signed in must not
    show the page it kept from before. The proxy must pass requests carrying the session
    cookie through (README, "Caching")."""
    max_age = int(current_app.config.get("PAGE_CACHE_MAX_AGE", 0) or 0)
    if (
        max_age > 0
        and has_request_context()
        and is_public_request()
        and response.status_code == 200
        and "Set-Cookie" not in response.headers
        and not session
        and not current_user.is_authenticated
    ):
        response.headers["Cache-Control"] = f"public, max-age=0, s-maxage={max_age}"


def read_version_first() -> None:
    """before_request, before anything reads the database: output kept under a version must be
    built from data at least that new (SQLite holds one snapshot for the whole transaction).
    For a public page, the kept page is read in the same round trip."""
    if request.method != "GET" or seconds() <= 0:
        return
    if not is_public_request():
        person = _session_person()
        if person is None or not keeps_viewer_pages():
            data_version()
            return
        # A signed-in person's GET of a kept page: their kept facts, their unread count and
        # their own copy of the page with the versions, in the same round trip.
        (
            g.pagecache_viewer_kept,
            g.pagecache_unread_kept,
            g.pagecache_copy_kept,
        ) = _read_versions(_viewer_facts_key(person), _unread_key(person), _copy_key(person))
        return
    key = _page_key()
    [kept] = _read_versions(key)
    if g.pagecache_version is not None:
        g.pagecache_page_key = key
        g.pagecache_public_kept = kept


class PublicPagesFirst:
    """WSGI, around Flask: a public page kept for visitors without a session is answered before
    Flask sees the request, with the bytes and headers ``keep_public_page`` kept from a response
    Flask made for the same key. Whatever this cannot settle cheaply goes to Flask, which serves
    the same kept page (``serve_public_page``) or renders it: a cookie of the session (signed in,
    a chosen language, a form or message waiting), a conditional or range request, an
    Authorization header, ``?lang`` (which the
    session remembers), ``?q`` (searches are rate limited per address), a Host outside
    ``TRUSTED_HOSTS`` (a 400 from Flask), an address no public page answers, a cache that
    does not answer or holds nothing from the current version.

    No hook of the portal refuses or changes such a request: the rate limits, the sign-in rules
    and the API's tokens concern searches, sessions and tokens only, and the response hooks'
    headers are in the kept entry."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Any]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._timezone: str | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            kept = self._kept(environ)
        except Exception as error:  # Redis away, or anything unforeseen: Flask decides
            log.warning("page cache unavailable: %s", error)
            kept = None
        if kept is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = kept
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _kept(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        config = self.app.config
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or int(config.get("PAGE_CACHE_SECONDS", 0) or 0) <= 0
            or "HTTP_AUTHORIZATION" in environ
            or config["SESSION_COOKIE_NAME"] in environ.get("HTTP_COOKIE", "")
            or "HTTP_IF_NONE_MATCH" in environ  # Flask answers 304 where it may
            or "HTTP_RANGE" in environ
        ):
            return None
        req = self.app.request_class(environ)
        req.trusted_hosts = config["TRUSTED_HOSTS"]
        args = req.args
        if "lang" in args or "q" in args:
            return None
        try:
            host = req.host  # a Host outside TRUSTED_HOSTS raises
            adapter = self.app.url_map.bind_to_environ(
                environ, server_name=config["SERVER_NAME"], subdomain=None
            )
            endpoint, _values = adapter.match()
        except Exception:
            return None
        if endpoint not in PUBLIC_PAGES:
            return None
        # What current_language() and get_timezone() give a visitor without a session.
        language = req.accept_languages.best_match(config["LANGUAGES"]) or "en"
        if self._timezone is None:
            with self.app.app_context():
                self._timezone = str(get_timezone())
        digest = _digest_of(
            PUBLIC_SCOPE.key,
            language,
            self._timezone,
            req.scheme,
            host,
            req.path,
            tuple(args.items(multi=True)),
            _htmx_asks(req.headers),
            _encoding(req.headers),
        )
        backend = self.app.extensions["cache"][cache]
        version, found = backend.get_many(VERSION_KEY, f"pagecache:{release()}:page:{digest}")
        if version is None or found is None or found[0] != version:
            return None
        _made_from, status, headers, body = found
        return f"{status} {HTTP_STATUS_CODES.get(status, '')}".strip(), headers, body


def register(app: Flask) -> None:
    """Read the version before the first query; serve kept pages after the hooks that may
    refuse a request (rate limits, sign-in rules); keep them after compression (inserted
    first: after_request runs in reverse)."""
    app.before_request_funcs.setdefault(None, []).insert(1, read_version_first)
    app.before_request(serve_public_page)
    app.after_request_funcs.setdefault(None, []).insert(0, keep_public_page)
    app.after_request_funcs[None].insert(0, keep_own_copy)
    app.wsgi_app = PublicPagesFirst(app, app.wsgi_app)  # type: ignore[method-assign]


# ---------------------------------------------------------------- pages kept for signed-in viewers

# What a kept page leaves open, filled in for each request: the header's unread count and the
# person's name, the messages waiting for the session, the session clock's seconds, and the CSRF
# token wherever the page holds it. Each hole is a small function (registered by the part of
# the portal that owns it), not a template: filling them is most of what a kept page costs. The
# markers are HTML comments: nothing a person writes can put one into a page (the templates
# escape ``<``).
_HOLE = "<!--pagecache-hole:{}-->"
_HOLE_PATTERN = re.compile(r"<!--pagecache-hole:([a-z_]+)-->")
_HOLES: dict[str, Callable[[], str]] = {}
_CSRF_HOLE = _HOLE.format("csrf")


def register_hole(name: str, fill: Callable[[], str]) -> None:
    """``fill`` gives the HTML of the hole ``name`` for the current request (already escaped:
    Markup or a string built with it)."""
    _HOLES[name] = fill


def hole(name: str) -> Markup:
    """A part of the page that is the reader's own: filled in now, or left as a marker while a
    page is being kept (template global)."""
    if g.get("pagecache_recording"):
        return _rendered(_HOLE.format(name))
    return _rendered(_HOLES[name]())


def _fill(body: str, token: str, values: dict[str, str]) -> str:
    """A kept page with this request's own parts in its holes: the CSRF token and ``values``
    (each hole's HTML, already filled in for this request by ``_own_parts``)."""
    if _CSRF_HOLE in body:
        body = body.replace(_CSRF_HOLE, token)
    return _HOLE_PATTERN.sub(lambda found: values[found.group(1)], body)


def _hole_names(body: str) -> tuple[str, ...]:
    """The holes of a kept page but the CSRF token's, each once."""
    return tuple(name for name in dict.fromkeys(_HOLE_PATTERN.findall(body)) if name != "csrf")


def _own_parts(names: tuple[str, ...]) -> tuple[str, ...]:
    """This request's HTML of each hole in ``names``. Each hole is filled in once per request:
    some have effects (waiting messages are shown once, then forgotten)."""
    return tuple(str(_HOLES[name]()) for name in names)


def _session_token() -> str:
    """What identifies the session's CSRF token (Flask-WTF keeps the raw token in the session
    and signs it into each page): a digest, so that what is kept with a packed page says which
    session's token the page holds without holding the token itself."""
    raw = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    return hashlib.sha256(str(raw).encode()).hexdigest()[:32] if raw else ""


def _person_name() -> str:
    return str(escape(current_user.name))


register_hole("name", _person_name)


def _viewer_key(per_person: bool) -> str | None:
    """The key of this GET for the signed-in viewer: their scope (the visibility rules'), their
    role (which buttons and menu entries the page shows) and, for pages with the person's own
    parts beyond the holes (their comments' buttons, following), the person. None: not kept."""
    if (
        seconds() <= 0
        or request.method != "GET"
        or "lang" in request.args
        or not current_user.is_authenticated
    ):
        return None
    user = current_user
    person = user.id if per_person else None
    return _key("viewer", Scope.of(user), user.role.value, person, _htmx_asks())


_VIEWER_HEADERS = ("Content-Type", "Content-Language")


def _copy_key(person: int) -> str:
    """Where a person's own copy of the page at this address is kept (``kept_for_viewers``):
    known before anything is known of them but the account their session names, so that it is
    read with the versions. Finding an entry there proves nothing; what it was kept under does."""
    address = _digest_of(
        None,
        "",
        "",
        request.scheme,
        request.host,
        request.path,
        tuple(request.args.items(multi=True)),
        _htmx_asks(),
    )
    return f"pagecache:{release()}:copy:{person}:{address}"


@dataclass(frozen=True)
class Packed:
    """A person's copy of a page as it was last answered to them: compressed, holes filled.
    Served again as it is while everything that went into it is the same: the Accept-Encoding
    header, each hole's HTML and the session whose CSRF token it holds. Compressing is the
    largest part of answering a kept page, and most of what a person reads again is unchanged:
    their name, their unread count, the session clock's minute."""

    accept: str  # the request's Accept-Encoding header, as sent
    names: tuple[str, ...]  # the page's holes, in the order of ``values``
    values: tuple[str, ...]
    session_token: str  # _session_token(), "" for a page without a CSRF token
    encoding: str  # the Content-Encoding Flask-Compress chose
    body: bytes


def _own_copy(key: str) -> tuple[Any, Packed | None] | None:
    """The page kept under ``key``, and its packed answer, from the person's own copy read
    with the versions: served only if the copy was kept under this very key, the one this
    request computes from the current version and the person's scope, role, language, time
    zone, date and address. Any difference (a write since, another role or organisation,
    another language) and it is not served."""
    copy = g.pop("pagecache_copy_kept", None)
    if copy is None or copy[0] != key:
        return None
    return copy[1], copy[2]


def _keep_copy(
    copy_key: str, key: str, kept: Any, shared: bool, packed: Packed | None = None
) -> None:
    """Keep ``kept`` under ``key`` (``shared``: it was not kept there yet) and as the signed-in
    person's own copy (``copy_key``) with its packed answer, in one round trip."""
    entries = {copy_key: (key, kept, packed)}
    if shared:
        entries[key] = kept
    try:
        cache.set_many(entries, timeout=seconds())
    except Exception as error:
        log.warning("page cache unavailable: %s", error)


@dataclass(frozen=True)
class _ToKeep:
    """A kept page answered with this request's own parts: what ``keep_own_copy`` keeps once
    the answer is compressed."""

    copy_key: str  # known before the request commits: after, the account row is expired
    key: str
    kept: Any
    shared: bool  # not yet kept for the scope either
    copied: bool  # the person's copy holds this page already (only its packed answer differs)
    accept: str
    names: tuple[str, ...]
    values: tuple[str, ...]
    has_token: bool  # the page holds the session's CSRF token


def _answer_kept(key: str, kept: Any, packed: Packed | None, copied: bool, shared: bool) -> Any:
    """The response of a kept page for this request: the packed answer when nothing that went
    into it has changed, else the page with this request's own parts in its holes (compressed
    by Flask-Compress, then packed by ``keep_own_copy``)."""
    headers, body = kept
    names = packed.names if packed is not None else _hole_names(body)
    values = _own_parts(names)
    if (
        packed is not None
        and packed.accept == request.headers.get("Accept-Encoding", "")
        and packed.values == values
        and packed.session_token == (_session_token() if _CSRF_HOLE in body else "")
    ):
        response = make_response(packed.body)
        response.headers["Content-Encoding"] = packed.encoding
        response.vary.add("Accept-Encoding")
    else:
        response = make_response(_filled(key, kept, names, values, copied, shared))
    for name, value in headers:
        response.headers[name] = value
    return response


def _filled(
    key: str,
    kept: Any,
    names: tuple[str, ...],
    values: tuple[str, ...],
    copied: bool,
    shared: bool,
) -> str:
    """The kept page with this request's own parts (``values`` of the holes ``names``) and
    CSRF token in its holes; what went into it is remembered for ``keep_own_copy``."""
    _headers, body = kept
    has_token = _CSRF_HOLE in body
    g.pagecache_to_keep = _ToKeep(
        _copy_key(current_user.id),
        key,
        kept,
        shared,
        copied,
        request.headers.get("Accept-Encoding", ""),
        names,
        values,
        has_token,
    )
    return _fill(body, generate_csrf() if has_token else "", dict(zip(names, values, strict=True)))


def keep_own_copy(response: Response) -> Response:
    """after_request, after compression: keep the page answered from the cache (or rendered to
    be kept) as the person's own copy, with the compressed answer packed for the next time."""
    to_keep = g.pop("pagecache_to_keep", None)
    if to_keep is None:
        return response
    packed = None
    encoding = response.headers.get("Content-Encoding")
    if encoding and response.status_code == 200 and not response.is_streamed:
        packed = Packed(
            accept=to_keep.accept,
            names=to_keep.names,
            values=to_keep.values,
            session_token=_session_token() if to_keep.has_token else "",
            encoding=encoding,
            body=response.get_data(),
        )
    if packed is not None or not to_keep.copied:
        _keep_copy(to_keep.copy_key, to_keep.key, to_keep.kept, to_keep.shared, packed)
    return response


def kept_for_viewers(per_person: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """Keep a view's page for signed-in viewers of one scope and role (``per_person``: of one
    person), holes filled per request. Wraps the view itself, so the view's own access checks
    (login_required and before_request hooks) have run before anything kept is served; a kept
    page was rendered for a viewer with the same scope, so it shows nothing this one may not
    see. Only full 200 HTML answers are kept.

    Each page is kept twice: under its key, for everyone of the scope and role, and as the
    person's own copy (``_copy_key``), read with the versions. A person reading a page again
    costs one round trip to Redis, not two; the first of the scope to read it after a write
    renders it for the others. The copy holds the compressed answer last given to the person
    as well (``Packed``), served again while their own parts have not changed."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = _viewer_key(per_person)
            kept = packed = None
            copied = False
            if key is not None:
                own = _own_copy(key)
                if own is not None:
                    kept, packed = own
                    copied = True
                else:
                    try:
                        kept = cache.get(key)
                    except Exception as error:
                        log.warning("page cache unavailable: %s", error)
                        key = None
            if kept is None and _viewer_loader is not None:
                _viewer_loader()  # the page is rendered: with the account row itself
            if key is None:
                return view(*args, **kwargs)
            if kept is not None:
                g.pagecache_served = True
                return _answer_kept(key, kept, packed, copied, shared=False)
            g.pagecache_recording = True
            try:
                response = make_response(view(*args, **kwargs))
            finally:
                g.pagecache_recording = False
            if response.is_streamed or response.mimetype != "text/html":
                return response
            body = response.get_data(as_text=True)
            token = g.get("csrf_token")
            if token:
                body = body.replace(token, _CSRF_HOLE)
            if response.status_code != 200:
                names = _hole_names(body)
                response.set_data(_fill(body, token or "", dict(zip(names, _own_parts(names)))))
                return response
            headers = [(n, response.headers[n]) for n in _VIEWER_HEADERS if n in response.headers]
            names = _hole_names(body)
            kept = (headers, body)
            response.set_data(
                _filled(key, kept, names, _own_parts(names), copied=False, shared=True)
            )
            return response

        wrapper.pagecache_kept_for_viewers = True  # type: ignore[attr-defined]
        return wrapper

    return decorate


def kept_unread_count(user: Any, count: Callable[[], int]) -> int:
    """The header's unread count of ``user``: kept until a notification is written or read
    (the inbox version) or anything a notification may be about changes (the data version,
    which decides what the person may still see), or their scope changes. Read with the
    versions on a kept page (``read_version_first``)."""
    if seconds() <= 0 or data_version() is None or inbox_version() is None:
        return count()
    made_from = (data_version(), inbox_version(), Scope.of(user).key)
    key = _unread_key(user.id)
    try:
        kept = g.pop("pagecache_unread_kept") if "pagecache_unread_kept" in g else cache.get(key)
    except Exception as error:
        log.warning("page cache unavailable: %s", error)
        return count()
    if kept is not None and kept[0] == made_from:
        return int(kept[1])
    unread = count()
    try:
        cache.set(key, (made_from, unread), timeout=seconds())
    except Exception as error:
        log.warning("page cache unavailable: %s", error)
    return unread


def _unread_key(person: int) -> str:
    return f"pagecache:{release()}:unread:{person}"


# ---------------------------------------------------------------- the signed-in person's facts

_viewer_loader: Callable[[], Any] | None = None


def register_viewer_loader(load: Callable[[], Any]) -> None:
    """``load`` makes the signed-in person the account row when the request began with their
    kept facts (portal.accounts.viewer.real_user): before a kept page is rendered."""
    global _viewer_loader
    _viewer_loader = load


def _session_person() -> int | None:
    """The account the session names (Flask-Login's ``id:generation``), unchecked."""
    person, _sep, _generation = str(session.get("_user_id") or "").partition(":")
    return int(person) if person.isdigit() else None


def keeps_viewer_pages() -> bool:
    """A GET of a page kept for signed-in viewers (``kept_for_viewers``), with the cache on."""
    if request.method != "GET" or seconds() <= 0 or request.endpoint is None:
        return False
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "pagecache_kept_for_viewers", False))


def _viewer_facts_key(person: int) -> str:
    return f"pagecache:{release()}:viewer:{person}"


def kept_viewer(person: int) -> Any | None:
    """The kept facts of ``person`` (portal.accounts.viewer), when they were read with the
    versions and made from the current accounts version."""
    kept = g.pop("pagecache_viewer_kept", None)
    if kept is None or g.get("pagecache_accounts_version") is None:
        return None
    made_from, whose, facts = kept
    if made_from != g.pagecache_accounts_version or whose != person:
        return None
    return facts


def keep_viewer(person: int, facts: Callable[[], Any]) -> None:
    """Keep ``facts()`` of ``person``, loaded from the database after the accounts version
    was read, for their next GETs of kept pages."""
    if not has_request_context() or not keeps_viewer_pages():
        return
    version = g.get("pagecache_accounts_version")
    if version is None:
        return
    try:
        cache.set(_viewer_facts_key(person), (version, person, facts()), timeout=seconds())
    except Exception as error:
        log.warning("page cache unavailable: %s", error)
