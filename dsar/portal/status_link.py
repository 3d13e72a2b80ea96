"""The subject's status link (``/r/<reference>?t=…``): the request its secret opens.

One check shared by the status page, its withdraw form (``portal.views``) and the download
from it (``downloads.views``), so every page the link opens refuses a wrong secret alike.
"""
from __future__ import annotations

from flask_babel import gettext as _

from dsar.errors import NotFound
from dsar.models import RightsRequest
from dsar.services import lifecycle
from dsar.services.notifications import status_token_matches


def request_for_status(reference: str, token: str | None) -> RightsRequest:
    """The request the secret link opens; 404 alike for a wrong token and an unknown reference."""
    found = lifecycle.find_request(reference, tenant_id=None)  # the token proves the rest
    if found is None or not status_token_matches(found, token):
        raise NotFound(_("This page does not exist. Use the link from our latest message."))
    return found
