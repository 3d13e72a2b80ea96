import pytest

from tests.dashboard.factories import FreshContextClient, signed_in_staff


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def dpo(tenant, client):
    """The module's ``tenant``'s DPO, signed in on ``client``."""
    return signed_in_staff(client, tenant, "dpo")
