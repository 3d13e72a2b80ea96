"""The data map as plain, frozen objects (SPEC §5).

These are what the loader produces once the YAML has been validated; the rest of dsar
(discovery, erasure, retention, the Art. 15 letter) trusts them and never sees YAML.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal, Union

from sqlalchemy.engine import make_url

IDENTITY_TYPES = ("email", "phone", "customer_id")  # built in; a map declares more (``identities:``)
SHARED_BASIS = "shared reference data: other people's records still point at these rows"
DURATION_UNITS = ("days", "weeks", "months", "years")


@dataclass(frozen=True)
class Duration:
    """A calendar period such as "12 months"; months and years follow the calendar."""

    amount: int
    unit: Literal["days", "weeks", "months", "years"]

    def __str__(self) -> str:
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.amount} {unit}"

    def before(self, moment: datetime | date) -> datetime | date:
        """``moment`` minus this period (the cutoff of a retention rule)."""
        return self._shift(moment, -1)

    def after(self, moment: datetime | date) -> datetime | date:
        """``moment`` plus this period (the end of a retention period)."""
        return self._shift(moment, 1)

    def _shift(self, moment, sign: int):
        if self.unit in ("days", "weeks"):
            days = self.amount * (7 if self.unit == "weeks" else 1)
            return moment + sign * timedelta(days=days)
        months = self.amount * (12 if self.unit == "years" else 1)
        index = moment.year * 12 + moment.month - 1 + sign * months
        year, month = divmod(index, 12)
        # 29 Feb + 1 year, 31 Jan + 1 month: clamp to the last day of the target month.
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class ColumnStrategy:
    """How one column is anonymized: ``null``, ``redact`` (fixed text), ``hash``, ``ip``."""

    kind: Literal["null", "redact", "hash", "ip"]
    text: str | None = None  # redact
    level: int | None = None  # ip

    def __str__(self) -> str:
        if self.kind == "redact":
            return f'replaced by "{self.text}"'
        if self.kind == "ip":
            return f"IP address masked (level {self.level})"
        return {"null": "emptied", "hash": "replaced by a keyed hash"}[self.kind]


@dataclass(frozen=True)
class Delete:
    kind: Literal["delete"] = "delete"


@dataclass(frozen=True)
class Anonymize:
    columns: tuple[tuple[str, ColumnStrategy], ...]
    kind: Literal["anonymize"] = "anonymize"


@dataclass(frozen=True)
class Retain:
    """Kept on erasure for a legal reason; ``until`` counts from ``from_column`` (or erasure)."""

    basis: str
    until: Duration | date | None = None
    from_column: str | None = None
    kind: Literal["retain"] = "retain"
    event: str | None = None  # what ``from_column`` records, in words ("the invoice was issued")


Erasure = Union[Delete, Anonymize, Retain]


@dataclass(frozen=True)
class RetentionRule:
    """Rows whose ``from_column`` is older than ``after`` get ``action``."""

    after: Duration
    from_column: str
    action: Literal["delete", "anonymize_ip", "anonymize"]
    column: str | None = None  # anonymize_ip
    level: int | None = None  # anonymize_ip
    columns: tuple[tuple[str, ColumnStrategy], ...] = ()  # anonymize
    event: str | None = None  # what ``from_column`` records, in words ("the message was sent")


@dataclass(frozen=True)
class Link:
    """An equality ``column`` (of the table declaring it) = ``table.target_column``.

    The declaring table is *reached through* ``table``, whichever way the foreign key
    points: ``orders: link: {customer_id: customer.id}`` and ``address: link: {id:
    customer.address_id}`` both reach the declaring table from the other one.
    """

    column: str
    table: str
    target_column: str

    def __str__(self) -> str:
        return f"{self.column} = {self.table}.{self.target_column}"


@dataclass(frozen=True)
class Table:
    name: str  # may be schema-qualified: "billing.invoices"
    key: tuple[str, ...] = ()  # primary key or unique constraint; several columns when composite
    identity: tuple[tuple[str, str], ...] = ()  # (identity kind, column); a kind may repeat
    links: tuple[Link, ...] = ()
    categories: tuple[tuple[str, str], ...] = ()  # (column, fideslang category); a column may repeat
    erasure: Erasure | None = None
    retention: tuple[RetentionRule, ...] = ()
    provided_by_subject: bool = False
    purposes: tuple[str, ...] = ()
    description: str | None = None
    shared: bool = False  # reference rows several subjects point at (addresses, products)
    origin: str | None = None  # where the data comes from when not from the subject (Art. 14(2)(f))
    files: tuple[tuple[str, str], ...] = ()  # (column, store): the column holds a file's key in the store

    @property
    def primary_key(self) -> str | None:
        """The key's column when it has exactly one (retention batches by it), else None."""
        return self.key[0] if len(self.key) == 1 else None

    @property
    def schema(self) -> str | None:
        return self.name.rsplit(".", 1)[0] if "." in self.name else None

    @property
    def table_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def label(self) -> str:
        """What the subject reads for this table: its description, else its name."""
        return self.description or self.name.replace("_", " ")

    @property
    def takes_part(self) -> bool:
        """Whether requests reach this table (it has an identity or a link)."""
        return bool(self.identity or self.links)

    @property
    def erasure_strategy(self) -> Erasure | None:
        """The mapped strategy: ``delete`` by default for a table requests reach, and
        ``retain`` (shared reference data) for a shared one."""
        if self.erasure is not None:
            return self.erasure
        if not self.takes_part:
            return None
        return Retain(basis=SHARED_BASIS) if self.shared else Delete()

    def identity_columns(self, kind: str) -> list[str]:
        return [column for k, column in self.identity if k == kind]

    def identity_column(self, kind: str) -> str | None:
        columns = self.identity_columns(kind)
        return columns[0] if columns else None


@dataclass(frozen=True)
class Scope:
    """Only rows whose ``column`` equals ``value`` belong to this tenant."""

    column: str
    value: str | int


@dataclass(frozen=True)
class Source:
    name: str
    url: str = field(repr=False)  # may carry a password: never log or print it
    tables: tuple[Table, ...] = ()
    scope: Scope | None = None
    recipients: tuple[str, ...] = ()
    description: str | None = None

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    @property
    def safe_url(self) -> str:
        """The URL with its password masked, fit for reports."""
        return make_url(self.url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class Store:
    """A file store (SPEC §6 "Files"): an fsspec URL and its storage options.

    ``url`` is ``s3://bucket/prefix`` or ``file:///path``; a table's file column holds keys
    relative to it. ``options`` may carry secrets (``key``, ``secret``): never log them.
    """

    name: str
    url: str
    options: tuple[tuple[str, object], ...] = field(default=(), repr=False)

    @property
    def protocol(self) -> str:
        return self.url.split("://", 1)[0]


@dataclass(frozen=True)
class Identity:
    """A custom identity kind of the tenant (``identities:``), e.g. a loyalty card number."""

    label: str


#: Art. 6(1) GDPR: the data map's word for each legal basis.
LEGAL_BASES = ("consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests")
#: Chapter V safeguards of a transfer outside the EU/UK (Arts. 45-47, 49; the UK's IDTA).
SAFEGUARDS = ("adequacy", "scc", "uk_idta", "bcr", "derogation", "other")


@dataclass(frozen=True)
class Purpose:
    """Why data is processed (``purposes:``), on which legal basis; ``interest`` is the
    legitimate interest pursued, for ``legitimate_interests``."""

    description: str
    legal_basis: str
    interest: str | None = None


@dataclass(frozen=True)
class Recipient:
    """Someone the data is disclosed to (``recipients:``), with the category the subject reads."""

    category: str
    description: str | None = None


@dataclass(frozen=True)
class Transfer:
    """Data leaving the EU/UK (``transfers:``): to a recipient or a source, with its safeguard."""

    to: str
    country: str  # ISO 3166-1 alpha-2
    safeguard: str
    details: str | None = None


@dataclass(frozen=True)
class AutomatedDecision:
    """A decision based solely on automated processing, incl. profiling (Art. 22, 15(1)(h))."""

    description: str
    logic: str
    consequences: str
    profiling: bool = False


@dataclass(frozen=True)
class DataMap:
    tenant: str
    sources: tuple[Source, ...]
    path: str = "<data map>"
    description: str | None = None
    identities: tuple[tuple[str, Identity], ...] = ()  # (kind, Identity), custom kinds only
    purposes: tuple[tuple[str, Purpose], ...] = ()  # (key, Purpose), in file order
    recipients: tuple[tuple[str, Recipient], ...] = ()  # (name, Recipient), in file order
    #: These two are None when the map does not say; an empty tuple when it says there are none.
    transfers: tuple[Transfer, ...] | None = None
    automated_decisions: tuple[AutomatedDecision, ...] | None = None
    stores: tuple[Store, ...] = ()

    def store(self, name: str) -> Store:
        for store in self.stores:
            if store.name == name:
                return store
        raise KeyError(name)

    def identity_label(self, kind: str) -> str:
        return dict(self.identities)[kind].label if kind in dict(self.identities) else kind.replace("_", " ")

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)
