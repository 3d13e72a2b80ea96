"""Where an expected error shows on a page's form (STYLE rule 7: mapped in one place).

A ``DsarError`` names the field it concerns in ``details["field"]``; the message goes beside
that field, or above the form when the form has no such field.
"""
from __future__ import annotations

from collections.abc import Mapping

from dsar.errors import DsarError


def show_on_form(form, exc: DsarError, message: str | None = None, *,
                 fields: Mapping[str, str] | None = None) -> None:
    """Attach ``message`` (default: the error's own) to the field ``exc`` names.

    ``fields`` renames a service's field to the form's (e.g. received_at → received_on).
    """
    name = str((exc.details or {}).get("field", ""))
    name = (fields or {}).get(name, name)
    target = getattr(form, name, None) if name else None
    text = message or exc.message
    if target is None or not hasattr(target, "errors"):
        form.form_errors.append(text)
    else:  # reassigned, not appended: WTForms may hold a field's errors as a tuple
        target.errors = [*target.errors, text]
