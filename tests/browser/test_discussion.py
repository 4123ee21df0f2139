"""Comments and documents in Chromium, as a new user meets them: a comment with a mention
chosen from the suggestions appears in place; a document and its second version are uploaded;
a restricted project's file is refused to a partner who takes no part in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import select

from portal.extensions import db
from tests.browser.conftest import LiveServer, sign_in
from tests.browser.journey_support import in_portal, make_project, token, tr

expect.set_options(timeout=10_000)


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url)
    yield context
    context.close()


@pytest.mark.parametrize("lang", ["en", "uk"])
def test_a_comment_with_a_chosen_mention_appears_in_place(context, live_server, lang):
    project = make_project(live_server, f"discussion {token()}")
    page = context.new_page()
    sign_in(page, live_server, "requester", lang)
    page.goto(f"/projects/{project.id}?lang={lang}")
    page.evaluate("window.__sameDocument = true")
    body = page.get_by_label(tr(lang, "Your comment"))
    body.press_sequentially("Please look at the survey @coordin", delay=20)
    suggestion = page.locator("[data-mention='coordinator@example.org']")
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(body).to_have_value("Please look at the survey @coordinator@example.org ")
    page.get_by_role("button", name=tr(lang, "Post the comment")).click()
    comment = page.locator(".comments .comment").last
    expect(comment).to_contain_text("Please look at the survey @coordinator@example.org")
    expect(page.locator("#messages")).to_contain_text(tr(lang, "Your comment was posted."))
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    expect(body).to_have_value("")
    with in_portal(live_server):
        from portal.comments.models import Comment

        stored = db.session.scalar(
            select(Comment).where(Comment.record_id == project.id).order_by(Comment.id.desc())
        )
        assert stored.lang == lang
        assert [p.email for p in stored.mentioned] == ["coordinator@example.org"]


def test_a_document_and_its_second_version(context, live_server):
    project = make_project(live_server, f"documents {token()}")
    page = context.new_page()
    sign_in(page, live_server, "expert", "sv")
    page.goto(f"/projects/{project.id}?lang=sv")
    page.get_by_label(tr("sv", "Title")).fill("Mätprotokoll")
    page.get_by_label(tr("sv", "File"), exact=True).set_input_files(
        files=[
            {
                "name": "matning.txt",
                "mimeType": "text/plain",
                "buffer": "Zon 4: 12 läckor\n".encode(),
            }
        ]
    )
    page.get_by_role("button", name=tr("sv", "Upload"), exact=True).click()
    expect(page.locator("#documents")).to_contain_text("Mätprotokoll")
    page.get_by_role("link", name="Mätprotokoll", exact=True).click()
    page.get_by_label(tr("sv", "File of the new version")).set_input_files(
        files=[
            {
                "name": "matning-2.txt",
                "mimeType": "text/plain",
                "buffer": "Zon 4: 9 läckor\n".encode(),
            }
        ]
    )
    page.get_by_role("button", name=tr("sv", "Upload the new version")).click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("matning-2.txt")
    with page.expect_download() as first:
        page.get_by_role("link", name="matning.txt", exact=True).click()
    assert first.value.suggested_filename == "matning.txt"
    assert Path(first.value.path()).read_bytes() == "Zon 4: 12 läckor\n".encode()


def test_a_restricted_projects_file_is_refused_to_another_partner(context, live_server):
    from portal.accounts.models import User
    from portal.core.enums import Role, Visibility
    from portal.documents import services
    from portal.projects.models import Project

    record = make_project(live_server, f"restricted {token()}")
    with in_portal(live_server):
        project = db.session.get(Project, record.id)
        project.visibility = Visibility.RESTRICTED
        uploader = db.session.scalar(select(User).filter_by(email="kyiv.official@example.org"))
        import io

        document = services.upload(
            uploader,
            project,
            title="Pump station survey",
            lang="en",
            stream=io.BytesIO(b"%PDF-1.4\n%%EOF\n"),
            filename="survey.pdf",
        )
        document_id = document.id
        members = {o.id for o in project.organisations}
        outsider = db.session.scalar(
            select(User)
            .where(User.role == Role.EXPERT, User.organisation_id.not_in(members))
            .where(User.email.like("%@example.org"))
            .order_by(User.id)
        ).email
    page = context.new_page()
    sign_in(page, live_server, outsider, "en")
    for path in (
        f"/documents/{document_id}/versions/1/file",
        f"/documents/{document_id}",
        f"/projects/{record.id}",
    ):
        response = page.request.get(path)
        assert response.status == 404, path
    insider = context.browser.new_context(base_url=live_server.url).new_page()
    sign_in(insider, live_server, "requester", "en")
    response = insider.request.get(f"/documents/{document_id}/versions/1/file")
    assert response.status == 200 and response.body().startswith(b"%PDF")
    insider.context.close()
