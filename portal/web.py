"""What every request and every template shares: headers, htmx conventions, template helpers."""

from __future__ import annotations

import hashlib
from collections import ChainMap
from collections.abc import Callable, Hashable
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
from flask import Flask, Request, Response, g, render_template, request, session, url_for
from flask_babel import format_timedelta, get_timezone, gettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from portal.audit import services as audit
from portal.content.models import Rendered, ShownText, Text
from portal.core import enums, pagecache
from portal.core.http import PortalSessionInterface
from portal.core.i18n import (
    LANGUAGE_NAMES,
    current_language,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    full_stop,
    request_values,
)
from portal.core.kept import KeptRenderings, KeptValues, frozen
from portal.core.types import utcnow
from portal.extensions import htmx
from portal.reference import lists as reference_lists

LANGUAGE_NAMES_IN = {
    # "Original in Ukrainian" needs the language's name in the reader's language.
    "en": {"en": "English", "sv": "Swedish", "uk": "Ukrainian"},
    "sv": {"en": "engelska", "sv": "svenska", "uk": "ukrainska"},
    "uk": {"en": "англійська", "sv": "шведська", "uk": "українська"},
}


def _without_nul(values: MultiDict[str, str]) -> MultiDict[str, str]:
    cleaned: MultiDict[str, str] = MultiDict()
    for key, value in values.items(multi=True):
        cleaned.add(key.replace("\x00", ""), value.replace("\x00", ""))
    return cleaned


class PortalRequest(Request):
    """Query and form values never carry NUL characters: PostgreSQL refuses them in text, and no
    person types one. Everything else is kept as sent and validated by the forms."""

    @cached_property
    def args(self) -> MultiDict[str, str]:
        return _without_nul(super().args)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form is not None and any("\x00" in k or "\x00" in v for k, v in form.items(multi=True)):
            self.__dict__["form"] = ImmutableMultiDict(_without_nul(form))


# What every answer of the portal says about itself, unless its view said otherwise.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    ),
)


def register_request_hooks(app: Flask) -> None:
    app.request_class = PortalRequest
    if not isinstance(app.session_interface, PortalSessionInterface):
        # (The API's blueprint may have installed its own, which extends this one.)
        app.session_interface = PortalSessionInterface()

    def remember_client_address() -> None:
        g.client_address_token = audit.client_address.set(request.remote_addr)

    # First of all hooks: an earlier one may answer (a sign-in wall) and audit what it refused.
    app.before_request_funcs.setdefault(None, []).insert(0, remember_client_address)

    @app.teardown_request
    def forget_client_address(error: BaseException | None) -> None:
        token = g.pop("client_address_token", None)
        if token is not None:
            audit.client_address.reset(token)

    @app.after_request
    def portal_headers(response: Response) -> Response:
        response.vary.add("HX-Request")
        if request.endpoint != "static":
            # An anonymous visitor's language comes from Accept-Language (or ?lang, which the
            # address carries).
            response.vary.add("Accept-Language")
        # A page depends on the cookie only when there is a session: signed in, a chosen
        # language, a form's CSRF token, a message waiting. Public pages read by a visitor
        # without one mint none (see csrf_token_if_minted), so proxies and the page cache may
        # keep them (portal.core.pagecache).
        if session or session.modified:
            response.vary.add("Cookie")
        headers = response.headers
        # Each header a view has not set already (asked of a set of the names: werkzeug's
        # ``Headers.setdefault`` raises and catches an exception for every absent one).
        present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - names, not pairs
        for name, value in SECURITY_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        if request.is_secure and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # A signed-in session's pages are never stored. Asked of the session, not of the user's
        # row: the request has committed by now, which expired the row, and reloading it here
        # would cost a query per page and fail when the database has just gone away.
        if request.endpoint != "static" and session.get("_user_id") is not None:
            headers["Cache-Control"] = "no-store"
        else:
            pagecache.public_cache_control(response)
        return response

    pagecache.register(app)


def render_text(text: Text | ShownText | None) -> Rendered:
    lang = current_language()
    if text is None:
        return Rendered("", lang, False, lang)
    return text.render(lang)


def text_html(value: Text | ShownText | None, tag: str = "span", class_: str = "") -> Markup:
    """A multilingual text in the reader's language, or the original marked as such, in an
    element carrying its ``lang`` (WCAG 3.1.2). ``tag`` and ``class_`` come from templates.

    Python rather than a Jinja macro: a list page shows dozens, and a macro call costs several
    times the markup it writes."""
    r = render_text(value)
    tag = escape(tag)
    attributes = f' class="{escape(class_)}"' if class_ else ""
    html = f'<{tag} lang="{escape(r.lang)}"{attributes}>{escape(r.body)}</{tag}>'
    if r.is_fallback:
        marker = gettext("Original in %(language)s", language=language_name(r.lang))
        html += f' <small class="original-marker">({escape(marker)})</small>'
    elif r.is_machine:
        # In the reader's language, as the element beside it is (its lang says so).
        reader, machine = escape(current_language()), escape(gettext("machine translation"))
        html += f' <small class="machine-marker" lang="{reader}">({machine})</small>'
    # Every value above is escaped. f-strings rather than Markup.format: its format-string
    # parser made a title's element cost 9.4 microseconds, against 1.7 here.
    return Markup(html)  # noqa: S704


def status_badge(status: enums.LabelledEnum) -> Markup:
    return Markup(  # noqa: S704 - escaped values, as in text_html
        f'<span class="badge badge-{escape(status.value)}">{escape(status.label)}</span>'
    )


# The pieces of a needs or offers list row, in Python for the reason ``text_html`` is: a list
# page writes each twenty times, and a Jinja macro call costs more than the markup it writes.


def priority_badge(priority: enums.Priority) -> Markup:
    """Priority as a word, never by colour alone."""
    said = escape(gettext("Priority:"))  # outside the f-string, where pybabel finds it
    return Markup(  # noqa: S704 - escaped values, as in text_html
        f'<span class="badge badge-{escape(priority.value)}"><span class="visually-hidden">'
        f"{said} </span>{escape(priority.label)}</span>"
    )


def date_period(start: date | None, end: date | None) -> Markup:
    """A period of dates, either end optional (empty without either)."""
    if start and end:
        words = gettext("%(start)s – %(end)s", start=format_date(start), end=format_date(end))
    elif start:
        words = gettext("from %(start)s", start=format_date(start))
    elif end:
        words = gettext("until %(end)s", end=format_date(end))
    else:
        words = ""
    return escape(words)


def created_on(value: datetime) -> Markup:
    """The day a record was created, in the reader's time zone, machine-readable beside it."""
    return Markup(  # noqa: S704 - escaped values, as in text_html
        f'<time datetime="{escape(value.isoformat())}">{escape(format_date(value))}</time>'
    )


# A list's rows as rendered, by everything each shows (core.kept): a need, offer or project row
# is the same markup for every reader of that language and time zone, and costs more to write
# than the rest of its page. Two thousand rows (about 2 MB) per worker.
_kept_rows = KeptRenderings(2048)


def _reader() -> tuple[str, str, str]:
    """What a kept piece is written for: the reader's language and time zone, the application
    root its links start at. Asked once per request (a list page asks for every row), again
    when Flask-Babel's time zone for the request is another object (``refresh()``)."""
    values = request_values()  # a list page asks for every row: g read as a dict, once
    babel = values.get("_flask_babel")
    tzinfo = babel.__dict__.get("babel_tzinfo") if babel is not None else None
    kept = values.get("_kept_reader")
    if kept is not None and tzinfo is not None and kept[0] is tzinfo:
        return kept[1]
    reader = (current_language(), str(get_timezone()), request.script_root)
    values["_kept_reader"] = (get_timezone(), reader)
    return reader


def _reader_key(name: str, shown: Hashable) -> tuple[Hashable, ...]:
    """A kept piece's key: what it shows, and what it is written for (``_reader``)."""
    return (name, *_reader(), shown)


def kept_row(list_name: str, shown: Any, caller: Callable[[], str]) -> Markup:
    """The row ``caller()`` renders for ``shown`` (a frozen value holding every value the row
    shows: ``ListedNeed``, ``ListedProject``, a dashboard item, a ``ShownComment``…), or the
    markup it gave before for the same values, list, language, time zone (the day a record was
    posted) and application root (its links). ``{% call kept_row("needs", need) %}<li>…</li>
    {% endcall %}``."""
    params = getattr(type(shown), "__dataclass_params__", None)
    if params is None or not (params.frozen and params.eq):
        # An ORM row (or a value compared by identity) is equal only to itself: keep nothing.
        return Markup(caller())  # noqa: S704 - the template's own, autoescaped output
    return _kept_rows.get(_reader_key(list_name, shown), caller)


# Parts of record pages kept rendered the same way (a blank form, a text's language versions):
# the same markup for every reader with the same key, but for the session's CSRF token, which is
# kept as a mark and put back per request.
_kept_parts = KeptRenderings(1024)
_TOKEN_MARK = "kept-part-csrf-token"  # noqa: S105 - a placeholder, not a secret


def kept_part(name: str, shown: Hashable | None, caller: Callable[[], str]) -> Markup:
    """The markup ``caller()`` renders, kept under ``name`` and ``shown`` (every value it shows
    and links to, hashable), the reader's language, time zone and the application root. Any
    CSRF token in it is this request's: ``{% call kept_part("versions", key) %}…{% endcall %}``.
    With ``shown`` None, the markup is rendered and not kept."""
    if shown is None:
        return Markup(caller())  # noqa: S704 - the template's own, autoescaped output
    token = g.get("csrf_token")

    def render() -> str:
        html = caller()
        rendered = g.get("csrf_token")
        return html.replace(rendered, _TOKEN_MARK) if rendered else html

    kept = _kept_parts.get(_reader_key(name, shown), render)
    if _TOKEN_MARK not in kept:
        return kept
    return Markup(str(kept).replace(_TOKEN_MARK, token or generate_csrf()))  # noqa: S704


# What a page shows about its own address (its language links: the same address in each
# language), kept by that address: every list query and record has one. Its own store, so that
# many addresses do not push record pages' kept parts out.
_kept_by_address = KeptRenderings(2048)


def kept_for_address(name: str, caller: Callable[[], str]) -> Markup:
    """The markup ``caller()`` renders from the current address alone (its endpoint, the
    values in its path, its query), kept under it with the reader's language, time zone and
    application root: ``{% call kept_for_address("languages") %}…{% endcall %}``."""
    address = (
        request.endpoint,
        tuple(sorted((request.view_args or {}).items())),
        tuple(request.args.items(multi=True)),
    )
    return _kept_by_address.get(_reader_key(name, address), caller)


class BlankForm:
    """A form not built until its markup is: a blank form a record page offers, or a list's
    filters read from a query (``postings.views.filter_form``). ``build`` makes it and ``key``
    names everything it is made from (its class, prefix, the data and choices given to its
    fields, the query it reads), so that ``kept_form`` finds its kept markup without building
    it. Building a WTForms form binds every field and its CSRF token (60-110 microseconds each;
    a project page offers five; a list's filters, eight fields and some eighty options, cost
    more). Anything else asked of it builds it, once. It shows no errors: a record page's forms
    are offered empty, and a list's filters drop what they cannot read."""

    __slots__ = ("_build", "_form", "key")

    def __init__(self, build: Callable[[], Any], key: Hashable) -> None:
        self._build = build
        self._form: Any = None
        self.key = key

    @property
    def errors(self) -> dict[str, Any]:
        return {}  # never validated: it offers itself empty

    @property
    def form(self) -> Any:
        if self._form is None:
            self._form = self._build()
        return self._form

    def __getattr__(self, name: str) -> Any:
        return getattr(self.form, name)

    def __iter__(self) -> Any:
        return iter(self.form)

    def __getitem__(self, name: str) -> Any:
        return self.form[name]


# Where on a list a query is (an old page number or a cursor, a download's separator): no field
# of a list's filter form reads it.
NOT_FILTERS = frozenset({"page", "after", "before", "sep"})


def query_form(form_class: type, args: Any, build: Callable[[], Any] | None = None) -> Any:
    """A list's filter form reading the query ``args`` (made by ``build()``, by default
    ``form_class(formdata=args)``): unbuilt (a ``BlankForm``) while the reference data its
    options come from is kept under a version, keyed by the form's class, that version, the
    reader's language and the query's filter arguments; built now when it is not (its options
    then come from their tables on every request)."""
    build = build or (lambda: form_class(formdata=args))
    version = reference_lists.version()
    if version is None:
        return build()
    given = tuple((name, tuple(values)) for name, values in args.lists() if name not in NOT_FILTERS)
    # An empty query leaves every field at its default; any argument at all makes WTForms read
    # the fields from it, so whether there was one is part of what the form is made from.
    return BlankForm(build, (form_class, version, current_language(), bool(args), given))


# What lists read from their query forms (the filters, the values a form accepted), by the form's
# key (``query_form``) and what was read: the same for every reader of the same query.
_kept_readings = KeptValues(512)


def read_query_form(form: Any, name: str, read: Callable[[Any], Any]) -> Any:
    """``read(form)`` for a list's query form (``query_form``), read once per form key and kept
    (``name`` says what is read): the form is not built again for a query whose markup and
    reading are kept. What is kept is shared by every request: never change it."""
    if not isinstance(form, BlankForm):
        return read(form)
    return _kept_readings.get((name, form.key), lambda: read(form.form))


def kept_form(name: str, form: Any, shown: Hashable, caller: Callable[[], str]) -> Markup:
    """A form as ``kept_part`` keeps it, while it is blank: keyed by its class and each field's
    data and choices as well (a ``BlankForm`` by its own key, unbuilt). A form showing errors is
    this request's own and rendered afresh. Whatever else the caller's markup shows (an action
    URL, a hint, a label or attribute set on this form alone) goes in ``shown``."""
    if isinstance(form, BlankForm):
        return kept_part(name, (form.key, shown), caller)
    if form is None or form.errors:
        return Markup(caller())  # noqa: S704 - the template's own, autoescaped output
    state = tuple(
        (field.name, frozen(field.data), frozen(getattr(field, "choices", None)))
        for field in form
        if field.type != "CSRFTokenField"
    )
    return kept_part(name, (type(form), state, shown), caller)


def language_name(code: str) -> str:
    return LANGUAGE_NAMES_IN.get(current_language(), LANGUAGE_NAMES_IN["en"]).get(code, code)


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint or "main.home", **(request.view_args or {}), **args)


def fmt_ago(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_timedelta(value - utcnow(), add_direction=True)


def register_static_versions(app: Flask) -> None:
    """Static URLs carry a hash of the file (``?v=…``), so browsers may keep them for a year
    and still fetch a new version the moment it changes."""
    static_folder = Path(app.static_folder or "")
    versions: dict[str, str] = {}

    @app.url_defaults
    def add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint != "static" or "filename" not in values or "v" in values:
            return
        filename = values["filename"]
        if filename not in versions:
            path = static_folder / filename
            if not path.is_file():
                return
            versions[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        values["v"] = versions[filename]


class PortalTemplate(jinja2.Template):
    """Jinja's template, with a cheaper ``{% from … import … %}`` and context.

    An imported template's module is rendered once and kept, unless the importing template has
    globals the imported one lacks. Jinja asks that by subtracting a view of one ``ChainMap``'s
    keys from the other's set, which tests each of the sixty-odd globals in Python, three times
    per list page. The same question as one set difference in C; the same answer."""

    def new_context(
        self,
        vars: dict[str, Any] | None = None,
        shared: bool = False,
        locals: Any = None,
    ) -> jinja2.runtime.Context:
        """Jinja's context, whose variables start as a copy of the template's globals (a
        ``ChainMap`` of its own and the environment's sixty-odd) with ``vars`` over them. Jinja
        copies the ``ChainMap`` key by key in Python, for every template rendered and every
        module imported (about sixty times on a project's page); the same dict, merged in C."""
        if shared or not isinstance(self.globals, ChainMap):
            return super().new_context(vars, shared, locals)
        variables: dict[str, Any] = {}
        for mapping in reversed(self.globals.maps):  # the first map wins, as in the ChainMap
            variables.update(mapping)
        if vars:
            variables.update(vars)
        return jinja2.runtime.new_context(
            self.environment, self.name, self.blocks, variables, True, self.globals, locals
        )

    def _get_default_module(self, ctx: jinja2.runtime.Context | None = None) -> Any:
        if ctx is not None and not ctx.globals_keys.difference(self.globals):
            ctx = None  # nothing the kept module lacks: Jinja's own kept module
        return super()._get_default_module(ctx)


class ProcessBytecode(jinja2.BytecodeCache):
    """Compiled templates kept for every app of this process (``SHARE_COMPILED_TEMPLATES``).

    Each app compiles each template it renders, about 5 ms apiece. The test suite builds an app
    per test, so it compiles the same templates thousands of times. Jinja checks a kept
    compilation against the template's source, and the key carries the environment's settings
    that change what a template compiles to."""

    def __init__(self) -> None:
        self.kept: dict[tuple[Hashable, ...], bytes] = {}

    def _key(self, bucket: jinja2.bccache.Bucket) -> tuple[Hashable, ...]:
        env = bucket.environment
        # Flask's autoescape is a method of each app: the function it binds is the setting.
        autoescape = getattr(env.autoescape, "__func__", env.autoescape)
        settings = (env.trim_blocks, env.lstrip_blocks, autoescape, tuple(env.extensions))
        return (bucket.key, settings)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        kept = self.kept.get(self._key(bucket))
        if kept is not None:
            bucket.bytecode_from_string(kept)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.kept[self._key(bucket)] = bucket.bytecode_to_string()


PROCESS_BYTECODE = ProcessBytecode()


def register_template_helpers(app: Flask) -> None:
    # Before the first template is loaded: the loader makes each with the environment's class.
    app.jinja_env.template_class = PortalTemplate
    if app.config.get("SHARE_COMPILED_TEMPLATES"):
        app.jinja_env.bytecode_cache = PROCESS_BYTECODE
    app.jinja_env.globals.update(
        t=render_text,
        text=text_html,
        text_html=text_html,  # where a template has a variable called "text"
        status_badge=status_badge,
        kept_row=kept_row,
        kept_part=kept_part,
        kept_for_address=kept_for_address,
        kept_form=kept_form,
        priority_badge=priority_badge,
        period=date_period,
        created=created_on,
        language_name=language_name,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_language=current_language,
        url_with=url_with,
        enums=enums,
        today=date.today,
        csrf_token_value=generate_csrf,
        csrf_token_if_minted=csrf_token_if_minted,
        hole=pagecache.hole,
        full_stop=full_stop,
        htmx=htmx,
    )
    app.jinja_env.filters.update(
        # portal.core.i18n: the long form where a date stands in text, |date("numeric") in
        # tables; numbers as the reader's language writes them.
        date=format_date,
        datetime=format_datetime,
        ago=fmt_ago,
        number=format_number,
        percentformat=format_percent,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def waiting_messages() -> str:
    """The messages waiting for this session (a hole of kept pages): most pages have none."""
    if not session.get("_flashes"):
        return ""
    return render_template("_messages.html")


pagecache.register_hole("messages", waiting_messages)


def csrf_token_if_minted() -> str:
    """The CSRF token for the page's head and htmx headers: a signed-in person's always; an
    anonymous visitor's only when the page already asked for one (a form to send: sign-in,
    forgotten password, the accessibility report). Base templates ask after rendering the
    content, so an anonymous visitor reading public pages gets no session and no cookie."""
    if current_user.is_authenticated or g.get("csrf_token"):
        return generate_csrf()
    return ""
