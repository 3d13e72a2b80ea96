"""IP address anonymization by Matomo's masking levels (SPEC §5).

Matomo ("Anonymize Visitors' IP addresses") masks the end of an address, keeping the network
part that says roughly where a visitor came from:

====== ============================ ==========================
level  IPv4                         IPv6
====== ============================ ==========================
1      last octet zeroed (/24)      last 64 bits zeroed (/64)
2      last two octets (/16)        last 80 bits (/48)
3      last three octets (/8)       last 104 bits (/24)
====== ============================ ==========================

An IPv4-mapped IPv6 address (``::ffff:1.2.3.4``, what a dual-stack socket reports for an
IPv4 client) is an IPv4 address in disguise: masking 64 bits of it would erase the mapping
prefix and leave the whole IPv4 address, so its IPv4 part is masked instead and the mapped
form kept (``::ffff:1.2.3.0``).

Results are canonical text: dotted quad for IPv4, RFC 5952 compressed form for IPv6. A
masked value is returned unchanged by a second masking at the same or a lower level, and
ends in ``.0`` or ``::`` (``MASKED_ENDINGS``): every level zeroes at least the last octet,
or the last four groups, which the compressed form writes as ``::``.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from types import MappingProxyType

from dsar.errors import ValidationError

# Bits zeroed at each level, per address family.
MASKED_BITS: Mapping[int, Mapping[int, int]] = MappingProxyType({
    4: MappingProxyType({1: 8, 2: 16, 3: 24}),
    6: MappingProxyType({1: 64, 2: 80, 3: 104}),
})
LEVELS: tuple[int, ...] = (1, 2, 3)
#: How every masked address ends, whatever the level: text ending otherwise is not masked yet
#: (retention tests that first, and reads the address only where it could be masked already).
MASKED_ENDINGS: tuple[str, ...] = (".0", "::")

_STRATEGY = re.compile(r"ip_level_(\d+)")
# Text ``mask_ip`` answers without parsing it, the same text the general path gives.
# Retention masks millions of addresses a run, and every later run reads them again to see
# they are masked already; ``ipaddress`` takes five to ten times longer over each.
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#: An IPv4 address as ``ipaddress`` writes it (no leading zeros, no spaces), alone or mapped
#: (``::ffff:1.2.3.4``): masking it zeroes octets of the text itself.
_CANONICAL_IPV4 = re.compile(rf"(::ffff:)?{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")
_GROUP = "(?:[1-9a-f][0-9a-f]{0,3}|0)"  # a group of the RFC 5952 form: lower case, no leading zeros
_NONZERO = "[1-9a-f][0-9a-f]{0,3}"
#: An IPv6 address already masked at (at least) each level, in RFC 5952 form: the groups
#: kept, the last of them not zero, then ``::`` (the zeroed run is the longest, so it is the
#: one written ``::``). Level 3 keeps 24 bits: a first group and the high byte of a second.
_MASKED_IPV6: Mapping[int, re.Pattern] = MappingProxyType({
    1: re.compile(rf"(?:(?:{_GROUP}:){{0,3}}{_NONZERO})?::"),
    2: re.compile(rf"(?:(?:{_GROUP}:){{0,2}}{_NONZERO})?::"),
    3: re.compile(rf"(?:{_GROUP}:[1-9a-f][0-9a-f]?00|{_NONZERO})?::"),
})


def mask_ip(value: str, level: int) -> str:
    """Return ``value`` with the low bits of ``level`` zeroed, in canonical form.

    Raises ValidationError if ``value`` is not an IPv4 or IPv6 address or ``level`` is not
    1, 2 or 3. Null values are the caller's to skip: there is nothing to mask in them.
    """
    _check_level(level)
    if isinstance(value, str):
        if canonical := _CANONICAL_IPV4.fullmatch(value):
            mapped, *octets = canonical.groups()
            zeroed = MASKED_BITS[4][level] // 8
            return (mapped or "") + ".".join(octets[:4 - zeroed] + ["0"] * zeroed)
        if _MASKED_IPV6[level].fullmatch(value):
            return value
    address = _parse(value)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{_mask(address.ipv4_mapped, level)}"
    return str(_mask(address, level))


def parse_level(strategy: str) -> int:
    """The level of a data-map anonymize strategy: ``"ip_level_2"`` -> 2."""
    match = _STRATEGY.fullmatch(strategy.strip()) if isinstance(strategy, str) else None
    if not match:
        raise ValidationError(
            f"Unknown IP masking strategy {strategy!r}: expected ip_level_1, ip_level_2 or "
            "ip_level_3.",
            details={"value": strategy},
        )
    level = int(match.group(1))
    _check_level(level)
    return level


def masked_prefix_length(value: str, level: int) -> int:
    """How many leading bits of ``value``'s own address family survive masking at ``level``.

    For an IPv4-mapped address that is counted on the 128-bit IPv6 form (96 + the kept IPv4
    bits), so ``ip_network(f"{value}/{n}", strict=False)`` contains the masked value.
    """
    _check_level(level)
    address = _parse(value)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return 128 - MASKED_BITS[4][level]
    return address.max_prefixlen - MASKED_BITS[address.version][level]


def _mask(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, level: int
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    zeroed = MASKED_BITS[address.version][level]
    keep = ((1 << address.max_prefixlen) - 1) ^ ((1 << zeroed) - 1)
    # Rebuilding from the integer also drops an IPv6 zone id (fe80::1%eth0): it names an
    # interface of the server, not the visitor, and cannot survive as part of the address.
    return type(address)(int(address) & keep)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if not isinstance(value, str):
        raise ValidationError(
            f"An IP address must be text, got {type(value).__name__}.", details={"value": repr(value)}
        )
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        raise ValidationError(
            f"{value!r} is not a valid IPv4 or IPv6 address.", details={"value": value}
        ) from None


def _check_level(level: int) -> None:
    # bool is an int subclass: True would silently mean level 1.
    if not isinstance(level, int) or isinstance(level, bool) or level not in LEVELS:
        raise ValidationError(
            f"IP masking level must be 1, 2 or 3, got {level!r}.", details={"level": repr(level)}
        )
