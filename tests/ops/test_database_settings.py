"""PostgreSQL's JIT compiler is off for the portal's connections: at 100,000 needs it spent about
half a second compiling list counts and dashboard aggregates that run in tens of milliseconds."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal.config import config_from_name


def _options(tmp_path, monkeypatch, url: str, **env: str) -> dict:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.delenv("DB_JIT", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return config_from_name("production")(tmp_path).SQLALCHEMY_ENGINE_OPTIONS


def test_jit_is_off_unless_asked_for(tmp_path, monkeypatch):
    url = "postgresql://portal@db:5432/portal"
    assert _options(tmp_path, monkeypatch, url)["connect_args"]["options"] == "-c jit=off"
    on = _options(tmp_path, monkeypatch, url, DB_JIT="on")
    assert "options" not in on["connect_args"]


def test_the_suite_database_connection_has_jit_off(database_url, tmp_path, monkeypatch):
    """With the production options against the suite's database: PostgreSQL reports jit off;
    SQLite gets none of PostgreSQL's settings."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        options = _options(tmp_path, monkeypatch, f"sqlite:///{tmp_path}/p.db")
        assert "options" not in options.get("connect_args", {})
        return
    options = _options(tmp_path, monkeypatch, url.render_as_string(hide_password=False))
    engine = create_engine(url, connect_args=options["connect_args"])
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW jit")).scalar() == "off"
    finally:
        engine.dispose()
