"""proven identifiers and fulfilment evidence (issue: fulfilment that cannot hurt the wrong person)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

0001 is frozen as it landed: every schema change from now on is a new revision.
"""

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
