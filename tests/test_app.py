"""The app factory, configuration, health check and sign-in."""

import pytest
from flask import Flask, url_for
from sqlalchemy import text

from portal import create_app
from portal.config import ConfigurationError
from portal.extensions import db


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        create_app("production")


def test_production_starts_with_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DEMO_ALLOWED"] is False


def test_development_generates_and_keeps_a_secret_key(tmp_path, monkeypatch):
    from portal.config import DevelopmentConfig

    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = DevelopmentConfig(tmp_path).SECRET_KEY
    second = DevelopmentConfig(tmp_path).SECRET_KEY
    assert first == second and len(first) > 40


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "error"}


def test_reference_data_present(app):
    assert db.session.execute(text("SELECT count(*) FROM districts")).scalar() == 10
    assert db.session.execute(text("SELECT count(*) FROM cities")).scalar() == 2


def test_login_and_logout(client):
    response = client.post(
        "/login", data={"email": "Requester@Kyiv.test", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/profile").status_code == 302


def test_login_wrong_password_shows_error_and_keeps_email(client):
    response = client.post("/login", data={"email": "requester@kyiv.test", "password": "nope"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "requester@kyiv.test" in body
    assert "not correct" in body


def test_unknown_email_gets_the_same_answer_as_wrong_password(client):
    a = client.post("/login", data={"email": "nobody@kyiv.test", "password": "x" * 12})
    b = client.post("/login", data={"email": "requester@kyiv.test", "password": "x" * 12})
    assert a.status_code == b.status_code == 422
    assert "not correct" in a.get_data(as_text=True)
    assert "not correct" in b.get_data(as_text=True)


def test_login_redirect_only_within_the_portal(client):
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": "requester@kyiv.test", "password": "correct horse battery staple"},
    )
    assert response.headers["Location"] == "/"


def test_post_without_csrf_token_is_refused(client):
    response = client.post(
        "/login",
        data={"email": "requester@kyiv.test", "password": "correct horse battery staple"},
        csrf=False,
    )
    assert response.status_code == 400


# ---------------------------------------------------------------- built once per process


def _routes(**options) -> Flask:
    from portal.core.http import PortalRule

    routes = Flask(__name__)
    routes.url_rule_class = PortalRule
    routes.config["SERVER_NAME"] = "portal.example.org"

    def view(**values):
        return ""

    routes.add_url_rule("/needs/<int:need_id>", "need", view)
    routes.add_url_rule("/needs/<int:need_id>", "need_abroad", view, subdomain="kyiv")
    routes.add_url_rule("/list/", "list", view, defaults={"page": 1})
    routes.add_url_rule("/list/<int:page>", "list", view)
    return routes


def test_apps_of_one_process_share_url_builders_and_build_their_own_urls():
    first, second = _routes(), _routes()
    for routes in (first, second):
        with routes.test_request_context():
            assert url_for("need", need_id=7) == "/needs/7"
            assert url_for("need", need_id=7, lang="uk") == "/needs/7?lang=uk"
            assert url_for("need_abroad", need_id=7) == "http://kyiv.portal.example.org/needs/7"
            assert url_for("list") == "/list/"
            assert url_for("list", page=3) == "/list/3"
    need, other = (routes.url_map._rules_by_endpoint["need"][0] for routes in (first, second))
    assert need._build_unknown.__func__ is other._build_unknown.__func__
    assert need is not other


def test_apps_of_one_process_compile_each_template_once(monkeypatch):
    import jinja2

    from portal.web import PROCESS_BYTECODE

    compiled: list[str | None] = []
    compile_template = jinja2.Environment.compile

    def counting(env, source, name=None, *args, **kwargs):
        compiled.append(name)
        return compile_template(env, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    monkeypatch.setattr(PROCESS_BYTECODE, "kept", {})
    kept = []
    for _ in range(2):
        portal = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        kept.append(portal.jinja_env.get_template("errors/error.html"))
    assert compiled.count("errors/error.html") == 1
    assert kept[0] is not kept[1]
    assert list(kept[0].blocks) == list(kept[1].blocks) and "content" in kept[0].blocks

    # What a template compiles to depends on the environment's settings: another setting,
    # another compilation.
    other = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    other.jinja_env.trim_blocks = False
    other.jinja_env.get_template("errors/error.html")
    assert compiled.count("errors/error.html") == 2


def test_an_app_with_limits_off_leaves_the_next_app_its_limits(database_url):
    """Flask-Limiter has one extension object per process: an app that turns limits off (the
    browser tests' live server) must not leave the next app of the process without them."""
    from portal.extensions import limiter

    create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False}
    )
    assert limiter.enabled is False
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
    assert limiter.enabled is True
    with app.app_context():
        searched = app.test_client().get("/needs/?q=pumps")
        assert searched.status_code == 200
        assert "X-RateLimit-Limit" in searched.headers  # searches are limited per address
        db.session.remove()
