"""Defaults of every tenant-tunable setting, and the rules a setting's value must meet:
configuration is data (STYLE rule 11)."""
from dsar.errors import ValidationError


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


#: Countries whose public holidays differ by region: the tenant names its region, since a
#: deadline moves past the region's bank holidays (SPEC §3). Codes are ISO 3166-2, as the
#: ``holidays`` library names the subdivisions (``GB`` + ``ENG`` …).
REGIONAL_HOLIDAYS: dict[str, tuple[tuple[str, str], ...]] = {
    "GB": (("GB-ENG", "England"), ("GB-SCT", "Scotland"), ("GB-WLS", "Wales"), ("GB-NIR", "Northern Ireland")),
}
REGIONAL_HOLIDAYS["UK"] = REGIONAL_HOLIDAYS["GB"]  # the library's alias for GB


def check_country_region(country: str) -> None:
    """ValidationError naming ``country`` when it is a whole country whose regions keep
    different bank holidays (``GB``): the tenant must say which region's calendar counts."""
    code = (country or "").strip().upper()
    regions = REGIONAL_HOLIDAYS.get(code)
    if regions:
        names = [name for _, name in regions]
        raise ValidationError(
            f"country {code!r}: {', '.join(names[:-1])} and {names[-1]} have different bank holidays, "
            f"so deadlines differ; choose {', '.join(c for c, _ in regions[:-1])} or {regions[-1][0]}",
            details={"field": "country", "choices": [c for c, _ in regions]})
