"""Create the accounts table, seed 1,000 demo accounts and record the data-integrity baseline.

Owners are pseudonymous references (cust-<12 hex>), never names: the demo holds no personal
data. The seed is deterministic, so every run of the demonstration starts from the same data.
The baseline (row count, total of balances, checksum over (id, balance)) is what
demo/checks/validate_data.py compares the accounts with after each migration.

Revision ID: 0001_create_accounts
Revises:
Create Date: 2024-01-10 09:00:00 UTC
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_create_accounts"
down_revision = None
branch_labels = None
depends_on = None

SEED_ROWS = 1000


def upgrade():
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("owner_ref", sa.Text, nullable=False, unique=True),
        sa.Column("balance_cents", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("balance_cents >= 0", name="ck_accounts_balance_cents_nonnegative"),
        sa.CheckConstraint("currency IN ('EUR', 'USD', 'GBP')", name="ck_accounts_currency"),
    )
    # Deterministic pseudo-random balances: every cent value 0..99 occurs.
    op.execute(
        sa.text(
            """
            INSERT INTO accounts (id, owner_ref, balance_cents, currency, created_at)
            SELECT i,
                   'cust-' || left(md5('fingood-demo-' || i), 12),
                   (i::bigint * 982451653) % 2500000,
                   (ARRAY['EUR', 'USD', 'GBP'])[1 + i % 3],
                   timestamptz '2024-01-01 00:00:00+00' + i * interval '37 minutes'
            FROM generate_series(1, :n) AS i
            """
        ).bindparams(n=SEED_ROWS)
    )
    op.create_table(
        "data_integrity_baseline",
        sa.Column("captured_by", sa.Text, primary_key=True),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("balance_total_cents", sa.BigInteger, nullable=False),
        sa.Column("balance_checksum", sa.Text, nullable=False),
    )
    op.execute(
        """
        INSERT INTO data_integrity_baseline (captured_by, row_count, balance_total_cents, balance_checksum)
        SELECT '0001_create_accounts',
               count(*),
               coalesce(sum(balance_cents), 0),
               md5(coalesce(string_agg(id || ':' || balance_cents, ',' ORDER BY id), ''))
        FROM accounts
        """
    )


def downgrade():
    op.drop_table("data_integrity_baseline")
    op.drop_table("accounts")
