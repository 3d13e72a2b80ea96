"""IP masking: Matomo's three levels on IPv4, IPv6 and IPv4-mapped addresses."""
from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsar.domain.ip_masking import MASKED_BITS, MASKED_ENDINGS, mask_ip, masked_prefix_length, parse_level
from dsar.errors import ValidationError

V6 = "2001:db8:abcd:1234:5678:9abc:def0:1234"


@pytest.mark.parametrize(
    ("value", "level", "expected"),
    [
        pytest.param("192.168.1.77", 1, "192.168.1.0", id="v4-level-1"),
        pytest.param("192.168.1.77", 2, "192.168.0.0", id="v4-level-2"),
        pytest.param("192.168.1.77", 3, "192.0.0.0", id="v4-level-3"),
        pytest.param("8.8.8.8", 1, "8.8.8.0", id="v4-public"),
        pytest.param(" 10.1.2.3 ", 1, "10.1.2.0", id="v4-surrounding-spaces"),
        pytest.param(V6, 1, "2001:db8:abcd:1234::", id="v6-level-1-64-bits"),
        pytest.param(V6, 2, "2001:db8:abcd::", id="v6-level-2-80-bits"),
        pytest.param(V6, 3, "2001:d00::", id="v6-level-3-104-bits"),
        pytest.param("2001:0DB8:ABCD:1234:FFFF:FFFF:FFFF:FFFF", 1, "2001:db8:abcd:1234::",
                     id="v6-uppercase-expanded-to-canonical"),
        pytest.param("2001:db8:abcd:12ff::1", 2, "2001:db8:abcd::", id="v6-level-2-cuts-inside-group"),
        pytest.param("::1", 1, "::", id="v6-loopback"),
        pytest.param("fe80::1%eth0", 1, "fe80::", id="v6-zone-id-dropped"),
        pytest.param("::ffff:1.2.3.4", 1, "::ffff:1.2.3.0", id="mapped-level-1"),
        pytest.param("::ffff:1.2.3.4", 2, "::ffff:1.2.0.0", id="mapped-level-2"),
        pytest.param("::ffff:1.2.3.4", 3, "::ffff:1.0.0.0", id="mapped-level-3"),
        pytest.param("::FFFF:c0a8:0142", 1, "::ffff:192.168.1.0", id="mapped-written-in-hex"),
    ],
)
def test_mask_ip(value, level, expected):
    assert mask_ip(value, level) == expected


@pytest.mark.parametrize(
    ("value", "level", "message"),
    [
        pytest.param("not-an-ip", 1, "'not-an-ip' is not a valid IPv4 or IPv6 address", id="text"),
        pytest.param("", 1, "not a valid", id="empty"),
        pytest.param("256.1.1.1", 1, "not a valid", id="octet-out-of-range"),
        pytest.param("192.168.1", 1, "not a valid", id="three-octets"),
        pytest.param("192.168.001.001", 1, "not a valid", id="leading-zeros"),
        pytest.param("192.168.1.0/24", 1, "not a valid", id="network-not-address"),
        pytest.param("2001:db8::g", 1, "not a valid", id="bad-hex"),
        pytest.param(None, 1, "must be text, got NoneType", id="none"),
        pytest.param(3232235777, 1, "must be text, got int", id="integer"),
        pytest.param("10.0.0.1", 0, "level must be 1, 2 or 3, got 0", id="level-0"),
        pytest.param("10.0.0.1", 4, "level must be 1, 2 or 3, got 4", id="level-4"),
        pytest.param("10.0.0.1", True, "got True", id="level-bool"),
        pytest.param("10.0.0.1", "1", "got '1'", id="level-text"),
        pytest.param("10.0.0.1", 1.0, "got 1.0", id="level-float"),
    ],
)
def test_bad_input_is_a_validation_error_naming_it(value, level, message):
    with pytest.raises(ValidationError, match=message):
        mask_ip(value, level)


@pytest.mark.parametrize(
    ("strategy", "level"),
    [pytest.param("ip_level_1", 1, id="1"), pytest.param("ip_level_2", 2, id="2"),
     pytest.param("ip_level_3", 3, id="3")],
)
def test_parse_level(strategy, level):
    assert parse_level(strategy) == level


@pytest.mark.parametrize(
    "strategy",
    [pytest.param("ip_level_4", id="level-4"), pytest.param("ip_level_0", id="level-0"),
     pytest.param("ip_level_", id="no-number"), pytest.param("hash", id="other-strategy"),
     pytest.param("ip_level_1x", id="trailing"), pytest.param(None, id="none")],
)
def test_parse_level_refuses_other_strategies(strategy):
    with pytest.raises(ValidationError):
        parse_level(strategy)


@pytest.mark.parametrize(
    ("value", "level", "prefix"),
    [pytest.param("1.2.3.4", 1, 24, id="v4"), pytest.param(V6, 2, 48, id="v6"),
     pytest.param("::ffff:1.2.3.4", 3, 104, id="mapped")],
)
def test_masked_prefix_length(value, level, prefix):
    assert masked_prefix_length(value, level) == prefix


# --- properties ----------------------------------------------------------------------------------

ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
mapped = st.ip_addresses(v=4).map(lambda a: f"::ffff:{a}")
addresses = st.one_of(ipv4, ipv6, mapped)
levels = st.sampled_from([1, 2, 3])


@given(addresses, levels)
def test_masking_is_idempotent(value, level):
    once = mask_ip(value, level)
    assert mask_ip(once, level) == once


@given(addresses, levels)
def test_every_masked_value_has_a_masked_ending(value, level):
    # Retention's SQL reads an address only where its text could be masked already.
    assert mask_ip(value, level).endswith(MASKED_ENDINGS)


@given(addresses, levels)
def test_masked_value_stays_in_the_original_prefix(value, level):
    masked = ipaddress.ip_address(mask_ip(value, level))
    prefix = masked_prefix_length(value, level)
    network = ipaddress.ip_network(f"{ipaddress.ip_address(value)}/{prefix}", strict=False)
    assert masked in network
    assert masked == network.network_address  # every host bit is zero, none of the prefix


@given(addresses, st.sampled_from([1, 2]))
def test_a_higher_level_masks_at_least_what_a_lower_one_does(value, level):
    stronger = mask_ip(value, level + 1)
    assert mask_ip(mask_ip(value, level), level + 1) == stronger
    assert mask_ip(stronger, level) == stronger  # a weaker mask finds nothing left to hide
    assert masked_prefix_length(value, level + 1) < masked_prefix_length(value, level)


@given(mapped, levels)
def test_mapped_addresses_keep_their_mapped_form(value, level):
    masked = mask_ip(value, level)
    v4 = str(ipaddress.ip_address(value).ipv4_mapped)
    assert masked == f"::ffff:{mask_ip(v4, level)}"
    assert ipaddress.ip_address(masked).ipv4_mapped is not None


# --- the forms read without parsing agree with ipaddress --------------------------------------
# ``mask_ip`` answers canonical IPv4 (alone or mapped) and already-masked IPv6 text without
# parsing it; these compare it, on any text, with ipaddress alone.

def _reference(value: str, level: int) -> str:
    """The network address of what ``level`` keeps, as ipaddress computes it (ValueError: no address)."""
    address = ipaddress.ip_address(value.strip())
    if address.version == 6 and address.ipv4_mapped is not None:
        return f"::ffff:{_reference(str(address.ipv4_mapped), level)}"
    zeroed = MASKED_BITS[address.version][level]
    network = ipaddress.IPv4Network if address.version == 4 else ipaddress.IPv6Network
    return str(network((int(address), address.max_prefixlen - zeroed), strict=False).network_address)


def _outcome(function, value: str, level: int) -> str | None:
    try:
        return function(value, level)
    except (ValueError, ValidationError):
        return None  # not an address


ipv6_spellings = st.ip_addresses(v=6).flatmap(lambda a: st.sampled_from(
    [str(a), a.exploded, str(a).upper(), a.exploded.upper(), f" {a} "]))
already_masked = st.tuples(addresses, levels).map(lambda pair: mask_ip(*pair))
octet_text = st.one_of(st.integers(0, 300).map(str), st.from_regex(r"[0-9]{0,4}", fullmatch=True))
dotted_text = st.tuples(st.sampled_from(["", "::ffff:", "::FFFF:", "::", " "]),
                        st.lists(octet_text, min_size=1, max_size=5).map(".".join)).map("".join)
group_text = st.one_of(st.integers(0, 0xFFFF).map("{:x}".format), st.integers(0, 0xFF).map("{:x}00".format),
                       st.from_regex(r"[0-9a-fA-F]{0,5}", fullmatch=True))
#: Text shaped like a masked IPv6 address, right or nearly: groups, then how it ends.
masked_ipv6_text = st.tuples(st.lists(group_text, max_size=7).map(":".join),
                             st.sampled_from(["::", ":", "::0", ":0", ""])).map("".join)
many = settings(max_examples=1000)


@many
@given(st.one_of(addresses, ipv6_spellings, already_masked), levels)
def test_mask_ip_agrees_with_ipaddress_on_addresses_however_written(value, level):
    assert mask_ip(value, level) == _reference(value, level)


@many
@given(st.one_of(dotted_text, masked_ipv6_text), levels)
def test_mask_ip_agrees_with_ipaddress_on_text_shaped_like_an_address(value, level):
    assert _outcome(mask_ip, value, level) == _outcome(_reference, value, level)


@pytest.mark.parametrize(("value", "level"), [
    ("2001:db8::", 1), ("0:1::", 1), ("0:0:1:2::", 1), ("1:2:3:4::", 1), ("1:2:3:0::", 1), ("1:2:3:4:5::", 1),
    ("1:2:3::", 2), ("1:2:3:4::", 2), ("2001:d00::", 3), ("0:100::", 3), ("2001:d01::", 3), ("2001::", 3),
    ("2001:0db8::", 1), ("2001:DB8::", 1), ("::", 3), (":::", 1), ("1.2.3.0", 1), ("01.2.3.4", 1),
    ("::ffff:1.2.3.4", 3), ("::ffff:01.2.3.4", 1), ("255.255.255.255", 2), ("256.0.0.0", 1),
])
def test_mask_ip_agrees_with_ipaddress_near_the_forms_read_without_parsing(value, level):
    assert _outcome(mask_ip, value, level) == _outcome(_reference, value, level)
