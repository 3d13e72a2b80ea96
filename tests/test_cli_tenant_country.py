"""`dsar tenants create --country GB` asks which nation: one line naming the field, exit 1."""
from sqlalchemy import select

from dsar.extensions import db
from dsar.models import Tenant


def test_gb_is_refused_with_the_four_nations(cli):
    result = cli.invoke(args=["tenants", "create", "uk", "--name", "UK Ltd", "--regime", "uk_gdpr",
                              "--country", "GB"])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "country 'GB'" in lines[0] and "GB-ENG, GB-SCT, GB-WLS or GB-NIR" in lines[0]
    assert "Traceback" not in result.output
    assert db.session.execute(select(Tenant).where(Tenant.slug == "uk")).first() is None


def test_a_nation_is_accepted(cli):
    result = cli.invoke(args=["tenants", "create", "scot", "--name", "Scot Ltd", "--regime", "uk_gdpr",
                              "--country", "gb-sct"])
    assert result.exit_code == 0, result.output
    assert db.session.execute(select(Tenant.country).where(Tenant.slug == "scot")).scalar_one() == "GB-SCT"
