"""``flask users create`` and ``flask users deactivate``."""

from __future__ import annotations

from portal.accounts.models import User
from portal.audit.models import AuditEvent
from portal.extensions import db
from tests.conftest import EMAILS, PASSWORD


def _create(runner, *extra: str, password: str = "a good long password", **options: str):  # noqa: S107
    args = {
        "--email": "Bohdan.Kravets@kyiv.test",
        "--name": "Bohdan Kravets",
        "--role": "requester",
        "--organisation": "Kyivteploenergo",
    }
    args.update({f"--{k}": v for k, v in options.items()})
    argv = ["users", "create"]
    for key, value in args.items():
        argv += [key, value]
    return runner.invoke(args=[*argv, *extra], input=f"{password}\n{password}\n")


def test_users_create_makes_an_account_that_can_sign_in(app, runner, client):
    result = _create(runner)
    assert result.exit_code == 0, result.output
    assert "created bohdan.kravets@kyiv.test." in result.output.lower()
    user = db.session.scalar(db.select(User).filter_by(email="bohdan.kravets@kyiv.test"))
    assert user.role.value == "requester"
    assert user.organisation.name_en == "Kyivteploenergo"
    client.login("bohdan.kravets@kyiv.test", "a good long password")
    assert client.get("/profile").status_code == 200
    event = db.session.scalar(
        db.select(AuditEvent).filter_by(action="create", record_type="user", record_id=user.id)
    )
    assert event is not None and event.actor_id is None
    assert "password_hash" not in event.after


def test_users_create_finds_the_organisation_by_its_swedish_or_ukrainian_name(app, runner):
    result = _create(runner, organisation="Київтеплоенерго", email="a@kyiv.test")
    assert result.exit_code == 0, result.output
    result = _create(
        runner, organisation="Stadsledningskontoret", email="b@stockholm.test", role="coordinator"
    )
    assert result.exit_code == 0, result.output


def test_users_create_refuses_an_unknown_organisation(app, runner):
    result = _create(runner, organisation="Ministry of Silly Walks")
    assert result.exit_code != 0
    assert "No organisation named 'Ministry of Silly Walks'" in result.output
    assert db.session.scalar(db.select(User).filter_by(email="bohdan.kravets@kyiv.test")) is None


def test_users_create_refuses_a_duplicate_email(app, runner):
    result = _create(runner, email="REQUESTER@kyiv.test")
    assert result.exit_code != 0
    assert "already exists" in result.output
    count = db.session.scalar(
        db.select(db.func.count(User.id)).where(User.email == "requester@kyiv.test")
    )
    assert count == 1


def test_users_create_refuses_an_unknown_role(app, runner):
    result = _create(runner, role="emperor")
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.output


def test_users_create_needs_the_password_twice_the_same(app, runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "c@kyiv.test",
            "--name",
            "C",
            "--role",
            "expert",
            "--organisation",
            "Stokab",
        ],
        input="first password here\nsecond password here\n",
    )
    assert result.exit_code != 0
    assert db.session.scalar(db.select(User).filter_by(email="c@kyiv.test")) is None


def test_users_deactivate_ends_sessions_and_sign_in(app, runner, users):
    member = app.test_client()
    member.login(EMAILS["expert"])
    assert member.get("/profile").status_code == 200

    result = runner.invoke(args=["users", "deactivate", "--email", "Expert@Stockholm.test"])
    assert result.exit_code == 0, result.output
    assert "Deactivated" in result.output

    assert member.get("/profile").status_code == 302
    response = member.post("/login", data={"email": EMAILS["expert"], "password": PASSWORD})
    assert response.status_code == 422
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="deactivate"))
    assert event.record_id == users["expert"].id
    assert event.after == {"is_active_account": False, "session_generation": 1}


def test_users_deactivate_refuses_an_unknown_account(app, runner):
    result = runner.invoke(args=["users", "deactivate", "--email", "nobody@kyiv.test"])
    assert result.exit_code != 0
    assert "No account nobody@kyiv.test" in result.output
