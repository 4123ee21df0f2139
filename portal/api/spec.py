"""The OpenAPI 3.1 document of the read API, made from the code: the routes ``portal.api.views``
registers (``ENDPOINTS``) and the marshmallow schemas that also write the responses.

apispec with its marshmallow plugin: the schemas are already what turns records into JSON, so
the document is generated from the very classes that produce the answers. (flask-smorest would
bring its own error handlers for the whole app and page-number pagination; spectree wants
pydantic models beside the SQLAlchemy ones.)
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

from portal.api import schemas

PROBLEM = {"application/problem+json": {"schema": "ProblemSchema"}}
_ID = re.compile(r"<int:(\w+)>")


def _responses(endpoint: Any) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": endpoint.response}},
        },
        "400": {"description": "The query is not valid.", "content": PROBLEM},
        "401": {"description": "The API token is not valid or was revoked.", "content": PROBLEM},
        "404": {
            "description": "Nothing here, or the caller may not see it.",
            "content": PROBLEM,
        },
        "429": {"description": "Too many requests.", "content": PROBLEM},
    }
    return responses


def build() -> dict[str, Any]:
    from portal.api.views import ENDPOINTS

    spec = APISpec(
        title="Stockholm–Kyiv cooperation portal: read API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "Read-only. Anonymous callers see public records; a personal API token "
                "(Authorization: Bearer …, made on the profile page) sees what its owner may "
                "see. Lists use cursor pagination: pass next_cursor as cursor."
            )
        },
        servers=[{"url": "/api/v1"}],
    )
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    spec.components.schema("ProblemSchema", schema=schemas.ProblemSchema)
    for endpoint in ENDPOINTS:
        parameters: list[dict[str, Any]] = []
        for name in _ID.findall(endpoint.rule):
            parameters.append(
                {
                    "in": "path",
                    "name": name,
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
                }
            )
        parameters.extend(endpoint.params)
        if endpoint.paged:
            parameters.append({"in": "query", "schema": schemas.PageArgs})
        # The document is in English whatever the caller's language: the msgid itself (the
        # page for people says it in three languages).
        summary = getattr(endpoint.summary, "_args", (str(endpoint.summary),))[0]
        spec.path(
            path=_ID.sub(r"{\1}", endpoint.rule),
            operations={
                "get": {
                    "operationId": endpoint.name,
                    "summary": summary,
                    "tags": [endpoint.tag],
                    "parameters": parameters,
                    "security": [{}, {"token": []}],
                    "responses": _responses(endpoint),
                }
            },
        )
    return spec.to_dict()


def openapi_document() -> dict[str, Any]:
    """Built once per application: the routes do not change while it runs."""
    cached = current_app.extensions.get("portal_openapi")
    if cached is None:
        cached = current_app.extensions["portal_openapi"] = build()
    return cached
