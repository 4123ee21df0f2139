"""Comments, mentions and documents posted through the pages reach the right inboxes: the
record's followers, the people mentioned, never the one who wrote or uploaded."""

from __future__ import annotations

import io

from portal.core.enums import Visibility
from portal.extensions import db
from portal.notifications import services as notifications
from tests.documents.files import PDF
from tests.factories import make_need
from tests.notifications.conftest import kinds_for


def test_a_comment_with_a_mention_and_a_document_notify_followers_and_the_mentioned(
    app, client, login, users
):
    need = make_need(users["requester"], visibility=Visibility.PARTNERS)
    notifications.set_following(users["other_expert"], "need", need, True)
    db.session.commit()
    prefix = f"comment-need-{need.id}"

    login("expert")
    response = client.post(
        f"/r/need/{need.id}/comments",
        data={
            f"{prefix}-body": "We can help. @coordinator@stockholm.test, could you broker it?",
            f"{prefix}-lang": "en",
        },
    )
    assert response.status_code in (302, 303)
    assert kinds_for(users["requester"]) == ["comment"]  # owns the need: follows it
    assert kinds_for(users["other_expert"]) == ["comment"]  # follows it
    assert kinds_for(users["coordinator"]) == ["mention"]
    assert kinds_for(users["expert"]) == []  # wrote it

    client.post("/logout")
    login("requester")
    response = client.post(
        f"/r/need/{need.id}/documents",
        data={"title": "Pressure zones", "lang": "uk", "file": (io.BytesIO(PDF), "zones.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 303)
    assert kinds_for(users["other_expert"]) == ["comment", "document"]
    assert kinds_for(users["requester"]) == ["comment"]  # uploaded it
