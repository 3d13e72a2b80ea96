"""Defaults of every tenant-tunable setting: configuration is data (STYLE rule 11)."""

DEFAULTS = {
    # Verification (SPEC §4)
    "verification_hours": 72,
    "verification_max_attempts": 5,
    # Request types that need N matching data points from the tenant's own records.
    "strong_verification": {},  # e.g. {"access": {"data_points": 2, "declaration": True}}
    "unverified_expiry_days": 14,
    # Deadlines (SPEC §3)
    "policy_extension_days": 0,
    "policy_pauses": False,
    "gdpr_pauses": True,
    "reminder_days": [7, 2],
    # Fulfilment (SPEC §6)
    "export_days": 7,
    "export_max_downloads": 3,
    # Own retention (SPEC §7)
    "record_keeping_months": 24,
    "requester_ip_days": 30,
    # Retention overrides: {"source.table": "6 months"}; may only shorten the map's period.
    "retention_overrides": {},
    # Rows retention must not touch: [{"table": "app.accounts", "column", "value", "reason"}].
    "legal_holds": [],
    # Art. 15 letter: where to complain, one line ("Name, https://…, telephone …"); empty: the
    # regime's default (dsar.domain.supervisory_authorities: the ICO for uk_gdpr).
    "supervisory_authority": "",
}
