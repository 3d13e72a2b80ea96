"""The legal regimes a tenant can hold, as data (SPEC §3).

A regime says how long a controller has to answer a request, whether and by how much that
time can be extended, whether the clock stops while the controller waits for the subject
(identity proof, clarification), and whether receipt must be acknowledged first. The
arithmetic lives in :mod:`dsar.domain.deadlines`; this module only describes the rules.

Sources:

* ``gdpr`` — GDPR Art. 12(3): "without undue delay and in any event within one month of
  receipt", extendable "by two further months where necessary", the subject being told
  "within one month of receipt". The Regulation says nothing of pausing; several
  authorities follow the ICO's practice below, others do not, so a tenant can switch
  pausing off (on by default, SPEC §3).
* ``uk_gdpr`` — UK GDPR Art. 12(3) as explained by the ICO ("Time limits for responding"):
  the same month rule, and the time limit "does not begin" until ID or clarification is
  received, which is what a pause expresses.
* ``ccpa`` — CCPA regulations, 11 CCR §7021(b): 45 calendar days, one further 45 days with
  notice and an explanation given within the first 45 days; §7021(a): confirm receipt within
  10 business days. The 45 days run from receipt regardless of verification: no pause.
* ``lgpd`` — LGPD Art. 19(II): a complete answer within 15 days of the request; the law
  provides neither extension nor pause.
* ``policy`` — the tenant's own published promise: N days, optional extension, optional
  pause, all tenant-set.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from dsar.errors import ValidationError


def _l(text: str) -> str:
    """Marks a name for translation (``pybabel extract -k _l``, see translations/babel.cfg); it is
    translated where it is shown (``dsar.translations.rights``), so the domain needs no Flask."""
    return text


#: The one name of each regime (STYLE rule 11): ``Regime.name``, the dashboard's choices, and
#: — translated by ``dsar.translations.rights.REGIME_NAMES`` — the portal and the messages.
REGIME_NAMES: Mapping[str, str] = MappingProxyType({
    "gdpr": _l("GDPR (European Union)"),
    "uk_gdpr": _l("UK GDPR (United Kingdom)"),
    "ccpa": _l("CCPA / CPRA (California)"),
    "lgpd": _l("LGPD (Brazil)"),
    "policy": _l("Our own privacy policy"),
})


@dataclass(frozen=True)
class Period:
    """A span counted from the day of receipt: calendar months or calendar days, not both."""

    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if self.months < 0 or self.days < 0 or (self.months > 0) == (self.days > 0):
            raise ValidationError(
                "A period is a positive number of months or of days, not both.",
                details={"months": self.months, "days": self.days},
            )

    def describe(self) -> str:
        """Plain words for dashboards and warnings, e.g. '1 calendar month', '45 days'."""
        if self.months:
            return f"{self.months} calendar month{'s' if self.months != 1 else ''}"
        return f"{self.days} day{'s' if self.days != 1 else ''}"


@dataclass(frozen=True)
class Regime:
    """One named deadline rule.

    ``extended_period`` is the *whole* time allowed once extended, counted from receipt
    (gdpr: 3 months, not 1 + 2: the ICO counts the extension from receipt, and adding months
    twice would lose days at month ends, e.g. 31 Jan -> 28 Feb -> 28 Apr instead of 30 Apr).
    ``None`` means the regime allows no extension.
    """

    code: str
    name: str
    period: Period
    extended_period: Period | None
    pauses: bool
    acknowledge_business_days: int | None
    source: str

    @property
    def extendable(self) -> bool:
        return self.extended_period is not None


_BUILT_IN = (
    Regime(
        code="gdpr",
        name=REGIME_NAMES["gdpr"],
        period=Period(months=1),
        extended_period=Period(months=3),
        pauses=True,
        acknowledge_business_days=None,
        source="GDPR Art. 12(3)",
    ),
    Regime(
        code="uk_gdpr",
        name=REGIME_NAMES["uk_gdpr"],
        period=Period(months=1),
        extended_period=Period(months=3),
        pauses=True,
        acknowledge_business_days=None,
        source="UK GDPR Art. 12(3); ICO guidance on time limits",
    ),
    Regime(
        code="ccpa",
        name=REGIME_NAMES["ccpa"],
        period=Period(days=45),
        extended_period=Period(days=90),
        pauses=False,
        acknowledge_business_days=10,
        source="Cal. Code Regs. tit. 11, §7021",
    ),
    Regime(
        code="lgpd",
        name=REGIME_NAMES["lgpd"],
        period=Period(days=15),
        extended_period=None,
        pauses=False,
        acknowledge_business_days=None,
        source="LGPD Art. 19(II)",
    ),
)

# The `policy` regime has no fixed period: get_regime() builds it from tenant settings.
POLICY = "policy"

REGIMES: Mapping[str, Regime] = MappingProxyType({r.code: r for r in _BUILT_IN})
REGIME_CODES: tuple[str, ...] = (*REGIMES, POLICY)


def get_regime(
    code: str,
    *,
    policy_days: int | None = None,
    policy_extension_days: int = 0,
    policy_pauses: bool = False,
    gdpr_pauses: bool = True,
) -> Regime:
    """Return the regime named ``code`` with the tenant's settings applied.

    The keywords are the tenant settings of the same names; each shapes only the regime its
    name says (``policy_*`` the ``policy`` regime, ``gdpr_pauses`` the ``gdpr`` one), so a
    caller may pass all of a tenant's settings whatever its regime. The clocks of uk_gdpr,
    ccpa and lgpd are fixed by law and take no setting.
    """
    if code == POLICY:
        return _policy_regime(policy_days, policy_extension_days, policy_pauses)
    if code not in REGIMES:
        raise ValidationError(
            f"Unknown regime {code!r}; expected one of: {', '.join(REGIME_CODES)}.",
            details={"field": "regime"},
        )
    regime = REGIMES[code]
    if code == "gdpr" and gdpr_pauses != regime.pauses:
        return replace(regime, pauses=gdpr_pauses)
    return regime


def _policy_regime(days: int | None, extension_days: int, pauses: bool) -> Regime:
    if days is None or days < 1:
        raise ValidationError(
            "The policy regime needs a response period of at least 1 day (policy days).",
            details={"field": "policy_days"},
        )
    if extension_days < 0:
        raise ValidationError(
            "Policy extension days cannot be negative (0 means no extension).",
            details={"field": "policy_extension_days"},
        )
    return Regime(
        code=POLICY,
        name=REGIME_NAMES[POLICY],
        period=Period(days=days),
        extended_period=Period(days=days + extension_days) if extension_days else None,
        pauses=pauses,
        acknowledge_business_days=None,
        source="Tenant's published privacy policy",
    )
