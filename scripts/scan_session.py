"""Signed-in sessions for the security scan (``make scan``, scripts/scan.py).

Three jobs, each usable on its own:

``prepare``  in an application context on the scan's throw-away database: the accounts the
             scanners sign in as (the demo requester when the demo data has it, else a requester
             made here; a coordinator and an admin with a second factor made here), and a couple
             of published needs when the demo data holds none.
``sign_in``  posts the login form with its CSRF token (and the TOTP code when the portal asks
             for one) over HTTPS, as a browser does, and returns the session cookies.
``discover`` fetches the portal's pages with a session and lists every GET form (list filters,
             search) as a URL with all its fields filled in, for sqlmap.

Standalone: ``python scripts/scan_session.py login --base https://127.0.0.1:8443 --cert c.pem
--email … --password … [--totp-secret …]`` prints ``name=value`` cookies.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import secrets
import ssl
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

DEMO_REQUESTER = "kyiv.official@example.org"
SCAN_REQUESTER = "scan.requester@example.org"
SCAN_COORDINATOR = "scan.coordinator@example.org"
SCAN_ADMIN = "scan.admin@example.org"

# Pages whose GET forms and query strings sqlmap is pointed at, besides what the start page links
# to; pages that do not exist (yet) or are not allowed for the account are skipped.
SEED_PAGES = (
    "/",
    "/needs/",
    "/offers/",
    "/projects/",
    "/matches/",
    "/dashboard/",
    "/agreements/",
    "/texts/",
    "/texts/missing",
    "/audit/",
    "/admin/users",
    "/admin/organisations",
    "/mail/",
)
LANGUAGES = ("en", "sv", "uk")
# Never followed: signing out would end the session the scanners use.
SKIP_PATHS = ("/logout", "/static/")


# ---------------------------------------------------------------- the accounts (database side)


@dataclass
class Account:
    email: str
    password: str
    role: str
    totp_secret: str | None = None


def prepare(out: Path) -> list[Account]:
    """Create the scan's accounts (and fallback records) in the database named by the
    environment (DATABASE_URL, PORTAL_ENV=development) and write them to ``out`` (mode 0600)."""
    import pyotp

    from portal import create_app
    from portal.accounts.models import User
    from portal.accounts.services import create_user
    from portal.accounts.twofactor import enable
    from portal.core.enums import Role
    from portal.extensions import db
    from portal.reference.models import Organisation

    app = create_app()
    accounts: list[Account] = []
    with app.app_context():

        def org(name_en: str) -> Organisation:
            found = db.session.scalar(db.select(Organisation).filter_by(name_en=name_en))
            if found is None:
                raise SystemExit(f"scan: reference organisation {name_en!r} is missing")
            return found

        def make(email: str, role: Role, org_name: str, totp: bool) -> tuple[Account, User]:
            password = "scan-" + secrets.token_urlsafe(24)
            user = create_user(
                email=email,
                name=f"Security scan ({role.value})",
                password=password,
                role=role,
                organisation=org(org_name),
                actor=None,
            )
            secret = pyotp.random_base32() if totp else None
            if secret:
                enable(user, secret)
            return Account(email, password, role.value, secret), user

        demo = db.session.scalar(db.select(User).filter_by(email=DEMO_REQUESTER))
        demo_password = _demo_password()
        if demo is not None and demo_password and demo.is_active and not demo.has_totp:
            requester_account = Account(DEMO_REQUESTER, demo_password, "requester")
            requester = demo
        else:
            requester_account, requester = make(
                SCAN_REQUESTER, Role.REQUESTER, "Kyivvodokanal", totp=False
            )
        accounts.append(requester_account)
        accounts.append(make(SCAN_COORDINATOR, Role.COORDINATOR, "City Executive Office", True)[0])
        accounts.append(make(SCAN_ADMIN, Role.ADMIN, "Service Administration", True)[0])
        db.session.commit()
        _ensure_some_needs(requester)
    out.write_text(json.dumps([a.__dict__ for a in accounts], indent=2))
    out.chmod(0o600)
    return accounts


def _demo_password() -> str | None:
    try:
        from portal.seed.demo import demo_password
    except ImportError:
        return None
    return demo_password()


def _ensure_some_needs(requester: object) -> None:
    """Without demo data the lists are empty and sqlmap's boolean tests see no difference
    between a true and a false condition; two published needs give them something to find."""
    from portal.extensions import db
    from portal.needs.models import Need

    if db.session.scalar(db.select(Need.id).limit(1)) is not None:
        return
    try:
        from portal.core.enums import HelpKind, Priority, Visibility
        from portal.needs.services import create_need, publish_need
        from portal.reference.models import Theme

        themes = list(db.session.scalars(db.select(Theme).order_by(Theme.id)))
        for n, (title, theme) in enumerate(
            (("Water main repair advice", themes[0]), ("District heating planning", themes[-1]))
        ):
            need = create_need(
                requester,  # type: ignore[arg-type]
                title=title,
                description=f"Scan record {n}: pumps, pipes and planning for the winter.",
                lang="en",
                theme=theme,
                priority=Priority.HIGH,
                help_kind=HelpKind.ADVICE,
                visibility=Visibility.PUBLIC,
            )
            publish_need(requester, need)  # type: ignore[arg-type]
            db.session.commit()  # the services flush; the caller commits
    except Exception as error:  # the needs API is still moving; the scan runs without records
        db.session.rollback()
        print(f"scan: could not create sample needs ({error!r}); lists stay empty", flush=True)


# ---------------------------------------------------------------- a minimal browser


class Browser:
    """HTTPS requests to the local portal with a cookie jar, no redirects followed, and the
    Referer a browser sends (Flask-WTF checks it on HTTPS)."""

    def __init__(self, base: str, cafile: str | None) -> None:
        parts = urlsplit(base)
        self.base = base.rstrip("/")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 443
        self.context = ssl.create_default_context(cafile=cafile)
        self.cookies: dict[str, str] = {}
        # The headers of the last answer (the scan reads a download's type and disposition).
        self.last_headers: http.client.HTTPMessage | None = None

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, referer: str = "/"
    ) -> tuple[int, str, str]:
        """Returns status, Location and body."""
        headers = {"User-Agent": "portal-scan", "Referer": self.base + referer}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            conn = http.client.HTTPSConnection(
                self.host, self.port, context=self.context, timeout=30
            )
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                text = response.read().decode("utf-8", "replace")
            except (ConnectionResetError, http.client.RemoteDisconnected) as error:
                # A connection cut before any answer (a worker being replaced under a scanner's
                # load): nothing was answered, so it is asked once more, and said.
                if attempt == 2:
                    raise
                print(f"scan: {method} {path}: {error}; asked again", file=sys.stderr, flush=True)
                continue
            finally:
                conn.close()
            for header in response.headers.get_all("Set-Cookie") or []:
                self._store(header)
            self.last_headers = response.headers
            return response.status, response.headers.get("Location", ""), text
        raise AssertionError("unreachable")

    def _store(self, header: str) -> None:
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or morsel.value == "" or "1970" in morsel["expires"]:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request("GET", path)

    def post_form(self, path: str, page: str, fields: dict[str, str]) -> tuple[int, str, str]:
        """Post ``fields`` plus the CSRF token of the form on ``page`` (already fetched)."""
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise ScanSessionError(f"no CSRF token in the form at {path}")
        return self.request("POST", path, {"csrf_token": token.group(1), **fields}, referer=path)


class ScanSessionError(RuntimeError):
    pass


def _local(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in(base: str, cafile: str | None, account: Account) -> Browser:
    """A browser signed in as ``account``; raises ScanSessionError when that fails."""
    browser = Browser(base, cafile)
    status, _, page = browser.get("/login")
    if status != 200:
        raise ScanSessionError(f"GET /login answered {status}")
    fields = {"email": account.email, "password": account.password}
    status, location, _ = browser.post_form("/login", page, fields)
    if status != 302:
        raise ScanSessionError(f"signing in as {account.email} answered {status}")
    if "/login/verify" in location:
        if not account.totp_secret:
            raise ScanSessionError(f"{account.email} is asked for a second factor it has not")
        import pyotp

        verify = _local(location)
        status, _, page = browser.get(verify)
        code = pyotp.TOTP(account.totp_secret).now()
        status, location, _ = browser.post_form(verify, page, {"code": code})
        if status != 302 or "/login" in urlsplit(location).path:
            raise ScanSessionError(f"the second factor for {account.email} answered {status}")
    if not is_signed_in(browser):
        raise ScanSessionError(f"{account.email} is not signed in after the login form")
    return browser


def is_signed_in(browser: Browser) -> bool:
    status, _, _ = browser.get("/profile")
    return status == 200


# ---------------------------------------------------------------- pages to scan


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    selects: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)


class PageParser(HTMLParser):
    """Links and forms of one page: each form's fields with their values, and for a select its
    options (value, selected)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append(Form(a.get("method", "get").lower(), a.get("action", "")))
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "password", "reset"):
                return
            if kind in ("checkbox", "radio") and a["name"] in self.forms[-1].fields:
                return
            default = "on" if kind == "checkbox" else ""
            self.forms[-1].fields[a["name"]] = a.get("value") or default
        elif tag == "textarea" and a.get("name"):
            self.forms[-1].fields[a["name"]] = ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1].selects[self._select] = []
        elif tag == "option" and self._select is not None:
            option = (a.get("value", ""), "selected" in a)
            self.forms[-1].selects[self._select].append(option)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _same_site(href: str, page: str) -> str | None:
    """The local path and query of a link on ``page``, or None for other sites and fragments."""
    parts = urlsplit(urljoin("https://portal.invalid" + page, href))
    if parts.netloc != "portal.invalid" or parts.path.startswith(SKIP_PATHS):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def shape(path: str) -> str:
    """A route's shape: /texts/12/sv and /texts/7/en are both /texts/<n>/<lang>."""
    segments = ["<n>" if s.isdigit() else s for s in path.split("/")]
    return "/".join("<lang>" if s in LANGUAGES else s for s in segments)


@dataclass
class Discovery:
    """What one session sees: ``pages``, one per route shape, following links without a query
    string from the seed pages; ``targets`` for sqlmap, per route shape one path with every query
    parameter its GET forms (filters, search) and links (pagination, sorting, ``next``) use, at a
    form's own defaults ("all"), which keep the lists full, so that a true condition looks like
    the original page and a false one does not; ``post_forms``, the shapes the pages post to."""

    pages: list[str]
    targets: dict[str, tuple[str, dict[str, str]]]
    post_forms: set[str]


def discover(browser: Browser, depth: int = 3) -> Discovery:
    pages: list[str] = []
    post_forms: set[str] = set()
    from_forms: dict[str, tuple[str, dict[str, str]]] = {}
    from_links: dict[str, tuple[str, dict[str, str]]] = {}
    queue = [(page, 0) for page in SEED_PAGES]
    seen: set[str] = set()
    while queue:
        path, level = queue.pop(0)
        if shape(path) in seen:
            continue
        seen.add(shape(path))
        status, _, body = browser.get(path)
        if status != 200:
            continue
        pages.append(path)
        parser = PageParser()
        parser.feed(body)
        for href in parser.links:
            link = _same_site(href, path)
            if link is None:
                continue
            link_path, _, query = link.partition("?")
            if level < depth and not query:
                queue.append((link_path, level + 1))
            params = dict(parse_qsl(query, keep_blank_values=True))
            params.pop("lang", None)
            if params:
                _, known = from_links.setdefault(shape(link_path), (link_path, {}))
                for name, value in params.items():
                    known.setdefault(name, value)
        for form in parser.forms:
            action = _same_site(form.action or path, path)
            if action is None:
                continue
            if form.method == "post":
                post_forms.add(shape(action.partition("?")[0]))
            if form.method != "get":
                continue
            values = {k: v for k, v in form.fields.items() if k not in ("csrf_token", "lang")}
            for name, options in form.selects.items():
                chosen = [value for value, selected in options if selected]
                values[name] = (chosen or [value for value, _ in options] or [""])[0]
            if values:
                action_path = action.partition("?")[0]
                _, known = from_forms.setdefault(shape(action_path), (action_path, {}))
                for name, value in values.items():
                    known.setdefault(name, value)
    targets = dict(from_forms)
    for key, (path, params) in from_links.items():
        _, known = targets.setdefault(key, (path, {}))
        for name, value in params.items():
            known.setdefault(name, value)
    return Discovery(pages, targets, post_forms)


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="create the scan accounts in $DATABASE_URL")
    prep.add_argument("--out", type=Path, required=True)
    login = sub.add_parser("login", help="sign in and print the session cookies")
    login.add_argument("--base", required=True)
    login.add_argument("--cert", help="the server's certificate, to verify it")
    login.add_argument("--email", required=True)
    login.add_argument("--password", required=True)
    login.add_argument("--totp-secret")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        for account in prepare(args.out):
            print(f"scan account: {account.email} ({account.role})")
        return 0
    account = Account(args.email, args.password, "", args.totp_secret)
    try:
        browser = sign_in(args.base, args.cert, account)
    except ScanSessionError as error:
        print(f"scan: {error}", file=sys.stderr)
        return 1
    for name, value in browser.cookies.items():
        print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
