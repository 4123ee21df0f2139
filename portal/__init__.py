"""The Stockholm–Kyiv cooperation portal.

``create_app`` registers, in turn: configuration, extensions, the locale and user loaders,
blueprints, error handlers, response headers and CLI commands.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask

from portal.config import config_from_name
from portal.core.http import PortalFlask
from portal.core.limits import search_limit
from portal.extensions import (
    babel,
    cache,
    compress,
    csrf,
    db,
    htmx,
    limiter,
    login_manager,
    migrate,
)

# Each domain package has a views.py defining ``bp``.
BLUEPRINT_PACKAGES = (
    "main",
    "accounts",
    "needs",
    "offers",
    "matching",
    "projects",
    "agreements",
    "dashboard",
    "content",
    "audit",
    "admin",
    "mail",
    "api",
    "reports",
    "exports",
    "notifications",
    "comments",
    "documents",
)


def create_app(config: str | dict[str, Any] | None = None) -> Flask:
    """Build the portal. ``config`` is a config name or a dict of overrides for testing."""
    app = PortalFlask(__name__, instance_relative_config=True)
    overrides: dict[str, Any] = {}
    name: str | None = None
    if isinstance(config, dict):
        overrides = dict(config)
        name = overrides.pop("ENV_NAME", None)
    else:
        name = config
    config_class = config_from_name(name)
    app.config.from_object(config_class(Path(app.instance_path), overrides))

    from portal.core.http import register_converters, register_transaction_boundary

    register_extensions(app)
    register_converters(app)  # before the blueprints add their routes
    register_blueprints(app)

    from portal.errors import register_error_handlers
    from portal.web import (
        register_request_hooks,
        register_static_versions,
        register_template_helpers,
    )

    register_error_handlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_static_versions(app)

    from portal.jobs import init_jobs
    from portal.translation import drafts  # noqa: F401  (requests drafts after each save)

    init_jobs(app)
    from portal.notifications.schedule import init_schedule

    init_schedule(app)
    # Registered last, so it runs first after a view: a response it replaces (a commit that
    # failed) still gets every header the hooks above add.
    register_transaction_boundary(app)

    from portal.cli import register_cli

    register_cli(app)
    if app.config.get("TRUST_PROXY"):
        # Behind nginx or a load balancer: take the client's address and scheme (https, so
        # HSTS and secure cookies) from that many X-Forwarded-* hops, and no more.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUST_PROXY"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    return app


def register_extensions(app: Flask) -> None:
    from portal import models  # noqa: F401  (the whole schema, for Alembic)
    from portal.core.i18n import install_fast_gettext, select_locale, select_timezone

    db.init_app(app)
    from portal.core.statements import keep_long_queries_converted

    keep_long_queries_converted()
    migrate.init_app(
        app,
        db,
        directory=str(Path(app.root_path).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    cache.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(Path(app.root_path).parent / "translations"),
    )
    install_fast_gettext(app)
    login_manager.init_app(app)
    from portal.accounts.services import load_user_from_session

    login_manager.user_loader(load_user_from_session)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"


# The lists whose search is limited per address (``core.limits.search_limit``).
SEARCHABLE = ("needs", "offers", "projects", "matching", "audit", "admin", "content", "exports")


def register_blueprints(app: Flask) -> None:
    for package in BLUEPRINT_PACKAGES:
        module = importlib.import_module(f"portal.{package}.views")
        if package in SEARCHABLE and not getattr(module.bp, "_search_limited", False):
            search_limit(module.bp)
            module.bp._search_limited = True  # the blueprint outlives one app (tests)
        app.register_blueprint(module.bp)
