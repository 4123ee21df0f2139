"""Files made on request (lists as CSV or Excel, the IATI file, council reports) share one limit
per person, or per address for visitors: the 21st within a minute is answered 429 with a
translated page and a Retry-After, and nobody else is held back by it."""

from __future__ import annotations

import pytest

from portal.core.limits import FILE_LIMIT
from tests.conftest import EMAILS

PER_MINUTE = int(FILE_LIMIT.split(" per minute")[0])


def at(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


@pytest.mark.parametrize(
    "lang, says",
    [
        ("en", "Too many requests"),
        ("sv", "För många förfrågningar"),
        ("uk", "Забагато запитів"),
    ],
)
def test_a_person_making_files_without_pause_is_asked_to_wait(app, login, lang, says):
    client = login("expert")
    # Lists in both formats and the IATI file share the one limit.
    paths = ["/exports/needs.csv", "/exports/offers.xlsx", "/open-data/iati-activities.xml"]
    statuses = [
        client.get(paths[n % len(paths)], **at("198.51.100.1")).status_code
        for n in range(PER_MINUTE)
    ]
    assert 429 not in statuses
    refused = client.get(f"/exports/projects.csv?lang={lang}", **at("198.51.100.1"))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert says in refused.get_data(as_text=True)

    # Another official behind the same office address is not held back; nor are pages.
    other = app.test_client()
    other.login(EMAILS["other_expert"])
    assert other.get("/exports/needs.csv", **at("198.51.100.1")).status_code == 200
    assert client.get("/needs/", **at("198.51.100.1")).status_code == 200


def test_visitors_are_limited_by_their_address(client):
    for _ in range(PER_MINUTE):
        assert client.get("/exports/needs.csv", **at("203.0.113.9")).status_code == 200
    assert client.get("/exports/needs.csv", **at("203.0.113.9")).status_code == 429
    assert client.get("/exports/needs.csv", **at("203.0.113.10")).status_code == 200


def test_council_reports_made_now_count_too(login):
    client = login("coordinator")
    for _ in range(PER_MINUTE):
        client.get("/exports/needs.csv", **at("198.51.100.2"))
    assert client.get("/reports/report.xlsx", **at("198.51.100.2")).status_code == 429
