"""A small, realistic customer application database and its data map, for tests and demos.

``create_sample_app(url)`` builds the schema a SaaS with a chat widget might have — accounts
(scoped by ``business_id``), conversations → messages, widget visits with IP addresses,
support tickets, invoices and server logs — with real foreign keys and indexes, and fills it
deterministically. Every subject's rows are recorded, so a test can check that discovery
and erasure touch exactly one subject's rows and nothing of anyone else's. Traps included:
the same e-mail in another business (scope), an e-mail stored in mixed case, a visitor
known only by a support ticket, and one subject with more than 500 messages (chunking).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from dsar.demo.sample_app import BUSINESS, sample_datamap_yaml, sample_metadata  # noqa: F401 (re-exported)

SAMPLE_NOW = datetime(2025, 6, 1, 12, 0)  # naive UTC, as the sample schema stores it
OTHER_BUSINESS = 7  # another business sharing the database: never to be touched
NAMES = ["alice", "bob", "chen", "dana", "emeka", "farah", "goran", "hana", "ivan", "jun"]
USER_AGENTS = ["Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"]
TABLES = ("accounts", "conversations", "messages", "widget_visits", "support_tickets", "invoices")


@dataclass
class SampleSubject:
    """One person in the sample data and the ids of every row that is theirs."""

    email: str
    phone: str | None
    business_id: int
    account_id: int | None
    rows: dict[str, set[int]] = field(default_factory=lambda: {t: set() for t in TABLES})

    @property
    def identifiers(self) -> dict:
        return {"email": self.email, "phone": self.phone}


@dataclass
class SampleApp:
    url: str
    now: datetime
    subjects: list[SampleSubject]
    server_log_ids: list[int]

    def subject(self, email: str, business_id: int = BUSINESS) -> SampleSubject:
        return next(s for s in self.subjects
                    if s.email.lower() == email.lower() and s.business_id == business_id)

    def others(self, subject: SampleSubject) -> list[SampleSubject]:
        return [s for s in self.subjects if s is not subject]


def create_sample_app(url: str, *, subjects: int = 4, seed: int = 7, now: datetime = SAMPLE_NOW,
                      heavy_messages: int = 620) -> SampleApp:
    """Create the sample schema at ``url`` and fill it; same arguments, same rows.

    ``subjects`` account holders live in business 42; the first has ``heavy_messages``
    messages in one conversation. Added to them: the first subject's e-mail again in
    business 7, and a visitor of business 42 known only from a support ticket.
    """
    md = sample_metadata()
    engine = sa.create_engine(url)
    try:
        md.create_all(engine)
        builder = _Builder(random.Random(seed), now)
        people = builder.people(subjects, heavy_messages)
        with engine.begin() as conn:
            for name in (*TABLES, "server_logs"):
                if builder.rows[name]:
                    conn.execute(md.tables[name].insert(), builder.rows[name])
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, md)
    finally:
        engine.dispose()
    return SampleApp(url, now, people, [row["id"] for row in builder.rows["server_logs"]])


def _reset_sequences(conn: sa.Connection, md: sa.MetaData) -> None:
    # Rows were inserted with explicit ids: move each serial past them for later inserts.
    for table in md.sorted_tables:
        conn.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"))


class _Builder:
    """Generates rows and records whose they are."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.rows: dict[str, list[dict]] = {t: [] for t in (*TABLES, "server_logs")}

    def add(self, table: str, subject: SampleSubject | None, **values) -> int:
        values["id"] = len(self.rows[table]) + 1
        self.rows[table].append(values)
        if subject is not None:
            subject.rows[table].add(values["id"])
        return values["id"]

    def ago(self, max_days: int, min_days: int = 0) -> datetime:
        return self.now - timedelta(days=self.rng.randint(min_days, max_days), minutes=self.rng.randint(0, 1439))

    def people(self, count: int, heavy_messages: int) -> list[SampleSubject]:
        people = []
        for index in range(count):
            name = NAMES[index % len(NAMES)] + (str(index // len(NAMES)) if index >= len(NAMES) else "")
            # One address stored in mixed case: lookups must ignore case.
            email = f"{name.capitalize()}@Example.com" if index == 1 else f"{name}@example.com"
            people.append(self.account_holder(email, f"+4470000{index:05d}", BUSINESS,
                                              heavy_messages if index == 0 else 0))
        if people:
            people.append(self.account_holder(people[0].email, "+4970000000", OTHER_BUSINESS, 0))
        people.append(self.visitor("carol.visitor@example.com"))
        for _ in range(20):
            self.add("server_logs", None, ip=self.ip(), path=self.rng.choice(["/", "/pricing", "/login"]),
                     logged_at=self.ago(200))
        return people

    def account_holder(self, email: str, phone: str, business: int, heavy: int) -> SampleSubject:
        subject = SampleSubject(email, phone, business, None)
        subject.account_id = self.add("accounts", subject, business_id=business, email=email, phone=phone,
                                      name=email.split("@")[0].capitalize(), created_at=self.ago(1500, 800))
        for number in range(self.rng.randint(1, 3)):
            conversation = self.add("conversations", subject, account_id=subject.account_id,
                                    title=f"Question {number}", created_at=self.ago(500))
            for _ in range(heavy if number == 0 and heavy else self.rng.randint(1, 5)):
                self.add("messages", subject, conversation_id=conversation,
                         body=f"Hello from {email}", created_at=self.ago(500))
        for _ in range(self.rng.randint(2, 4)):
            self.add("widget_visits", subject, account_id=subject.account_id, ip=self.ip(),
                     user_agent=self.rng.choice(USER_AGENTS), visited_at=self.ago(60))
        for _ in range(self.rng.randint(1, 2)):
            self.ticket(subject, subject.account_id, email.lower())
        for _ in range(self.rng.randint(1, 3)):
            self.add("invoices", subject, account_id=subject.account_id,
                     number=f"INV-{len(self.rows['invoices']) + 1:05d}", billing_name=email.split("@")[0],
                     amount=f"{self.rng.randint(500, 50000) / 100:.2f}", issued_at=self.ago(1100))
        return subject

    def visitor(self, email: str) -> SampleSubject:
        subject = SampleSubject(email, None, BUSINESS, None)
        self.ticket(subject, None, email)
        return subject

    def ticket(self, subject: SampleSubject, account_id: int | None, email: str) -> None:
        self.add("support_tickets", subject, business_id=subject.business_id, account_id=account_id,
                 email=email, subject_line="Help", body=f"Please call me, {email}",
                 last_interaction_at=self.ago(900))

    def ip(self) -> str:
        kind = self.rng.randint(0, 2)
        octets = [self.rng.randint(1, 254) for _ in range(4)]
        if kind == 0:
            return ".".join(map(str, octets))
        if kind == 1:
            return "2001:db8:%x:%x::%x" % (self.rng.randint(1, 0xFFFF), self.rng.randint(1, 0xFFFF),
                                           self.rng.randint(1, 0xFFFF))
        return "::ffff:" + ".".join(map(str, octets))


def snapshot(url: str) -> dict[str, set[tuple]]:
    """Every row of every sample table, to prove what changed and what did not."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {table.name: set(conn.execute(sa.select(table)).all())
                    for table in sample_metadata().sorted_tables}
    finally:
        engine.dispose()
