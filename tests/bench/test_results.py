"""bench/results/latest.json keeps the shape programs read (hello_rps, floor, pages measured as
cache hit and miss with their class, suggestions), and latest.md checks each page against the
target of its class; without running wrk."""

from __future__ import annotations

import json
from pathlib import Path

from bench import run

PAGE_KEYS = (
    "name",
    "class",
    "cache",
    "database",
    "rps",
    "ratio_to_hello",
    "p50_ms",
    "p95_ms",
    "cpu_ms_portal",
    "cpu_ms_db",
    "ratio_cpu_to_floor",
)
RECORDS = {
    "theme": 3,
    "need": 11,
    "project": 12,
    "discussed_project": 13,
    "public_need": 14,
    "public_project": 15,
}


def figures(rps: float, p95_ms: float, portal_ms: float, db_ms: float) -> dict[str, float]:
    """What bench/run.py's measure() returns for one page (wrk's JSON and the CPU times)."""
    return {
        "requests": int(rps * 15),
        "rps": rps,
        "ok": int(rps * 15),
        "not_ok": 0,
        "socket_errors": 0,
        "p50_ms": p95_ms / 2,
        "p95_ms": p95_ms,
        "p99_ms": p95_ms * 1.5,
        "cpu_ms_portal": portal_ms,
        "cpu_ms_database": db_ms,
    }


def run_result(refresh_s: float | None) -> dict:
    floor_cpu = 4.0
    signed_in_floor_cpu = 2.5
    pages = []
    for page in run.pages(RECORDS):
        # Hits: public pages at 0.5 x hello-world, the others at 0.1 x; misses at 5 ms
        # (1.25 x the floor), the need page at 8 ms (2 x).
        rps = 1000.0 if page["class"] == "public" else 200.0
        pages.append(
            run.page_row(page, "postgresql", "hit", figures(rps, 40.0, 1.0, 0.2), floor_cpu)
        )
        miss_db = 4.0 if page["class"] == "need-page" else 1.0
        pages.append(
            run.page_row(
                page,
                "postgresql",
                "miss",
                figures(80.0, 300.0, 4.0, miss_db),
                floor_cpu,
                signed_in_floor_cpu,
            )
        )
    return {
        "database": ["postgresql"],
        "machine": {
            "cores": 2,
            "cpu": "test",
            "memory_gib": 4,
            "os": "Linux",
            "python": "3.11",
            "sqlite": "3",
            "sqlalchemy": "2",
            "gunicorn": "23",
            "wrk": "wrk 4",
            "load_average_at_start": 0.1,
        },
        "settings": {"threads": 2, "connections": 16, "duration_s": 15, "warmup_s": 3},
        "records": {"needs": 100_000},
        "hello_rps": 2000.0,
        "hello": {"cpu_ms_portal": 0.35},
        "floor": {
            "database": "postgresql",
            "cpu_ms": floor_cpu,
            "cpu_ms_portal": 2.5,
            "cpu_ms_db": 1.5,
            "rps": 400.0,
            "p95_ms": 60.0,
            "signed_in": {
                "database": "postgresql",
                "cpu_ms": signed_in_floor_cpu,
                "cpu_ms_portal": 1.5,
                "cpu_ms_db": 1.0,
                "rps": 500.0,
                "p95_ms": 50.0,
            },
        },
        "pages": pages,
        "suggestions": {"read_ms": 3.2, "refresh_5000_s": refresh_s},
        "suggestions_detail": {"read": "test"},
        "match_suggestions": {
            "postgresql": {"median_ms": 3.2, "p95_ms": 5.0, "needs": 50, "cpu_median_ms": 2.0}
        },
        "finished_at": "2026-12-02 12:00 UTC",
        "seconds": 60,
    }


def test_latest_json_has_the_shape_of_the_targets(tmp_path: Path):
    result = run_result(refresh_s=None)
    run.assess(result, "postgresql")
    run.write_results(result, tmp_path / "latest")

    data = json.loads((tmp_path / "latest.json").read_text())
    assert list(data)[:4] == ["hello_rps", "floor", "pages", "suggestions"]
    assert data["hello_rps"] == 2000.0
    assert data["floor"]["cpu_ms"] == 4.0
    assert data["suggestions"] == {"read_ms": 3.2, "refresh_5000_s": None}
    names = {p["name"] for p in data["pages"]}
    assert len(data["pages"]) == 2 * len(names)
    for page in data["pages"]:
        assert list(page)[: len(PAGE_KEYS)] == list(PAGE_KEYS)
        assert page["class"] in run.PAGE_CLASSES
        assert page["cache"] in ("hit", "miss")
        assert page["database"] == "postgresql"
        assert isinstance(page["rps"], float) and isinstance(page["ratio_to_hello"], float)
    assert {p["class"] for p in data["pages"]} == set(run.PAGE_CLASSES)
    for name in names:
        assert sorted(p["cache"] for p in data["pages"] if p["name"] == name) == ["hit", "miss"]
    by = {(p["name"], p["cache"]): p for p in data["pages"]}
    need_page = "need detail + suggestions"
    assert by[("public needs list (anonymous)", "hit")]["ratio_to_hello"] == 0.5
    assert by[("public needs list (anonymous)", "miss")]["ratio_cpu_to_floor"] == 1.25
    assert by[(need_page, "miss")]["ratio_cpu_to_floor"] == 2.0
    # Signed-in pages against the signed-in floor too (5 ms / 2.5, 8 / 2.5); public ones not.
    assert by[("dashboard", "miss")]["ratio_cpu_to_signed_in_floor"] == 2.0
    assert by[(need_page, "miss")]["ratio_cpu_to_signed_in_floor"] == 3.2
    assert by[("public needs list (anonymous)", "miss")]["ratio_cpu_to_signed_in_floor"] is None
    # Each against its own target: public hits pass (0.5 >= 0.4, p95 40 <= 50), signed-in
    # hits pass (0.1 < 0.15 misses), the need page's hit passes (0.1 >= 0.08), misses within
    # 1.5 x the floor pass, the need page's (2 x) misses.
    assert by[("public needs list (anonymous)", "hit")]["meets_target"] is True
    assert by[("dashboard", "hit")]["meets_target"] is False
    assert by[(need_page, "hit")]["meets_target"] is True
    assert by[("dashboard", "miss")]["meets_target"] is True
    assert by[(need_page, "miss")]["meets_target"] is False
    assert data["targets"]["suggestions_read_met"] is True
    assert data["targets"]["suggestions_refresh_met"] is None
    assert data["targets"]["met"] is False

    report = (tmp_path / "latest.md").read_text()
    assert "| need detail + suggestions (`/needs/<id>`) | need-page | miss |" in report
    row = next(line for line in report.splitlines() if line.startswith("| dashboard ("))
    assert row.endswith("| **miss** |")
    miss_row = next(
        line
        for line in report.splitlines()
        if line.startswith("| dashboard (") and "| miss |" in line
    )
    assert miss_row.endswith("| 1.25 | 2.00 | pass |")
    assert "Signed-in floor: " in report and "**2.5 ms CPU per request**" in report
    assert "Refreshing suggestions was not measured" in report


def test_refreshing_suggestions_is_checked_where_measured(tmp_path: Path):
    result = run_result(refresh_s=75.0)
    run.assess(result, "postgresql")
    run.write_results(result, tmp_path / "latest")
    data = json.loads((tmp_path / "latest.json").read_text())
    assert data["suggestions"]["refresh_5000_s"] == 75.0
    assert data["targets"]["suggestions_refresh_met"] is False
    assert "misses the target of 60 s (75.0 s)" in (tmp_path / "latest.md").read_text()


def test_the_cache_miss_runs_turn_the_output_cache_off():
    assert run.CACHE_OFF == {"PAGE_CACHE_SECONDS": "0"}
    assert run.CACHES == ("hit", "miss")


def test_cpu_of_processes_that_start_or_end_during_a_run():
    from bench.support import cpu_spent

    before = {10: 5.0, 11: 2.0, 12: 1.0}  # 12 ends during the run
    after = {10: 5.5, 11: 2.25, 13: 0.5}  # 13 starts during it
    assert cpu_spent(before, after) == 0.5 + 0.25 + 0.5
