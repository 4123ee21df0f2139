"""Found by `make loadtest` with a database outage: a form refused for its CSRF token (its page
had been a 503, so the form had none) rendered its 400 page as the signed-in user, which asks
the database; and a write cut off mid-transaction rendered its 503 page with the signed-in
user's row expired by the rollback, which asks the database again. Both were 500s. Error pages
now fall back to a visitor's page when the database cannot say who is signed in."""

from __future__ import annotations

import socket

from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.extensions import db
from tests.conftest import PortalClient


def _dead_postgres_app():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{port}/nowhere",
        }
    )
    app.test_client_class = PortalClient
    return app


def test_a_refused_form_during_an_outage_is_a_400_not_a_500():
    app = _dead_postgres_app()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"
        session["_fresh"] = True
    with app.app_context():
        response = client.post("/needs/new", data={"title": "x"}, csrf=False)
        assert response.status_code == 400
        body = response.get_data(as_text=True)
        assert 'role="alert"' in body and '<html lang="en"' in body
        htmx = client.post("/needs/new", data={}, csrf=False, headers={"HX-Request": "true"})
        assert htmx.status_code == 400
        db.engine.dispose()


def test_a_visitor_s_refused_form_during_an_outage_is_a_400_too():
    app = _dead_postgres_app()
    client = app.test_client()
    with app.app_context():
        assert client.post("/language", data={"lang": "sv"}, csrf=False).status_code == 400
        db.engine.dispose()


def test_a_request_cut_off_by_the_outage_is_a_503_not_a_500(app, client, login):
    """The database goes away in the middle of a signed-in user's request: their row, loaded
    before, is expired by the rollback, and the 503 page must not ask for it again."""
    down: list[bool] = []

    def refuse(conn, cursor, statement, parameters, context, executemany):
        if down:
            raise OperationalError(statement, parameters, Exception("server closed the connection"))

    @app.route("/_cut_off")
    def cut_off():
        down.append(True)
        db.session.execute(text("SELECT 1"))
        return "not reached"

    login("requester")
    event.listen(db.engine, "before_cursor_execute", refuse)
    try:
        response = client.get("/_cut_off")
    finally:
        event.remove(db.engine, "before_cursor_execute", refuse)
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.get_data(as_text=True)


def test_the_database_going_away_after_the_commit_costs_no_query_and_no_500(app, client, login):
    """Found by the outage load test in CI: the database went away between a page's commit and
    its response headers, and the header hook reloaded the signed-in user's row (expired by the
    commit) to decide on ``Cache-Control`` — a 500. The headers now ask the session only."""
    down: list[bool] = []

    def refuse(conn, cursor, statement, parameters, context, executemany):
        if down:
            raise OperationalError(statement, parameters, Exception("server closed the connection"))

    @app.route("/_page_then_outage")
    def page_then_outage():
        from flask_login import current_user

        assert current_user.is_authenticated  # the row is loaded, as on every signed-in page
        db.session.commit()  # the request's commit expires it
        down.append(True)
        return "the page"

    login("requester")
    event.listen(db.engine, "before_cursor_execute", refuse)
    try:
        response = client.get("/_page_then_outage")
    finally:
        event.remove(db.engine, "before_cursor_execute", refuse)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "the page"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_database_error_raised_by_a_response_hook_is_a_503(app, client):
    """Whatever hook meets the outage after the view, the answer is the outage page."""

    @app.route("/_hook_meets_outage")
    def hook_meets_outage():
        return "the page"

    @app.after_request
    def meets_outage(response):
        if response.get_data(as_text=True) == "the page":
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return response

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: Flask answers, not the test
    response = client.get("/_hook_meets_outage")
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.get_data(as_text=True)
