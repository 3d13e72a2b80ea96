"""Message templates: ``templates/mail/<name>.txt`` and ``<name>.html``, in four languages.

The text template sets the subject line (``{% set subject = _("…") %}``) and is the plain
body; the HTML template is the same words in the shared layout. Both render under the
recipient's language, so a French subject gets French mail whatever page staff were on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale

from dsar.translations import supported

#: Messages to data subjects (localized) and to staff (English); context keys each expects
#: besides the common ones (see ``dsar.services.notifications``).
SUBJECT_TEMPLATES = {
    "verification": ("verify_url", "confirm_url", "code", "expires_at"),
    "acknowledgement": (),
    "extended": ("new_date",),  # optional: message (staff's words for the subject)
    "denied": (),               # optional: message
    "paused": ("reason",),
    "completed": (),            # optional: message
    "erasure_scheduled": ("erasure_at",),
    "erasure_done": ("result",),
    "export_ready": ("download_url", "expires_at"),
    "expired": (),
    "status_link": (),  # asked for again on the portal's "find my request" page
}
STAFF_TEMPLATES = {
    "reminder": ("reference", "days_left", "due_date"),  # optional: request_url
    "overdue_digest": ("requests",),                      # optional: dashboard_url
    "invitation": ("role", "invitation_url", "expires_at"),
    "password_reset": ("reset_url", "expires_at"),
}


#: Context values that *act for the recipient* — whoever reads them can verify, withdraw,
#: download, accept or reset in the recipient's place. The outbox keeps them apart
#: (``dsar.mail.outbox``): staff never read them in the dashboard.
SECRET_CONTEXT = ("code", "verify_url", "status_url", "download_url", "invitation_url", "reset_url")


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    #: The secret values the bodies contain (from ``SECRET_CONTEXT``), longest first.
    secrets: tuple[str, ...] = ()


def render(template: str, language: str, **context: Any) -> RenderedMessage:
    """Render ``template`` in ``language`` (falling back to English) with ``context``."""
    if template not in SUBJECT_TEMPLATES and template not in STAFF_TEMPLATES:
        known = ", ".join(sorted({*SUBJECT_TEMPLATES, *STAFF_TEMPLATES}))
        raise ValueError(f"no message template {template!r}; known templates: {known}")
    env = current_app.jinja_env
    language = supported(language)
    with force_locale(language):
        module = env.get_template(f"mail/{template}.txt").make_module(context)
        subject = " ".join(str(getattr(module, "subject", "")).split())
        if not subject:
            raise ValueError(f"templates/mail/{template}.txt sets no subject")
        text = _tidy(str(module))
        html = env.get_template(f"mail/{template}.html").render(subject=subject, language=language, **context)
    secrets = sorted({str(context[key]) for key in SECRET_CONTEXT if context.get(key)}, key=len, reverse=True)
    return RenderedMessage(subject=subject, text=text, html=html, secrets=tuple(secrets))


def _tidy(text: str) -> str:
    """Collapse the blank lines template tags leave behind; one newline at the end."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"
