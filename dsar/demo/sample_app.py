"""The demo's customer application: schema, data map and realistic sample rows.

The schema is a SaaS with a chat widget like the ones whose privacy policies dsar keeps:
accounts (scoped by ``business_id``), conversations → messages, widget visits with IP
addresses, support tickets, invoices and server logs. Tests fill it with trap-laden rows
(``tests/sample_app_db.py``); ``dsar demo`` fills it with three years of activity so every
retention rule of SPEC §1 has work to do.
"""
from __future__ import annotations

import json

import sqlalchemy as sa

BUSINESS = 42  # the tenant's scope value in the data map


def sample_metadata() -> sa.MetaData:
    """The sample application's schema (fresh MetaData on each call)."""
    md = sa.MetaData()
    ts = sa.DateTime()
    accounts = sa.Table(
        "accounts", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("business_id", sa.Integer, nullable=False, index=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("name", sa.String(200)),
        sa.Column("created_at", ts, nullable=False),
        sa.UniqueConstraint("business_id", "email"))
    sa.Index("ix_accounts_email_lower", sa.func.lower(accounts.c.email))
    sa.Index("ix_accounts_phone", accounts.c.phone)
    sa.Table("conversations", md,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("account_id", sa.ForeignKey("accounts.id"), nullable=False, index=True),
             sa.Column("title", sa.String(200)),
             sa.Column("created_at", ts, nullable=False, index=True))
    sa.Table("messages", md,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("conversation_id", sa.ForeignKey("conversations.id"), nullable=False, index=True),
             sa.Column("body", sa.Text, nullable=False),
             sa.Column("created_at", ts, nullable=False, index=True))
    sa.Table("widget_visits", md,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("account_id", sa.ForeignKey("accounts.id"), index=True),
             sa.Column("ip", sa.String(45)),
             sa.Column("user_agent", sa.String(300)),
             sa.Column("visited_at", ts, nullable=False, index=True))
    tickets = sa.Table(
        "support_tickets", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("business_id", sa.Integer, nullable=False, index=True),
        sa.Column("account_id", sa.ForeignKey("accounts.id"), index=True),
        sa.Column("email", sa.String(255)),
        sa.Column("subject_line", sa.String(200), nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("last_interaction_at", ts, nullable=False, index=True))
    sa.Index("ix_support_tickets_email_lower", sa.func.lower(tickets.c.email))
    sa.Table("invoices", md,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("account_id", sa.ForeignKey("accounts.id"), nullable=False, index=True),
             sa.Column("number", sa.String(32), nullable=False, unique=True),
             sa.Column("billing_name", sa.String(200)),
             sa.Column("amount", sa.Numeric(10, 2), nullable=False),
             sa.Column("issued_at", ts, nullable=False, index=True))
    sa.Table("server_logs", md,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("ip", sa.String(45)),
             sa.Column("path", sa.String(300), nullable=False),
             sa.Column("logged_at", ts, nullable=False, index=True))
    return md


def sample_datamap_yaml(url: str, *, tenant: str = "acme") -> str:
    """The data map (SPEC §5) describing the sample application at ``url`` (the demo adds
    its file store with :func:`dsar.demo.media.media_datamap_yaml`)."""
    return _sample_yaml(url, tenant)


def _sample_yaml(url: str, tenant: str) -> str:
    return f"""\
tenant: {tenant}
purposes:
  service: {{description: Providing the chat service you signed up for, legal_basis: contract}}
  support: {{description: Answering your questions and support requests, legal_basis: contract}}
  security:
    description: Keeping the chat widget secure and working
    legal_basis: legitimate_interests
    interest: detecting abuse of the widget and fixing its faults
  billing: {{description: Billing you and keeping our accounts, legal_basis: legal_obligation}}
recipients:
  Stripe: {{category: Payment processor, description: takes your card payments}}
  SendGrid: {{category: E-mail delivery service, description: delivers the e-mails our service sends you}}
transfers:
  - {{to: Stripe, country: US, safeguard: adequacy, details: the UK Extension to the EU-US Data Privacy Framework}}
  - {{to: SendGrid, country: US, safeguard: uk_idta}}
automated_decisions: []
sources:
  - name: app
    url: {json.dumps(url)}
    scope: {{column: business_id, value: "{BUSINESS}"}}
    recipients: [Stripe, SendGrid]
    tables:
      - name: accounts
        primary_key: id
        identity: {{email: email, phone: phone, customer_id: id}}
        categories: {{email: user.contact.email, phone: user.contact.phone_number, name: user.name}}
        purposes: [service]
        erasure: delete
      - name: conversations
        primary_key: id
        link: {{account_id: accounts.id}}
        categories: {{title: user.content}}
        purposes: [service]
        retention: {{after: 12 months, from: created_at, event: the conversation was started, action: delete}}
      - name: messages
        primary_key: id
        link: {{conversation_id: conversations.id}}
        categories: {{body: user.content}}
        provided_by_subject: true
        purposes: [service]
        retention: {{after: 12 months, from: created_at, event: the message was sent, action: delete}}
      - name: widget_visits
        primary_key: id
        link: {{account_id: accounts.id}}
        categories: {{ip: user.device.ip_address, user_agent: user.device}}
        erasure: {{anonymize: {{ip: ip_level_3, user_agent: null}}}}
        purposes: [security]
        origin: Recorded by our chat widget when you visited a website that uses it.
        retention:
          - {{after: 30 days, from: visited_at, event: your visit, action: anonymize_ip, column: ip, level: 1}}
      - name: support_tickets
        primary_key: id
        identity: {{email: email}}
        link: {{account_id: accounts.id}}
        categories: {{email: user.contact.email, body: user.content}}
        purposes: [support]
        retention: {{after: 2 years, from: last_interaction_at, event: our last exchange about it, action: delete}}
      - name: invoices
        primary_key: id
        link: {{account_id: accounts.id}}
        categories: {{billing_name: user.name, amount: user.financial}}
        erasure: {{retain: {{basis: "Tax law: legal obligation, Art. 17(3)(b)", until: 7 years, from: issued_at}}}}
        purposes: [billing]
        origin: Created by us when we bill you for your subscription.
        retention: {{after: 7 years, from: issued_at, event: the invoice was issued, action: delete}}
      - name: server_logs
        primary_key: id
        categories: {{ip: user.device.ip_address}}
        retention: {{after: 90 days, from: logged_at, action: delete}}
"""


