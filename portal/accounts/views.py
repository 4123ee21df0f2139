"""Sign-in (with a second factor), sign-out, sessions, passwords and the user's own profile."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    after_this_request,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from portal.accounts import services, twofactor
from portal.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    ConfirmIdentityForm,
    ConfirmPasswordForm,
    EnrolForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    SetPasswordForm,
)
from portal.accounts.models import TokenPurpose, User
from portal.audit import services as audit
from portal.core import pagecache
from portal.core.http import actor, safe_next
from portal.core.types import utcnow
from portal.extensions import db, htmx, limiter, login_manager
from portal.jobs import enqueue

bp = Blueprint("accounts", __name__, template_folder="templates")

PENDING = "pending_2fa_user"
PENDING_AT = "pending_2fa_at"
PENDING_CHALLENGE = "pending_2fa_challenge"
PENDING_TIMEOUT_SECONDS = 300
# The secret being enrolled, encrypted like the stored ones: the session cookie is signed, not
# encrypted, and must not carry it in the clear.
ENROL_SECRET = "enrol_totp_secret_encrypted"  # nosec B105  # noqa: S105 (a session key name)
# Reachable while a coordinator or admin still has to set up their second factor.
ENROLMENT_ALLOWED = {
    "accounts.two_factor",
    "accounts.confirm_identity",
    "accounts.logout",
    "main.language",
    "main.healthz",
    "main.accessibility",
    "static",
    "accounts.session_status",
    "accounts.extend_session",
}
# Asked by the timeout warning's script (static/js/session.js); they answer JSON, not pages.
SESSION_CLOCK = {"accounts.session_status", "accounts.extend_session"}


def _redirect_to_login(message: str | None = None) -> ResponseReturnValue:
    login_url = url_for("accounts.login", next=request.full_path.rstrip("?"))
    if htmx:
        response = Response(status=401)
        response.headers["HX-Redirect"] = login_url
        return response
    if message:
        flash(message, "info")
    return redirect(login_url)


@login_manager.unauthorized_handler
def unauthorized() -> ResponseReturnValue:
    return _redirect_to_login(_("Please sign in to see this page."))


@bp.before_app_request
def enforce_session_rules():
    """Idle timeout, absolute lifetime, and second-factor enrolment where it is mandatory."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    deadline, _final = services.session_deadline()
    if utcnow().timestamp() > deadline:
        message = _("You were signed out after a period without activity.")
        services.expire_session()
        if request.endpoint in SESSION_CLOCK:
            flash(message, "info")  # shown on the sign-in page the script opens next
            return _session_clock_response()
        return _redirect_to_login(message)
    if request.endpoint not in ("accounts.session_status", "notifications.count"):
        # Asking how much time is left, or refreshing the header's unread count, is not
        # activity: a tab left open must not keep the session alive on its own.
        services.touch_session()
    if (
        twofactor.is_required(current_user)
        and not current_user.has_totp
        and request.endpoint not in ENROLMENT_ALLOWED
    ):
        if htmx:
            response = Response(status=403)
            response.headers["HX-Redirect"] = url_for("accounts.two_factor")
            return response
        flash(_("Set up two-factor sign-in to continue."), "info")
        return redirect(url_for("accounts.two_factor"))
    return None


def _session_clock_response() -> Response:
    """Seconds left before the session ends without activity (401 when there is no session),
    and whether that end is final (the absolute lifetime, which cannot be extended)."""
    if not current_user.is_authenticated:
        response = jsonify(remaining=0, final=True)
        response.status_code = 401
    else:
        deadline, final = services.session_deadline()
        response = jsonify(remaining=max(0, int(deadline - utcnow().timestamp())), final=final)
    response.headers["Cache-Control"] = "no-store"
    return response


def stated_remaining(seconds: int, warning: int) -> int:
    """The seconds left that a page states: to the minute below while the warning is further
    off than that, exact from then on. The page's script only schedules its first question to
    the server with it (at most a minute early, then the server's answer counts), and a kept
    page's packed answer (portal.core.pagecache.Packed) stays the same for that minute."""
    minutes = seconds // 60 * 60
    return minutes if minutes > warning else seconds


@bp.app_template_global()
def session_clock() -> dict[str, int | bool]:
    """What the timeout warning needs to know when a page is rendered for a signed-in user."""
    deadline, final = services.session_deadline()
    config = current_app.config
    warning = int(config["IDLE_WARNING"].total_seconds())
    return {
        "remaining": stated_remaining(max(0, int(deadline - utcnow().timestamp())), warning),
        "final": final,
        "warning": warning,
        "hours": int(config["ABSOLUTE_SESSION_LIFETIME"].total_seconds() // 3600),
    }


def session_clock_attributes() -> str:
    """The session clock's seconds as the timeout warning's attributes (a hole of kept pages)."""
    clock = session_clock()
    final = "true" if clock["final"] else "false"
    return f'data-remaining="{int(clock["remaining"])}" data-final="{final}"'


pagecache.register_hole("session_clock", session_clock_attributes)


@bp.route("/session")
def session_status():
    """How long the session has left, without counting as activity (see enforce_session_rules)."""
    return _session_clock_response()


@bp.route("/session/extend", methods=["POST"])
def extend_session():
    """'Stay signed in' in the timeout warning: the idle timeout starts again from now."""
    if current_user.is_authenticated:
        services.touch_session(force=True)
    return _session_clock_response()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute; 200 per hour", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"][:254]
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.email.data or "",
                form.password.data or "",
                address=request.remote_addr,
                trusted=_trusted_accounts(),
            )
        except services.Throttled as throttled:
            return _throttled(
                "accounts/login.html", form.password, throttled.retry_after, form=form
            )
        if user is not None:
            target = safe_next(request.args.get("next"))
            if user.has_totp:
                challenge = services.start_second_factor(user)
                lang = session.get("lang")
                session.clear()
                if lang:
                    session["lang"] = lang
                session[PENDING] = user.id
                session[PENDING_AT] = utcnow().timestamp()
                session[PENDING_CHALLENGE] = challenge
                return redirect(url_for("accounts.verify", next=target))
            _sign_in(user)
            return _welcome(user, target)
        form.password.errors.append(_("The e-mail address or password is not correct."))
    status = 422 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


def _welcome(user: User, target: str | None) -> ResponseReturnValue:
    """After signing in: the start page greets by name itself, so a welcome message is only
    flashed for another page (one welcome, not two)."""
    if target:
        flash(_("Welcome, %(name)s.", name=user.name), "success")
    return redirect(target or url_for("main.home"))


def _trusted_accounts() -> set[int]:
    """The accounts this browser signed in to before (its device cookie)."""
    return services.trusted_accounts(request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"]))


def _sign_in(user: User) -> None:
    """Sign in, and remember this browser for the account (the device cookie)."""
    services.sign_in(user)
    config = current_app.config
    value = services.device_cookie(user, request.cookies.get(config["DEVICE_COOKIE_NAME"]))

    @after_this_request
    def remember_device(response: Response) -> Response:
        response.set_cookie(
            config["DEVICE_COOKIE_NAME"],
            value,
            max_age=int(config["DEVICE_COOKIE_LIFETIME"].total_seconds()),
            secure=bool(config.get("SESSION_COOKIE_SECURE")),
            httponly=True,
            samesite="Lax",
        )
        return response


def _throttled(template: str, field: Any, retry_after: int, **context: Any) -> Response:
    """Too many failures from this address: 429 with Retry-After, the form kept."""
    field.errors = [
        *field.errors,
        ngettext(
            "Too many failed attempts from your network. Wait %(num)d second and try again.",
            "Too many failed attempts from your network. Wait %(num)d seconds and try again.",
            retry_after,
        ),
    ]
    response = current_app.make_response((render_template(template, **context), 429))
    response.headers["Retry-After"] = str(retry_after)
    return response


def _pending_user() -> User | None:
    """The user of the pending sign-in in this session, while it lasts: it ends after five
    minutes, after too many wrong codes, and when a newer sign-in of the account begins (the
    database holds which one is pending, so an old copy of the cookie does not revive it)."""
    user_id = session.get(PENDING)
    started = session.get(PENDING_AT, 0)
    if not isinstance(user_id, int) or utcnow().timestamp() - started > PENDING_TIMEOUT_SECONDS:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return user if services.is_pending(user, session.get(PENDING_CHALLENGE)) else None


def _end_pending(message: str) -> ResponseReturnValue:
    for key in (PENDING, PENDING_AT, PENDING_CHALLENGE):
        session.pop(key, None)
    flash(message, "error")
    return redirect(url_for("accounts.login"))


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit("10 per minute; 60 per hour", methods=["POST"])
def verify():
    user = _pending_user()
    if user is None:
        flash(_("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if form.validate_on_submit():
        outcome = services.check_code(user, form.code.data or "")
        if outcome == services.CodeOutcome.ACCEPTED:
            _sign_in(user)
            return _welcome(user, safe_next(request.args.get("next")))
        if outcome == services.CodeOutcome.ROUND_ENDED:
            return _end_pending(_("Too many wrong codes. Please sign in again."))
        if outcome == services.CodeOutcome.LOCKED:
            return _end_pending(
                _("Too many wrong codes. Two-factor sign-in is locked for a while.")
            )
        if outcome == services.CodeOutcome.UNREADABLE:
            form.code.errors.append(
                _(
                    "Your code cannot be checked at the moment. "
                    "Please tell the portal's administrators."
                )
            )
        else:
            form.code.errors.append(_("The code is not correct or has already been used."))
    status = 422 if form.errors else 200
    return render_template("accounts/verify.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.sign_out(current_user)
    flash(_("You have signed out."), "success")
    return redirect(url_for("main.home"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.locale.data = current_user.locale or "en"
        form.timezone.data = current_user.effective_timezone
    if form.validate_on_submit():
        current_user.locale = form.locale.data
        current_user.timezone = form.timezone.data
        session["lang"] = form.locale.data
        db.session.commit()
        flash(_("Your profile was saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html", form=form, two_factor_required=twofactor.is_required(current_user)
    )


def fresh_login_required(back: str | None = None) -> Callable:
    """The view changes the password or the second factor: the session must have proved the
    password (and code) within REAUTHENTICATION_WINDOW, else the person confirms them first and
    comes back (to ``back``'s page after a POST, which cannot be repeated by a redirect)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not services.recently_authenticated():
                if request.method == "GET":
                    target = request.full_path.rstrip("?")
                else:
                    target = url_for(back or request.endpoint or "accounts.profile")
                flash(_("Please confirm it is you before changing how you sign in."), "info")
                return redirect(url_for("accounts.confirm_identity", next=target))
            return view(*args, **kwargs)

        return wrapped

    return decorate


@bp.route("/profile/confirm", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per minute; 200 per hour", methods=["POST"])
def confirm_identity():
    """Re-authentication before a change to the password or the second factor."""
    form = ConfirmIdentityForm()
    if not current_user.has_totp:
        del form.code
    if form.validate_on_submit():
        try:
            problem = services.confirm_identity(
                actor(),
                form.password.data or "",
                form.code.data if "code" in form else None,
                address=request.remote_addr,
                trusted=_trusted_accounts(),
            )
        except services.Throttled as throttled:
            return _throttled(
                "accounts/confirm.html", form.password, throttled.retry_after, form=form
            )
        if problem is None:
            return redirect(safe_next(request.args.get("next")) or url_for("accounts.profile"))
        form.password.errors.append(problem)
    status = 422 if form.errors else 200
    return render_template("accounts/confirm.html", form=form), status


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per minute; 200 per hour", methods=["POST"])
@fresh_login_required()
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                actor(),
                form.current_password.data or "",
                form.new_password.data or "",
                address=request.remote_addr,
                trusted=_trusted_accounts(),
            )
        except services.Throttled as throttled:
            return _throttled(
                "accounts/password.html", form.current_password, throttled.retry_after, form=form
            )
        except services.AccountError as error:
            form.new_password.errors.append(str(error))
        else:
            flash(_("Your password was changed. Your other sessions were signed out."), "success")
            return redirect(url_for("accounts.profile"))
    status = 422 if form.errors else 200
    return render_template("accounts/password.html", form=form), status


def _enrolment_secret() -> str | None:
    stored = session.get(ENROL_SECRET)
    return twofactor.decrypt_secret(stored) if isinstance(stored, str) else None


@bp.route("/profile/two-factor", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
@fresh_login_required()
def two_factor():
    """Set up (or replace) the authenticator app; shows recovery codes once."""
    form = EnrolForm()
    secret = _enrolment_secret()
    if secret is None or (request.method == "GET" and not form.errors):
        secret = twofactor.new_secret()
        session[ENROL_SECRET] = twofactor.encrypt_secret(secret)
    if form.validate_on_submit():
        step = twofactor.matching_step(secret, form.code.data or "")
        if step is not None:
            user = actor()
            replaced = user.has_totp
            codes = twofactor.enable(user, secret)
            user.totp_last_step = step
            session.pop(ENROL_SECRET, None)
            audit.record(
                user, "two_factor_replaced" if replaced else "two_factor_enabled", "user", user.id
            )
            services.notify_security_change(
                user,
                services.SecurityChange.SECOND_FACTOR_REPLACED
                if replaced
                else services.SecurityChange.SECOND_FACTOR_ON,
            )
            services.end_other_sessions(user)
            return render_template("accounts/recovery_codes.html", codes=codes)
        form.code.errors.append(_("The code is not correct. Check the time on your phone."))
    uri = twofactor.provisioning_uri(current_user, secret)
    status = 422 if form.errors else 200
    return render_template(
        "accounts/two_factor.html",
        form=form,
        secret=secret,
        qr=twofactor.qr_svg(uri, _("QR code for your authenticator app")),
        required=twofactor.is_required(current_user),
    ), status


@bp.route("/profile/recovery-codes", methods=["POST"])
@login_required
@fresh_login_required(back="accounts.profile")
def recovery_codes():
    """New recovery codes, shown once; the earlier ones stop working."""
    user = actor()
    if not user.has_totp:
        abort(404)
    codes = twofactor.new_recovery_codes(user)
    audit.record(user, "recovery_codes_renewed", "user", user.id)
    services.notify_security_change(user, services.SecurityChange.RECOVERY_CODES)
    return render_template("accounts/recovery_codes.html", codes=codes)


@bp.route("/profile/two-factor/disable", methods=["POST"])
@login_required
@limiter.limit("20 per minute; 200 per hour")
@fresh_login_required(back="accounts.profile")
def disable_two_factor():
    form = ConfirmPasswordForm()
    if twofactor.is_required(current_user):
        abort(403)
    user = actor()
    try:
        confirmed = form.validate_on_submit() and services.check_password(
            user,
            form.password.data or "",
            address=request.remote_addr,
            trusted=_trusted_accounts(),
        )
    except services.Throttled:
        confirmed = False
    if confirmed:
        twofactor.disable(user)
        audit.record(user, "two_factor_disabled", "user", user.id)
        services.notify_security_change(user, services.SecurityChange.SECOND_FACTOR_OFF)
        services.end_other_sessions(user)
        flash(_("Two-factor sign-in is off."), "success")
    else:
        flash(_("Your password is not correct. Two-factor sign-in is still on."), "error")
    return redirect(url_for("accounts.profile"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute; 30 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # Looked up, and mailed, after the response has gone: the answer takes as long and
        # does the same work whether or not the address has an account.
        enqueue(
            services.request_password_reset, form.email.data or "", request.remote_addr, retries=0
        )
        flash(
            _(
                "If the address has an account, a link to reset the password is on its way. "
                "It works once, for one hour."
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    status = 422 if form.errors else 200
    return render_template("accounts/forgot.html", form=form), status


def _token_page(token: str, purpose: TokenPurpose, template: str):
    record = services.find_token(token, purpose)
    if record is None:
        return render_template("accounts/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.redeem_token(record, form.new_password.data or "")
        except services.AccountError as error:
            form.new_password.errors.append(str(error))
        else:
            flash(_("Your password is set. Please sign in."), "success")
            return redirect(url_for("accounts.login", email=user.email))
    status = 422 if form.errors else 200
    return render_template(template, form=form, user=record.user), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(token: str):
    return _token_page(token, TokenPurpose.PASSWORD_RESET, "accounts/reset.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def accept_invitation(token: str):
    return _token_page(token, TokenPurpose.INVITATION, "accounts/invitation.html")
