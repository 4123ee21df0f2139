"""Project pages: the list, starting a project, the project page with its milestones, reports
and timeline, and the forms that change it. Rules and writes live in
``portal.projects.services``, lists in ``queries``, the timeline in ``timeline``."""

from __future__ import annotations

from typing import Any

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
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from portal.agreements.models import Agreement
from portal.agreements.services import default_agreement, default_terms
from portal.content.views import may_translate
from portal.core import pagecache
from portal.core.conflicts import EditConflict
from portal.core.enums import ProjectStatus, ReportStatus
from portal.core.http import wants_fragment
from portal.core.i18n import current_language
from portal.extensions import db, htmx
from portal.matching.models import Match
from portal.projects import queries, services, timeline
from portal.projects.forms import (
    EditProjectForm,
    MilestoneForm,
    NewProjectForm,
    ProjectFilterForm,
    ReportForm,
    StatusForm,
)
from portal.projects.models import Milestone, Project, StatusReport
from portal.projects.services import ProjectRuleError
from portal.reference.models import Organisation
from portal.web import BlankForm, query_form, render_text

bp = Blueprint("projects", __name__, template_folder="templates", url_prefix="/projects")


# ---------------------------------------------------------------- helpers


def _load(project_id: int) -> Project:
    project = queries.get_project(current_user, project_id)
    if project is None:
        abort(404)
    return project


def _field_error(form: FlaskForm, error: ProjectRuleError) -> None:
    """Put a service's refusal beside the field it concerns (or on the form as a whole)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        form.form_errors.append(error.message)
    else:
        field.errors = [*field.errors, error.message]


def _organisation(org_id: int | None) -> Organisation | None:
    return db.session.get(Organisation, org_id) if org_id is not None else None


def _lead_choices(form: Any, agreement: Agreement, *, optional: bool) -> None:
    """The organisations of each city the agreement joins, as the leads to choose from."""
    form.set_choices(
        queries.organisations_in(agreement.requester_city_id),
        queries.organisations_in(agreement.expert_city_id),
        optional=optional,
    )


def _plan(form: Any) -> dict[str, Any]:
    """What the new-project and edit forms both send to the service."""
    return {
        "title": form.title.data or "",
        "description": form.description.data or "",
        "lang": form.lang.data or "",
        "starts_on": form.starts_on.data,
        "ends_on": form.ends_on.data,
        "visibility": form.visibility.data,
        "requester_lead": _organisation(form.requester_lead.data),
        "expert_lead": _organisation(form.expert_lead.data),
    }


def _prefill_from_match(form: Any, match: Match, agreement: Agreement) -> None:
    """Coming from an agreed match ("Start a project" on its page): the need's title and
    description in their original language, and the need's wanted period where the agreement
    allows it. Everything stays editable."""
    need = match.need
    form.title.data = need.title.original
    form.description.data = need.description.original
    form.lang.data = need.title.original_lang
    for field, wanted in ((form.starts_on, need.wanted_from), (form.ends_on, need.wanted_until)):
        if wanted is not None and agreement.valid_from <= wanted <= agreement.valid_until:
            field.data = wanted


def _permissions(project: Project) -> dict[str, Any]:
    user = current_user._get_current_object()
    return {
        "can_manage": services.may_manage(user, project),
        "can_report": services.may_report(user, project),
        "can_change_status": services.may_change_status(user, project),
    }


def _blank(form: Any, lang: str) -> Any:
    """A new milestone's or status report's form as the page offers it: in the reader's
    language, with the report's statuses to choose from."""
    form.lang.data = lang
    if isinstance(form, ReportForm):
        form.set_choices()
    return form


def _with_targets(form: StatusForm, targets: tuple[ProjectStatus, ...]) -> StatusForm:
    form.set_choices(list(targets))
    return form


def _render_detail(
    project: Project,
    *,
    milestone_form: MilestoneForm | BlankForm | None = None,
    report_form: ReportForm | BlankForm | None = None,
    status_form: StatusForm | BlankForm | None = None,
    code: int = 200,
):
    perms = _permissions(project)
    lang = current_language()
    if perms["can_manage"] and milestone_form is None:
        milestone_form = BlankForm(
            lambda: _blank(MilestoneForm(formdata=None, prefix="milestone"), lang),
            (MilestoneForm, "milestone", lang),
        )
    if perms["can_report"] and report_form is None:
        report_form = BlankForm(
            lambda: _blank(ReportForm(formdata=None, prefix="report"), lang),
            (ReportForm, "report", lang),
        )
    elif report_form is not None:
        report_form.set_choices()
    if perms["can_change_status"] and status_form is None:
        targets = tuple(services.allowed_targets(project))
        status_form = BlankForm(
            lambda: _with_targets(StatusForm(formdata=None, prefix="status"), targets),
            (StatusForm, "status", targets),
        )
    elif status_form is not None:
        status_form.set_choices(services.allowed_targets(project))
    return (
        render_template(
            "projects/detail.html",
            project=project,
            timeline=timeline.timeline(project),
            origins=queries.project_origins(current_user, project.id),
            milestone_form=milestone_form,
            report_form=report_form,
            status_form=status_form,
            **perms,
        ),
        code,
    )


@bp.app_template_global()
def milestone_shown(milestone: Milestone, can_report: bool, focus: Any) -> tuple[Any, ...]:
    """Everything a milestone's row shows (``projects/_milestones.html``), its key as a kept
    part: its title in every language, due date, weight, whether it is done (and when) or
    overdue today, whether the reader may translate its title and tick it, and whether the
    tick button takes the focus after an htmx swap."""
    return (
        milestone.project_id,
        milestone.id,
        milestone.title.shown(),
        milestone.due_on,
        milestone.weight,
        milestone.done_on,
        milestone.is_overdue(),
        may_translate(milestone),
        can_report,
        focus == milestone.id,
    )


@bp.app_template_global()
def report_shown(report: StatusReport) -> tuple[Any, ...]:
    """Everything a status report's article on the project page shows, its key as a kept part:
    its organisation's and author's names, status and time, its text in every language, and
    whether the reader may translate it (the language versions' links come back to this page)."""
    return (
        report.id,
        report.organisation.name,
        report.author.name,
        report.status,
        report.created_at,
        report.body.shown(),
        may_translate(report),
        request.full_path,
    )


@bp.app_template_global()
def timeline_shown(project: Project, entries: list[timeline.TimelineEntry]) -> tuple[Any, ...]:
    """Everything the project page's timeline shows, its key as a kept part: a project's
    timeline changes only when one of its entries does (and with the reader's language and
    time zone, which the kept part's key holds), and formatting its dates is most of its cost."""
    return (project.id, tuple(entry.shown() for entry in entries))


def _progress_text(project: Project) -> str:
    return format_percent(project.progress / 100)


# ---------------------------------------------------------------- list


def _filter_form(args: Any) -> ProjectFilterForm:
    form = ProjectFilterForm(formdata=args)
    form.set_choices()
    return form


@bp.route("/")
@pagecache.kept_for_viewers()
def index():
    filters = queries.ProjectFilters.from_args(request.args)

    def render_results() -> tuple[str, str]:
        projects = queries.list_projects(
            current_user, filters, request.args, per_page=current_app.config["PAGE_SIZE"]
        )
        return (
            render_template("projects/_count.html", projects=projects),
            render_template("projects/_list.html", projects=projects),
        )

    # The same kept results serve the page and the htmx answer to a filter change; the page's
    # place (an old page number or a cursor) is part of the key with the filters.
    paging = tuple(request.args.get(name) for name in ("page", "after", "before"))
    results = pagecache.list_fragment("projects", (filters, paging), render_results)
    if wants_fragment():
        return render_template("_list_update.html", results=results, count_id="project-count")
    form = query_form(ProjectFilterForm, request.args, lambda: _filter_form(request.args))
    return render_template(
        "projects/index.html",
        results=results,
        form=form,
        can_start=current_user.is_authenticated
        and current_user.is_coordinator
        and (terms := default_terms()) is not None
        and not terms.has_expired(),
    )


# ---------------------------------------------------------------- starting and editing


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not current_user.is_coordinator:
        abort(403)
    candidates = queries.candidate_matches()
    form = NewProjectForm()
    form.matches.choices = [(str(m.id), str(m.id)) for m in candidates]
    if request.method == "GET":
        wanted = set(request.args.getlist("match", type=int))
        form.matches.data = [m.id for m in candidates if m.id in wanted]
        form.lang.data = current_language()
    chosen_ids = set(form.matches.data or [])
    chosen = [m for m in candidates if m.id in chosen_ids]
    agreement = chosen[0].need.agreement if chosen else default_agreement()
    _lead_choices(form, agreement, optional=True)
    if request.method == "GET" and chosen:
        _prefill_from_match(form, chosen[0], agreement)
    code = 200
    if request.method == "POST":
        code = 422
        if form.validate_on_submit():
            try:
                project = services.start_project(current_user, chosen, **_plan(form))
            except ProjectRuleError as error:
                _field_error(form, error)
            else:
                flash(_("The project was started. Add its milestones next."), "success")
                return redirect(url_for("projects.detail", project_id=project.id))
    return (
        render_template(
            "projects/new.html",
            form=form,
            candidates=candidates,
            agreement=agreement,
            validity_hint=services.validity_hint(agreement),
        ),
        code,
    )


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int):
    project = _load(project_id)
    if not project.can_manage(current_user):
        abort(403)
    agreement = project.agreement
    form = EditProjectForm()
    _lead_choices(form, agreement, optional=False)
    if request.method == "GET":
        lang = project.title.original_lang
        form.title.data = project.title.original
        form.description.data = project.description.original
        form.lang.data = lang
        form.starts_on.data, form.ends_on.data = project.starts_on, project.ends_on
        form.visibility.data = project.visibility
        form.requester_lead.data = project.requester_lead_id
        form.expert_lead.data = project.expert_lead_id
        form.version.data = str(project.version)
    code, theirs = 200, None
    if request.method == "POST":
        code = 422
        if form.validate_on_submit():
            try:
                services.update_project(
                    current_user,
                    project,
                    expected_version=_int_or_none(form.version.data),
                    **_plan(form),
                )
            except ProjectRuleError as error:
                _field_error(form, error)
            except EditConflict:
                project = _load(project_id)
                theirs = project
                # Saving again now overwrites knowingly: the editor has seen their version.
                form.version.data = str(project.version)
                code = 409
            else:
                flash(_("The project was saved."), "success")
                return redirect(url_for("projects.detail", project_id=project.id))
    return (
        render_template(
            "projects/edit.html",
            form=form,
            project=project,
            theirs=theirs,
            agreement=agreement,
            validity_hint=services.validity_hint(agreement),
        ),
        code,
    )


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- the project page


@bp.route("/<int:project_id>")
@pagecache.kept_for_viewers(per_person=True)
def detail(project_id: int):
    return _render_detail(_load(project_id))


@bp.route("/<int:project_id>/status", methods=["POST"])
@login_required
def change_status(project_id: int):
    project = _load(project_id)
    if not project.can_manage(current_user):
        abort(403)
    form = StatusForm(prefix="status")
    # Every status is a valid choice here, so that a refused transition is the model's
    # clear 409 rather than "not a valid choice".
    form.set_choices(list(ProjectStatus))
    if form.validate_on_submit():
        target = ProjectStatus(form.status.data)
        services.change_status(current_user, project, target)
        flash(_("The project is now %(status)s.", status=target.label.lower()), "success")
        return redirect(url_for("projects.detail", project_id=project.id))
    return _render_detail(project, status_form=form, code=422)


@bp.route("/<int:project_id>/milestones", methods=["POST"])
@login_required
def add_milestone(project_id: int):
    project = _load(project_id)
    if not project.can_manage(current_user):
        abort(403)
    form = MilestoneForm(prefix="milestone")
    if form.validate_on_submit():
        try:
            services.add_milestone(
                current_user,
                project,
                title=form.title.data or "",
                lang=form.lang.data or "",
                due_on=form.due_on.data,
                weight=form.weight.data,
            )
        except ProjectRuleError as error:
            _field_error(form, error)
        else:
            flash(_("The milestone was added."), "success")
            return redirect(url_for("projects.detail", project_id=project_id, _anchor="milestones"))
    return _render_detail(_load(project_id), milestone_form=form, code=422)


@bp.route("/<int:project_id>/milestones/<int:milestone_id>/toggle", methods=["POST"])
@login_required
def toggle_milestone(project_id: int, milestone_id: int):
    project = _load(project_id)
    milestone = next((m for m in project.milestones if m.id == milestone_id), None)
    if milestone is None:
        abort(404)
    if not project.can_report(current_user):
        abort(403)
    # The form says which state it wants, so a double submit does not flip it back.
    wanted = request.form.get("done")
    done = wanted == "1" if wanted in ("0", "1") else not milestone.is_done
    services.set_milestone_done(current_user, milestone, done)
    project = _load(project_id)
    title = render_text(milestone.title).body
    if done:
        message = _(
            "Milestone “%(title)s” is done. Progress: %(progress)s.",
            title=title,
            progress=_progress_text(project),
        )
    else:
        message = _(
            "Milestone “%(title)s” is no longer done. Progress: %(progress)s.",
            title=title,
            progress=_progress_text(project),
        )
    if htmx:
        return render_template(
            "projects/_milestones.html",
            project=project,
            focus_milestone=milestone_id,
            announcement=message,
            **_permissions(project),
        )
    flash(message, "success")
    return redirect(url_for("projects.detail", project_id=project_id, _anchor="milestones"))


@bp.route("/<int:project_id>/reports", methods=["POST"])
@login_required
def add_report(project_id: int):
    project = _load(project_id)
    if not project.can_report(current_user):
        abort(403)
    form = ReportForm(prefix="report")
    form.set_choices()
    if form.validate_on_submit():
        try:
            services.add_report(
                current_user,
                project,
                status=ReportStatus(form.status.data),
                body=form.body.data or "",
                lang=form.lang.data or "",
            )
        except ProjectRuleError as error:
            _field_error(form, error)
        else:
            flash(_("Your status report was published."), "success")
            return redirect(url_for("projects.detail", project_id=project_id, _anchor="reports"))
    return _render_detail(_load(project_id), report_form=form, code=422)
