"""Errors are generic, translated pages without tracebacks; logs hold no secrets."""

from __future__ import annotations

import logging
import re

import pyotp

from portal.extensions import db
from portal.mail.models import OutboxMessage
from tests.conftest import PASSWORD, TOTP_SECRET


def test_unexpected_error_is_a_generic_translated_page(app, client):
    def broken():
        raise RuntimeError("secret internals: connection string postgres://user:pw@db")

    app.add_url_rule("/broken-for-test", view_func=broken)
    response = client.get("/broken-for-test?lang=sv")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in body and "secret internals" not in body
    assert 'lang="sv"' in body


def test_not_found_page_in_ukrainian(client):
    response = client.get("/no-such-page?lang=uk")
    assert response.status_code == 404
    assert 'lang="uk"' in response.get_data(as_text=True)


def test_debug_is_off_unless_asked(app):
    assert app.debug is False


def test_logs_hold_no_passwords_codes_or_tokens(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "my wrong secret passphrase"
    client.post("/login", data={"email": "requester@kyiv.test", "password": wrong})
    client.login("requester@kyiv.test")
    client.logout()
    client.post("/login", data={"email": "coordinator@stockholm.test", "password": PASSWORD})
    code = pyotp.TOTP(TOTP_SECRET).now()
    client.post("/login/verify", data={"code": code})
    client.logout()
    client.post("/password/forgot", data={"email": "requester@kyiv.test"})
    body = db.session.scalar(db.select(OutboxMessage.body))
    token = re.search(r"/password/reset/(\S+)", body).group(1)
    logged = caplog.text
    assert "requester@kyiv.test" in logged  # the mail was logged: the check below has teeth
    for secret in (wrong, PASSWORD, code, token, TOTP_SECRET):
        assert secret not in logged
