"""Simulated people for ``make loadtest`` (run by bench/loadtest.py; not on its own).

Requesters, experts and coordinators sign in through the login form (coordinators with their
authenticator code), browse and search, create, publish and edit needs and offers, propose
matches and accept those waiting for them. Every write the portal acknowledges (a redirect after
the POST) is appended to the ledger (LOADTEST_LEDGER, JSON lines) so that bench/loadtest.py can
check afterwards that each one is in the database. Every response's status is counted
(LOADTEST_STATUS), 503s apart with whether they were the portal's translated page.

Environment: LOADTEST_ACCOUNTS (JSON file: {"requester": [...], "expert": [...],
"coordinator": [...]}, each account {"email", "password", "totp"}), LOADTEST_CONTEXT (JSON:
theme ids), LOADTEST_LEDGER, LOADTEST_STATUS, LOADTEST_RUN (a tag in every title).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
import uuid
from collections import Counter
from typing import Any

from locust import HttpUser, between, events, task

ACCOUNTS: dict[str, list[dict[str, Any]]] = json.loads(
    open(os.environ["LOADTEST_ACCOUNTS"]).read()  # noqa: SIM115 (read once at import)
)
CONTEXT: dict[str, Any] = json.loads(open(os.environ["LOADTEST_CONTEXT"]).read())  # noqa: SIM115
RUN = os.environ.get("LOADTEST_RUN", "run")
LEDGER_PATH = os.environ["LOADTEST_LEDGER"]
STATUS_PATH = os.environ["LOADTEST_STATUS"]

_lock = threading.Lock()
_ledger = open(LEDGER_PATH, "a", encoding="utf-8")  # noqa: SIM115 (open for the whole run)
_statuses: Counter[str] = Counter()
_unavailable_pages: Counter[str] = Counter()
_unavailable_times: list[float] = []
_unanswered: list[dict[str, Any]] = []  # requests with no response at all (status 0)
_next_account = {role: itertools.count() for role in ACCOUNTS}
_next_ip = itertools.count(1)

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')
NEED_LINK = re.compile(r'href="/needs/(\d+)"')
OFFER_LINK = re.compile(r'href="/offers/(\d+)"')
MATCH_LINK = re.compile(r'href="/matches/(\d+)"')
PROJECT_LINK = re.compile(r'href="/projects/(\d+)"')
SEARCH_WORDS = ["leak", "pump", "school", "heating", "bridge", "вод", "skola", "energi", "plan"]


def selected(html: str, name: str) -> str | None:
    """The selected option of a <select> on a form page."""
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html or "", re.S)
    if not found:
        return None
    for option in re.findall(r"<option[^>]*>", found.group(1)):
        if "selected" in option:
            value = re.search(r'value="([^"]*)"', option)
            return value.group(1) if value else None
    return None


def checked(html: str, name: str) -> list[str]:
    """The values of the ticked checkboxes called ``name``."""
    values = []
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', html or ""):
        value = re.search(r'value="([^"]*)"', tag)
        if " checked" in tag and value:
            values.append(value.group(1))
    return values


def record(kind: str, **data: Any) -> None:
    with _lock:
        _ledger.write(json.dumps({"kind": kind, "at": time.time(), **data}) + "\n")
        _ledger.flush()


@events.request.add_listener
def _count(request_type, name, response_time, response_length, response=None, exception=None, **kw):
    status = getattr(response, "status_code", 0) or 0
    with _lock:
        _statuses[str(status)] += 1
        if status == 503:
            body = response.text if response is not None else ""
            translated = 'role="alert"' in body and "<html lang=" in body
            _unavailable_pages["translated" if translated else "other"] += 1
            _unavailable_times.append(time.time())
        elif status == 0:
            _unanswered.append(
                {"at": time.time(), "request": f"{request_type} {name}", "error": repr(exception)}
            )


@events.quitting.add_listener
def _save(environment, **kw):
    with _lock:
        _ledger.flush()
        with open(STATUS_PATH, "w") as f:
            json.dump(
                {
                    "statuses": dict(_statuses),
                    "unavailable": dict(_unavailable_pages),
                    "unavailable_times": _unavailable_times,
                    "unanswered": _unanswered,
                },
                f,
            )


class Person(HttpUser):
    abstract = True
    role = ""
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        accounts = ACCOUNTS[self.role]
        self.account = accounts[next(_next_account[self.role]) % len(accounts)]
        # Behind the proxy every person has their own address (rate limits are per address).
        n = next(_next_ip)
        self.client.headers.update(
            {
                "X-Forwarded-For": f"198.18.{n // 250}.{n % 250 + 1}",
                "Accept-Language": random.choice(["en", "sv", "uk"]),
            }
        )
        self.mine: list[int] = []  # records this person created (and may edit)
        self.published: list[int] = []
        self.titles: dict[int, str] = {}
        self.signed_in = False
        self.sign_in()

    # ------------------------------------------------------------ helpers

    def get(self, path: str, name: str | None = None) -> Any:
        with self.client.get(path, name=name or path, catch_response=True) as r:
            self._judge(r)
            return r

    def post(self, path: str, data: dict[str, Any], name: str, csrf: str | None) -> Any:
        if not csrf:
            # The page that carries this form did not answer with it (a 503 in the database's
            # outage, a worker killed mid-answer): a person sends no form they were never shown.
            # (The runs before this sent it without its token, and counted the 400s it got.)
            return NOT_SENT
        payload = dict(data)
        if csrf:
            payload["csrf_token"] = csrf
        with self.client.post(
            path, data=payload, name=name, allow_redirects=False, catch_response=True
        ) as r:
            self._judge(r)
            return r

    def _judge(self, r: Any) -> None:
        # The production configuration marks cookies Secure; in production TLS ends at the
        # proxy, here there is none: send them over plain HTTP to 127.0.0.1 all the same.
        for cookie in self.client.cookies:
            cookie.secure = False
        if r.status_code == 0:  # no response: the connection failed (error names why)
            r.failure(f"no response: {r.error!r}"[:200])
        elif r.status_code >= 500:
            r.failure(f"{r.status_code}")
        elif r.status_code == 400:  # a form sent with the token its page gave was refused
            r.failure(f"400 {r.text[:120]!r}")
        elif r.status_code in (302, 303) and "/login" in r.headers.get("Location", ""):
            self.signed_in = False
            r.success()
        else:
            r.success()

    def csrf_of(self, page: Any) -> str | None:
        found = CSRF.search(page.text or "")
        return found.group(1) if found else None

    def sign_in(self) -> None:
        page = self.get("/login", name="/login")
        token = self.csrf_of(page)
        if not token:
            return
        r = self.post(
            "/login",
            {"email": self.account["email"], "password": self.account["password"]},
            "/login [POST]",
            token,
        )
        location = r.headers.get("Location", "")
        if r.status_code == 302 and "/login/verify" in location:
            import pyotp

            for _attempt in range(3):
                verify = self.get(location, name="/login/verify")
                token = self.csrf_of(verify)
                code = pyotp.TOTP(self.account["totp"]).now()
                r = self.post(location, {"code": code}, "/login/verify [POST]", token)
                if r.status_code == 302:
                    break
                time.sleep(31 - time.time() % 30)  # this step's code is used: wait for the next
        self.signed_in = r.status_code == 302

    def ensure_signed_in(self) -> bool:
        if not self.signed_in:
            self.sign_in()
        return self.signed_in

    def title(self, kind: str) -> str:
        return f"Load {RUN} {kind} {uuid.uuid4().hex[:12]}"

    def ids_on(self, path: str, pattern: re.Pattern, name: str) -> list[int]:
        page = self.get(path, name=name)
        return [int(i) for i in pattern.findall(page.text or "")] if page.status_code == 200 else []

    # ------------------------------------------------------------ shared steps

    def create_and_publish(self, kind: str, form: Any, title: str, data: dict[str, Any]) -> None:
        """Post the new need or offer (``kind``), then publish it; both acknowledged writes
        are recorded."""
        r = self.post(f"/{kind}s/new", data, f"/{kind}s/new [POST]", self.csrf_of(form))
        found = re.search(rf"/{kind}s/(\d+)$", r.headers.get("Location", ""))
        if r.status_code != 302 or not found:
            return
        record_id = int(found.group(1))
        record(kind, id=record_id, title=title)
        self.mine.append(record_id)
        self.titles[record_id] = title
        page = self.get(f"/{kind}s/{record_id}", name=f"/{kind}s/<id>")
        p = self.post(
            f"/{kind}s/{record_id}/publish", {}, f"/{kind}s/<id>/publish", self.csrf_of(page)
        )
        if p.status_code == 302:
            record(f"{kind}_published", id=record_id)
            self.published.append(record_id)

    def edit(self, kind: str, data_from: Any) -> None:
        """Edit one of this person's needs or offers: ``data_from(form_html, title)`` gives the
        form's values; the edit form's version travels with them (conflict check)."""
        record_id = random.choice(self.mine)
        form = self.get(f"/{kind}s/{record_id}/edit", name=f"/{kind}s/<id>/edit")
        version = VERSION.search(form.text or "")
        if form.status_code != 200 or not version:
            return
        title = self.titles[record_id] + " edited " + uuid.uuid4().hex[:6]
        data = {**data_from(form.text, title), "title": title, "version": version.group(1)}
        r = self.post(
            f"/{kind}s/{record_id}/edit", data, f"/{kind}s/<id>/edit [POST]", self.csrf_of(form)
        )
        if r.status_code == 302:
            record(f"{kind}_edit", id=record_id, title=title)
            self.titles[record_id] = title

    def propose_pair(self, need_id: int, offer_id: int, message: str) -> None:
        form = self.get(
            f"/matches/propose?need_id={need_id}&offer_id={offer_id}", "/matches/propose"
        )
        r = self.post(
            "/matches/propose",
            {"need_id": need_id, "offer_id": offer_id, "message": message},
            "/matches/propose [POST]",
            self.csrf_of(form),
        )
        found = re.search(r"/matches/(\d+)", r.headers.get("Location", ""))
        if r.status_code == 302 and found:
            record("match", id=int(found.group(1)), need=need_id, offer=offer_id)

    # ------------------------------------------------------------ shared tasks

    @task(4)
    def browse_needs(self) -> None:
        theme = random.choice(CONTEXT["themes"])
        sort = random.choice(["newest", "priority", "wanted"])
        ids = self.ids_on(f"/needs/?theme={theme}&sort={sort}", NEED_LINK, "/needs/?theme")
        if ids:
            self.get(f"/needs/{random.choice(ids)}", name="/needs/<id>")

    @task(2)
    def search(self) -> None:
        word = random.choice(SEARCH_WORDS)
        kind = random.choice(["needs", "offers"])
        self.get(f"/{kind}/?q={word}", name=f"/{kind}/?q")

    @task(2)
    def browse_offers(self) -> None:
        ids = self.ids_on("/offers/", OFFER_LINK, "/offers/")
        if ids:
            self.get(f"/offers/{random.choice(ids)}", name="/offers/<id>")

    @task(1)
    def start_page(self) -> None:
        self.get("/", name="/")


class _NotSent:
    """A post that was not sent (``Person.post``): no status, no redirect."""

    status_code = None
    headers: dict[str, str] = {}


NOT_SENT = _NotSent()


class Requester(Person):
    role = "requester"
    weight = 4

    @task(2)
    def create_need(self) -> None:
        if not self.ensure_signed_in():
            return
        form = self.get("/needs/new", name="/needs/new")
        title = self.title("need")
        data = {
            "title": title,
            "description": f"{title}: the district's water mains leak; we need advice.",
            "lang": random.choice(["uk", "en", "sv"]),
            "theme": random.choice(CONTEXT["open_themes"]),
            "priority": random.choice(["critical", "high", "medium", "low"]),
            "help_kind": random.choice(["advice", "training", "study_visit"]),
            "person_days": str(random.choice([5, 10, 20])),
            "visibility": "public",
        }
        self.create_and_publish("need", form, title, data)

    @task(1)
    def edit_need(self) -> None:
        if not self.mine or not self.ensure_signed_in():
            return
        self.edit(
            "need",
            lambda html, title: {
                "description": f"{title}: more detail after the site visit.",
                "lang": selected(html, "lang") or "en",
                "theme": selected(html, "theme") or CONTEXT["open_themes"][0],
                "priority": "high",
                "help_kind": "advice",
                "person_days": "10",
                "visibility": "public",
            },
        )

    @task(1)
    def propose(self) -> None:
        if not self.published or not self.ensure_signed_in():
            return
        offers = self.ids_on("/offers/", OFFER_LINK, "/offers/")
        if not offers:
            return
        need_id, offer_id = random.choice(self.published), random.choice(offers)
        self.propose_pair(need_id, offer_id, "Load test proposal")

    @task(1)
    def decide(self) -> None:
        if not self.ensure_signed_in():
            return
        ids = self.ids_on("/matches/?waiting=1", MATCH_LINK, "/matches/?waiting")
        if not ids:
            return
        match_id = random.choice(ids)
        page = self.get(f"/matches/{match_id}", name="/matches/<id>")
        r = self.post(f"/matches/{match_id}/accept", {}, "/matches/<id>/accept", self.csrf_of(page))
        if r.status_code == 302:
            record("accept", id=match_id, side=self.role)


class Expert(Person):
    role = "expert"
    weight = 4

    @task(2)
    def create_offer(self) -> None:
        if not self.ensure_signed_in():
            return
        form = self.get("/offers/new", name="/offers/new")
        title = self.title("offer")
        data = {
            "title": title,
            "description": f"{title}: leak detection and pump maintenance training.",
            "lang": random.choice(["sv", "en"]),
            "themes": random.sample(CONTEXT["open_themes"], 2),
            "help_kind": random.choice(["advice", "training", "study_visit"]),
            "capacity_days": str(random.choice([20, 40, 60])),
            "available_from": CONTEXT["today"],
            "available_until": CONTEXT["until"],
            "visibility": "public",
        }
        self.create_and_publish("offer", form, title, data)

    @task(1)
    def edit_offer(self) -> None:
        if not self.mine or not self.ensure_signed_in():
            return
        self.edit(
            "offer",
            lambda html, title: {
                "description": f"{title}: now also on-site training.",
                "lang": selected(html, "lang") or "sv",
                "themes": checked(html, "themes") or [CONTEXT["open_themes"][0]],
                "help_kind": "training",
                "capacity_days": "60",
                "available_from": CONTEXT["today"],
                "available_until": CONTEXT["until"],
                "visibility": "public",
            },
        )

    @task(1)
    def propose(self) -> None:
        if not self.published or not self.ensure_signed_in():
            return
        needs = self.ids_on("/needs/", NEED_LINK, "/needs/")
        if not needs:
            return
        need_id, offer_id = random.choice(needs), random.choice(self.published)
        self.propose_pair(need_id, offer_id, "Load test offer")

    decide = Requester.decide


class Coordinator(Person):
    role = "coordinator"
    weight = 2

    @task(3)
    def dashboard(self) -> None:
        if self.ensure_signed_in():
            theme = random.choice([None, *CONTEXT["themes"]])
            self.get("/dashboard/" + (f"?theme={theme}" if theme else ""), name="/dashboard/")

    @task(2)
    def projects(self) -> None:
        ids = self.ids_on("/projects/", PROJECT_LINK, "/projects/")
        if ids:
            self.get(f"/projects/{random.choice(ids)}", name="/projects/<id>")

    @task(1)
    def matches(self) -> None:
        ids = self.ids_on("/matches/", MATCH_LINK, "/matches/")
        if ids:
            self.get(f"/matches/{random.choice(ids)}", name="/matches/<id>")

    @task(1)
    def broker(self) -> None:
        if not self.ensure_signed_in():
            return
        needs = self.ids_on("/needs/?status=open", NEED_LINK, "/needs/?status")
        offers = self.ids_on("/offers/", OFFER_LINK, "/offers/")
        if not needs or not offers:
            return
        need_id, offer_id = random.choice(needs), random.choice(offers)
        self.propose_pair(need_id, offer_id, "Brokered in the load test")
