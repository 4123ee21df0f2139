"""Bad input at scale: Hypothesis posts generated values to every form and to the list pages'
query parameters. The portal must never answer 500: a clear validation error (422, the form
shown again, 400/409 with a message) or a normal page.

The values: strings from every Unicode plane (astral characters too, surrogates excepted as no
browser can send them), control characters and NUL, very long strings, huge and odd numbers,
dates out of range or malformed, and the wrong shape (several values for one field, empty,
"null", "[]"). The fields of a form are read from the page that shows it, so that a field added
later is fuzzed too. Bounded: a few dozen examples per form, no deadline.
"""

from __future__ import annotations

import os
import re
from datetime import date
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.core.enums import MatchStatus, NeedStatus, Visibility
from portal.extensions import db
from tests.dashboard import builders as b

EXAMPLES = 25
# Derandomized: the same examples on every run, so a red CI always means a real regression
# (set FUZZ_RANDOM=1 to explore new examples locally).
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
# What a bad value may get: a page, a redirect, or a clear refusal; never a server error.
ACCEPTABLE = {200, 302, 303, 400, 403, 404, 409, 413, 422}

EVERY_PLANE = st.characters(blacklist_categories=("Cs",))  # controls and NUL included
ASTRAL = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, blacklist_categories=("Cs",))
CONTROL = st.sampled_from(
    [chr(c) for c in range(32)] + ["\x7f", "\x85", "\u2028", "\u2029", "\u202e", "\ufeff", "\ufffe"]
)
BAD_DATES = [
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-02-30",
    "2025-13-01",
    "-2025-01-01",
    "2025-1-1",
    "01/02/2025",
    "1e10",
    "\x002025-01-01",
]
ODD = ["", " ", "null", "None", "true", "[]", "{}", "0", "-1", "1e309", "0x10", "NaN", "١٢٣", "½"]

VALUE = st.one_of(
    st.text(EVERY_PLANE, max_size=40),
    st.text(st.one_of(ASTRAL, CONTROL), min_size=1, max_size=20),
    # very long: up to 60,000 repetitions of one to three characters
    st.builds(
        lambda s, n: s * n,
        st.text(EVERY_PLANE, min_size=1, max_size=3),
        st.integers(min_value=1000, max_value=60_000),
    ),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(BAD_DATES),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.sampled_from(ODD),
)
# The wrong shape too: several values for one field.
FIELD_VALUE = st.one_of(VALUE, VALUE, VALUE, st.lists(VALUE, min_size=2, max_size=3))

FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
SKIPPED_FIELDS = {"csrf_token", "next"}


def fields_on(html: str) -> list[str]:
    return sorted({name for name in FIELD.findall(html) if name not in SKIPPED_FIELDS})


def assert_handled(response: Any, what: str) -> None:
    assert response.status_code in ACCEPTABLE, (
        f"{what} answered {response.status_code}: {response.get_data(as_text=True)[:300]!r}"
    )


@pytest.fixture
def records(app, users) -> SimpleNamespace:
    """A draft need of the requester (editable), an offer of the expert, a proposed match
    waiting for the requester, an agreed match without a project, a project of both, the
    default agreement."""
    req, exp, coord = users["requester"], users["expert"], users["coordinator"]
    need = b.need(req, "water_sewage", "Fuzz need", status=NeedStatus.OPEN)
    draft = b.need(req, "education", "Fuzz draft", status=NeedStatus.DRAFT)
    offer = b.offer(exp, "water_sewage", "Fuzz offer", visibility=Visibility.PUBLIC)
    match = b.match(need, offer, exp, status=MatchStatus.PROPOSED, expert=exp)
    # An agreed match without a project: what the new-project form starts from.
    agreed_need = b.need(req, "water_sewage", "Fuzz agreed need", status=NeedStatus.MATCHED)
    agreed_offer = b.offer(exp, "water_sewage", "Fuzz agreed offer")
    b.match(agreed_need, agreed_offer, exp, status=MatchStatus.AGREED, requester=req, expert=exp)
    project = b.project(coord, req.organisation, exp.organisation, "water_sewage", "Fuzz project")
    b.milestone(project, "Fuzz milestone", 10)
    db.session.commit()
    return SimpleNamespace(
        need=need.id,
        draft=draft.id,
        offer=offer.id,
        match=match.id,
        project=project.id,
        agreement=b.agreement().id,
        text=offer.title_id,
        user=users["other_expert"].id,
        organisation=users["other_expert"].organisation_id,
    )


# (who, page that shows the form, where it posts)
FORMS = {
    "need new": ("requester", "/needs/new", "/needs/new"),
    "need edit": ("requester", "/needs/{draft}/edit", "/needs/{draft}/edit"),
    "offer new": ("expert", "/offers/new", "/offers/new"),
    "offer edit": ("expert", "/offers/{offer}/edit", "/offers/{offer}/edit"),
    "match propose": ("coordinator", "/matches/propose", "/matches/propose"),
    "match decline": ("requester", "/matches/{match}", "/matches/{match}/decline"),
    "project new": ("coordinator", "/projects/new", "/projects/new"),
    "project edit": ("coordinator", "/projects/{project}/edit", "/projects/{project}/edit"),
    "project milestones": ("coordinator", "/projects/{project}", "/projects/{project}/milestones"),
    "project reports": ("requester", "/projects/{project}", "/projects/{project}/reports"),
    "project status": ("coordinator", "/projects/{project}", "/projects/{project}/status"),
    "amendment": (
        "coordinator",
        "/agreements/{agreement}/amendments/new",
        "/agreements/{agreement}/amendments/new",
    ),
    "admin user new": ("admin", "/admin/users/new", "/admin/users/new"),
    "admin user edit": ("admin", "/admin/users/{user}/edit", "/admin/users/{user}/edit"),
    "admin organisation new": ("admin", "/admin/organisations/new", "/admin/organisations/new"),
    "admin organisation edit": (
        "admin",
        "/admin/organisations/{organisation}/edit",
        "/admin/organisations/{organisation}/edit",
    ),
    "profile": ("expert", "/profile", "/profile"),
    "translation": ("expert", "/texts/{text}/sv", "/texts/{text}/sv"),
}

# (who, list page) whose filter inputs are fuzzed, plus page, sort and q.
LISTS = {
    "needs": ("requester", "/needs/"),
    "needs anonymous": (None, "/needs/"),
    "offers": ("expert", "/offers/"),
    "offers anonymous": (None, "/offers/"),
    "matches": ("coordinator", "/matches/"),
    "projects": ("coordinator", "/projects/"),
    "projects anonymous": (None, "/projects/"),
    "dashboard": ("coordinator", "/dashboard/"),
    "audit log": ("admin", "/audit/"),
    "admin users": ("admin", "/admin/users"),
    "texts missing a language": ("coordinator", "/texts/missing"),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_no_form_answers_500_to_generated_values(app, client, login, records, form):
    who, page, target = FORMS[form]
    ids = vars(records)
    login(who)
    shown = client.get(page.format(**ids))
    assert shown.status_code == 200, f"{form}: the form page answered {shown.status_code}"
    names = fields_on(shown.get_data(as_text=True))
    assert names, f"{form}: no fields found on {page}"
    url = target.format(**ids)

    @FUZZ_SETTINGS
    @given(data=st.fixed_dictionaries({name: FIELD_VALUE for name in names}))
    def post(data: dict[str, Any]) -> None:
        response = client.post(url, data=data)
        assert_handled(response, f"POST {url} {form}")
        if response.status_code == 200 and "<form" not in response.get_data(as_text=True):
            raise AssertionError(f"{form}: 200 without the form")

    post()


@pytest.mark.parametrize("listing", list(LISTS))
def test_no_list_answers_500_to_generated_query_parameters(app, client, login, records, listing):
    who, path = LISTS[listing]
    if who is not None:
        login(who)
    shown = client.get(path)
    assert shown.status_code == 200
    names = sorted({*fields_on(shown.get_data(as_text=True)), "page", "sort", "q", "lang"})

    @FUZZ_SETTINGS
    @given(params=st.dictionaries(st.sampled_from(names), FIELD_VALUE, max_size=len(names)))
    def get(params: dict[str, Any]) -> None:
        query = urlencode(
            [
                (k, v)
                for k, values in params.items()
                for v in (values if isinstance(values, list) else [values])
            ]
        )
        response = client.get(f"{path}?{query}")
        assert_handled(response, f"GET {path}?{query[:200]}")
        response = client.get(f"{path}?{query}", headers={"HX-Request": "true"})
        assert_handled(response, f"GET (htmx) {path}?{query[:200]}")

    get()


@pytest.mark.parametrize("listing", list(LISTS))
def test_huge_and_negative_page_numbers_give_a_page(app, client, login, records, listing):
    """Found by the fuzzing above on PostgreSQL: a page number past the SQL OFFSET's range."""
    who, path = LISTS[listing]
    if who is not None:
        login(who)
    for number in ("461168601842738792", str(2**63), "-5", "0"):
        assert_handled(client.get(f"{path}?page={number}"), f"{path}?page={number}")


def test_an_id_filter_past_the_integer_range_gives_a_page(app, client, login, records):
    """Found by the fuzzing above on SQLite: /admin/users?organisation=2**63 overflowed."""
    login("admin")
    for number in (str(2**63), str(2**31), "-1", "0"):
        assert_handled(client.get(f"/admin/users?organisation={number}"), number)
