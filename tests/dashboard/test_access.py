"""Tenant isolation route by route, and what each role may do."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import url_for

from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import ApiToken, AuditEvent, Export, OutboxMessage, RightsRequest, Task, utcnow
from dsar.services.api_tokens import create_token
from dsar.services.staff_accounts import invite
from tests.dashboard.factories import make_request, sign_in
from tests.factories import make_tenant, make_user

#: URL arguments that name a tenant-owned row -> the attribute of a ``Tenant world`` holding it.
OWNED_ARGUMENTS = {"reference": "reference", "task_id": "task_id", "user_id": "user_id",
                   "token_id": "token_id", "export_id": "export_id", "message_id": "message_id",
                   "invitation_id": "invitation_id"}
#: URL arguments that are not tenant-owned, with the value to use.
OTHER_ARGUMENTS = {"name": "note"}
#: Routes whose only argument is not tenant-owned: the tenant comes from the session.
SESSION_SCOPED = {"dashboard.job_run"}


class World:
    """One tenant with one of everything the dashboard addresses by id."""

    def __init__(self, slug: str, role: str = "admin"):
        self.tenant = make_tenant(slug)
        self.user = make_user(self.tenant, role)
        self.colleague = make_user(self.tenant, "agent")
        request = make_request(self.tenant, "erasure", email=f"someone@{slug}.example", name=f"Person of {slug}")
        task = Task(tenant_id=self.tenant.id, request_id=request.id, kind="notify_recipient", title=f"Tell Stripe ({slug})")
        export = Export(tenant_id=self.tenant.id, request_id=request.id, filename=f"{slug}.zip",
                        expires_at=utcnow() + timedelta(days=7))
        db.session.add_all([task, export])
        token = create_token(self.tenant, f"crm-{slug}", actor="test").token
        message = OutboxMessage(tenant_id=self.tenant.id, request_id=request.id, template="acknowledgement",
                                to_enc=keyring().encrypt_text(f"someone@{slug}.example"),
                                subject=f"We received your request ({slug})",
                                body_text_enc=keyring().encrypt_text(f"Hello from {slug}"), status="kept")
        db.session.add(message)
        invitation = invite(self.tenant, f"invited@{slug}.example", "Invited", "auditor", invited_by=None).invitation
        db.session.commit()
        self.message_id, self.invitation_id = message.id, invitation.id
        self.reference, self.task_id, self.export_id = request.reference, task.id, export.id
        self.user_id, self.token_id = self.colleague.id, token.id
        self.email = f"someone@{slug}.example"


def dashboard_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("dashboard.")]


def url_with(app, rule, world: World) -> str:
    values = {}
    for argument in rule.arguments:
        if argument in OWNED_ARGUMENTS:
            values[argument] = getattr(world, OWNED_ARGUMENTS[argument])
        elif argument in OTHER_ARGUMENTS:
            values[argument] = OTHER_ARGUMENTS[argument]
        else:
            raise AssertionError(f"{rule.rule}: say in OWNED_ARGUMENTS or OTHER_ARGUMENTS what <{argument}> is")
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_every_route_answers_404_for_another_tenants_ids(app, client):
    mine, theirs = World("mine"), World("theirs")
    sign_in(client, mine.user, mine.tenant)
    checked = set()
    for rule in dashboard_rules(app):
        if not set(rule.arguments) & set(OWNED_ARGUMENTS):
            assert not rule.arguments or rule.endpoint in SESSION_SCOPED, rule.rule
            continue
        foreign, own = url_with(app, rule, theirs), url_with(app, rule, mine)
        for method in methods(rule):
            response = client.open(foreign, method=method, data={"note": "x", "reason": "x"})
            assert response.status_code == 404, (method, foreign, response.status_code)
            checked.add(rule.endpoint)
        if "GET" in rule.methods and rule.endpoint != "dashboard.export_download":
            # The same page with the tenant's own ids works: the 404 above is the tenant check.
            assert client.get(own).status_code == 200, own
    assert {"dashboard.request_detail", "dashboard.request_action", "dashboard.task_done", "dashboard.export_download",
            "dashboard.user_remove", "dashboard.token_revoke", "dashboard.outbox_message"} <= checked
    db.session.expire_all()
    other = db.session.execute(db.select(RightsRequest).where(RightsRequest.reference == theirs.reference)).scalar_one()
    assert other.status == "unverified" and other.assignee_id is None
    assert db.session.get(Task, theirs.task_id).done_at is None
    assert db.session.get(ApiToken, theirs.token_id).revoked_at is None
    assert not db.session.execute(db.select(AuditEvent).where(AuditEvent.tenant_id == theirs.tenant.id,
                                                              AuditEvent.actor == f"user:{mine.user.id}")).first()


def test_own_ids_work_on_every_get_route(app, client):
    mine = World("mine")
    sign_in(client, mine.user, mine.tenant)
    for rule in dashboard_rules(app):
        if "GET" not in rule.methods or rule.endpoint == "dashboard.export_download":
            continue  # the export needs a real file (tests/dashboard/test_request_page.py)
        url = url_with(app, rule, mine) if rule.arguments and rule.endpoint not in SESSION_SCOPED else None
        if url is None and rule.arguments:
            continue
        response = client.get(url or url_with(app, rule, mine))
        assert response.status_code == 200, (rule.rule, response.status_code)


def test_list_pages_show_nothing_of_another_tenant(client):
    mine, theirs = World("mine"), World("theirs")
    sign_in(client, mine.user, mine.tenant)
    pages = {url: client.get(url).data for url in (
        "/dashboard/", "/dashboard/audit", "/dashboard/users", "/dashboard/tokens", "/dashboard/outbox",
        "/dashboard/jobs", "/dashboard/reports/register.csv")}
    for url, body in pages.items():
        for secret in (theirs.reference, theirs.colleague.email, "crm-theirs", "Tell Stripe (theirs)",
                       "someone@theirs.example", "request (theirs)"):
            assert secret.encode() not in body, (url, secret)
    assert mine.reference.encode() in pages["/dashboard/"]
    assert b"crm-mine" in pages["/dashboard/tokens"] and b"someone@mine.example" in pages["/dashboard/outbox"]
    searched = client.get("/dashboard/", query_string={"q": theirs.email})
    assert theirs.reference.encode() not in searched.data and b"Nothing matches" in searched.data
    assert client.get("/dashboard/audit", query_string={"request": theirs.reference}).status_code == 404


def test_switching_tenant_only_to_ones_the_user_belongs_to(client):
    mine, theirs, third = World("mine"), World("theirs"), World("third")
    from dsar.services.staff_accounts import create_user

    create_user(mine.user.email, "", "", third.tenant, "auditor", actor="test")
    db.session.commit()
    sign_in(client, mine.user, mine.tenant)
    assert client.post("/dashboard/tenant", data={"tenant_id": theirs.tenant.id}).status_code == 404
    assert mine.reference.encode() in client.get("/dashboard/").data
    assert b'id="tenant-switch"' in client.get("/dashboard/").data
    switched = client.post("/dashboard/tenant", data={"tenant_id": third.tenant.id})
    assert switched.status_code == 303
    queue = client.get("/dashboard/")
    assert third.reference.encode() in queue.data and mine.reference.encode() not in queue.data
    # The role follows the tenant: an auditor there, so no acting.
    response = client.post(f"/dashboard/requests/{third.reference}/actions/note", data={"note": "hello"})
    assert response.status_code == 403
    assert client.get(f"/dashboard/requests/{mine.reference}").status_code == 404


# --- roles ----------------------------------------------------------------------------------


def post_routes(app):
    return [rule for rule in dashboard_rules(app) if "POST" in rule.methods and rule.endpoint != "dashboard.switch"]


def test_an_auditor_reads_everything_and_changes_nothing(app, client):
    world = World("audited", role="auditor")
    sign_in(client, world.user, world.tenant)
    for url in ("/dashboard/", f"/dashboard/requests/{world.reference}", "/dashboard/audit?verify=1",
                "/dashboard/reports", "/dashboard/outbox", "/dashboard/jobs", "/dashboard/settings",
                "/dashboard/datamap", "/dashboard/users", "/dashboard/tokens"):
        assert client.get(url).status_code == 200, url
    detail = client.get(f"/dashboard/requests/{world.reference}").data
    assert b"someone@audited.example" in detail  # sees the subject
    assert b"/actions/verify" not in detail  # but is offered no action
    events_before = db.session.execute(db.select(db.func.count()).select_from(AuditEvent)).scalar_one()
    for rule in post_routes(app):
        url = url_with(app, rule, world) if rule.endpoint not in SESSION_SCOPED else "/dashboard/jobs/retention/run"
        response = client.post(url, data={"note": "x", "reason": "x", "name": "x", "email": "new@example.com",
                                          "role": "admin", "password": "long enough password"})
        assert response.status_code == 403, (rule.rule, response.status_code)
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count()).select_from(AuditEvent)).scalar_one() == events_before


@pytest.mark.parametrize("url", ["/dashboard/users", "/dashboard/tokens", "/dashboard/settings"])
def test_an_agent_cannot_manage_users_tokens_or_settings(client, url):
    world = World("agency", role="agent")
    sign_in(client, world.user, world.tenant)
    assert client.get(url).status_code == 200
    assert client.post(url, data={"name": "x", "email": "new@example.com", "role": "admin"}).status_code == 403
    for path in (f"/dashboard/users/{world.user_id}/remove", f"/dashboard/tokens/{world.token_id}/revoke",
                 "/dashboard/jobs/retention/run"):
        assert client.post(path).status_code == 403, path
    page = client.get(url).data
    assert b"Invite someone" not in page and b"Create a token" not in page and b"Save settings" not in page


def test_an_agent_works_requests_but_places_no_legal_hold(client):
    world = World("agency", role="agent")
    sign_in(client, world.user, world.tenant)
    base = f"/dashboard/requests/{world.reference}/actions"
    assert client.post(f"{base}/verify", data={"reason": "Passport seen"}).status_code == 303
    assert client.post(f"{base}/legal_hold", data={"on": "1", "reason": "litigation"}).status_code == 403
    db.session.expire_all()
    found = db.session.execute(db.select(RightsRequest).where(RightsRequest.reference == world.reference)).scalar_one()
    assert found.status == "verified" and not found.legal_hold


def test_the_dashboard_needs_a_signed_in_user(app, client):
    world = World("anon")
    for rule in dashboard_rules(app):
        url = url_with(app, rule, world) if rule.endpoint not in SESSION_SCOPED else "/dashboard/jobs/retention/run"
        for method in methods(rule):
            response = client.open(url, method=method)
            assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)


def test_an_admin_without_a_second_factor_in_this_session_is_sent_to_enrol(client):
    world = World("strict", role="dpo")
    sign_in(client, world.user, world.tenant, second_factor=False)
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-factor")
