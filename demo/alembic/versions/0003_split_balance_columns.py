"""Split balance_cents into balance_major (whole units) and balance_minor (cents, 0-99).

Expand step of an expand/contract change: the new columns are filled from balance_cents, and
balance_cents itself is kept, renamed balance_cents_pre_0003, until a later contract migration
drops it. The downgrade therefore restores the original column exactly.

Revision ID: 0003_split_balance_columns
Revises: 0002_add_fee_index
Create Date: 2024-01-22 09:00:00 UTC
"""

import sqlalchemy as sa
from alembic import op

# DELIBERATE BUG, for the demonstration (scripts/demo-runbook.sh): balance_major is computed as
# CAST(balance_cents / 100.0 AS bigint). PostgreSQL rounds a numeric to the nearest integer when
# casting it to bigint (Python's int() would truncate), so every account whose cents are 50 or
# more gains one whole unit. The migration itself succeeds; the post-migration data validation
# (demo/checks/validate_data.py) finds the totals off and fails, which starts the rollback.
# Kept out of the docstring, which alembic shows as the revision's description.

revision = "0003_split_balance_columns"
down_revision = "0002_add_fee_index"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("accounts", sa.Column("balance_major", sa.BigInteger, nullable=True))
    op.add_column("accounts", sa.Column("balance_minor", sa.SmallInteger, nullable=True))
    # The bug: the cast rounds (should be balance_cents / 100, integer division).
    op.execute(
        """
        UPDATE accounts
           SET balance_major = CAST(balance_cents / 100.0 AS bigint),
               balance_minor = balance_cents % 100
        """
    )
    op.alter_column("accounts", "balance_major", nullable=False)
    op.alter_column("accounts", "balance_minor", nullable=False)
    op.create_check_constraint("ck_accounts_balance_minor_range", "accounts", "balance_minor BETWEEN 0 AND 99")
    op.alter_column("accounts", "balance_cents", new_column_name="balance_cents_pre_0003")


def downgrade():
    op.alter_column("accounts", "balance_cents_pre_0003", new_column_name="balance_cents")
    op.drop_constraint("ck_accounts_balance_minor_range", "accounts", type_="check")
    op.drop_column("accounts", "balance_minor")
    op.drop_column("accounts", "balance_major")
