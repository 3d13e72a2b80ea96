"""proven identifiers and fulfilment evidence (issue: fulfilment that cannot hurt the wrong person)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

0001 is frozen as it landed: every schema change from now on is a new revision.

Adds ``request_identifiers``: each identifier a request names beside its e-mail address,
and whether it is proven. Requests made before this revision have no rows there, so their
phone and customer number are hints until staff confirm them: nothing unproven reaches data.
"""
import sqlalchemy as sa
from alembic import op

import dsar.models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "request_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("value_enc", sa.Text(), nullable=True),
        sa.Column("proof", sa.String(length=20), nullable=True),
        sa.Column("proven_at", dsar.models.base.UTCDateTime(), nullable=True),
        sa.Column("proven_by", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"],
                                name=op.f("fk_request_identifiers_request_id_requests"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_request_identifiers_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_identifiers")),
        sa.UniqueConstraint("request_id", "kind", name="uq_request_identifiers_request_kind"),
    )
    with op.batch_alter_table("request_identifiers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_identifiers_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_identifiers_tenant_id"), ["tenant_id"], unique=False)


def downgrade():
    with op.batch_alter_table("request_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_identifiers_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_request_identifiers_request_id"))
    op.drop_table("request_identifiers")
