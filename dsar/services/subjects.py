"""Who a request is about, and whose request it is: read by the request's life
(``services.lifecycle``) and by the messages sent about it (``services.notifications``)."""
from __future__ import annotations

import json
from dataclasses import dataclass

from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import RightsRequest, Tenant


@dataclass(frozen=True)
class Subject:
    """Who the request is about, as given; stored encrypted, looked up by keyed hash.

    ``email`` is None for a request taken by post or phone from someone who gave none, and
    after own-retention erased the identifiers.
    """

    email: str | None = None
    name: str | None = None
    phone: str | None = None
    customer_id: str | None = None
    details: str | None = None


def subject_of(request: RightsRequest) -> Subject:
    """Decrypt the subject's identifiers (None-safe after own-retention erased them)."""
    ring = keyring()
    extra = json.loads(ring.decrypt_text(request.subject_data_enc) or "{}")
    return Subject(email=ring.decrypt_text(request.subject_email_enc) or None,
                   name=ring.decrypt_text(request.subject_name_enc), **extra)


def tenant_of(request: RightsRequest) -> Tenant:
    return db.session.get(Tenant, request.tenant_id)
