"""``GET /download/<token>``: the export ZIP, while the link is valid; a page in words when not.
``GET /r/<reference>/download?t=…``: the same file from the subject's status page, opened by
the status link's secret (the download counts toward the same limit).

The link in the ``export_ready`` message carries the token; only its hash is stored. Each
GET counts one download (HEAD only checks, so a mail scanner peeking at the link does not
use one up); 404 for a token never issued, 410 Gone once it expired or was used up.
"""
from __future__ import annotations

from flask import Response, render_template, request

from dsar.downloads import bp
from dsar.errors import NotFound
from dsar.extensions import db
from dsar.models import RightsRequest
from dsar.portal.status_link import request_for_status  # the status page's own check of its secret
from dsar.services import audit, exports
from dsar.web.unit_of_work import discard

#: The file is personal data: no browser or proxy may keep a copy.
NO_STORE = {"Cache-Control": "no-store"}


@bp.route("/download/<token>", methods=["GET", "HEAD"])
def download(token: str):
    try:
        if request.method == "HEAD":
            export = exports.find_download(token)
            return Response(status=200, mimetype="application/zip", headers=_file_headers(export))
        export = exports.claim_download(token)
        chunks = exports.export_chunks(export)  # opens the file: a missing one is Gone, uncounted
    except NotFound:
        discard()
        return render_template("downloads/unavailable.html", gone=False), 404, NO_STORE
    except exports.Gone:
        discard()
        return render_template("downloads/unavailable.html", gone=True), 410, NO_STORE
    audit.record(export.tenant_id, "export_downloaded", "subject",
                 request=db.session.get(RightsRequest, export.request_id),
                 payload={"export_id": export.id, "downloads": export.downloads, "by": "link"})
    return Response(chunks, mimetype="application/zip", headers=_file_headers(export))


@bp.get("/r/<reference>/download")
def from_status_page(reference: str):
    shown = request_for_status(reference, request.args.get("t"))
    export = exports.downloadable_export(shown)
    try:
        if export is None:
            raise exports.Gone("no download is available for this request")
        export = exports.claim_export(export)
        chunks = exports.export_chunks(export)
    except exports.Gone:
        discard()
        return render_template("downloads/unavailable.html", gone=True), 410, NO_STORE
    audit.record(export.tenant_id, "export_downloaded", "subject", request=shown,
                 payload={"export_id": export.id, "downloads": export.downloads, "by": "status page"})
    return Response(chunks, mimetype="application/zip", headers=_file_headers(export))


def _file_headers(export) -> dict[str, str]:
    reference = db.session.get(RightsRequest, export.request_id).reference
    return {"Content-Disposition": f'attachment; filename="{reference}.zip"', "Content-Length": str(export.size),
            **NO_STORE}
