"""Concurrent intake loses no request: every 202 sent back is a stored request with its
verification message, under 40 simultaneous submissions over real HTTP."""
import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from dsar.extensions import db
from dsar.models import OutboxMessage, RightsRequest
from tests.factories import make_tenant

SUBMISSIONS = 40


def _submit(base_url: str, n: int) -> tuple[int, str | None]:
    body = json.dumps({"type": "access", "email": f"person{n}@example.com", "name": f"Person {n}"}).encode()
    request = urllib.request.Request(f"{base_url}/api/v1/tenants/acme/requests", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())["reference"]
    except urllib.error.HTTPError as exc:
        return exc.code, None


def test_concurrent_submissions_are_all_stored(app, live_server):
    make_tenant("acme")
    with ThreadPoolExecutor(max_workers=SUBMISSIONS) as pool:
        results = list(pool.map(lambda n: _submit(live_server, n), range(SUBMISSIONS)))
    accepted = [reference for status, reference in results if status == 202]
    assert len(accepted) == SUBMISSIONS, f"answers: {sorted(status for status, _ in results)}"
    db.session.remove()
    stored = set(db.session.execute(select(RightsRequest.reference)).scalars())
    assert stored == set(accepted)
    messages = db.session.execute(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.template == "verification")).scalar_one()
    assert messages == SUBMISSIONS
