"""Parts of record pages kept rendered (portal.web.kept_form, kept_part): a blank form and a
text's language versions are the same markup for every reader with the same key, but for the
CSRF token, which must be each session's own. A form showing errors is never kept, and a
changed period, status, choice or translation is a new part, never the old one."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from portal import web
from portal.accounts.models import User
from portal.comments import services as comments
from portal.comments.forms import CommentForm
from portal.comments.models import EDIT_WINDOW, Comment
from portal.content.models import TextVersion
from portal.core.enums import ProjectStatus, Visibility
from portal.core.types import utcnow
from portal.documents import services as documents
from portal.documents.forms import UploadForm
from portal.extensions import db
from portal.projects.forms import MilestoneForm, ReportForm, StatusForm
from portal.projects.models import Milestone, Project, StatusReport
from tests.conftest import EMAILS
from tests.projects import factories as f

TOKEN = re.compile(r'name="(?:[\w-]+-)?csrf_token" (?:type="hidden" )?value="([^"]+)"')
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


pytestmark = pytest.mark.usefixtures("no_kept_parts")


@pytest.fixture
def project(app, users):
    match = f.agreed_match(users, visibility=Visibility.PARTNERS)
    with app.test_request_context():
        project = f.start(users, [match])
        db.session.commit()
    f.milestone(project, "Survey of pressure zones", weight=1, due_on=f.START)
    with app.test_request_context():
        comments.post(users["coordinator"], project, "The survey starts on Monday.", "en")
        documents.upload(
            users["coordinator"],
            project,
            title="Pressure zone plan",
            lang="uk",
            stream=io.BytesIO(b"Zone 1: Obolon, zone 2: Minska."),
            filename="zones.txt",
        )
        db.session.commit()
    return project


def without_tokens(page: str) -> str:
    """The page with each CSRF token (in forms and in the page's meta tag) written as TOKEN."""
    for token in {*TOKEN.findall(page), *META_TOKEN.findall(page)}:
        page = page.replace(token, "TOKEN")
    return page


def kept_forms(name: str) -> int:
    return sum(1 for key in web._kept_parts._kept if key[0] == name)


def form_of(page: str, action: str) -> str:
    """The form posting to ``action`` (with or without an anchor)."""
    match = re.search(f'action="{re.escape(action)}(#[^"]*)?"', page)
    assert match is not None, f"no form posts to {action}"
    start = match.start()
    return page[page.rindex("<form", 0, start) : page.index("</form>", start)]


@pytest.mark.parametrize("lang", ["en", "sv", "uk"])
def test_a_kept_page_is_the_page_rendered_afresh(client, login, project, lang):
    login("coordinator")
    path = f"/projects/{project.id}?lang={lang}"
    fresh = client.get(path).get_data(as_text=True)
    kept_parts = len(web._kept_parts)
    # The status, milestone, report, upload and comment forms and each text's versions.
    assert kept_parts >= 6
    kept = client.get(path).get_data(as_text=True)
    assert len(web._kept_parts) == kept_parts  # nothing new: every part came from the store
    assert without_tokens(kept) == without_tokens(fresh)
    assert 'id="milestone-title"' in kept and 'id="report-body"' in kept
    # A document's row and the buttons of the reader's own comment came from the store too.
    assert "Pressure zone plan</a>" in kept and "zones.txt" in kept
    assert '<div class="actions">' in kept and "/remove" in kept


def test_each_session_posts_with_its_own_token(app, client, login, project):
    login("coordinator")
    client.get(f"/projects/{project.id}")  # the forms are kept with this session's token
    assert web._kept_parts

    other = app.test_client()
    other.login(EMAILS["coordinator"])
    page = other.get(f"/projects/{project.id}").get_data(as_text=True)
    form = form_of(page, f"/projects/{project.id}/milestones")
    (token,) = TOKEN.findall(form)
    response = other.post(
        f"/projects/{project.id}/milestones",
        data={
            "milestone-csrf_token": token,
            "milestone-title": "Training of the district teams",
            "milestone-lang": "en",
            "milestone-due_on": f.START.isoformat(),
            "milestone-weight": "2",
        },
        csrf=False,  # only the token the kept form carries
    )
    assert response.status_code == 302
    assert db.session.scalar(db.select(Milestone).where(Milestone.weight == 2)) is not None
    # Every token on the page is the one this session's forms were given.
    assert set(TOKEN.findall(page)) == {token}


def test_a_form_with_errors_is_rendered_afresh(client, login, project):
    login("coordinator")
    client.get(f"/projects/{project.id}")
    assert kept_forms("add-milestone") == 1
    refused = client.post(
        f"/projects/{project.id}/milestones",
        data={"milestone-title": "", "milestone-lang": "en", "milestone-weight": "1"},
    )
    assert refused.status_code == 422
    form = form_of(refused.get_data(as_text=True), f"/projects/{project.id}/milestones")
    assert 'id="milestone-title-error"' in form and "Enter what the milestone is." in form
    assert kept_forms("add-milestone") == 1  # the refused form was this request's own
    # The next visit is shown the blank form again, without the other request's errors.
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    form = form_of(page, f"/projects/{project.id}/milestones")
    assert "milestone-title-error" not in form and "Enter what the milestone is." not in form


def test_a_changed_period_or_status_is_a_new_form(client, login, project):
    login("coordinator")
    page = client.get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    before = form_of(page, f"/projects/{project.id}/milestones")
    assert f'max="{f.END.isoformat()}"' in before

    row = db.session.get(Project, project.id)
    row.ends_on = f.END.replace(month=6, day=30)
    db.session.commit()
    page = client.get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    after = form_of(page, f"/projects/{project.id}/milestones")
    assert 'max="' + f.END.replace(month=6, day=30).isoformat() + '"' in after

    status = form_of(page, f"/projects/{project.id}/status")
    row = db.session.get(Project, project.id)
    row.status = ProjectStatus.ACTIVE
    db.session.commit()
    page = client.get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    # A planned project may start; an active one may be completed.
    assert 'value="completed"' not in status and 'value="active"' in status
    after = form_of(page, f"/projects/{project.id}/status")
    assert 'value="completed"' in after and 'value="active"' not in after


def test_a_new_translation_shows_in_the_versions_at_once(client, login, project):
    login("coordinator")
    page = client.get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    title_id = db.session.get(Project, project.id).title_id
    versions = page[page.index(f'id="text-{title_id}-sv"') :].split("</li>")[0]
    assert "No Swedish version yet" in versions and "add one" in versions

    db.session.add(
        TextVersion(text_id=title_id, lang="sv", body="Läcksökning i Obolonskyj", is_machine=True)
    )
    db.session.commit()
    page = client.get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    versions = page[page.index(f'id="text-{title_id}-sv"') :].split("</li>")[0]
    assert "Swedish version (machine translation)" in versions
    # The approve button posts with this request's token.
    (token,) = TOKEN.findall(versions)
    assert token in TOKEN.findall(form_of(page, f"/projects/{project.id}/milestones"))


def test_kept_part_puts_back_each_requests_token(app):
    rendered: list[str] = []

    def render() -> str:
        rendered.append(web.g.csrf_token)
        return render_with(web.g.csrf_token)

    tokens = []
    for session_token in ("first-session", "second-session"):
        with app.app_context(), app.test_request_context("/projects/1"):  # a new g
            web.session["csrf_token"] = session_token
            web.generate_csrf()
            tokens.append(web.g.csrf_token)
            assert web.kept_part("a-form", (1,), render) == render_with(web.g.csrf_token)
    assert len(rendered) == 1 and tokens[0] != tokens[1]


def render_with(token: str) -> str:
    return f'<form><input name="csrf_token" value="{token}"></form>'


def test_each_reader_gets_the_buttons_they_may_use(app, client, login, users, project):
    with app.test_request_context():
        comments.post(users["requester"], project, "The pressure logs are uploaded.", "en")
        db.session.commit()

    def actions(page: str) -> str:
        comment = page[page.index("The pressure logs are uploaded.") :].split("</li>")[0]
        return comment.split('<div class="actions">')[1] if "actions" in comment else ""

    login("requester")  # the author: may correct and remove
    mine = actions(client.get(f"/projects/{project.id}").get_data(as_text=True))
    assert "/edit" in mine and "/remove" in mine
    # Once the time to correct it has passed, the author may only remove it.
    comment = db.session.scalar(
        db.select(Comment).where(Comment.author_id == users["requester"].id)
    )
    comment.created_at -= EDIT_WINDOW + timedelta(minutes=1)
    db.session.commit()
    mine = actions(client.get(f"/projects/{project.id}").get_data(as_text=True))
    assert "/edit" not in mine and "/remove" in mine
    client.logout()
    login("coordinator")  # may remove anyone's, correct only their own
    theirs = actions(client.get(f"/projects/{project.id}").get_data(as_text=True))
    assert "/remove" in theirs and "/edit" not in theirs
    client.logout()
    login("expert")  # a participant, not the author: neither
    assert actions(client.get(f"/projects/{project.id}").get_data(as_text=True)) == ""


def test_the_dashboard_filters_show_each_requests_choice(client, login, project):
    login("coordinator")
    theme_id = db.session.get(Project, project.id).theme_id

    def selected(query: str) -> list[str]:
        page = client.get(f"/dashboard/{query}").get_data(as_text=True)
        form = page[page.index('class="filters"') :].split("</form>")[0]
        return re.findall(r'<option selected value="([^"]*)"', form)

    assert selected("") == ["", ""]
    assert selected(f"?theme={theme_id}") == [str(theme_id), ""]
    assert selected("") == ["", ""]
    assert kept_forms("dashboard-filters") == 2


def test_a_ticked_or_translated_milestone_is_a_new_row(client, login, project):
    login("coordinator")
    milestone = db.session.scalar(db.select(Milestone).where(Milestone.project_id == project.id))

    def row() -> str:
        page = client.get(f"/projects/{project.id}?lang=sv").get_data(as_text=True)
        return page[page.index(f'<tr id="milestone-{milestone.id}">') :].split("</tr>")[0]

    before = row()
    assert "Markera som klar" in before and "Survey of pressure zones" in before
    toggled = client.post(
        f"/projects/{project.id}/milestones/{milestone.id}/toggle",
        data={"done": "1"},
        headers={"HX-Request": "true"},
    )
    assert toggled.status_code == 200
    assert "data-focus-after-swap" in toggled.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Milestone, milestone.id).done_on is not None
    after = row()
    assert "Markera som inte klar" in after and "data-focus-after-swap" not in after

    db.session.add(
        TextVersion(text_id=milestone.title_id, lang="sv", body="Kartläggning av tryckzoner")
    )
    db.session.commit()
    assert "Kartläggning av tryckzoner" in row()


def report_article(page: str, text: str) -> str:
    """The status report's article that shows ``text``."""
    at = page.index(text)
    return page[page.rindex("<article", 0, at) : page.index("</article>", at)]


def test_a_status_report_is_kept_and_shows_every_change_at_once(client, login, project, users):
    login("requester")
    written = client.post(
        f"/projects/{project.id}/reports",
        data={"report-status": "at_risk", "report-body": "Pipes are late.", "report-lang": "en"},
    )
    assert written.status_code == 302
    login("coordinator")
    path = f"/projects/{project.id}?lang=en"
    fresh = client.get(path).get_data(as_text=True)
    assert sum(1 for key in web._kept_parts._kept if key[0] == "status-report") == 1
    kept = client.get(path).get_data(as_text=True)
    assert without_tokens(report_article(kept, "Pipes are late.")) == without_tokens(
        report_article(fresh, "Pipes are late.")
    )

    # Its author's new name, then a Swedish version of its text: each shown on the next visit.
    report = db.session.scalar(db.select(StatusReport).where(StatusReport.project_id == project.id))
    db.session.get(User, users["requester"].id).name = "Olena Renamed-Kovalenko"
    db.session.commit()
    article = report_article(client.get(path).get_data(as_text=True), "Pipes are late.")
    assert "Olena Renamed-Kovalenko" in article

    db.session.add(TextVersion(text_id=report.body_id, lang="sv", body="Rören är sena."))
    db.session.commit()
    article = report_article(client.get(path).get_data(as_text=True), "Pipes are late.")
    swedish_item = article.split(f'id="text-{report.body_id}-sv"')[1].split("</li>")[0]
    assert "Swedish version" in swedish_item and "add one" not in swedish_item
    swedish = client.get(f"/projects/{project.id}?lang=sv").get_data(as_text=True)
    assert "Rören är sena." in swedish and "Pipes are late." not in swedish


def test_a_blank_form_whose_markup_is_kept_is_not_built(client, login, project, monkeypatch):
    login("coordinator")
    path = f"/projects/{project.id}?lang=en"
    client.get(path)
    built: set[type] = set()
    build = web.BlankForm.form.fget

    def counted(self):
        built.add(self.key[0])
        return build(self)

    monkeypatch.setattr(web.BlankForm, "form", property(counted))
    page = client.get(path).get_data(as_text=True)
    assert built == set()
    assert 'id="milestone-title"' in page and 'id="report-body"' in page
    assert 'name="status-status"' in page and f'id="comment-project-{project.id}-body"' in page
    assert 'enctype="multipart/form-data"' in page
    # A reader of another language is offered them in Swedish: each built once for it.
    page = client.get(f"/projects/{project.id}?lang=sv").get_data(as_text=True)
    assert built == {MilestoneForm, ReportForm, StatusForm, CommentForm, UploadForm}
    assert "Skriv en lägesrapport" in page


def test_the_upload_forms_choices_follow_a_renamed_milestone(client, login, project):
    login("coordinator")
    path = f"/projects/{project.id}?lang=en"
    upload = form_of(client.get(path).get_data(as_text=True), f"/r/project/{project.id}/documents")
    assert "Milestone: Survey of pressure zones</option>" in upload

    milestone = db.session.scalar(db.select(Milestone).where(Milestone.project_id == project.id))
    version = db.session.scalar(
        db.select(TextVersion).where(TextVersion.text_id == milestone.title_id)
    )
    version.body = "Survey of pressure zones, north bank"
    db.session.commit()
    upload = form_of(client.get(path).get_data(as_text=True), f"/r/project/{project.id}/documents")
    assert "Milestone: Survey of pressure zones, north bank</option>" in upload


def timeline_of(page: str) -> str:
    start = page.index('<h2 id="timeline-heading">')
    return page[start : page.index("</section>", start)]


def kept_twice(client, path: str, part_of, name: str) -> str:
    """The part of ``path``'s page that ``part_of`` cuts out, as its first visit renders it and
    kept under ``name``: the second visit renders the same, read from the store, but for the
    CSRF tokens of the forms beside it (signed with the second they were made in)."""
    fresh = part_of(client.get(path).get_data(as_text=True))
    assert kept_forms(name) == 1
    assert without_tokens(part_of(client.get(path).get_data(as_text=True))) == without_tokens(fresh)
    assert kept_forms(name) == 1  # nothing new: the second visit read it from the store
    return fresh


def test_the_timeline_is_kept_and_shows_every_change_at_once(client, login, project):
    login("coordinator")
    path = f"/projects/{project.id}?lang=sv"
    fresh = kept_twice(client, path, timeline_of, "timeline")
    assert "Survey of pressure zones" in fresh and "Delmål klart:" not in fresh

    # The milestone done, the project started, the title in Swedish: each shown on the next visit.
    milestone = db.session.scalar(db.select(Milestone).where(Milestone.project_id == project.id))
    ticked = client.post(
        f"/projects/{project.id}/milestones/{milestone.id}/toggle", data={"done": "1"}
    )
    assert ticked.status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(Milestone, milestone.id).done_on is not None
    assert "Delmål klart:" in timeline_of(client.get(path).get_data(as_text=True))

    started = client.post(f"/projects/{project.id}/status", data={"status-status": "active"})
    assert started.status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, project.id).status == ProjectStatus.ACTIVE
    timeline = timeline_of(client.get(path).get_data(as_text=True))
    assert "Statusen ändrades från" in timeline

    db.session.add(
        TextVersion(text_id=milestone.title_id, lang="sv", body="Kartläggning av tryckzoner")
    )
    db.session.commit()
    timeline = timeline_of(client.get(path).get_data(as_text=True))
    assert "Kartläggning av tryckzoner" in timeline and "Survey of pressure zones" not in timeline
    # Another language is another part, rendered in that language.
    english = timeline_of(client.get(f"/projects/{project.id}?lang=en").get_data(as_text=True))
    assert "Milestone done:" in english and "Survey of pressure zones" in english


def comments_of(page: str) -> str:
    start = page.index('<ol class="comments">')
    return page[start : page.index("</ol>", start)]


def test_a_thread_is_kept_whole_and_follows_the_clock_and_the_reader(
    app, client, login, users, project, monkeypatch
):
    with app.test_request_context():
        comments.post(users["requester"], project, "The pressure logs are uploaded.", "en")
        db.session.commit()
    login("requester")
    path = f"/projects/{project.id}?lang=uk"
    fresh = client.get(path).get_data(as_text=True)
    assert kept_forms("comments") == 1
    kept = client.get(path).get_data(as_text=True)
    assert kept_forms("comments") == 1  # the second visit read the whole list from the store
    assert without_tokens(comments_of(kept)) == without_tokens(comments_of(fresh))
    assert "/edit" in comments_of(kept)
    # Each token in the kept list is this session's.
    assert set(TOKEN.findall(comments_of(kept))) == set(META_TOKEN.findall(kept))

    # Nothing in the thread changed, but the time to correct the comment has passed.
    later = utcnow() + EDIT_WINDOW + timedelta(minutes=1)
    monkeypatch.setattr("portal.comments.views.utcnow", lambda: later)
    monkeypatch.setattr("portal.comments.models.utcnow", lambda: later)
    mine = comments_of(client.get(path).get_data(as_text=True))
    assert "/edit" not in mine and "/remove" in mine

    # The htmx answer to a new comment puts the focus on it, the page after does not.
    posted = client.post(
        f"/r/project/{project.id}/comments",
        data={
            f"comment-project-{project.id}-body": "Valves arrive on Friday.",
            f"comment-project-{project.id}-lang": "en",
        },
        headers={"HX-Request": "true"},
    )
    assert posted.status_code == 200
    newest = db.session.scalar(db.select(Comment).where(Comment.body == "Valves arrive on Friday."))
    assert newest is not None
    answer = posted.get_data(as_text=True)
    assert f'<li id="comment-{newest.id}" class="comment" data-focus-after-swap>' in answer
    page = client.get(path).get_data(as_text=True)
    assert "Valves arrive on Friday." in page and "data-focus-after-swap" not in comments_of(page)


def documents_of(page: str) -> str:
    start = page.index('<h2 id="documents-heading">')
    return page[start : page.index("</section>", start)]


def upload(app, user: User, record, title: str, filename: str, content: bytes) -> None:
    with app.test_request_context():
        documents.upload(
            user, record, title=title, lang="en", stream=io.BytesIO(content), filename=filename
        )
        db.session.commit()


def test_the_documents_list_is_kept_and_shows_a_renamed_milestone_and_a_new_file(
    app, client, login, users, project
):
    milestone = db.session.scalar(db.select(Milestone).where(Milestone.project_id == project.id))
    coordinator = users["coordinator"]
    upload(app, coordinator, milestone, "Pressure readings", "readings.csv", b"Zone 1: 3.1 bar.")
    login("coordinator")
    path = f"/projects/{project.id}?lang=en"
    fresh = kept_twice(client, path, documents_of, "documents")
    assert "<h3>Milestone: Survey of pressure zones</h3>" in fresh and "readings.csv" in fresh

    version = db.session.scalar(
        db.select(TextVersion).where(TextVersion.text_id == milestone.title_id)
    )
    version.body = "Survey of pressure zones, north bank"
    db.session.commit()
    renamed = documents_of(client.get(path).get_data(as_text=True))
    assert "<h3>Milestone: Survey of pressure zones, north bank</h3>" in renamed

    upload(app, coordinator, project, "Valve schedule", "valves.txt", b"Friday: 12 valves.")
    assert "valves.txt" in documents_of(client.get(path).get_data(as_text=True))
