"""Schemathesis against the live API (the WSGI app): no 500, and every answer matches the
OpenAPI document, for anonymous callers and with a coordinator's token. Bounded examples."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.api import services
from portal.extensions import db
from tests.test_visibility_crawl import _seed_restricted

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_endpoint_matches_its_document(app, users):
    app.config["API_ADDRESS_RATE_LIMIT"] = "100000 per minute"
    app.config["API_TOKEN_RATE_LIMIT"] = "100000 per minute"
    _seed_restricted(users)
    _token, secret = services.create_token(users["coordinator"], "schemathesis")
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for auth in ({}, {"Authorization": f"Bearer {secret}"}):
            strategy = operation.as_strategy()

            @given(case=strategy)
            @settings(
                max_examples=12,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def run(case):
                # The WSGI call does not undo Flask-Compress's encoding: ask for none.
                response = case.call(headers={**run.auth, "Accept-Encoding": "identity"})
                case.validate_response(response, checks=CHECKS)

            run.auth = auth
            run()
    assert operations >= 12
