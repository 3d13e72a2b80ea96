import pytest

from tests.dashboard.factories import FreshContextClient


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()
