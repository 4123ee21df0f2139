"""Errors of the API as problem details (RFC 9457, ``application/problem+json``), never a page.

``is_api_request`` tells the portal's own error handlers (``portal.errors``) that a URL under
``/api/`` which matched no route still answers JSON.
"""

from __future__ import annotations

import logging

from flask import Response, json, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
# The one page under the prefix: a portal page for people, with the portal's session.
DOCS_ENDPOINT = "api.v1.docs"


def is_api_request() -> bool:
    """A machine request to the API (everything under /api/ except the page for people)."""
    return request.path.startswith(API_PREFIX) and request.endpoint != DOCS_ENDPOINT


def _details() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please try again."),
        401: _("The API token is not valid, or it was revoked."),
        403: _("You do not have permission to do this."),
        404: _("There is nothing here, or you may not see it."),
        405: _("The API only reads: use GET."),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("The portal could not complete the request."),
        503: _("The portal cannot reach its database right now. Please try again shortly."),
    }


def problem(status: int, detail: str | None = None) -> Response:
    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail or _details().get(status) or _details()[500],
    }
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    description = getattr(error, "api_detail", None)
    response = problem(status, description)
    original = error.get_response()
    for header in ("Retry-After", "Allow"):
        if header in original.headers:
            response.headers[header] = original.headers[header]
    return response
