"""The open read API under ``/api/v1/`` and the profile's API tokens.

Two blueprints: ``api`` (the profile's token routes, and the parent) and ``api.v1`` (the JSON
endpoints, the OpenAPI document and the page that lists them). An API request never uses the
portal's session: before any other hook runs, the caller is set to the token's owner or to an
anonymous visitor (``authenticate_request``), and the session interface writes no cookie for
it. Every list goes through the domain's own query builder and filter parsing, which apply the
models' ``visible_to``; every record through ``load_visible_or_404``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from marshmallow import EXCLUDE, Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import BadRequest, HTTPException, Unauthorized

from portal.agreements.services import find_default_agreement
from portal.api import schemas, services
from portal.api.errors import http_problem, is_api_request, problem
from portal.api.models import ApiToken
from portal.api.paging import BadCursor, Keyset, keyset_page
from portal.core.enums import HelpKind, NeedStatus, OfferStatus, Priority, ProjectStatus
from portal.core.http import PortalSessionInterface, actor, load_visible_or_404
from portal.extensions import db, limiter, login_manager
from portal.needs import services as needs
from portal.needs.forms import NeedFilterForm
from portal.needs.models import Need
from portal.offers import services as offers
from portal.offers.forms import OfferFilterForm
from portal.offers.models import Offer
from portal.projects.models import Milestone, Project
from portal.projects.queries import LIST_OPTIONS, ProjectFilters, projects_query
from portal.reference.models import District, Organisation, Theme

bp = Blueprint("api", __name__, template_folder="templates")
v1 = Blueprint("v1", __name__, url_prefix="/api/v1")


# ---------------------------------------------------------------- who is calling


def authenticate_request() -> None:
    """Runs first of all hooks on an API request: the caller is the bearer token's owner or an
    anonymous visitor, never the session's user (no cookie authenticates an API request, so
    no CSRF token is needed). A token that does not work is refused after the rate limits have
    counted the attempt (``act_as_token_owner``)."""
    if not is_api_request():
        return
    g._login_user = login_manager.anonymous_user()
    g.api_token = None
    g.api_token_refused = False
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _space, secret = header.strip().partition(" ")
    token = services.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        g.api_token_refused = True
        return
    # The owner becomes the caller only once the portal's own hooks have run
    # (``act_as_token_owner``): those keep a browser session's clock, which a token has not.
    g.api_token = token


class ApiAwareSessionInterface(PortalSessionInterface):
    """The portal's signed-cookie session, which never sets a cookie on an API response."""

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if is_api_request():
            return None
        return super().save_session(app, session, response)


@bp.record_once
def _install(state: Any) -> None:
    app = state.app
    app.before_request_funcs.setdefault(None, []).insert(0, authenticate_request)
    app.session_interface = ApiAwareSessionInterface()


def _token_key() -> str:
    token = g.get("api_token")
    return f"api-token:{token.id}" if token is not None else get_remote_address()


def _token_limit() -> str:
    return str(current_app.config.get("API_TOKEN_RATE_LIMIT", "600 per minute"))


def _address_limit() -> str:
    return str(current_app.config.get("API_ADDRESS_RATE_LIMIT", "120 per minute"))


# A token's owner is limited per token; everyone else (and every bad token) per address.
limiter.limit(_token_limit, key_func=_token_key, exempt_when=lambda: g.get("api_token") is None)(v1)
limiter.limit(
    _address_limit,
    key_func=get_remote_address,
    exempt_when=lambda: g.get("api_token") is not None,
)(v1)


@v1.before_request
def act_as_token_owner() -> None:
    if g.get("api_token_refused"):
        raise Unauthorized()
    token = g.get("api_token")
    if token is not None:
        g._login_user = token.user


@v1.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    if not is_api_request():
        raise error  # the page for people: the portal's own error page
    return http_problem(error)


@v1.errorhandler(OperationalError)
@v1.errorhandler(PoolTimeout)
def _database_down(error: Exception) -> Response:
    db.session.rollback()
    return problem(503)


@v1.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    current_app.logger.exception("unhandled API error")
    db.session.rollback()
    return problem(500)


@v1.after_request
def _api_headers(response: Response) -> Response:
    if is_api_request():
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# ---------------------------------------------------------------- the endpoints, described


@dataclass
class Endpoint:
    """One GET endpoint: its route, what the page for people says about it and what the
    OpenAPI document says (``portal.api.spec``)."""

    rule: str
    name: str
    summary: LazyString
    response: type[Schema]
    tag: str
    params: list[dict[str, Any]] = field(default_factory=list)
    paged: bool = False
    has_id: bool = False


ENDPOINTS: list[Endpoint] = []


def api_route(
    rule: str,
    summary: LazyString,
    response: type[Schema],
    tag: str,
    params: list[dict[str, Any]] | None = None,
    paged: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        v1.add_url_rule(rule, view.__name__, view, methods=["GET"])
        ENDPOINTS.append(
            Endpoint(
                rule,
                view.__name__,
                summary,
                response,
                tag,
                params or [],
                paged,
                "<int:" in rule,
            )
        )
        return view

    return register


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "in": "query",
        "name": name,
        "required": False,
        "schema": schema,
        "description": description,
    }


def _enum_param(name: str, values: list[str], description: str) -> dict[str, Any]:
    return _query(name, {"type": "string", "enum": values}, description)


ID_PARAM = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
SEARCH = _query("q", {"type": "string", "maxLength": 200}, "Words in any language version.")
NEED_PARAMS = [
    SEARCH,
    _query("theme", ID_PARAM, "Theme id."),
    _enum_param(
        "status",
        ["live", "all", *(s.value for s in NeedStatus)],
        "live (open, matched or in project; the default), all, or one status.",
    ),
    _enum_param("priority", [p.value for p in Priority], "Priority."),
    _enum_param("help_kind", [k.value for k in HelpKind], "Kind of help."),
    _query("district", ID_PARAM, "District id."),
    _query("organisation", ID_PARAM, "Requesting organisation id."),
]
OFFER_PARAMS = [
    SEARCH,
    _query("theme", ID_PARAM, "Theme id."),
    _enum_param(
        "status", ["all", *(s.value for s in OfferStatus)], "One status, or all; open by default."
    ),
    _enum_param("help_kind", [k.value for k in HelpKind], "Kind of help."),
    _query("organisation", ID_PARAM, "Offering organisation id."),
]
PROJECT_PARAMS = [
    SEARCH,
    _query("theme", {"type": "string", "maxLength": 40}, "Theme code."),
    _enum_param("status", [s.value for s in ProjectStatus], "Status."),
    _query("district", {"type": "string", "maxLength": 24}, "District code (KATOTTH)."),
]
MILESTONE_PARAMS = [_query("project", ID_PARAM, "Only this project's milestones.")]


def _page_args() -> dict[str, Any]:
    try:
        return schemas.PageArgs(unknown=EXCLUDE).load(request.args)
    except ValidationError as error:
        exception = BadRequest()
        exception.api_detail = _("Check the query: %(fields)s.", fields=", ".join(error.messages))  # type: ignore[attr-defined]
        raise exception from error


def _paged(stmt: Any, keyset: Keyset, item: type[Schema]) -> Response:
    args = _page_args()
    try:
        page = keyset_page(stmt, keyset, args["cursor"], args["limit"])
    except BadCursor as error:
        exception = BadRequest()
        exception.api_detail = _("The cursor is not valid. Start again from the first page.")  # type: ignore[attr-defined]
        raise exception from error
    next_url = None
    if page.next_cursor:
        query: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
        query["cursor"] = page.next_cursor
        next_url = url_for(request.endpoint or "", **query)
    return jsonify(
        items=item(many=True).dump(page.items), next_cursor=page.next_cursor, next=next_url
    )


def _one(record: Any, item: type[Schema]) -> Response:
    return jsonify(item().dump(record))


TEXTS = ("title", "description")


def _with_texts(model: Any, names: tuple[str, ...] = TEXTS) -> list[Any]:
    # Every language version of each text: one query per text column (versions are selectin).
    return [selectinload(getattr(model, name)) for name in names]


# ---------------------------------------------------------------- needs and offers


NEEDS = Keyset("needs", Need.created_at, Need.id)


@api_route(
    "/needs",
    _l("Needs you may see, newest first, filtered as on the list of needs."),
    schemas.page_of(schemas.NeedSchema),
    "needs",
    NEED_PARAMS,
    paged=True,
)
def list_needs() -> Response:
    filters = NeedFilterForm(formdata=request.args).filters()
    filters.sort = "newest"
    stmt = needs.needs_query(current_user, filters).options(*_with_texts(Need, ("description",)))
    return _paged(stmt, NEEDS, schemas.NeedSchema)


@api_route("/needs/<int:need_id>", _l("One need."), schemas.NeedSchema, "needs")
def get_need(need_id: int) -> Response:
    return _one(load_visible_or_404(Need, need_id), schemas.NeedSchema)


OFFERS = Keyset("offers", Offer.created_at, Offer.id)


@api_route(
    "/offers",
    _l("Offers you may see, newest first, filtered as on the list of offers."),
    schemas.page_of(schemas.OfferSchema),
    "offers",
    OFFER_PARAMS,
    paged=True,
)
def list_offers() -> Response:
    filters = OfferFilterForm(formdata=request.args).filters()
    filters.sort = "newest"
    stmt = offers.offers_query(current_user, filters).options(*_with_texts(Offer, ("description",)))
    return _paged(stmt, OFFERS, schemas.OfferSchema)


@api_route("/offers/<int:offer_id>", _l("One offer."), schemas.OfferSchema, "offers")
def get_offer(offer_id: int) -> Response:
    return _one(load_visible_or_404(Offer, offer_id), schemas.OfferSchema)


# ---------------------------------------------------------------- projects and milestones


PROJECTS = Keyset("projects", Project.created_at, Project.id)


@api_route(
    "/projects",
    _l("Projects you may see, newest first, filtered as on the list of projects."),
    schemas.page_of(schemas.ProjectSchema),
    "projects",
    PROJECT_PARAMS,
    paged=True,
)
def list_projects() -> Response:
    stmt = projects_query(current_user, ProjectFilters.from_args(request.args)).options(
        *LIST_OPTIONS,
        *_with_texts(Project, ("description",)),
        selectinload(Project.milestones).joinedload(Milestone.title),
    )
    return _paged(stmt, PROJECTS, schemas.ProjectSchema)


@api_route("/projects/<int:project_id>", _l("One project."), schemas.ProjectSchema, "projects")
def get_project(project_id: int) -> Response:
    return _one(load_visible_or_404(Project, project_id), schemas.ProjectSchema)


MILESTONES = Keyset("milestones", Milestone.id, Milestone.id, descending=False)


@api_route(
    "/milestones",
    _l("Milestones of the projects you may see."),
    schemas.page_of(schemas.MilestoneSchema),
    "projects",
    MILESTONE_PARAMS,
    paged=True,
)
def list_milestones() -> Response:
    stmt = (
        select(Milestone)
        .join(Project, Project.id == Milestone.project_id)
        .where(Project.visible_to(current_user))
        .options(joinedload(Milestone.title))
    )
    project_id = request.args.get("project", type=int)
    if project_id is not None:
        stmt = stmt.where(Milestone.project_id == project_id)
    return _paged(stmt, MILESTONES, schemas.MilestoneSchema)


@api_route(
    "/milestones/<int:milestone_id>", _l("One milestone."), schemas.MilestoneSchema, "projects"
)
def get_milestone(milestone_id: int) -> Response:
    return _one(load_visible_or_404(Milestone, milestone_id), schemas.MilestoneSchema)


# ---------------------------------------------------------------- reference data


def _by_id(model: Any, name: str) -> Keyset:
    return Keyset(name, model.id, model.id, descending=False)


@api_route(
    "/themes",
    _l("Themes, with their OECD DAC purpose codes."),
    schemas.page_of(schemas.ThemeSchema),
    "reference",
    paged=True,
)
def list_themes() -> Response:
    return _paged(select(Theme), _by_id(Theme, "themes"), schemas.ThemeSchema)


@api_route(
    "/districts",
    _l("Districts of Kyiv."),
    schemas.page_of(schemas.DistrictSchema),
    "reference",
    paged=True,
)
def list_districts() -> Response:
    stmt = select(District).options(joinedload(District.city))
    return _paged(stmt, _by_id(District, "districts"), schemas.DistrictSchema)


@api_route(
    "/organisations",
    _l("Active organisations in both cities."),
    schemas.page_of(schemas.OrganisationSchema),
    "reference",
    paged=True,
)
def list_organisations() -> Response:
    stmt = select(Organisation).where(Organisation.is_active.is_(True))
    return _paged(stmt, _by_id(Organisation, "organisations"), schemas.OrganisationSchema)


@api_route(
    "/agreement",
    _l("The cooperation agreement: its validity, themes and amendments."),
    schemas.AgreementSchema,
    "agreement",
)
def get_agreement() -> Response:
    agreement = find_default_agreement()
    if agreement is None:
        abort(404)
    return _one(agreement, schemas.AgreementSchema)


# ---------------------------------------------------------------- the document and the page


@v1.route("/openapi.json")
def openapi() -> Response:
    from portal.api.spec import openapi_document

    return jsonify(openapi_document())


@v1.route("/")
def docs():
    return render_template(
        "api/docs.html",
        endpoints=ENDPOINTS,
        prefix=v1.url_prefix,
        limit_max=schemas.LIMIT_MAX,
    )


bp.register_blueprint(v1)


# ---------------------------------------------------------------- the profile's tokens


@bp.app_template_global()
def api_tokens_of(user: Any) -> list[ApiToken]:
    return services.tokens_of(user)


@bp.route("/profile/api-tokens", methods=["POST"])
@login_required
def create_token():
    try:
        token, secret = services.create_token(actor(), request.form.get("name", ""))
    except services.InvalidToken as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.profile") + "#api-tokens")
    response = current_app.make_response(
        render_template("api/token_created.html", token=token, secret=secret)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/profile/api-tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if token.is_active:
        services.revoke_token(actor(), token)
        flash(
            _("The token “%(name)s” was revoked. It no longer opens the API.", name=token.name),
            "success",
        )
    return redirect(url_for("accounts.profile") + "#api-tokens")
