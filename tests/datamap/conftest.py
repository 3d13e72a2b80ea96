"""The sample application and its data map, shared with the fulfilment tests."""
from tests.fulfilment.conftest import datamap, sample_app  # noqa: F401  (fixtures)
