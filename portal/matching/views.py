"""Matches: the viewer's list, one match, proposing, and each side's decision.

Decisions are plain form posts that redirect with a message; an htmx request gets the updated
match (``_match.html``) or panel back to swap in place, and the message in the page's live region.
htmx does not swap 4xx responses, so a refused htmx request gets the fragment with the reason and
status 200 (as in ``content``); without JavaScript the refusal is a 409 (or 422) page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.agreements.models import AgreementExpired
from portal.core.enums import MatchStatus, Side
from portal.core.http import MAX_ID, record_url, safe_next, wants_fragment
from portal.core.paging import page_number
from portal.core.transitions import IllegalTransition
from portal.extensions import db, htmx
from portal.matching import panels, queries, services
from portal.matching.forms import DeclineForm, MatchFilterForm, ProposeForm
from portal.matching.models import Match
from portal.matching.scoring import Reason, reasons_of, score
from portal.matching.suggestions import ShownRecord, Suggestion
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.reference import lists as reference_lists

bp = Blueprint("matching", __name__, template_folder="templates", url_prefix="/matches")

# Where a match is shown; the fragment renders its heading and links to suit.
MATCH_VIEWS = ("index", "detail", "need", "offer")


def _match_view() -> str:
    view = request.form.get("view", "index")
    return view if view in MATCH_VIEWS else "index"


def _load_visible(match_id: int) -> Match:
    match = queries.get_visible(current_user, match_id) if match_id <= MAX_ID else None
    if match is None:
        abort(404)
    return match


@bp.app_template_global("match_record_url")
def match_record_url(kind: str, record_id: int) -> str | None:
    """The page of a need or an offer (``needs.detail``, ``offers.detail``)."""
    return record_url(f"{kind}s.detail", record_id)


@bp.app_template_global("suggestion_shown")
def suggestion_shown(
    suggestion: Suggestion, for_need: bool, kind: str, return_to: str | None
) -> tuple[Any, ...] | None:
    """Everything a suggestion's row shows (``matching/_suggestions.html``), its key as a kept
    part: the other side as read from the stored list (its id, title in each language and
    organisation), the score, the reasons, the pair and where the proposal returns to (the
    other side's address is made from its id). None for a suggestion computed live (ORM
    records): rendered each time."""
    other = suggestion.offer if for_need else suggestion.need
    if not isinstance(other, ShownRecord):
        return None
    return (
        other,
        suggestion.score,
        _reasons_shown(suggestion.reasons),
        suggestion.need.id,
        suggestion.offer.id,
        kind,
        return_to,
    )


def _reasons_shown(reasons: Sequence[Reason]) -> tuple[Any, ...]:
    """What a suggestion's reasons say, as a key: their codes and parameters, which the
    catalogs put in words (the reader's language is in every kept part's key), and the themes'
    names, which come from the kept reference lists under their version. Without kept lists a
    theme's name is read from its row: then the reasons in words."""
    version = reference_lists.version()
    if version is None:
        return tuple(reason.text for reason in reasons)
    return (version, tuple(reasons))


@bp.app_template_global("match_reasons")
def match_reasons(match: Match) -> list[Reason]:
    return reasons_of(match)


# ------------------------------------------------------------------------------------- pages


@bp.route("/")
@login_required
def index():
    form = MatchFilterForm(request.args)
    filters = form.filters()
    page = db.paginate(
        queries.matches_query(current_user, filters),
        page=page_number(request.args),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    context = {"form": form, "page": page, "filters": filters}
    if wants_fragment():
        return render_template("matching/_list.html", **context)
    return render_template("matching/index.html", **context)


@bp.route("/<int:match_id>")
@login_required
def detail(match_id: int):
    match = _load_visible(match_id)
    return render_template("matching/detail.html", match=match)


# ---------------------------------------------------------------------------------- proposing


def _visible_need(need_id: int | None) -> Need | None:
    if need_id is None or not 1 <= need_id <= MAX_ID:
        return None
    need = db.session.get(Need, need_id)
    return need if need is not None and need.can_view(current_user) else None


def _visible_offer(offer_id: int | None) -> Offer | None:
    if offer_id is None or not 1 <= offer_id <= MAX_ID:
        return None
    offer = db.session.get(Offer, offer_id)
    return offer if offer is not None and offer.can_view(current_user) else None


def _render_propose(
    form: ProposeForm, need: Need | None, offer: Offer | None, status: int, error: str = ""
):
    preview = score(need, offer) if need is not None and offer is not None else None
    return (
        render_template(
            "matching/propose.html",
            form=form,
            need=need,
            offer=offer,
            preview=preview,
            error=error,
            **services.proposal_choices(current_user),
        ),
        status,
    )


def _render_panel(
    kind: str, record: Any, return_to: str | None, message: str, *, is_error: bool = False
):
    if kind == "need":
        panel = panels.need_panel(current_user, record)
    else:
        panel = panels.offer_panel(current_user, record)
    panel["return_to"] = return_to
    return render_template(
        "matching/_panel.html", panel=panel, status_message=message, is_error=is_error
    )


@bp.route("/propose", methods=["GET", "POST"])
@login_required
def propose():
    if not services.may_propose(current_user):
        abort(403)
    if request.method == "GET":
        form = ProposeForm(formdata=None)
        form.need_id.data = request.args.get("need_id", type=int)
        form.offer_id.data = request.args.get("offer_id", type=int)
        form.next.data = safe_next(request.args.get("next")) or ""
        need, offer = _visible_need(form.need_id.data), _visible_offer(form.offer_id.data)
        return _render_propose(form, need, offer, 200)

    form = ProposeForm()
    panel_kind = form.panel.data if form.panel.data in ("need", "offer") else None
    return_to = safe_next(form.next.data)
    valid = form.validate_on_submit()
    need = None if form.need_id.errors else _visible_need(form.need_id.data)
    offer = None if form.offer_id.errors else _visible_offer(form.offer_id.data)
    if not valid:
        return _render_propose(form, need, offer, 422, _("Please correct what is marked below."))
    if need is None:
        form.need_id.errors = [_("There is no need with this number that you may see.")]
    if offer is None:
        form.offer_id.errors = [_("There is no offer with this number that you may see.")]
    if need is None or offer is None:
        return _render_propose(form, need, offer, 422)
    try:
        match = services.propose(
            current_user,
            need,
            offer,
            message=form.message.data,
            person_days=form.person_days.data,
        )
    except (IllegalTransition, AgreementExpired) as error:
        message = error.message if isinstance(error, IllegalTransition) else str(error)
        if htmx and panel_kind:
            record = need if panel_kind == "need" else offer
            return _render_panel(panel_kind, record, return_to, message, is_error=True)
        return _render_propose(form, need, offer, 409, message)

    if match.proposed_side == Side.COORDINATOR:
        message = _("The match was proposed. Both sides now decide.")
    else:
        message = _("The match was proposed. The other side now decides.")
    if htmx and panel_kind:
        return _render_panel(
            panel_kind, need if panel_kind == "need" else offer, return_to, message
        )
    flash(message, "success")
    return redirect(return_to or url_for("matching.detail", match_id=match.id))


# ---------------------------------------------------------------------------------- decisions


def _fragment(
    match: Match,
    view: str,
    return_to: str | None,
    message: str,
    *,
    is_error: bool = False,
    decline_error: str | None = None,
) -> str:
    return render_template(
        "matching/_match.html",
        match=match,
        view=view,
        return_to=return_to,
        status_message=message,
        is_error=is_error,
        decline_error=decline_error,
    )


def _decide(match_id: int, act):
    match = _load_visible(match_id)
    view = _match_view()
    return_to = safe_next(request.form.get("next"))
    try:
        message = act(match)
    except (IllegalTransition, AgreementExpired) as error:
        if not htmx:
            raise
        text = error.message if isinstance(error, IllegalTransition) else str(error)
        return _fragment(_load_visible(match_id), view, return_to, text, is_error=True)
    after = queries.get_visible(current_user, match_id)
    if after is None:
        # The decision ended the reader's view of the match (a restricted need stays hidden
        # once its match is over): say what was done without showing the match again.
        if htmx:
            return render_template("matching/_gone.html", match_id=match_id, status_message=message)
        flash(message, "success")
        index = url_for("matching.index")
        return redirect(return_to if return_to and urlsplit(return_to).path == index else index)
    if htmx:
        return _fragment(after, view, return_to, message)
    flash(message, "success")
    return redirect(return_to or url_for("matching.detail", match_id=match_id))


@bp.route("/<int:match_id>/accept", methods=["POST"])
@login_required
def accept(match_id: int):
    def act(match: Match) -> str:
        services.accept(current_user, match)
        if match.status == MatchStatus.AGREED:
            return _("You accepted the match. Both sides have accepted: the match is agreed.")
        return _("You accepted the match. It now waits for the other side.")

    return _decide(match_id, act)


@bp.route("/<int:match_id>/decline", methods=["POST"])
@login_required
def decline(match_id: int):
    form = DeclineForm()
    if not form.validate():
        match = _load_visible(match_id)
        error = " ".join(str(e) for e in form.reason.errors) or _(
            "The form had expired. Please try again."
        )
        if htmx:
            return_to = safe_next(request.form.get("next"))
            return _fragment(
                match, _match_view(), return_to, error, is_error=True, decline_error=error
            )
        return render_template("matching/detail.html", match=match, decline_error=error), 422

    def act(match: Match) -> str:
        services.decline(current_user, match, form.reason.data)
        return _("You declined the match.")

    return _decide(match_id, act)


@bp.route("/<int:match_id>/withdraw", methods=["POST"])
@login_required
def withdraw(match_id: int):
    def act(match: Match) -> str:
        services.withdraw(current_user, match)
        return _("You withdrew the proposal.")

    return _decide(match_id, act)
