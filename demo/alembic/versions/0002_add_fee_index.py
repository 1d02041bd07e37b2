"""Add the fees table and its index on (account_id, charged_at).

The statement query ("fees of an account in a period") reads fees by account and time; the index
serves it. The table is new, so a plain CREATE INDEX takes no lock that matters. Fees are charged
to accounts but recorded apart from balances: the balances, and so the integrity baseline, do
not change.

Revision ID: 0002_add_fee_index
Revises: 0001_create_accounts
Create Date: 2024-01-15 09:00:00 UTC
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_add_fee_index"
down_revision = "0001_create_accounts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "fees",
        sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
        sa.Column("account_id", sa.BigInteger, sa.ForeignKey("accounts.id", name="fk_fees_account"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("charged_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('monthly', 'wire', 'fx')", name="ck_fees_kind"),
        sa.CheckConstraint("amount_cents > 0", name="ck_fees_amount_positive"),
    )
    op.create_index("ix_fees_account_id_charged_at", "fees", ["account_id", "charged_at"])
    # A month of deterministic fees: a monthly fee on every fourth account, a wire fee on every
    # seventh, in the account's currency.
    op.execute(
        """
        INSERT INTO fees (account_id, kind, amount_cents, currency, charged_at)
        SELECT a.id, f.kind, f.amount_cents, a.currency,
               timestamptz '2024-01-31 23:00:00+00' - a.id * interval '1 minute'
        FROM accounts a
        JOIN (VALUES ('monthly', 4, 499), ('wire', 7, 1500)) AS f(kind, every, amount_cents)
          ON a.id % f.every = 0
        """
    )


def downgrade():
    op.drop_index("ix_fees_account_id_charged_at", table_name="fees")
    op.drop_table("fees")
