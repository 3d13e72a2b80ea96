"""A realistic shop database written the way shops are, and its data map (SPEC §5, STYLE 15).

Every shape the data map must express is here: customers; addresses several customers
share (reached through three links: the customer's home, an order's shipping address, a
card's billing address); orders and payment cards pointing at addresses; order items with
a composite key; products every order points at (shared); a service table with two e-mail
columns (a request may name a second person); a loyalty card number as the tenant's own
identity, kept by a legacy system whose ``customer_ref`` is text while ``customer.id`` is an
integer (a link of mixed types, no foreign key possible). Real foreign keys everywhere
else (enforced on PostgreSQL, and on SQLite through ``PRAGMA foreign_keys=ON``).

``create_shop(url, seed)`` fills it deterministically and records every person's rows, so a
test can compare an access answer, table by table, with exactly what is theirs.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

SHOP_NOW = datetime(2026, 3, 2, 12, 0)
TABLES = ("customer", "address", "orders", "payment_card", "product", "order_item", "service_request", "loyalty")
TAX = "Tax law: orders are kept for 7 years, Art. 17(3)(b)"


def shop_metadata() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("address", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("street", sa.String(120), nullable=False), sa.Column("city", sa.String(60), nullable=False))
    sa.Table("customer", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("email", sa.String(200), nullable=False, index=True),
             sa.Column("phone", sa.String(40), index=True),
             sa.Column("customer_number", sa.String(20), unique=True),
             sa.Column("name", sa.String(100)),
             sa.Column("address_id", sa.Integer, sa.ForeignKey("address.id"), index=True))
    sa.Table("orders", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), nullable=False, index=True),
             sa.Column("shipping_address_id", sa.Integer, sa.ForeignKey("address.id"), index=True),
             sa.Column("placed_at", sa.DateTime, nullable=False),
             sa.Column("total", sa.Numeric(10, 2), nullable=False))
    sa.Table("payment_card", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), nullable=False, index=True),
             sa.Column("billing_address_id", sa.Integer, sa.ForeignKey("address.id"), index=True),
             sa.Column("holder_name", sa.String(100), nullable=False), sa.Column("last4", sa.String(4)))
    sa.Table("product", md, sa.Column("sku", sa.String(20), primary_key=True),
             sa.Column("name", sa.String(100), nullable=False), sa.Column("price", sa.Numeric(10, 2), nullable=False))
    sa.Table("order_item", md, sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), primary_key=True),
             sa.Column("item_no", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("product_sku", sa.String(20), sa.ForeignKey("product.sku"), nullable=False, index=True),
             sa.Column("quantity", sa.Integer, nullable=False))
    sa.Table("service_request", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("email", sa.String(200), index=True), sa.Column("alt_email", sa.String(200), index=True),
             sa.Column("body", sa.Text, nullable=False))
    # A legacy loyalty system: its own card numbers, and the customer as text.
    sa.Table("loyalty", md, sa.Column("id", sa.String(20), primary_key=True),
             sa.Column("customer_ref", sa.String(20), index=True), sa.Column("points", sa.Integer, nullable=False))
    return md


def shop_datamap_yaml(url: str, tenant: str = "shop") -> str:
    return f"""\
tenant: {tenant}
identities:
  loyalty_id: {{label: "Loyalty card number"}}
sources:
  - name: shop
    url: {json.dumps(url)}
    recipients: [PayCo]
    tables:
      - name: customer
        description: Your customer account
        primary_key: id
        identity: {{email: email, phone: phone, customer_id: customer_number}}
        categories: {{email: user.contact.email, phone: user.contact.phone_number, name: [user.name, user.account]}}
      - name: address
        description: Postal addresses
        primary_key: id
        shared: true
        link: {{id: [customer.address_id, orders.shipping_address_id, payment_card.billing_address_id]}}
        categories: {{street: user.contact.address.street, city: user.contact.address.city}}
      - name: orders
        description: Your orders
        primary_key: id
        link: {{customer_id: customer.id}}
        categories: {{total: [user.financial, user.behavior.purchase_history]}}
        erasure: {{retain: {{basis: "{TAX}", until: 7 years, from: placed_at}}}}
      - name: payment_card
        description: Saved payment cards
        primary_key: id
        link: {{customer_id: customer.id}}
        categories: {{holder_name: user.name, last4: user.financial.credit_card}}
      - name: order_item
        description: Items of your orders
        primary_key: [order_id, item_no]
        link: {{order_id: orders.id}}
      - name: product
        description: Products you bought
        primary_key: sku
        shared: true
        link: {{sku: order_item.product_sku}}
      - name: service_request
        description: Your messages to customer service
        primary_key: id
        identity: {{email: [email, alt_email]}}
        categories: {{body: user.content}}
        erasure: {{anonymize: {{body: redact}}}}
      - name: loyalty
        description: Your loyalty card
        primary_key: id
        identity: {{loyalty_id: id}}
        link: {{customer_ref: customer.id}}
        categories: {{points: user.account}}
"""


@dataclass
class ShopPerson:
    email: str
    customer_id: int
    loyalty_id: str | None
    rows: dict[str, set[tuple]] = field(default_factory=lambda: {t: set() for t in TABLES})

    @property
    def identifiers(self) -> dict:
        found = {"email": self.email}
        if self.loyalty_id:
            found["loyalty_id"] = self.loyalty_id
        return found


@dataclass
class Shop:
    url: str
    people: list[ShopPerson]

    def others(self, person: ShopPerson) -> list[ShopPerson]:
        return [p for p in self.people if p is not person]


KEYS = {"customer": ("id",), "address": ("id",), "orders": ("id",), "payment_card": ("id",),
        "product": ("sku",), "order_item": ("order_id", "item_no"), "service_request": ("id",),
        "loyalty": ("id",)}


def create_shop(url: str, *, seed: int = 1, people: int = 5) -> Shop:
    """(Re)create the shop schema at ``url`` and fill it; the same seed gives the same rows."""
    md = shop_metadata()
    engine = sa.create_engine(url)
    try:
        md.drop_all(engine)
        md.create_all(engine)
        builder = _Builder(random.Random(seed))
        shop_people = builder.fill(people)
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            for table in md.sorted_tables:
                if builder.rows[table.name]:
                    conn.execute(table.insert(), builder.rows[table.name])
    finally:
        engine.dispose()
    return Shop(url, shop_people)


class _Builder:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.rows: dict[str, list[dict]] = {t: [] for t in TABLES}

    def add(self, table: str, owners, **values) -> dict:
        if "id" in KEYS[table] and "id" not in values:
            values["id"] = len(self.rows[table]) + 1
        self.rows[table].append(values)
        key = tuple(values[k] for k in KEYS[table])
        for owner in owners:
            owner.rows[table].add(key)
        return values

    def fill(self, count: int) -> list[ShopPerson]:
        rng = self.rng
        addresses = [self.add("address", [], street=f"{n} High Street", city="Leeds")["id"]
                     for n in range(1, max(2, count // 2) + 1)]  # fewer addresses than people: shared
        products = [self.add("product", [], sku=f"SKU-{n:03d}", name=f"Product {n}", price=f"{n * 3}.50")["sku"]
                    for n in range(1, 5)]
        people = []
        for index in range(count):
            person = ShopPerson(f"person{index}@example.com", index + 1, None)
            home = rng.choice(addresses)
            self.add("customer", [person], id=person.customer_id, email=person.email.upper() if index == 1
                     else person.email, phone=f"+4411300{index:04d}", customer_number=f"C-{1000 + index}",
                     name=f"Person {index}", address_id=home)
            people.append(person)
            self._address(person, home)
            for _ in range(rng.randint(0, 3)):
                self.order(person, rng.choice(addresses), products)
            for _ in range(rng.randint(0, 2)):
                card_address = rng.choice(addresses + [None])
                self.add("payment_card", [person], customer_id=person.customer_id, billing_address_id=card_address,
                         holder_name=f"PERSON {index}", last4=f"{rng.randint(0, 9999):04d}")
                self._address(person, card_address)
            if rng.random() < 0.6:
                person.loyalty_id = f"L-{rng.randint(10000, 99999)}-{index}"
                self.add("loyalty", [person], id=person.loyalty_id, customer_ref=str(person.customer_id),
                         points=rng.randint(0, 500))
        for person in people:
            for _ in range(rng.randint(0, 2)):  # sometimes naming a second person
                other = rng.choice(people + [None])
                owners = [person] + ([other] if other is not None and other is not person else [])
                self.add("service_request", owners, email=person.email,
                         alt_email=other.email if other is not None else None, body=f"Message from {person.email}")
        return people

    def order(self, person: ShopPerson, address: int, products: list[str]) -> None:
        placed = SHOP_NOW - timedelta(days=self.rng.randint(1, 2000))
        order = self.add("orders", [person], customer_id=person.customer_id, shipping_address_id=address,
                         placed_at=placed, total=f"{self.rng.randint(100, 9999) / 100:.2f}")
        self._address(person, address)
        for item_no in range(1, self.rng.randint(1, 3) + 1):
            sku = self.rng.choice(products)
            self.add("order_item", [person], order_id=order["id"], item_no=item_no, product_sku=sku,
                     quantity=self.rng.randint(1, 4))
            person.rows["product"].add((sku,))

    def _address(self, person: ShopPerson, address: int | None) -> None:
        if address is not None:
            person.rows["address"].add((address,))


def shop_snapshot(url: str) -> dict[str, dict[tuple, tuple]]:
    """Every row of every shop table by its key, to compare before and after."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            found = {}
            for table in shop_metadata().sorted_tables:
                names = [table.c[k] for k in KEYS[table.name]]
                found[table.name] = {tuple(row[:len(names)]): tuple(row[len(names):])
                                     for row in conn.execute(sa.select(*names, *table.columns))}
            return found
    finally:
        engine.dispose()
