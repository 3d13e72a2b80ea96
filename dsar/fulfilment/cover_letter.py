"""The human cover letter of an access export: ``README.html`` with the Art. 15 information.

The letter is rendered from ``templates/README.html.j2`` shipped inside this package, with
autoescaping on: every value in it (table names, the subject's label, a tenant's texts) is
data, never markup.
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import jinja2

from dsar.datamap.model import AutomatedDecision

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


#: CCPA §1798.100-125 rights in plain words.
CCPA_RIGHTS: tuple[str, ...] = (
    "To know: what personal information we collect, use, disclose and sell or share, and to get a copy of it.",
    "To delete the personal information we collected from you, with some exceptions.",
    "To correct inaccurate personal information.",
    "To opt out of the sale or sharing of your personal information.",
    "To limit the use and disclosure of sensitive personal information.",
    "Not to be discriminated against for exercising these rights.",
)
#: LGPD Art. 18 rights in plain words.
LGPD_RIGHTS: tuple[str, ...] = (
    "Confirmation that we process your data, and access to it.",
    "Correction of incomplete, inaccurate or out-of-date data.",
    "Anonymization, blocking or deletion of unnecessary or excessive data, or data processed unlawfully.",
    "Portability of your data to another provider.",
    "Deletion of data processed with your consent, and information on the consequences of refusing consent.",
    "Information about the public and private bodies we share your data with.",
    "Withdrawal of consent at any time.",
)
#: The rights the letter lists, by the tenant's regime (others: the GDPR's).
RIGHTS_BY_REGIME: dict[str, tuple[str, ...]] = {"ccpa": CCPA_RIGHTS, "lgpd": LGPD_RIGHTS}


@dataclass(frozen=True)
class PurposeLine:
    """One purpose as the letter states it: why, on which legal basis, for which data."""

    description: str
    basis: str = ""  # in words, e.g. "our contract with you (Art. 6(1)(b) UK GDPR)"
    data: tuple[str, ...] = ()  # labels of the tables it concerns; empty: all of them


@dataclass(frozen=True)
class RecipientLine:
    name: str
    category: str = ""
    description: str = ""


@dataclass
class ExportContext:
    """What the letter and the manifest say beside the data; filled by the caller.

    ``categories``, ``retention`` and ``origins`` are keyed by ``"<source>/<table>"`` (as
    the files are named); categories are fideslang keys, which the letter shows by their
    fideslang names. ``purposes`` and ``recipients`` may be plain text or the line objects
    above. ``transfers`` and ``automated_decisions`` are None when the data map does not say
    (the letter then says so), empty when it says there are none. ``generated_at`` must be
    timezone-aware.
    """

    reference: str
    tenant_name: str
    generated_at: datetime
    subject_label: str
    purposes: list[PurposeLine | str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    recipients: list[RecipientLine | str] = field(default_factory=list)
    retention: dict[str, str] = field(default_factory=dict)
    #: What the subject reads for each table (the data map's ``description``), by "<source>/<table>".
    labels: dict[str, str] = field(default_factory=dict)
    data_source: str = ""
    #: Where each table's data comes from, in words.
    origins: dict[str, str] = field(default_factory=dict)
    transfers: list[str] | None = None
    transfer_region: str = "the EU and the UK"
    automated_decisions: list[AutomatedDecision] | None = None  # logic and consequences as sentences
    controller_contact: str = ""
    authority_name: str = ""
    authority_url: str = ""
    authority_contact: str = ""
    authority_note: str = ""
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


@functools.cache
def _fideslang_categories() -> dict[str, tuple[str, str]]:
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return {c.fides_key: (c.name or c.fides_key, c.description or "") for c in DEFAULT_TAXONOMY.data_category}


def category_name(key: str) -> str:
    """The fideslang name of a data category (``user.device.ip_address`` -> "IP Address")."""
    known = _fideslang_categories().get(key)
    return known[0] if known else key.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def category_description(key: str) -> str:
    known = _fideslang_categories().get(key)
    return known[1] if known else ""


def _lines(items, kind):
    return [item if isinstance(item, kind) else kind(str(item)) for item in items]


def _held_purposes(purposes: list[PurposeLine], held: set[str]) -> list[PurposeLine]:
    """Purposes of the data the package holds (one naming no data concerns all of it)."""
    kept = []
    for purpose in purposes:
        data = tuple(label for label in purpose.data if label in held)
        if data or not purpose.data:
            kept.append(dataclasses.replace(purpose, data=data))
    return kept


def render_cover_letter(context: ExportContext, tables: Sequence[TableSummary],
                        files: Sequence[tuple[str, int, int]] = (), missing_files: int = 0) -> str:
    """The HTML letter for ``context``, listing ``tables`` (those with rows, then the rest)
    and ``files`` as (store, count, bytes) with the number of ``missing_files``."""
    template = _environment().get_template("README.html.j2")
    with_data = [t for t in tables if t.rows]
    held = {t.key for t in with_data}
    held_labels = {context.labels.get(t.key) or t.table for t in with_data}
    keys = sorted({c for t in with_data for c in context.categories.get(t.key, ())}, key=category_name)
    return template.render(
        ctx=context,
        generated=context.generated_at.isoformat(timespec="seconds"),
        with_data=with_data,
        without_data=[t for t in tables if not t.rows],
        table_categories={t.key: ", ".join(dict.fromkeys(category_name(c) for c in context.categories.get(t.key, ())))
                          for t in with_data},
        all_categories=list(dict.fromkeys((category_name(c), category_description(c)) for c in keys)),
        purposes=_held_purposes(_lines(context.purposes, PurposeLine), held_labels),
        # The answer is about the subject's data: what holds none of it is only named as searched.
        retention={key: words for key, words in context.retention.items() if key in held},
        origins={key: words for key, words in context.origins.items() if key in held},
        recipients=_lines(context.recipients, RecipientLine),
        authority_link=safe_link(context.authority_url) if context.authority_url else None,
        files=files, missing=missing_files,
    )
