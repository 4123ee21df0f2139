"""The read API's cost per request at a small size: the demo data on SQLite, in process (the
test client, no HTTP server), anonymous and with a coordinator's token.

    .venv/bin/python bench/api.py [requests]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from portal import create_app
from portal.extensions import db


def main(requests: int = 200) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app(
            {
                "ENV_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": url,
                "API_ADDRESS_RATE_LIMIT": "1000000 per minute",
                "API_TOKEN_RATE_LIMIT": "1000000 per minute",
            }
        )
        with app.app_context():
            from flask_migrate import upgrade
            from sqlalchemy import select

            from portal.accounts.models import User
            from portal.api.services import create_token
            from portal.core.enums import Role
            from portal.seed.demo import load_demo
            from portal.seed.reference import load_reference

            upgrade()
            load_reference()
            load_demo()
            coordinator = db.session.scalar(select(User).where(User.role == Role.COORDINATOR))
            _token, secret = create_token(coordinator, "bench")
            db.session.commit()
        client = app.test_client()
        for label, headers in (
            ("anonymous", {}),
            ("coordinator", {"Authorization": f"Bearer {secret}"}),
        ):
            for path in ("/api/v1/needs?limit=20", "/api/v1/projects?limit=20"):
                client.get(path, headers=headers)  # warm up
                start = time.perf_counter()
                for _ in range(requests):
                    response = client.get(path, headers=headers)
                    assert response.status_code == 200
                elapsed = time.perf_counter() - start
                items = len(response.get_json()["items"])
                print(
                    f"{label:12} {path:28} {items:3} items  "
                    f"{1000 * elapsed / requests:6.1f} ms/request"
                )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
