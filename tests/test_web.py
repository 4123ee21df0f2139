"""Light pages: compressed responses and versioned, long-cached static files."""

import re

import jinja2
from wtforms.fields import SelectChoice

from portal.core.kept import KeptChoices, frozen
from portal.web import PortalTemplate


def test_pages_are_compressed(client):
    response = client.get("/needs/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]


def test_static_urls_carry_a_content_hash_and_are_cached_for_a_year(client):
    body = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(/static/[^"?]+)\?v=([0-9a-f]{12})"', body)
    assert {"/static/css/portal.css", "/static/vendor/htmx-2.0.11.min.js"} <= {u for u, _ in urls}
    css = client.get("/static/css/portal.css")
    assert "max-age=31536000" in css.headers["Cache-Control"]


def test_no_resource_from_another_origin(client):
    body = client.get("/").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', body)


def test_nul_characters_are_dropped_from_queries_and_forms(client):
    response = client.get("/needs/?q=\x00leak\x00&status=\x00all")
    assert response.status_code == 200
    response = client.post(
        "/login", data={"email": "requester@kyiv.test\x00", "password": "x\x00" * 6}
    )
    assert response.status_code == 422
    assert "\x00" not in response.get_data(as_text=True)


def test_search_is_throttled_per_address(client):
    statuses = [client.get(f"/needs/?q=leak{i}").status_code for i in range(61)]
    assert statuses[:60] == [200] * 60
    limited = client.get("/offers/?q=leak")  # the limit covers every list together
    assert statuses[60] == 429 and limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert client.get("/needs/").status_code == 200  # browsing without a search term is free


def test_a_text_element_escapes_everything_it_writes(app):
    from flask_babel import force_locale

    from portal.content.models import ShownText, ShownVersion
    from portal.core.enums import Priority
    from portal.web import priority_badge, text_html

    hostile = '<script>alert("x")</script> & more'
    only_ukrainian = ShownText("uk", (ShownVersion("uk", hostile, False),))
    machine = ShownText("uk", (ShownVersion("uk", "x", False), ShownVersion("sv", hostile, True)))
    with app.test_request_context(), force_locale("sv"):
        fallback = str(text_html(only_ukrainian, "strong", class_='a"b'))
        assert fallback.startswith(
            '<strong lang="uk" class="a&#34;b">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; '
            "&amp; more</strong> "
        )
        assert '<small class="original-marker">(' in fallback
        assert "<script>" not in fallback
        translated = str(text_html(machine))
        assert translated.startswith('<span lang="sv">&lt;script&gt;')
        assert '<small class="machine-marker" lang="sv">(' in translated
        assert "<script>" not in translated
        badge = str(priority_badge(Priority.HIGH))
        assert badge.startswith('<span class="badge badge-high"><span class="visually-hidden">')


# ---------------------------------------------------------------- imported macros (PortalTemplate)


def _macro_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        autoescape=True,
        loader=jinja2.DictLoader({"m.html": "{% macro greet() %}[{{ extra }}]{% endmacro %}"}),
    )
    env.template_class = PortalTemplate
    return env


def test_an_imported_template_is_rendered_once_and_kept():
    env = _macro_environment()
    importer = env.from_string('{% from "m.html" import greet %}{{ greet() }}')
    assert importer.render() == "[]"
    kept = env.get_template("m.html")._module
    assert kept is not None
    assert importer.render() == "[]"
    assert env.get_template("m.html")._module is kept


def test_an_importer_with_globals_of_its_own_lends_them_to_the_imported_macros():
    env = _macro_environment()
    plain = env.from_string('{% from "m.html" import greet %}{{ greet() }}')
    assert plain.render() == "[]"  # the kept module, made without "extra"
    lending = env.from_string(
        '{% from "m.html" import greet %}{{ greet() }}', globals={"extra": "lent"}
    )
    assert lending.render() == "[lent]"
    assert plain.render() == "[]"


def test_the_portal_loads_its_templates_as_portal_templates(app):
    assert isinstance(app.jinja_env.get_template("base.html"), PortalTemplate)


def test_kept_choices_are_frozen_as_the_same_choices_in_a_list():
    choices = [SelectChoice("", "Any"), SelectChoice("7", "Energy", render_kw={"lang": "en"})]
    kept = KeptChoices(choices)
    assert list(kept) == choices
    assert frozen(kept) == frozen(choices)
    renamed = KeptChoices([choices[0], SelectChoice("7", "Energy supply")])
    assert frozen(renamed) != frozen(kept)


def test_a_kept_pieces_reader_is_asked_again_when_the_time_zone_changes(app):
    from flask import g
    from pytz import timezone

    from portal import web

    with app.test_request_context("/needs/?lang=sv"):
        assert web._reader()[:2] == ("sv", "Europe/Stockholm")
        g._flask_babel.babel_tzinfo = timezone("Europe/Kyiv")
        assert web._reader()[:2] == ("sv", "Europe/Kyiv")
        assert web._reader_key("needs", 1) == ("needs", "sv", "Europe/Kyiv", "", 1)


def test_a_select_field_with_kept_choices_accepts_exactly_their_values(app):
    from werkzeug.datastructures import MultiDict
    from wtforms import Form

    from portal.core.forms import SelectField

    class Filters(Form):
        theme = SelectField(coerce=int)

    kept = KeptChoices([SelectChoice(1, "Energy"), SelectChoice(7, "Water")])
    for value, valid in (("7", True), ("1", True), ("8", False), ("x", False)):
        with app.test_request_context():
            form = Filters(MultiDict({"theme": value}))
            form.theme.choices = kept
            assert form.validate() is valid, value
            listed = Filters(MultiDict({"theme": value}))
            listed.theme.choices = list(kept)  # wtforms' own check: the same answers
            assert listed.validate() is valid, value
    assert kept.accepted(int) == frozenset({1, 7})


def test_the_portal_asks_once_whether_a_function_is_a_coroutine(app, client, monkeypatch):
    """Flask asks whether each view, hook and context processor is a coroutine function on
    every request; the portal's app keeps the answer per function."""
    import flask.app

    asked: list[object] = []
    original = flask.app.iscoroutinefunction

    def counted(func):
        asked.append(func)
        return original(func)

    monkeypatch.setattr(flask.app, "iscoroutinefunction", counted)
    assert client.get("/needs/").status_code == 200
    first = len(asked)
    assert first > 0
    assert client.get("/needs/").status_code == 200
    assert len(asked) == first


def test_the_language_links_are_kept_per_address_and_are_the_addresses_own(app, client):
    """A page's links to itself in the other languages are kept rendered per address (endpoint,
    path values, query): a kept rendering is the one rendered afresh, and another query or
    record gets links of its own."""
    import re

    from portal import web

    def links(path: str) -> list[str]:
        page = client.get(path).get_data(as_text=True)
        nav = page.split('class="languages"', 1)[1].split("</nav>", 1)[0]
        return re.findall(r'href="([^"]+)"', nav)

    for path in ("/needs/?theme=2&lang=sv", "/offers/?q=pumps&lang=uk", "/needs/?lang=en", "/"):
        web._kept_by_address.clear()
        fresh = links(path)
        assert links(path) == fresh, path
    assert len(web._kept_by_address) == 1
    filtered = links("/needs/?theme=2")
    assert all("theme=2" in href for href in filtered) and len(filtered) == 3
    assert not any("theme=" in href for href in links("/needs/?priority=high"))
    page = client.get("/needs/?lang=uk").get_data(as_text=True)
    nav = page.split('class="languages"', 1)[1].split("</nav>", 1)[0]
    assert re.search(r'hreflang="uk"\s*aria-current="true"', nav)
    assert not re.search(r'hreflang="en"\s*aria-current="true"', nav)
