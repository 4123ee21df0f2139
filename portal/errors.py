"""Translated error pages; htmx requests get the message as a fragment."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, g, make_response, render_template
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from portal.agreements.models import AgreementExpired
from portal.api.errors import http_problem, is_api_request, problem
from portal.core.transitions import IllegalTransition
from portal.extensions import db, htmx, login_manager

log = logging.getLogger(__name__)


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Please try again.")),
        403: (_("Not allowed"), _("You do not have permission to do this.")),
        404: (_("Page not found"), _("There is no page here, or you may not see it.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        409: (
            _("Conflict"),
            _("The record changed or is in a state that does not allow this. Nothing was saved."),
        ),
        413: (_("Too large"), _("What you sent is too large.")),
        429: (_("Too many requests"), _("Please wait a moment and try again.")),
        500: (_("Something went wrong"), _("The portal could not complete the request.")),
        503: (
            _("Temporarily unavailable"),
            _("The portal cannot reach its database right now. Please try again shortly."),
        ),
    }


def _viewer_or_visitor() -> None:
    """Error pages show who is signed in, which asks the database. When it cannot answer (it
    is down: a form refused for its CSRF token during an outage), the page is shown as to a
    visitor instead of failing a second time with a 500."""
    try:
        user = current_user._get_current_object()
        if user.is_authenticated:
            # After a rollback the user's row is expired: reading it asks the database again.
            user.is_active  # noqa: B018
    except SQLAlchemyError:
        with contextlib.suppress(Exception):
            db.session.rollback()
        g._login_user = login_manager.anonymous_user()


def render_error(code: int, message: str | None = None):
    _viewer_or_visitor()
    title, default_message = _titles().get(code, _titles()[500])
    if htmx:
        # An htmx action that fails shows its message in the page's live region instead of
        # replacing the part of the page it came from.
        body = render_template(
            "errors/_error.html", code=code, title=title, message=message or default_message
        )
        return body, code, {"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"}
    return render_template(
        "errors/error.html", code=code, title=title, message=message or default_message
    ), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, InternalServerError) and isinstance(
            error.original_exception, (OperationalError, PoolTimeout)
        ):
            # Raised after the view (by a response hook), where Flask no longer looks for the
            # exception's own handler: the database went away, which is a 503, not a fault.
            return database_down(error.original_exception)
        if is_api_request():  # a URL under /api/ that matched no route: JSON, not a page
            return http_problem(error)
        code = error.code or 500
        response = make_response(render_error(code))
        retry_after = error.get_response().headers.get("Retry-After")
        if code == 429 and retry_after:
            response.headers["Retry-After"] = retry_after
        return response

    @app.errorhandler(SecurityError)
    def foreign_host(error: SecurityError):
        # A Host outside TRUSTED_HOSTS (config.py): no URL of the portal can be built for it,
        # so no page either; a plain answer, as for any malformed request.
        return "Bad Request: unknown host", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        _viewer_or_visitor()  # before the message is translated: the locale may ask for the user
        return render_error(
            400, _("The form had expired or was not sent from the portal. Please try again.")
        )

    @app.errorhandler(IllegalTransition)
    def illegal_transition(error: IllegalTransition):
        db.session.rollback()
        return render_error(409, error.message)

    @app.errorhandler(AgreementExpired)
    def agreement_expired(error: AgreementExpired):
        db.session.rollback()
        return render_error(409, str(error))

    @app.errorhandler(StaleDataError)
    def stale(error: StaleDataError):
        db.session.rollback()
        return render_error(
            409, _("Someone else changed this record while you were editing. Nothing was saved.")
        )

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)  # every pooled connection busy for longer than pool_timeout
    def database_down(error: Exception):
        with contextlib.suppress(Exception):  # the database is what is failing
            db.session.rollback()
        log.error("database error: %s", error.__class__.__name__)
        # The page must not ask the unreachable database who is signed in (nor refresh the
        # signed-in user's row, expired by the rollback).
        g._login_user = login_manager.anonymous_user()
        return render_error(503)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error")
        db.session.rollback()
        if is_api_request():
            return problem(500)
        return render_error(500)
