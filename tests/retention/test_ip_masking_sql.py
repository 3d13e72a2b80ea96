"""IP masking through the SQL path on SQLite and PostgreSQL gives exactly ``mask_ip``'s answer.

Plain addresses are masked by the database in one UPDATE per batch (no ``executemany``);
values SQL cannot read the way Python does (spaces, zone ids, leading zeros, garbage) end
the same as through ``mask_ip`` — masked, or emptied when they are no address at all.
"""
import ipaddress
import math
import random
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsar.datamap.sources import engine_for
from dsar.domain.ip_masking import mask_ip
from dsar.errors import ValidationError
from tests.retention.conftest import apply, create_table, datamap_for, rows

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
OLD = datetime(2025, 1, 1)
PLAIN = [
    "192.168.1.77", "10.0.0.1", "255.255.255.255", "0.0.0.0", "8.8.4.4",
    "2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:DB8::1", "fe80::1", "::1", "::", "2001:0db8:0000:0000:0000:ff00:0042:8329",
    "2001:db8:0:1:1:1:1:1", "1:2:3:4:5:6:7:8", "::ffff:192.0.2.128", "::FFFF:10.1.2.3", "::ffff:0.0.0.0",
    "::ffff:c000:280", "::102:304",
    # Ending as masked text does: masked already at some levels, or not yet.
    "10.1.2.0", "::FFFF:10.1.2.0", "2001:db8::", "2001:db8:1:2:3::",
    # No dot and no colon: never an address, whatever else it holds (emptied by SQL alone).
    "-", "unknown", "n/a", " ", "%eth0", "\u00a0", "not-an-ip",
    # An address and its port (as some proxies log a client): no address, emptied by SQL alone.
    "203.0.113.9:51234", "1.2.3.4:80", "::ffff:1.2.3.4:80", "1.2.3.0:0",
]
ODD = [" 192.168.1.77 ", "deadbeef", " 1.2.3.4:80", "::ffff:01.2.3.4", "1.2.3.04", "256.1.1.1", "1.2.3.4.", "::0123", "\t2001:db8::1\n", "fe80::1%eth0", "01.2.3.4", "1.2.3", "1::2::3", "",
       "1.2.3.4/24", "::ffff:1.2.3.4.5", "\u00a0192.168.1.7", "\uff11.2.3.4",
       # Odd, yet ending as masked text does.
       "01.2.3.0", "::ffff:01.2.3.0", " 1.2.3.0", "1.2.0", "fe80::1%eth0::"]


def visits() -> sa.Table:
    return sa.Table("visits", sa.MetaData(),
                     sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("ip", sa.String(64)),
                     sa.Column("visited_at", sa.DateTime, nullable=False))


def expected(value: str | None, level: int) -> str | None:
    try:
        return mask_ip(value, level)
    except (ValidationError, TypeError):
        return None


def _setup(url: str, values: list) -> None:
    create_table(url, visits(), [{"id": i, "ip": v, "visited_at": OLD} for i, v in enumerate(values, 1)])


def _datamap(url: str, level: int):
    return datamap_for(url, f"""\
      - name: visits
        primary_key: id
        retention: {{after: 30 days, from: visited_at, action: anonymize_ip, column: ip, level: {level}}}
""")


@pytest.mark.parametrize("level", [1, 2, 3])
def test_plain_addresses_are_masked_by_the_database_as_mask_ip_does(source_url, level):
    values = PLAIN + [None]
    _setup(source_url, values)
    datamap = _datamap(source_url, level)
    statements = []
    engine = engine_for(datamap.sources[0])
    listener = lambda conn, cursor, statement, params, context, many: statements.append((statement, many))  # noqa: E731
    committed = lambda conn: statements.append(("COMMIT", False))  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    sa.event.listen(engine, "commit", committed)
    try:
        ctx = apply(datamap, NOW, batch_size=4)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
        sa.event.remove(engine, "commit", committed)

    assert ctx.errors == []
    after = rows(source_url, "visits", "ip")
    assert {i: after[i][0] for i in after} == {i: expected(v, level) for i, v in enumerate(values, 1)}
    assert not [s for s, many in statements if many], "plain addresses must not be masked row by row"
    changed = sum(1 for v in PLAIN if expected(v, level) != v)
    # One UPDATE per batch (a batch ends with its commit), and no other read of the batch:
    # these rows have no odd one. A batch holds at most 4 rows; a slow one makes the next
    # smaller (batches are sized by time), so the batches are counted, not assumed.
    batches = " ".join(s.split()[0].upper() for s, _ in statements).split("COMMIT")  # each statement's verb
    updates = [batch.split().count("UPDATE") for batch in batches if "UPDATE" in batch.split()]
    assert set(updates) == {1} and len(updates) >= math.ceil(len(values) / 4)
    assert not [s for s, _ in statements if s.lstrip().upper().startswith("SELECT") and "visits.ip" in s]
    assert list(ctx.stats.values()) == [changed]


@pytest.mark.parametrize("level", [1, 3])
def test_odd_values_end_as_mask_ip_says_as_the_dry_run_counted(source_url, level):
    values = ODD + PLAIN[:3]
    _setup(source_url, values)
    # Some odd values ("1.2.0") PostgreSQL cannot cast: the dry run counts them in Python.
    predicted = apply(_datamap(source_url, level), NOW, batch_size=3, dry_run=True)
    ctx = apply(_datamap(source_url, level), NOW, batch_size=3)

    assert predicted.errors == [] and ctx.errors == []
    assert ctx.stats == predicted.stats
    after = rows(source_url, "visits", "ip")
    assert {i: after[i][0] for i in after} == {i: expected(v, level) for i, v in enumerate(values, 1)}


@pytest.mark.parametrize("level", [1, 2])
def test_a_second_run_changes_and_counts_nothing(source_url, level):
    values = PLAIN + ODD
    _setup(source_url, values)
    datamap = _datamap(source_url, level)
    apply(datamap, NOW, batch_size=5)
    first = rows(source_url, "visits", "ip")

    again = apply(datamap, NOW, batch_size=5)

    assert rows(source_url, "visits", "ip") == first
    assert list(again.stats.values()) == [0]
    # A stricter level later still masks further (level 3 over level 1 or 2).
    stricter = apply(_datamap(source_url, 3), NOW)
    assert list(stricter.stats.values())[0] > 0


def test_an_inet_column_is_masked_in_place_on_postgresql(pg_server):
    url = pg_server.url_for("retention_inet")
    try:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS visits")
            conn.exec_driver_sql("CREATE TABLE visits (id serial PRIMARY KEY, ip inet, visited_at timestamp NOT NULL)")
            conn.exec_driver_sql("INSERT INTO visits (ip, visited_at) VALUES ('192.168.1.77', '2025-01-01'), "
                                 "('2001:db8:85a3:8d3:1319:8a2e:370:7348', '2025-01-01'), "
                                 "('::ffff:10.1.2.3', '2025-01-01'), (NULL, '2025-01-01'), ('1.2.3.4', '2025-06-01')")
        engine.dispose()
        ctx = apply(_datamap(url, 2), NOW)
        assert ctx.errors == []
        after = rows(url, "visits", "host(ip)")
        assert [after[i][0] for i in sorted(after)] == ["192.168.0.0", "2001:db8:85a3::", "::ffff:10.1.0.0", None, "1.2.3.4"]
        assert list(apply(_datamap(url, 2), NOW).stats.values()) == [0]
    finally:
        from dsar.datamap.sources import dispose_engines
        dispose_engines()
        pg_server.drop("retention_inet")


def _mutations(count: int) -> list[str]:
    """Near-addresses: real ones with a few characters inserted, dropped or changed."""
    rng = random.Random(7)
    seeds = ["1.2.3.4", "10.0.0.1", "::ffff:1.2.3.4", "2001:db8::1", "::", "fe80::1:2", "1:2:3:4:5:6:7:8",
             "::1.2.3.4", "255.255.255.255"]
    values = set()
    while len(values) < count:
        chars = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            at, char, edit = rng.randrange(len(chars) + 1), rng.choice("0123456789abcdef:."), rng.randrange(3)
            if edit == 0 or not chars:
                chars.insert(at, char)
            elif edit == 1:
                chars.pop(min(at, len(chars) - 1))
            else:
                chars[min(at, len(chars) - 1)] = char
        values.add("".join(chars))
    return sorted(values)


def test_near_addresses_end_exactly_as_mask_ip_says(source_url):
    values = _mutations(800)
    _setup(source_url, values)

    ctx = apply(_datamap(source_url, 1), NOW, batch_size=1)  # a failed cast sends one row to Python

    assert ctx.errors == []
    after = rows(source_url, "visits", "ip")
    mismatches = {values[i - 1]: after[i][0] for i in after if after[i][0] != expected(values[i - 1], 1)}
    assert mismatches == {}


@st.composite
def address_like(draw):
    """Addresses as Python prints them, and as people write them: upper case, leading
    zeros, mapped IPv4, a dot or colon too many, spaces — and text of address characters."""
    kind = draw(st.sampled_from(["v4", "v6", "mapped", "chars"]))
    if kind == "chars":
        return draw(st.text(alphabet="0123456789abcdefABCDEF:. x%/", min_size=0, max_size=20))
    if kind == "v4":
        octets = [str(draw(st.integers(0, 255))) for _ in range(4)]
        if draw(st.booleans()):
            octets[draw(st.integers(0, 3))] = "0" + octets[0]
        text = ".".join(octets)
    else:
        text = str(ipaddress.IPv6Address(draw(st.integers(0, 2**128 - 1))))
        if kind == "mapped":
            text = "::ffff:" + str(ipaddress.IPv4Address(draw(st.integers(0, 2**32 - 1))))
    edit = draw(st.sampled_from(["", "upper", "dot", "space", "drop"]))
    if edit == "upper":
        text = text.upper()
    elif edit == "dot":
        text += "."
    elif edit == "space":
        text = f" {text}"
    elif edit == "drop" and len(text) > 1:
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + text[at + 1:]
    return text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(address_like(), min_size=1, max_size=25), level=st.sampled_from([1, 2, 3]))
def test_generated_addresses_end_as_mask_ip_says_as_the_dry_run_counted_and_a_rerun_changes_nothing(source_url, values, level):
    engine = sa.create_engine(source_url)
    visits().metadata.drop_all(engine)
    engine.dispose()
    _setup(source_url, values)

    predicted = apply(_datamap(source_url, level), NOW, batch_size=7, dry_run=True)
    ctx = apply(_datamap(source_url, level), NOW, batch_size=7)
    again = apply(_datamap(source_url, level), NOW, batch_size=7)

    assert predicted.errors == [] and ctx.errors == [] and again.errors == []
    assert ctx.stats == predicted.stats  # the dry run counts exactly the rows the run changes
    after = rows(source_url, "visits", "ip")
    assert {i: after[i][0] for i in after} == {i: expected(v, level) for i, v in enumerate(values, 1)}
    assert sum(again.stats.values()) == 0


# --- careful rewrites: a batch holding text PostgreSQL cannot read ---------------------------

# Address characters only, a dot or a colon, yet PostgreSQL's cast fails on them.
UNREADABLE = ["256.1.1.1", "1.2.3", "1..2.3", "a.b", "cafe.be", "1:2", "dead:beef", ":::", "1::2::3", "12345::1",
              "1:2:3:4:5:6:7:8:9", "::ffff:256.1.1.1", "1e.2.3.4", ".", ":", "1.", "1.2.0"]


def test_a_careful_rewrite_reads_no_value_postgresql_might_not_and_gets_the_rest_right(pg_server):
    """What the careful rewrite does not leave to Python it masks as ``mask_ip`` does, and it
    never casts text PostgreSQL cannot read (one statement over every value: none fails)."""
    from dsar.datamap.model import ColumnStrategy
    from dsar.retention.statements import PostgresFlavour

    url = pg_server.url_for("careful_rewrite")
    values = sorted(set(PLAIN + ODD + UNREADABLE + _mutations(1500)))
    _setup(url, values)
    engine = sa.create_engine(url)
    try:
        table = visits()
        for level in (1, 2, 3):
            rewrite = PostgresFlavour().rewrite(table.c.ip, ColumnStrategy("ip", level=level), b"k", careful=True)
            new = sa.case((rewrite.odd, sa.null()), else_=rewrite.new)  # as the UPDATE: odd rows are not written
            with engine.connect() as conn:
                found = conn.execute(sa.select(table.c.ip, rewrite.odd, new, rewrite.changes)).all()
            done_in_sql = {ip: (new, changes) for ip, odd, new, changes in found if not odd}
            assert {ip: (expected(ip, level), expected(ip, level) != ip) for ip in done_in_sql} == done_in_sql
            left = {ip for ip, odd, _, changes in found if odd}
            assert set(UNREADABLE) <= left
            assert all(changes for ip, odd, _, changes in found if odd)  # Python's answer differs from each
            # Plain addresses stay with SQL (but for the embedded IPv4 forms the shapes leave out).
            assert left & set(PLAIN) <= {"::102:304"} and "1.2.3.4" not in left
    finally:
        engine.dispose()
        pg_server.drop("careful_rewrite")


def test_a_batch_holding_unreadable_text_is_still_masked_in_sql_but_for_that_text(pg_server):
    url = pg_server.url_for("careful_batch")
    plain = [f"10.{i // 250}.{i % 250}.7" for i in range(300)] + [f"2001:db8::{i:x}" for i in range(300)]
    values = plain[:200] + ["256.1.1.1"] + plain[200:400] + ["dead:beef", "1.2.0"] + plain[400:]
    _setup(url, values)
    datamap = _datamap(url, 1)
    engine = engine_for(datamap.sources[0])
    written_by_python = []
    listener = lambda conn, cursor, statement, params, context, many: many and written_by_python.extend(params)  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        predicted = apply(datamap, NOW, batch_size=10_000, dry_run=True)
        ctx = apply(datamap, NOW, batch_size=10_000)
        again = apply(datamap, NOW, batch_size=10_000)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
        from dsar.datamap.sources import dispose_engines
        dispose_engines()

    assert predicted.errors == ctx.errors == again.errors == []
    assert ctx.stats == predicted.stats and list(ctx.stats.values()) == [len(values)]
    after = rows(url, "visits", "ip")
    assert {i: after[i][0] for i in after} == {i: expected(v, 1) for i, v in enumerate(values, 1)}
    assert len(written_by_python) == 3  # the three unreadable values, not their batch
    assert list(again.stats.values()) == [0]
    pg_server.drop("careful_batch")


@pytest.mark.parametrize("named", [2, 1000])
def test_odd_rows_are_read_back_by_position_or_with_their_batch_past_a_few(source_url, monkeypatch, named):
    """PostgreSQL names a batch's few odd rows by position for Python; past ``ODD_ROWS_NAMED``
    it reads the batch again for them. Either way each ends as ``mask_ip`` says, counted once."""
    monkeypatch.setattr("dsar.retention.statements.ODD_ROWS_NAMED", named)
    values = [v for pair in zip(PLAIN, ODD) for v in pair]
    _setup(source_url, values)

    ctx = apply(_datamap(source_url, 2), NOW, batch_size=1_000)

    assert ctx.errors == []
    after = rows(source_url, "visits", "ip")
    assert {i: after[i][0] for i in after} == {i: expected(v, 2) for i, v in enumerate(values, 1)}
    assert list(ctx.stats.values()) == [sum(1 for v in values if expected(v, 2) != v)]
