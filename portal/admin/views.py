"""Administration of user accounts and organisations: admins only."""

from __future__ import annotations

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
from flask_login import current_user
from wtforms.fields import SelectChoice

from portal.accounts import twofactor
from portal.accounts.models import User
from portal.accounts.services import send_invitation
from portal.admin import services
from portal.admin.forms import (
    NewUserForm,
    OrganisationForm,
    SecurityForm,
    UserFilterForm,
    UserForm,
)
from portal.audit import services as audit
from portal.core.conflicts import EditConflict
from portal.core.enums import OrganisationKind, Role
from portal.core.http import wants_fragment
from portal.core.paging import page_number
from portal.extensions import db, login_manager
from portal.reference.models import City, Organisation, Theme

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")


@bp.before_request
def admins_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        abort(403)
    return None


def _organisation_choices(include: Organisation | None = None) -> list[SelectChoice]:
    """Active organisations grouped by city (and the user's current one even if inactive)."""
    orgs = db.session.scalars(
        db.select(Organisation)
        .join(Organisation.city)
        .where(
            db.or_(
                Organisation.is_active.is_(True),
                Organisation.id == (include.id if include is not None else -1),
            )
        )
        .order_by(City.code, Organisation.name_en)
    ).all()
    return [SelectChoice(str(o.id), o.name, optgroup=o.city.name) for o in orgs]


def _attach_error(form, error: services.AdminError) -> None:
    target = getattr(form, error.field or "", None)
    if target is None:
        flash(str(error), "error")
        return
    target.errors = [*target.errors, str(error)]


def _back_to_users() -> str:
    """Back to the users list the action was started from, filters kept."""
    target = request.form.get("next", "")
    unsafe = "//" in target or "\\" in target or any(ord(ch) < 32 for ch in target)
    if target.startswith("/admin/users") and not unsafe:
        return target
    return url_for("admin.users")


def _get_or_404(model, ident: int):
    record = db.session.get(model, ident)
    if record is None:
        abort(404)
    return record


# ---------------------------------------------------------------- users


@bp.route("/")
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users")
def users():
    form = UserFilterForm(request.args)
    form.organisation.choices = [SelectChoice("", _("All organisations"))] + [
        SelectChoice(str(o.id), o.name, optgroup=o.city.name)
        for o in db.session.scalars(
            db.select(Organisation)
            .join(Organisation.city)
            .order_by(City.code, Organisation.name_en)
        )
    ]
    form.role.choices = [SelectChoice("", _("All roles")), *Role.choices()]
    role = request.args.get("role", "")
    active = request.args.get("active", "")
    filters = services.UserFilters(
        organisation_id=form.organisation.data,
        role=Role(role) if role in {r.value for r in Role} else None,
        active={"yes": True, "no": False}.get(active),
    )
    page = db.paginate(
        services.users_query(filters),
        page=page_number(request.args),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    template = "admin/_users_table.html" if wants_fragment() else "admin/users.html"
    return render_template(template, form=form, page=page)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    form.organisation.choices = _organisation_choices()
    if request.method == "GET":
        form.locale.data = current_user.locale or "en"
    if form.validate_on_submit():
        organisation = _get_or_404(Organisation, form.organisation.data)
        try:
            user = services.create_user(
                current_user,
                email=form.email.data or "",
                name=form.name.data or "",
                role=Role(form.role.data),
                organisation=organisation,
                password=form.password.data or "",
                locale=form.locale.data,
            )
        except services.AdminError as error:
            _attach_error(form, error)
        else:
            flash(_("The account for %(email)s was created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    status = 422 if form.errors else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = _get_or_404(User, user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    form.organisation.choices = _organisation_choices(include=user.organisation)
    conflict = False
    if request.method == "GET":
        form.role.data = user.role.value
        form.organisation.data = user.organisation_id
        form.fingerprint.data = services.user_fingerprint(user)
    if form.validate_on_submit():
        organisation = _get_or_404(Organisation, form.organisation.data)
        try:
            changed = services.update_user(
                current_user,
                user,
                name=form.name.data or "",
                role=Role(form.role.data),
                organisation=organisation,
                expected=form.fingerprint.data or None,
            )
        except EditConflict:
            conflict = True
            # The next save goes through, over the values now shown beside the form.
            form.fingerprint.data = services.user_fingerprint(user)
        except services.AdminError as error:
            _attach_error(form, error)
        else:
            if changed:
                flash(_("The account of %(name)s was saved.", name=user.name), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("admin.users"))
    status = 409 if conflict else 422 if form.errors else 200
    return (
        render_template("admin/user_form.html", form=form, user=user, conflict=conflict),
        status,
    )


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate_user(user_id: int):
    user = _get_or_404(User, user_id)
    try:
        if services.deactivate_user(current_user, user):
            flash(
                _("%(name)s was deactivated and signed out everywhere.", name=user.name),
                "success",
            )
        else:
            flash(_("%(name)s was already inactive.", name=user.name), "info")
    except services.AdminError as error:
        flash(str(error), "error")
    return redirect(_back_to_users())


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
def activate_user(user_id: int):
    user = _get_or_404(User, user_id)
    if services.activate_user(current_user, user):
        flash(_("%(name)s was activated.", name=user.name), "success")
    else:
        flash(_("%(name)s was already active.", name=user.name), "info")
    return redirect(_back_to_users())


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
def invite_user(user_id: int):
    """Mail a one-time link (valid seven days) with which the person chooses their password."""
    user = _get_or_404(User, user_id)
    if not user.is_active:
        abort(409)
    send_invitation(current_user, user)
    flash(_("An invitation was sent to %(email)s.", email=user.email), "success")
    return redirect(_back_to_users())


@bp.route("/security", methods=["GET", "POST"])
def security():
    """Two-factor sign-in is mandatory for coordinators and admins; an admin may require it of
    everyone."""
    form = SecurityForm()
    if request.method == "GET":
        form.everyone.data = twofactor.required_for_everyone()
    if form.validate_on_submit():
        before = twofactor.required_for_everyone()
        twofactor.set_required_for_everyone(bool(form.everyone.data))
        audit.record(
            current_user,
            "change_setting",
            "site_setting",
            None,
            {"mfa_required_for_everyone": before},
            {"mfa_required_for_everyone": bool(form.everyone.data)},
        )
        flash(_("The sign-in settings were saved."), "success")
        return redirect(url_for("admin.security"))
    return render_template("admin/security.html", form=form)


# ---------------------------------------------------------------- organisations


def _fill_organisation_choices(form: OrganisationForm) -> None:
    form.city.choices = [
        SelectChoice(str(c.id), c.name)
        for c in db.session.scalars(db.select(City).order_by(City.code))
    ]
    form.themes.choices = [
        SelectChoice(str(t.id), t.name)
        for t in db.session.scalars(db.select(Theme).order_by(Theme.position))
    ]


def _organisation_data(form: OrganisationForm) -> services.OrganisationData:
    city = _get_or_404(City, form.city.data)
    theme_ids = form.themes.data or []
    themes = (
        list(db.session.scalars(db.select(Theme).where(Theme.id.in_(theme_ids))))
        if theme_ids
        else []
    )
    return services.OrganisationData(
        name_en=form.name_en.data or "",
        name_sv=form.name_sv.data or "",
        name_uk=form.name_uk.data or "",
        kind=OrganisationKind(form.kind.data),
        city=city,
        registry_id=form.registry_id.data,
        themes=themes,
    )


@bp.route("/organisations")
def organisations():
    return render_template(
        "admin/organisations.html", rows=services.organisations_with_user_counts()
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
def new_organisation():
    form = OrganisationForm()
    _fill_organisation_choices(form)
    if form.validate_on_submit():
        try:
            org = services.create_organisation(current_user, _organisation_data(form))
        except services.AdminError as error:
            _attach_error(form, error)
        else:
            flash(_("%(name)s was created.", name=org.name), "success")
            return redirect(url_for("admin.organisations"))
    status = 422 if form.errors else 200
    return render_template("admin/organisation_form.html", form=form, organisation=None), status


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
def edit_organisation(organisation_id: int):
    org = _get_or_404(Organisation, organisation_id)
    form = OrganisationForm(obj=org if request.method == "GET" else None)
    _fill_organisation_choices(form)
    conflict = False
    if request.method == "GET":
        form.kind.data = org.kind.value
        form.city.data = org.city_id
        form.themes.data = [t.id for t in org.themes]
        form.fingerprint.data = services.organisation_fingerprint(org)
    if form.validate_on_submit():
        try:
            changed = services.update_organisation(
                current_user, org, _organisation_data(form), expected=form.fingerprint.data or None
            )
        except EditConflict:
            conflict = True
            form.fingerprint.data = services.organisation_fingerprint(org)
        except services.AdminError as error:
            _attach_error(form, error)
        else:
            if changed:
                flash(_("%(name)s was saved.", name=org.name), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("admin.organisations"))
    status = 409 if conflict else 422 if form.errors else 200
    return (
        render_template(
            "admin/organisation_form.html", form=form, organisation=org, conflict=conflict
        ),
        status,
    )


@bp.route("/organisations/<int:organisation_id>/deactivate", methods=["POST"])
def deactivate_organisation(organisation_id: int):
    org = _get_or_404(Organisation, organisation_id)
    try:
        if services.deactivate_organisation(current_user, org):
            flash(
                _("%(name)s was deactivated; its users can no longer sign in.", name=org.name),
                "success",
            )
        else:
            flash(_("%(name)s was already inactive.", name=org.name), "info")
    except services.AdminError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.organisations"))


@bp.route("/organisations/<int:organisation_id>/activate", methods=["POST"])
def activate_organisation(organisation_id: int):
    org = _get_or_404(Organisation, organisation_id)
    if services.activate_organisation(current_user, org):
        flash(_("%(name)s was activated.", name=org.name), "success")
    else:
        flash(_("%(name)s was already active.", name=org.name), "info")
    return redirect(url_for("admin.organisations"))
