"""The human cover letter of an access export: ``README.html`` with the Art. 15 information.

The letter is rendered from ``templates/README.html.j2`` shipped inside this package, with
autoescaping on: every value in it (table names, the subject's label, a tenant's texts) is
data, never markup.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import jinja2

# GDPR Arts. 15-22 and 7(3) in plain words: the default unless a tenant's regime says otherwise.
DEFAULT_RIGHTS: tuple[str, ...] = (
    "Access: to get a copy of your personal data and the information in this letter.",
    "Rectification: to have inaccurate data corrected and incomplete data completed.",
    "Erasure: to have your data deleted where there is no longer a reason to keep it.",
    "Restriction: to have the use of your data limited while a dispute is resolved.",
    "Portability: to receive the data you gave us in a machine-readable form (the JSON "
    "and CSV files in this package) and to have it sent to another organisation.",
    "Objection: to object to processing based on legitimate interests, and at any time "
    "to direct marketing.",
    "Withdrawal of consent: where we rely on your consent, to withdraw it at any time, "
    "without affecting what was done before.",
    "Not to be subject to a decision based solely on automated processing that "
    "significantly affects you.",
)


@dataclass
class ExportContext:
    """What the letter and the manifest say beside the data; filled by the caller.

    ``categories`` and ``retention`` are keyed by ``"<source>/<table>"`` (as the files are
    named); ``retention`` values are plain words ("12 months after the conversation").
    ``generated_at`` must be timezone-aware.
    """

    reference: str
    tenant_name: str
    generated_at: datetime
    subject_label: str
    purposes: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    recipients: list[str] = field(default_factory=list)
    retention: dict[str, str] = field(default_factory=dict)
    #: What the subject reads for each table (the data map's ``description``), by "<source>/<table>".
    labels: dict[str, str] = field(default_factory=dict)
    data_source: str = ""
    controller_contact: str = ""
    authority_name: str = ""
    authority_url: str = ""
    rights: list[str] = field(default_factory=lambda: list(DEFAULT_RIGHTS))


@dataclass(frozen=True)
class TableSummary:
    """One table that was searched: how many rows it held and which files carry them."""

    source: str
    table: str
    rows: int
    files: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.source}/{self.table}"


@functools.cache
def _environment() -> jinja2.Environment:
    # Built on first use, not at import: importing a module does no I/O (STYLE rule 1).
    return jinja2.Environment(
        loader=jinja2.PackageLoader("dsar.fulfilment", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def safe_link(url: str) -> str | None:
    """``url`` if it is an absolute http(s) address, else ``None``.

    Autoescaping stops markup injection but not a ``javascript:`` link, so only web
    addresses become links; anything else is shown as text.
    """
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def render_cover_letter(context: ExportContext, tables: Sequence[TableSummary],
                        files: Sequence[tuple[str, int, int]] = (), missing_files: int = 0) -> str:
    """The HTML letter for ``context``, listing ``tables`` (those with rows, then the rest)
    and ``files`` as (store, count, bytes) with the number of ``missing_files``."""
    template = _environment().get_template("README.html.j2")
    with_data = [t for t in tables if t.rows]
    categories = {c for t in with_data for c in context.categories.get(t.key, ())}
    return template.render(
        ctx=context,
        generated=context.generated_at.isoformat(timespec="seconds"),
        with_data=with_data,
        without_data=[t for t in tables if not t.rows],
        all_categories=sorted(categories),
        authority_link=safe_link(context.authority_url) if context.authority_url else None,
        files=files, missing=missing_files,
    )
