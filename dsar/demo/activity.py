"""Three years of a chat SaaS's activity for the demo's customer database.

Deterministic for a given seed and "now": the same command gives the same rows relative
to today, so every retention rule has work on day one (conversations older than 12 months,
server logs older than 90 days, widget IPs older than 30 days, tickets idle for 2 years,
invoices past 7 years from the old billing system) and fresh rows it must leave alone.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from dsar.demo.sample_app import BUSINESS, sample_metadata

FIRST = ["Alex", "Priya", "Tomás", "Mei", "Jonas", "Amara", "Lucía", "Omar", "Sofia", "Kenji", "Zoë", "Noah",
         "Fatima", "Liam", "Ingrid", "Mateo", "Aisha", "Hugo", "Elena", "Ravi", "Chloé", "Yusuf", "Hannah", "Ben"]
LAST = ["Morgan", "Shah", "García", "Chen", "Berg", "Okafor", "Martín", "Haddad", "Rossi", "Tanaka", "Dubois",
        "Weber", "Khan", "Murphy", "Larsen", "Silva", "Nair", "Moreau", "Novak", "Kowalski", "Schmidt", "Park"]
TOPICS = ["Opening hours", "Order status", "Refund question", "Test drive", "Pricing plans", "Delivery time",
          "Book a table", "Change my booking", "Invoice copy", "Password reset"]
LINES = ["Hi, can you help me?", "Sure, what do you need?", "When are you open on Saturday?",
         "We are open 9 to 18.", "Can I change my order?", "Of course, what is the order number?",
         "Thanks a lot!", "You're welcome, have a nice day."]
PATHS = ["/", "/pricing", "/login", "/widget.js", "/api/chat", "/docs", "/signup"]
AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130.0", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0)",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1", "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0"]
YEAR = 365
#: A subject a visitor of the demo can try a request as.
DEMO_SUBJECT = "alex.morgan@example.com"


class ActivityBuilder:
    def __init__(self, now: datetime, seed: int):
        self.now, self.rng = now, random.Random(seed)
        self.rows: dict[str, list[dict]] = {t.name: [] for t in sample_metadata().sorted_tables}

    def add(self, table: str, **values) -> int:
        values["id"] = len(self.rows[table]) + 1
        self.rows[table].append(values)
        return values["id"]

    def ago(self, max_days: float, min_days: float = 0) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(min_days, max_days))

    def ip(self) -> str:
        kind, octets = self.rng.random(), [self.rng.randint(1, 254) for _ in range(4)]
        if kind < 0.6:
            return ".".join(map(str, octets))
        if kind < 0.85:
            return "2a02:%x:%x:%x:%x:%x:%x:%x" % tuple(self.rng.randint(1, 0xFFFF) for _ in range(7))
        return "::ffff:" + ".".join(map(str, octets))

    def build(self, accounts: int) -> dict[str, list[dict]]:
        for index in range(accounts):
            self.account(index)
        for _ in range(accounts * 4):  # anonymous widget visitors
            self.add("widget_visits", account_id=None, ip=self.ip(), user_agent=self.rng.choice(AGENTS),
                     visited_at=self.ago(120))
        for _ in range(accounts * 20):
            self.add("server_logs", ip=self.ip(), path=self.rng.choice(PATHS), logged_at=self.ago(180))
        return self.rows

    def account(self, index: int) -> None:
        first, last = FIRST[index % len(FIRST)], LAST[(index * 7) % len(LAST)]
        email = DEMO_SUBJECT if index == 0 else f"{first}.{last}{index}@example.com".lower()
        created = self.ago(3 * YEAR, 30)
        account = self.add("accounts", business_id=BUSINESS, email=email, name=f"{first} {last}",
                           phone=f"+44 7700 9{index:05d}", created_at=created)
        span = (self.now - created).days
        for _ in range(self.rng.randint(1, 6)):
            started = self.ago(span)
            conversation = self.add("conversations", account_id=account, title=self.rng.choice(TOPICS),
                                    created_at=started)
            for turn in range(self.rng.randint(2, 10)):
                self.add("messages", conversation_id=conversation, body=LINES[turn % len(LINES)],
                         created_at=started + timedelta(minutes=turn))
        for _ in range(self.rng.randint(2, 12)):
            self.add("widget_visits", account_id=account, ip=self.ip(), user_agent=self.rng.choice(AGENTS),
                     visited_at=self.ago(120))
        if self.rng.random() < 0.5:
            self.add("support_tickets", business_id=BUSINESS, account_id=account, email=email,
                     subject_line=self.rng.choice(TOPICS), body="Could you look into this, please?",
                     last_interaction_at=self.ago(min(span, 3 * YEAR)))
        self.invoices(account, f"{first} {last}", created, legacy=index % 40 == 1)

    def invoices(self, account: int, name: str, created: datetime, legacy: bool) -> None:
        issued = created
        while issued < self.now:
            self.add("invoices", account_id=account, number=f"INV-{len(self.rows['invoices']) + 1:06d}",
                     billing_name=name, amount=self.rng.choice(["29.00", "49.00", "99.00"]), issued_at=issued)
            issued += timedelta(days=91)
        if legacy:  # imported from the old billing system: past the 7-year tax period
            self.add("invoices", account_id=account, number=f"OLD-{account:06d}", billing_name=name,
                     amount="19.00", issued_at=self.ago(8 * YEAR, 7 * YEAR + 30))


def create_demo_app(url: str, *, now: datetime, seed: int = 2026, accounts: int = 240) -> dict[str, int]:
    """Create and fill the demo customer database at ``url``; return rows per table."""
    rows = ActivityBuilder(now.replace(tzinfo=None), seed).build(accounts)
    metadata = sample_metadata()
    engine = sa.create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            for table in metadata.sorted_tables:
                if rows[table.name]:
                    conn.execute(table.insert(), rows[table.name])
    finally:
        engine.dispose()
    return {name: len(values) for name, values in rows.items()}
