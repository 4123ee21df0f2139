"""Documents: uploading and new versions, who may, the checks by content and size, the virus
scanner hook, serving files only to those who see the record, and backups with the files."""

from __future__ import annotations

import io
import socket
import struct
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.enums import Visibility
from portal.documents import storage
from portal.documents.models import Document, DocumentVersion
from portal.documents.services import documents_of
from portal.extensions import db
from tests.conftest import count_queries
from tests.documents.files import ACCEPTED, PDF, REFUSED
from tests.factories import make_need, make_offer
from tests.projects.factories import bare_project


def documents() -> list[Document]:
    db.session.expire_all()
    return list(db.session.scalars(select(Document).order_by(Document.id)))


def upload_form(filename: str, content: bytes, title: str = "Pressure zone plan", **extra) -> dict:
    return {"title": title, "lang": "uk", "file": (io.BytesIO(content), filename), **extra}


@pytest.fixture
def project(users):
    record = bare_project(users, 1, visibility=Visibility.PARTNERS)
    db.session.commit()
    return record


@pytest.fixture
def restricted_project(users):
    record = bare_project(users, 2, visibility=Visibility.RESTRICTED)
    db.session.commit()
    return record


def post_file(client, kind: str, record_id: int, filename: str, content: bytes, **extra):
    return client.post(
        f"/r/{kind}/{record_id}/documents",
        data=upload_form(filename, content, **extra),
        content_type="multipart/form-data",
    )


def test_a_participant_uploads_and_a_second_version_keeps_the_first(
    app, client, login, users, project, told
):
    login("expert")
    response = post_file(client, "project", project.id, "plan.pdf", PDF)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/projects/{project.id}#documents")
    [document] = documents()
    assert (document.record_kind, document.record_id, document.title, document.lang) == (
        "project",
        project.id,
        "Pressure zone plan",
        "uk",
    )
    first = document.current
    assert first.number == 1 and first.size == len(PDF)
    stored = storage.path_of(first.sha256)
    assert stored.read_bytes() == PDF
    assert stored.is_relative_to(Path(app.config["FILES_DIR"]))
    assert not list((Path(app.config["FILES_DIR"]) / "tmp").iterdir())
    assert "Pressure zone plan" in client.get(f"/projects/{project.id}").get_data(as_text=True)

    second = PDF.replace(b"1.4", b"1.7")
    response = client.post(
        f"/documents/{document.id}/versions",
        data={"file": (io.BytesIO(second), "plan v2.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    [document] = documents()
    assert [v.number for v in document.versions] == [2, 1]
    assert client.get(f"/documents/{document.id}/versions/1/file").data == PDF
    assert client.get(f"/documents/{document.id}/versions/2/file").data == second
    page = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "plan v2.pdf" in page and "plan.pdf" in page
    assert [call[0:3] for call in told] == [("document", "project", project.id)] * 2
    actions = list(
        db.session.scalars(
            select(AuditEvent.action).filter_by(record_type="document").order_by(AuditEvent.id)
        )
    )
    assert actions == ["create", "new_version"]


def test_files_are_served_as_attachments_with_a_safe_type(client, login, project):
    login("expert")
    post_file(client, "project", project.id, "Звіт «зона 4».pdf", PDF)
    [document] = documents()
    response = client.get(f"/documents/{document.id}/versions/1/file")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D0%97%D0%B2%D1%96%D1%82" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert {"private", "no-store"} & set(response.headers["Cache-Control"].split(", "))


@pytest.mark.parametrize("kind", list(ACCEPTED))
def test_each_accepted_type_is_recognised_by_its_content(client, login, users, kind):
    filename, content, content_type = ACCEPTED[kind]
    need = make_need(users["requester"])
    login("requester")
    response = post_file(client, "need", need.id, filename, content)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    [document] = documents()
    assert document.current.content_type == content_type
    served = client.get(f"/documents/{document.id}/versions/1/file")
    assert served.data == content and served.headers["Content-Type"] == content_type


@pytest.mark.parametrize("kind", list(REFUSED))
def test_each_refused_type_gets_a_clear_message_and_the_form_keeps_the_title(
    client, login, users, kind
):
    filename, content = REFUSED[kind]
    need = make_need(users["requester"])
    login("requester")
    response = post_file(client, "need", need.id, filename, content, title="Схема мережі")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This kind of file is not accepted." in html
    assert 'value="Схема мережі"' in html
    assert documents() == []


def test_a_name_does_not_make_a_type(client, login, users):
    """A PNG called .pdf is taken as the PNG it is, and named so."""
    need = make_need(users["requester"])
    login("requester")
    post_file(client, "need", need.id, "plan.pdf", ACCEPTED["png"][1])
    [document] = documents()
    assert document.current.content_type == "image/png"
    assert document.current.filename == "plan.pdf.png"


def test_an_empty_file_and_a_missing_file_are_refused(client, login, users):
    need = make_need(users["requester"])
    login("requester")
    assert "The file is empty." in post_file(client, "need", need.id, "a.txt", b"").get_data(
        as_text=True
    )
    response = client.post(
        f"/r/need/{need.id}/documents",
        data={"title": "Plan", "lang": "en"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Choose a file to upload." in response.get_data(as_text=True)
    response = post_file(client, "need", need.id, "a.pdf", PDF, title=" ")
    assert response.status_code == 422 and "Enter a title." in response.get_data(as_text=True)
    assert documents() == []


def test_a_file_over_the_limit_is_refused_on_the_form(app, client, login, users):
    app.config["MAX_DOCUMENT_BYTES"] = 1000
    need = make_need(users["requester"])
    login("requester")
    response = post_file(client, "need", need.id, "big.txt", b"a" * 1001, title="Big")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The file is too large" in html and 'value="Big"' in html
    assert documents() == []
    assert not list((Path(app.config["FILES_DIR"]) / "tmp").iterdir())
    assert post_file(client, "need", need.id, "ok.txt", b"a" * 1000).status_code == 302


def test_a_request_over_the_limit_gets_the_translated_413_page(app, client, login, users):
    app.config["MAX_DOCUMENT_BYTES"] = 1000
    need = make_need(users["requester"])
    login("requester")
    response = client.post(
        f"/r/need/{need.id}/documents?lang=sv",
        data=upload_form("huge.txt", b"a" * (300 * 1024)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "<html" in html and "1 kB" not in html
    assert documents() == []


def test_the_upload_limit_is_not_the_limit_of_other_forms(app, client, login, users):
    """Other requests keep MAX_CONTENT_LENGTH; uploads have MAX_DOCUMENT_BYTES."""
    app.config["MAX_DOCUMENT_BYTES"] = 4 * 1024 * 1024
    need = make_need(users["requester"])
    login("requester")
    content = b"a" * (3 * 1024 * 1024)
    assert post_file(client, "need", need.id, "three-mb.txt", content).status_code == 302
    too_big_elsewhere = client.post("/profile", data={"name": "x" * (3 * 1024 * 1024)})
    assert too_big_elsewhere.status_code == 413


@pytest.mark.parametrize(
    ("who", "kind", "allowed"),
    [
        ("requester", "need", True),  # its own organisation
        ("coordinator", "need", True),
        ("expert", "need", False),  # sees it, may not edit it
        ("expert", "offer", True),
        ("requester", "offer", False),
        ("other_expert", "project", False),  # sees it, takes no part
        ("requester", "project", True),
        ("coordinator", "project", True),
        ("expert", "milestone", True),
        ("other_expert", "milestone", False),
    ],
)
def test_who_may_upload(client, login, users, project, who, kind, allowed):
    records = {
        "need": make_need(users["requester"]),
        "offer": make_offer(users["expert"]),
        "project": project,
        "milestone": project.milestones[0],
    }
    record_id = records[kind].id
    login(who)
    response = post_file(client, kind, record_id, "plan.pdf", PDF)
    assert response.status_code == (302 if allowed else 403)
    assert len(documents()) == (1 if allowed else 0)


def test_milestones_and_reports_documents_show_on_the_project_page(client, login, project):
    login("requester")
    milestone = project.milestones[0]
    response = post_file(
        client,
        "project",
        project.id,
        "survey.pdf",
        PDF,
        title="Survey results",
        attach_to=f"milestone:{milestone.id}",
    )
    assert response.status_code == 302
    [document] = documents()
    assert (document.record_kind, document.record_id) == ("milestone", milestone.id)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Survey results" in page and "Milestone: Milestone 1.0" in page


def test_each_page_lists_its_own_records_documents_only(client, login, users, project):
    """The list is read with a kept statement whose ids are bound parameters: a project's
    page lists its own and its milestones' files, never another project's or a need's."""
    other = bare_project(users, 3, visibility=Visibility.PARTNERS)
    need = make_need(users["requester"], visibility=Visibility.PARTNERS)
    db.session.commit()
    login("requester")
    posted = [
        post_file(client, "project", project.id, "a.pdf", PDF, title="Own plan"),
        post_file(
            client,
            "project",
            project.id,
            "b.pdf",
            PDF,
            title="Own survey",
            attach_to=f"milestone:{project.milestones[0].id}",
        ),
        post_file(client, "project", other.id, "c.pdf", PDF, title="Other plan"),
        post_file(
            client,
            "project",
            other.id,
            "d.pdf",
            PDF,
            title="Other survey",
            attach_to=f"milestone:{other.milestones[0].id}",
        ),
        post_file(client, "need", need.id, "e.pdf", PDF, title="Need drawing"),
    ]
    assert [response.status_code for response in posted] == [302] * 5
    assert len(documents()) == 5
    client.get("/")  # the five "uploaded" messages shown, and gone
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Own plan" in page and "Own survey" in page
    assert "Other plan" not in page and "Other survey" not in page and "Need drawing" not in page
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Need drawing" in page and "Own plan" not in page and "Other plan" not in page
    listed = documents_of([project, *project.milestones])
    assert sorted((kind, [d.title for d in found]) for (kind, _id), found in listed.items()) == [
        ("milestone", ["Own survey"]),
        ("project", ["Own plan"]),
    ]


def test_attaching_to_another_projects_milestone_is_refused(client, login, users, project):
    other = bare_project(users, 3, visibility=Visibility.PARTNERS)
    db.session.commit()
    login("requester")
    response = post_file(
        client,
        "project",
        project.id,
        "survey.pdf",
        PDF,
        attach_to=f"milestone:{other.milestones[0].id}",
    )
    assert response.status_code == 422
    assert documents() == []


def test_a_restricted_projects_files_are_404_to_another_partner(
    client, login, users, restricted_project
):
    login("requester")
    assert post_file(client, "project", restricted_project.id, "secret.pdf", PDF).status_code == 302
    [document] = documents()
    client.post("/logout")
    login("other_expert")
    assert client.get(f"/documents/{document.id}").status_code == 404
    assert client.get(f"/documents/{document.id}/versions/1/file").status_code == 404
    assert client.get(f"/r/project/{restricted_project.id}/documents").status_code == 404
    response = client.post(
        f"/documents/{document.id}/versions",
        data={"file": (io.BytesIO(PDF), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    assert [v.number for v in documents()[0].versions] == [1]
    assert Document.visible_to  # the SQL twin agrees
    visible = db.session.scalars(select(Document).where(Document.visible_to(users["other_expert"])))
    assert list(visible) == []
    visible = db.session.scalars(select(Document).where(Document.visible_to(users["coordinator"])))
    assert [d.id for d in visible] == [document.id]


def test_a_visitor_downloads_a_public_records_file_but_not_a_partners_one(client, login, users):
    public = make_need(users["requester"], visibility=Visibility.PUBLIC)
    partners = make_need(users["requester"], visibility=Visibility.PARTNERS)
    login("requester")
    post_file(client, "need", public.id, "a.pdf", PDF)
    post_file(client, "need", partners.id, "b.pdf", PDF)
    first, second = documents()
    client.post("/logout")
    assert client.get(f"/documents/{first.id}/versions/1/file").status_code == 200
    assert client.get(f"/documents/{second.id}/versions/1/file").status_code == 404


# ---------------------------------------------------------------- the virus scanner hook


class FakeClamd:
    """clamd's INSTREAM on a unix socket: "FOUND" for content holding EICAR, else "OK"."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(4)
        self.scanned: list[bytes] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _address = self.server.accept()
            except OSError:
                return
            with conn:
                command = b""
                while not command.endswith(b"\0"):
                    command += conn.recv(1)
                assert command == b"zINSTREAM\0"
                data = b""
                while True:
                    size = struct.unpack("!L", self._read(conn, 4))[0]
                    if size == 0:
                        break
                    data += self._read(conn, size)
                self.scanned.append(data)
                found = b"EICAR" in data
                conn.sendall(b"stream: Eicar-Test-Signature FOUND\0" if found else b"stream: OK\0")

    @staticmethod
    def _read(conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = conn.recv(size - len(data))
            if not part:
                raise OSError("closed")
            data += part
        return data

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def clamd(app):
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="clamd-"))  # short: unix socket paths are limited
    fake = FakeClamd(directory / "clamd.sock")
    app.config["CLAMD_SOCKET"] = str(fake.path)
    yield fake
    fake.close()


def test_with_a_scanner_a_clean_file_is_scanned_and_accepted(client, login, users, clamd):
    need = make_need(users["requester"])
    login("requester")
    assert post_file(client, "need", need.id, "a.pdf", PDF).status_code == 302
    assert clamd.scanned == [PDF]
    assert len(documents()) == 1


def test_an_infected_file_is_refused_and_audited(app, client, login, users, clamd):
    need = make_need(users["requester"])
    login("requester")
    content = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\n"
    response = post_file(client, "need", need.id, "eicar.txt", content)
    assert response.status_code == 422
    assert "the virus scanner found Eicar-Test-Signature" in response.get_data(as_text=True)
    assert documents() == []
    event = db.session.scalar(select(AuditEvent).filter_by(action="refuse_infected"))
    assert event is not None and event.record_type == "need" and event.record_id == need.id
    assert event.after["signature"] == "Eicar-Test-Signature"
    assert not [p for p in Path(app.config["FILES_DIR"]).rglob("*") if p.is_file()]
    assert not list((Path(app.config["FILES_DIR"]) / "tmp").iterdir())


def test_an_unreachable_scanner_refuses_the_file(app, client, login, users, tmp_path):
    app.config["CLAMD_SOCKET"] = str(tmp_path / "nobody-listens.sock")
    need = make_need(users["requester"])
    login("requester")
    response = post_file(client, "need", need.id, "a.pdf", PDF)
    assert response.status_code == 422
    assert "Please try again later." in response.get_data(as_text=True)
    assert documents() == []


def test_the_admin_page_says_whether_files_are_scanned(app, client, login):
    login("admin")
    assert "Off: uploads are not scanned" in client.get("/admin/documents").get_data(as_text=True)
    app.config["CLAMD_SOCKET"] = "/run/clamav/clamd.ctl"
    assert "On: every upload is scanned" in client.get("/admin/documents").get_data(as_text=True)
    client.post("/logout")
    login("expert")
    assert client.get("/admin/documents").status_code == 403


# ---------------------------------------------------------------- backups


def test_a_backup_restores_the_files_byte_for_byte(app, runner, client, login, users, tmp_path):
    need = make_need(users["requester"])
    login("requester")
    contents = {name: content for name, (_f, content, _t) in ACCEPTED.items()}
    for name, content in contents.items():
        assert post_file(client, "need", need.id, f"{name}.{name}", content).status_code == 302
    versions = {v.sha256: v for v in db.session.scalars(select(DocumentVersion))}
    target = tmp_path / "portal.backup"
    result = runner.invoke(args=["backup", "create", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "document files" in result.output

    files_dir = Path(app.config["FILES_DIR"])
    import shutil

    shutil.rmtree(files_dir)
    db.session.remove()
    result = runner.invoke(args=["backup", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    for sha256, version in versions.items():
        restored = storage.path_of(sha256).read_bytes()
        assert restored == contents[version.filename.split(".")[0]]
    assert len(versions) == len(ACCEPTED)


def test_an_upload_with_a_wrong_csrf_token_is_refused(client, login, project):
    """Found by `make scan` (wapiti): an upload's token must be checked like any form's."""
    login("requester")
    response = client.post(
        f"/r/project/{project.id}/documents",
        data={**upload_form("plan.pdf", PDF), "csrf_token": "wapiti"},
        content_type="multipart/form-data",
        csrf=False,
    )
    assert response.status_code == 400
    assert documents() == []


def test_files_no_version_refers_to_are_swept_after_a_week(
    app, runner, client, login, users, project
):
    """A file is put in place before the database refers to it: when the upload's request is
    rolled back afterwards, the file is left behind. The sweep removes such files (and uploads
    that never finished) once they are a week old; it keeps every file a version refers to,
    and a young one, which may belong to an upload still in its transaction."""
    import hashlib
    import os
    import time

    from portal.accounts.models import User
    from portal.documents import services

    login("expert")
    assert post_file(client, "project", project.id, "plan.pdf", PDF).status_code == 302
    kept = storage.path_of(documents()[0].current.sha256)

    def rolled_back_upload(content: bytes) -> Path:
        with app.test_request_context():
            services.upload(
                db.session.get(User, users["expert"].id),
                db.session.get(type(project), project.id),
                title="Draft",
                lang="en",
                stream=io.BytesIO(content),
                filename="draft.pdf",
            )
            db.session.rollback()
        return storage.path_of(hashlib.sha256(content).hexdigest())

    old_orphan = rolled_back_upload(PDF.replace(b"1.4", b"1.5"))
    young_orphan = rolled_back_upload(PDF.replace(b"1.4", b"1.6"))
    assert old_orphan.exists() and young_orphan.exists()
    assert not db.session.scalar(
        select(DocumentVersion.id).where(DocumentVersion.sha256 == old_orphan.name)
    )
    unfinished = Path(app.config["FILES_DIR"]) / "tmp" / "upload-died"
    unfinished.write_bytes(b"half a file")
    week_ago = time.time() - 8 * 24 * 3600
    for path in (kept, old_orphan, unfinished):
        os.utime(path, (week_ago, week_ago))

    result = runner.invoke(args=["documents", "sweep", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"would remove: {old_orphan.name}" in result.output
    assert "Would remove 1 unreferenced files and 1 unfinished uploads." in result.output
    assert old_orphan.exists() and unfinished.exists()

    result = runner.invoke(args=["documents", "sweep"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 unreferenced files and 1 unfinished uploads." in result.output
    assert not old_orphan.exists() and not unfinished.exists()
    assert kept.read_bytes() == PDF and young_orphan.exists()
    [document] = documents()
    assert client.get(f"/documents/{document.id}/versions/1/file").data == PDF


def test_uploading_a_file_already_stored_makes_it_young_again(app, client, login, project):
    """An unreferenced copy of the same content, old enough to be swept, is not swept while a
    new upload of that content (which keeps the copy instead of writing it again) is open."""
    import os
    import time

    from portal.documents import services

    login("expert")
    assert post_file(client, "project", project.id, "plan.pdf", PDF).status_code == 302
    stored = storage.path_of(documents()[0].current.sha256)
    week_ago = time.time() - 8 * 24 * 3600
    os.utime(stored, (week_ago, week_ago))
    assert post_file(client, "project", project.id, "copy.pdf", PDF).status_code == 302
    assert stored.stat().st_mtime > time.time() - 3600
    with app.app_context():
        assert services.sweep() == ([], 0)


@pytest.mark.parametrize(
    "lang, says",
    [("en", "Too many requests"), ("sv", "För många förfrågningar"), ("uk", "Забагато запитів")],
)
def test_downloading_without_pause_is_asked_to_wait_without_holding_back_others(
    app, client, login, project, lang, says
):
    """A script walking every file is refused after the download limit, in the person's own
    language and with a Retry-After; a colleague behind the same office address still
    downloads, and the person still reads pages."""
    from portal.core.limits import DOWNLOAD_LIMIT
    from tests.conftest import EMAILS

    per_minute = int(DOWNLOAD_LIMIT.split(" per minute")[0])
    office = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    login("expert")
    post_file(client, "project", project.id, "plan.pdf", PDF)
    [document] = documents()
    url = f"/documents/{document.id}/versions/1/file"
    statuses = [client.get(url, **office).status_code for _ in range(per_minute)]
    assert statuses == [200] * per_minute
    refused = client.get(f"{url}?lang={lang}", **office)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert says in refused.get_data(as_text=True) and PDF not in refused.data
    colleague = app.test_client()
    colleague.login(EMAILS["coordinator"])
    assert colleague.get(url, **office).data == PDF
    assert client.get(f"/projects/{project.id}", **office).status_code == 200


def test_the_project_page_lists_each_documents_current_version_in_one_statement(
    app, client, login, project
):
    """Newest first in each group, each with its current version and whoever uploaded that."""
    login("expert")
    assert post_file(client, "project", project.id, "plan.pdf", PDF).status_code == 302
    [plan] = documents()
    client.logout()
    login("requester")
    milestone = project.milestones[0]
    survey = dict(title="Survey results", attach_to=f"milestone:{milestone.id}")
    assert post_file(client, "project", project.id, "survey.pdf", PDF, **survey).status_code == 302
    notes = dict(title="Meeting notes")
    assert post_file(client, "project", project.id, "notes.pdf", PDF, **notes).status_code == 302
    second = PDF.replace(b"1.4", b"1.7") + b"\n% v2"
    response = client.post(
        f"/documents/{plan.id}/versions",
        data={"file": (io.BytesIO(second), "plan v2.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    client.logout()
    login("coordinator")
    with count_queries(app) as statements:
        page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    listed = page.split('id="documents-heading"')[1].split("<form")[0]
    items = [" ".join(item.split()) for item in listed.split("<li ")[1:]]
    assert [item.split('lang="uk">')[1].split("<")[0] for item in items] == [
        "Meeting notes",  # the project's, newest first
        "Pressure zone plan",
        "Survey results",  # the milestone's
    ]
    assert (
        "plan v2.pdf" in items[1] and "version 2" in items[1] and "By Olena Kovalenko" in items[1]
    )
    assert f"/documents/{plan.id}/versions/2/file" in items[1]
    assert "plan.pdf," not in items[1]
    assert "version 1" in items[2] and "By Olena Kovalenko" in items[2]
    assert "By Anna Lindqvist" not in listed
    # (The project's own statement asks whether any document is attached: EXISTS.)
    read = [s for s in statements if "FROM documents" in s and "EXISTS" not in s]
    assert len(read) == 1 and not [
        s for s in statements if s.lstrip().startswith("SELECT document_versions")
    ]


@pytest.mark.parametrize("visibility", [Visibility.PARTNERS, Visibility.RESTRICTED])
@pytest.mark.parametrize("who", ["requester", "expert", "coordinator", "other_expert", "admin"])
def test_a_project_pages_upload_targets_are_those_each_may_upload_to(app, users, visibility, who):
    """The project's page asks ``can_upload`` once, for the project: its milestones and
    reports are offered exactly when each would be on its own."""
    from flask_login import login_user

    from portal.documents import services
    from portal.documents.views import listing

    project = bare_project(users, 3, visibility=visibility)
    db.session.commit()
    with app.test_request_context("/"):
        login_user(users[who])
        targets = [project, *project.milestones, *project.reports]
        expected = [t for t in targets if services.can_upload(users[who], t)]
        shown = listing(project)
        offered = [value for value, _label in shown.form.attach_to.choices] if shown.form else []
        assert offered == [f"{services.kind_of(t)}:{t.id}" for t in expected]
