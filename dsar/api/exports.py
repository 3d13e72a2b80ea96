"""Staff download of a request's access/portability export (SPEC §8).

``GET /api/v1/requests/<reference>/export`` streams the decrypted ZIP of the request's
newest export. It does not use up the subject's downloads; it is recorded in the audit
trail. Another tenant's reference answers 404, exactly like an unknown one.
"""
from __future__ import annotations

from flask import Response, g
from flask_smorest import Blueprint

from dsar.api.auth import api_actor, token_required
from dsar.errors import NotFound
from dsar.services import audit, exports, lifecycle

blp = Blueprint("exports", __name__, description="Access and portability exports of the tenant's requests.")
SECURITY = [{"bearer": []}]


@blp.get("/requests/<reference>/export")
@token_required
@blp.doc(security=SECURITY, responses={
    "200": {"description": "the export ZIP", "content": {"application/zip": {}}},
    "404": {"description": "no such request of this tenant, or it has no export (any more)"}})
def download_export(reference: str):
    """The request's export ZIP (JSON and CSV per table, manifest, cover letter)."""
    request = lifecycle.find_request(reference, tenant_id=g.tenant.id)
    if request is None:
        raise NotFound(f"no request {reference!r}", details={"field": "reference"})
    export = exports.latest_export(request)
    try:
        chunks = exports.export_chunks(export)
    except exports.Gone as gone:
        raise NotFound(f"request {request.reference} has no export to download: {gone.message}",
                       details={"field": "reference"}) from None
    audit.record(g.tenant.id, "export_downloaded", api_actor(), request=request,
                 payload={"export_id": export.id, "by": "staff"})
    return Response(chunks, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{request.reference}.zip"',
        "Content-Length": str(export.size)})
