"""A tenant's data map: where its file is and loading it (SPEC §5)."""
from __future__ import annotations

import os

from flask import current_app

from dsar.datamap.loader import load_datamap
from dsar.datamap.model import DataMap
from dsar.models import Tenant


def datamap_file(tenant: Tenant) -> str | None:
    """The tenant's data-map path; a relative path is taken from DSAR_DATAMAP_DIR."""
    if not tenant.datamap_path:
        return None
    if os.path.isabs(tenant.datamap_path):
        return tenant.datamap_path
    return os.path.join(current_app.config["DSAR_DATAMAP_DIR"], tenant.datamap_path)


def tenant_datamap(tenant: Tenant) -> DataMap | None:
    """The tenant's validated data map, or None when it has none yet.

    Raises DataMapError (a ValidationError naming file, line and key) for a broken map.
    """
    path = datamap_file(tenant)
    return load_datamap(path) if path else None
