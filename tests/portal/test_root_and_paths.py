"""`/` with several tenants names none of them (SPEC §2); the dashboard's data-map page shows
the map's file name, never where it sits on the server (issue 13 finding 8)."""
from tests.dashboard.factories import sign_in
from tests.factories import make_tenant, make_user


def test_root_with_several_tenants_is_a_neutral_page(client):
    make_tenant("acme", name="Acme Chat")
    make_tenant("beta", name="Beta Corp")
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for leak in ("acme", "Acme", "beta", "Beta", "/t/"):
        assert leak not in page
    assert "privacy requests" in page.lower()


def test_the_data_map_page_shows_no_absolute_path(client, acme, sample, datamap_dir):
    sign_in(client, make_user(acme, "auditor"), acme)
    for query in ({}, {"online": "1"}):
        page = client.get("/dashboard/datamap", query_string=query).get_data(as_text=True)
        assert "acme.yml" in page and "accounts" in page
        # (The sources' URLs are the map's own words and stay; the file's location does not.)
        assert str(datamap_dir) not in page and "instance/datamaps" not in page
