"""The customer-database fixtures of tests/fulfilment, shared with the data-map tests."""
from tests.fulfilment.conftest import datamap, sample_app, source_url  # noqa: F401
