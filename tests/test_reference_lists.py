"""Themes, districts and organisations for the filters are kept in the shared cache and
forgotten as soon as an admin changes an organisation, in every worker."""

from __future__ import annotations

import re

import pytest
from flask import g
from flask_babel import force_locale

from portal import create_app
from portal.admin import services as admin
from portal.core.collation import by_name, sort_key
from portal.core.enums import OrganisationKind, Priority, Visibility
from portal.extensions import cache, db
from portal.reference import lists
from portal.reference.models import City, District, Organisation, Theme
from tests import factories
from tests.conftest import TEST_REDIS_URL, PortalClient, count_queries


@pytest.fixture
def kept(app):
    app.config["REFERENCE_CACHE_SECONDS"] = 300
    cache.clear()
    yield
    cache.clear()


def _new_organisation(actor, name: str) -> Organisation:
    """As the admin page does: the service flushes, the request commits."""
    org = admin.create_organisation(
        actor,
        admin.OrganisationData(
            name_en=name,
            name_sv=name,
            name_uk=name,
            kind=OrganisationKind.CITY_OWNED_COMPANY,
            city=db.session.scalar(db.select(City).filter_by(code="kyiv")),
            registry_id=None,
            themes=[],
        ),
    )
    db.session.commit()
    return org


def _queries(app, client, path: str) -> int:
    with count_queries(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_the_lists_are_the_tables(app, kept):
    # Sorted by name in the reader's alphabet (English outside a request).
    themes = by_name(db.session.scalars(db.select(Theme)).all(), lang="en")
    assert [(t.id, t.code, t.name_uk, t.is_critical) for t in lists.themes()] == [
        (t.id, t.code, t.name_uk, t.is_critical) for t in themes
    ]
    districts = by_name(db.session.scalars(db.select(District)).all(), lang="en")
    assert [d.id for d in lists.districts()] == [d.id for d in districts]
    kyiv = {o.id for o in db.session.scalars(db.select(Organisation)) if o.city.code == "kyiv"}
    assert {o.id for o in lists.organisations("requester")} == kyiv


def test_list_pages_read_them_once_then_from_the_cache(app, client, login, kept):
    login("expert")
    client.get("/needs/")  # the session's first request does one-off work (and keeps them)
    kept_already = _queries(app, client, "/needs/")
    cache.clear()
    read = _queries(app, client, "/needs/")
    assert read == kept_already + 3  # themes, districts, organisations
    assert _queries(app, client, "/needs/") == kept_already


def test_an_admins_change_shows_at_once(app, client, login, users, kept):
    login("expert")
    assert "Kyiv Ferry Company" not in client.get("/needs/").get_data(as_text=True)
    org = _new_organisation(users["admin"], "Kyiv Ferry Company")
    assert "Kyiv Ferry Company" in client.get("/needs/").get_data(as_text=True)
    admin.deactivate_organisation(users["admin"], org)
    db.session.commit()
    assert "Kyiv Ferry Company" not in client.get("/needs/").get_data(as_text=True)


def test_the_lists_are_forgotten_after_the_commit_and_not_on_a_rollback(app, users, kept):
    lists.organisations("requester")  # kept
    admin.create_organisation(
        users["admin"],
        admin.OrganisationData(
            name_en="Kyiv Ferry Company",
            name_sv="Kyiv Ferry Company",
            name_uk="Kyiv Ferry Company",
            kind=OrganisationKind.CITY_OWNED_COMPANY,
            city=db.session.scalar(db.select(City).filter_by(code="kyiv")),
            registry_id=None,
            themes=[],
        ),
    )
    with count_queries(app) as statements:
        lists.organisations("requester")
    assert statements == []  # still kept: nothing is committed yet
    db.session.rollback()
    with count_queries(app) as statements:
        kept_names = {o.name_en for o in lists.organisations("requester")}
    assert statements == [] and "Kyiv Ferry Company" not in kept_names  # nothing happened
    _new_organisation(users["admin"], "Kyiv Ferry Company")
    assert "Kyiv Ferry Company" in {o.name_en for o in lists.organisations("requester")}


def test_every_worker_forgets_them_through_redis(app, users, redis_prefix):
    """Two workers share the kept lists; an admin's change in one is seen at once in both."""
    config = {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "REFERENCE_CACHE_SECONDS": 300,
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": TEST_REDIS_URL,
        "CACHE_KEY_PREFIX": redis_prefix,
    }
    first, second = create_app(dict(config)), create_app(dict(config))
    first.test_client_class = second.test_client_class = PortalClient
    with second.app_context():
        assert "Kyiv Ferry Company" not in {o.name_en for o in lists.organisations("requester")}
        with count_queries(second) as statements:
            lists.organisations("requester")
        assert statements == []  # kept
        db.session.remove()
    with first.app_context():
        _new_organisation(db.session.merge(users["admin"]), "Kyiv Ferry Company")
        db.session.remove()
    with second.app_context():
        assert "Kyiv Ferry Company" in {o.name_en for o in lists.organisations("requester")}
        db.session.remove()
    for worker in (first, second):
        with worker.app_context():
            db.engine.dispose()


def test_without_redis_the_tables_are_read(app, caplog):
    nowhere = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REFERENCE_CACHE_SECONDS": 300,
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
            "CACHE_OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    )
    with nowhere.app_context():
        assert len(lists.themes()) == db.session.scalar(db.select(db.func.count(Theme.id)))
        lists.forget()
        db.session.remove()
        db.engine.dispose()
    assert "reference cache unavailable" in caplog.text


def test_each_worker_keeps_them_sorted_per_language_until_they_change(
    app, users, kept, monkeypatch
):
    sorted_now = []
    real = lists.by_name
    monkeypatch.setattr(
        lists, "by_name", lambda rows, **kw: sorted_now.append(kw) or real(rows, **kw)
    )
    names = {}
    for lang in ("sv", "uk", "sv", "uk"):
        g.pop("_portal_lang", None)  # a new request (the tests share one app context)
        with app.test_request_context(f"/?lang={lang}"), force_locale(lang):
            names[lang] = [t.name for t in lists.themes()]
    assert len(sorted_now) == 2  # once per language, then kept
    assert names["uk"] == sorted(names["uk"], key=sort_key("uk"))
    assert names["sv"] != names["uk"]
    _new_organisation(users["admin"], "Kyiv Ferry Company")  # forgets them
    g.pop("_portal_lang", None)
    with app.test_request_context("/?lang=sv"), force_locale("sv"):
        lists.themes()
    assert len(sorted_now) == 3


def _row(page: str, title: str) -> str:
    """The list row (``<li>…</li>``) that shows ``title``."""
    rows = [row.split("</li>")[0] for row in page.split("<li>")[1:] if title in row]
    assert len(rows) == 1, f"{title!r} is in {len(rows)} rows"
    return rows[0]


def _renamed(actor, org: Organisation, name: str) -> None:
    admin.update_organisation(
        actor,
        org,
        admin.OrganisationData(
            name_en=name,
            name_sv=org.name_sv,
            name_uk=org.name_uk,
            kind=org.kind,
            city=org.city,
            registry_id=org.registry_id,
            themes=list(org.themes),
        ),
    )
    db.session.commit()


def test_list_rows_name_theme_district_and_organisation_as_they_are_now(
    app, client, login, users, kept
):
    """The lists take these names from the kept reference lists, not from their own query:
    a renamed organisation is renamed in every row at once, and one no longer active (so no
    longer kept) is still named in the rows of what it posted."""
    factories.make_need(
        users["requester"],
        title="Ferry pier repair",
        lang="en",
        theme_code="transport",
        district_name="Podilskyi",
        visibility=Visibility.PUBLIC,
    )
    factories.make_offer(
        users["expert"],
        title="Pier engineering advice",
        lang="en",
        theme_codes=("water_sewage", "transport"),
        visibility=Visibility.PUBLIC,
    )
    requester_org = db.session.get(Organisation, users["requester"].organisation_id)
    expert_org = db.session.get(Organisation, users["expert"].organisation_id)
    theme_names = {t.code: t.name_en for t in db.session.scalars(db.select(Theme))}
    need_row = _row(client.get("/needs/").get_data(as_text=True), "Ferry pier repair")
    assert requester_org.name_en in need_row and theme_names["transport"] in need_row
    assert "District: Podilskyi" in need_row
    offer_row = _row(client.get("/offers/").get_data(as_text=True), "Pier engineering advice")
    # Both themes, in the themes' own order, and the expert's organisation.
    water, transport = theme_names["water_sewage"], theme_names["transport"]
    ordered = sorted(
        db.session.scalars(db.select(Theme).where(Theme.code.in_(("water_sewage", "transport")))),
        key=lambda t: t.position,
    )
    assert ", ".join(t.name_en for t in ordered) in offer_row
    assert water in offer_row and transport in offer_row and expert_org.name_en in offer_row

    held = dict(lists._by_id)
    _renamed(users["admin"], requester_org, "Kyiv Pier Authority")
    _renamed(users["admin"], expert_org, "Stockholm Harbour Advisers")
    # Another worker still holds the names it read before; the new version in the shared
    # cache tells it they changed.
    lists._by_id.update(held)
    need_row = _row(client.get("/needs/").get_data(as_text=True), "Ferry pier repair")
    offer_row = _row(client.get("/offers/").get_data(as_text=True), "Pier engineering advice")
    assert "Kyiv Pier Authority" in need_row and "Stockholm Harbour Advisers" in offer_row

    admin.deactivate_organisation(users["admin"], db.session.get(Organisation, expert_org.id))
    db.session.commit()
    assert "Stockholm Harbour Advisers" not in {o.name_en for o in lists.organisations("expert")}
    offer_row = _row(client.get("/offers/").get_data(as_text=True), "Pier engineering advice")
    assert "Stockholm Harbour Advisers" in offer_row


def test_names_are_read_once_from_the_kept_lists_and_from_the_table_without_them(app, kept):
    themes = db.session.scalars(db.select(Theme)).all()
    lists.names("themes", [themes[0].id])  # keeps the lists
    with count_queries(app) as statements:
        named = lists.names("themes", [t.id for t in themes] + [None])
    assert statements == []
    assert {i: n.name_uk for i, n in named.items()} == {t.id: t.name_uk for t in themes}
    app.config["REFERENCE_CACHE_SECONDS"] = 0
    with count_queries(app) as statements:
        named = lists.names("themes", [themes[1].id, themes[2].id])
    assert len(statements) == 1 and set(named) == {themes[1].id, themes[2].id}
    assert lists.names("districts", []) == {}


@pytest.mark.parametrize("path", ["/needs/", "/offers/"])
def test_kept_filter_forms_are_the_filter_forms(app, client, login, kept, path):
    """The filter fields are kept rendered per form, language, reference data and values: a
    kept rendering is the one the same request renders afresh, each selection shows as
    selected, and a search's words come back escaped."""
    from portal import web

    theme = db.session.scalars(db.select(Theme).order_by(Theme.id)).first()
    login("expert")
    asks = [
        "",
        f"?theme={theme.id}",
        "?status=all&sort=newest",
        "?q=%3Cb%3Eleak%3C%2Fb%3E",
        "?theme=nonsense",
    ]

    def filters_of(page: str) -> str:
        """The filter fields (what is kept), up to the form's own button."""
        return page.split('class="filters"', 1)[1].split('<button type="submit">', 1)[0]

    for lang in ("en", "sv", "uk"):
        for ask in asks:
            url = f"{path}{ask}{'&' if ask else '?'}lang={lang}"
            web._kept_parts.clear()
            fresh = filters_of(client.get(url).get_data(as_text=True))
            kept_now = filters_of(client.get(url).get_data(as_text=True))
            assert kept_now == fresh, url
    kept = [key for key in web._kept_parts._kept if key[0] == "posting-filters"]
    assert len(kept) == 1  # the last one asked for
    # The same values in another language (the last page asked for was in Ukrainian).
    assert '<label for="q">Search</label>' in filters_of(
        client.get(f"{path}?lang=en").get_data(as_text=True)
    )
    page = client.get(f"{path}?theme={theme.id}&lang=en").get_data(as_text=True)
    assert f'<option selected value="{theme.id}">' in filters_of(page)
    page = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert f'<option selected value="{theme.id}">' not in filters_of(page)
    searched = filters_of(client.get(f"{path}?q=%3Cb%3Eleak%3C%2Fb%3E").get_data(as_text=True))
    assert "&lt;b&gt;leak&lt;/b&gt;" in searched and "<b>leak" not in searched


@pytest.mark.parametrize("path", ["/needs/", "/offers/"])
def test_kept_filter_choices_are_the_readers_language_and_the_reference_data_now(
    client, kept, path
):
    """A filter form's choices are made once per form, language and reference data's version
    (reference lists' kept_choices): each language gets its own, and a renamed theme is offered
    under its new name at once."""

    theme = db.session.scalars(db.select(Theme).order_by(Theme.id)).first()
    lists._kept_choices.clear()

    def option(lang: str) -> str:
        page = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        return page.split(f'<option value="{theme.id}">', 1)[1].split("</option>", 1)[0]

    assert option("en") == theme.name_en
    assert option("uk") == theme.name_uk
    assert option("sv") == theme.name_sv
    assert {key[1] for key in lists._kept_choices if key[0].endswith(":theme")} == {
        "en",
        "uk",
        "sv",
    }
    theme.name_en = "Harbours and piers"
    db.session.commit()
    lists.forget()  # as the admin's change does
    assert option("en") == "Harbours and piers"


@pytest.mark.parametrize(
    "path, part, value_of",
    [("/projects/", "project-filters", "code"), ("/dashboard/", "dashboard-filters", "id")],
)
def test_kept_project_and_dashboard_filters_are_the_filter_forms(
    client, login, kept, path, part, value_of
):
    """The projects list's and the dashboard's filter fields: their choices kept per language
    and reference data's version (lists.kept_choices), the fields kept rendered (kept_form).
    Each is what the request renders afresh, shows its own selection, and offers a renamed
    theme under its new name at once."""
    from portal import web

    theme = db.session.scalars(db.select(Theme).order_by(Theme.id)).first()
    value = str(getattr(theme, value_of))
    login("coordinator")

    def filters_of(url: str) -> str:
        page = client.get(url).get_data(as_text=True)
        return page.split('class="filters"', 1)[1].split("<button", 1)[0]

    for lang in ("en", "sv", "uk"):
        for ask in ("", f"theme={value}&"):
            url = f"{path}?{ask}lang={lang}"
            web._kept_parts.clear()
            lists._kept_choices.clear()
            fresh = filters_of(url)
            assert filters_of(url) == fresh, url
            assert (f'<option selected value="{value}">' in fresh) is bool(ask), url
            assert f">{getattr(theme, 'name_' + lang)}</option>" in fresh, url
    assert any(key[0] == part for key in web._kept_parts._kept)
    assert f">{theme.name_en}</option>" in filters_of(f"{path}?lang=en")  # kept for English
    theme.name_en = "Harbours and piers"
    db.session.commit()
    lists.forget()  # as the admin's change does
    assert f'value="{value}">Harbours and piers</option>' in filters_of(f"{path}?lang=en")


# A session's CSRF token is signed with the second it was made in: two pages a moment apart
# may carry different ones.
_TOKEN = re.compile(r'(name="csrf[-_]token" (?:content|value)="|"X-CSRFToken": ")[^"]+')


def _untokened(page: str) -> str:
    return _TOKEN.sub(r"\1", page)


def _builds_of(form_class: type, monkeypatch) -> list[object]:
    """Every form of ``form_class`` built from now on, in order."""
    built: list[object] = []
    original = form_class.__init__

    def counted(form, *args, **kwargs):
        built.append(form)
        original(form, *args, **kwargs)

    monkeypatch.setattr(form_class, "__init__", counted)
    return built


def _titles(page: str) -> set[str]:
    return {title for title in ("Harbour cranes", "Tram depot roofs") if title in page}


def test_a_kept_query_builds_no_filter_form_and_filters_the_same(client, users, kept, monkeypatch):
    """A list's filters are read from a query once per form, language and reference data's
    version (postings.views.filter_form): asked again, neither the form nor its fields are
    built, and the list is filtered as the form read it the first time; in another language the
    form is built once more, for its fields' labels."""
    from portal.needs.forms import NeedFilterForm

    for title, priority in (("Harbour cranes", Priority.HIGH), ("Tram depot roofs", Priority.LOW)):
        factories.make_need(
            users["requester"],
            title=title,
            priority=priority,
            lang="en",
            visibility=Visibility.PUBLIC,
        )
    built = _builds_of(NeedFilterForm, monkeypatch)
    first = client.get("/needs/?priority=high&lang=en").get_data(as_text=True)
    assert len(built) == 1 and _titles(first) == {"Harbour cranes"}
    again = client.get("/needs/?priority=high&lang=en").get_data(as_text=True)
    assert len(built) == 1 and _untokened(again) == _untokened(first)
    # The htmx answer to the same filters needs no form at all.
    fragment = client.get("/needs/?priority=high&lang=en", headers={"HX-Request": "true"})
    assert len(built) == 1 and _titles(fragment.get_data(as_text=True)) == {"Harbour cranes"}
    # Another page of the same filters is the same form.
    client.get("/needs/?priority=high&lang=en&page=1")
    assert len(built) == 1
    swedish = client.get("/needs/?priority=high&lang=sv").get_data(as_text=True)
    assert len(built) == 2 and _titles(swedish) == {"Harbour cranes"}
    everything = client.get("/needs/?lang=en").get_data(as_text=True)
    assert len(built) == 3 and _titles(everything) == {"Harbour cranes", "Tram depot roofs"}


def test_kept_filters_follow_the_reference_data(app, client, users, kept):
    """An organisation's filter is read under the reference data's version: once an admin
    deactivates the organisation it is no longer a choice, and the same query lists every
    organisation's needs at once (it would still be filtered if the filters were kept by the
    query alone)."""
    from portal.reference.models import Organisation

    factories.make_need(
        users["requester"], title="Harbour cranes", lang="en", visibility=Visibility.PUBLIC
    )
    factories.make_need(
        users["other_requester"],
        title="Tram depot roofs",
        lang="en",
        visibility=Visibility.PUBLIC,
    )
    other = db.session.get(Organisation, users["other_requester"].organisation_id)
    url = f"/needs/?organisation={other.id}&lang=en"
    assert _titles(client.get(url).get_data(as_text=True)) == {"Tram depot roofs"}
    assert admin.deactivate_organisation(users["admin"], other)
    db.session.commit()
    assert _titles(client.get(url).get_data(as_text=True)) == {"Harbour cranes", "Tram depot roofs"}


def test_the_projects_filter_form_is_built_once_per_query_and_language(
    client, login, kept, monkeypatch
):
    """The projects list's filter fields, kept rendered, are found by the query that fills
    them (web.query_form): the form is built for a query's first visit in a language only, and
    its fields show the query's own selection."""
    from portal.projects.forms import ProjectFilterForm

    theme = db.session.scalars(db.select(Theme).order_by(Theme.id)).first()
    built = _builds_of(ProjectFilterForm, monkeypatch)
    login("coordinator")
    url = f"/projects/?theme={theme.code}&lang=en"
    first = client.get(url).get_data(as_text=True)
    assert len(built) == 1 and f'<option selected value="{theme.code}">' in first
    assert _untokened(client.get(url).get_data(as_text=True)) == _untokened(first)
    assert len(built) == 1
    assert client.get(f"{url}&page=1").status_code == 200 and len(built) == 1
    other = client.get("/projects/?lang=en").get_data(as_text=True)
    assert len(built) == 2 and f'<option selected value="{theme.code}">' not in other
    client.get(f"/projects/?theme={theme.code}&lang=uk")
    assert len(built) == 3


def test_the_dashboards_filters_are_read_once_per_query_and_language(
    client, login, kept, monkeypatch
):
    """The dashboard reads its filter form once per query, language and reference data's
    version: on a repeat visit the form is not built, and an unknown theme in the address is
    still ignored with its message, and still marked beside the field."""
    from portal.dashboard.forms import DashboardFilterForm

    built = _builds_of(DashboardFilterForm, monkeypatch)
    login("coordinator")
    unknown = "The theme in the address is unknown; showing all themes."
    first = client.get("/dashboard/?theme=999999&lang=en").get_data(as_text=True)
    assert len(built) == 1 and unknown in first
    again = client.get("/dashboard/?theme=999999&lang=en").get_data(as_text=True)
    assert len(built) == 1 and _untokened(again) == _untokened(first)
    plain = client.get("/dashboard/?lang=en").get_data(as_text=True)
    assert len(built) == 2 and unknown not in plain
