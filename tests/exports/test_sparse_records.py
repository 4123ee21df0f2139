"""Records with only what their forms require (no district, no dates, no person-days, drafts)
export like any other: as the scan's coordinator and admin, every list as CSV and XLSX."""

from __future__ import annotations

import pytest

from portal.core.enums import NeedStatus, Visibility
from tests.factories import make_match, make_need, make_offer


@pytest.mark.parametrize("who", ["coordinator", "admin", "requester", "expert"])
def test_sparse_records_export_for_everyone(client, login, users, who):
    need = make_need(users["requester"], visibility=Visibility.RESTRICTED, person_days=None)
    make_need(users["requester"], status=NeedStatus.DRAFT, district_name=None, published_at=None)
    offer = make_offer(users["expert"])
    make_match(need, offer, users["requester"])
    login(who)
    for name in ("needs", "offers", "matches", "projects", "milestones", "status-reports"):
        for fmt in ("csv", "xlsx"):
            response = client.get(f"/exports/{name}.{fmt}?sep=x")
            assert response.status_code == 200, (name, fmt)
            assert len(response.get_data()) > 0
