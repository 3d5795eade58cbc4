"""API clients (clinics' FHIR systems) with hashed tokens; a referral names the client that sent it
and the client's own id of its Task (external_ref), and its source grows to hold fhir:<client name>.

Revision ID: 0007_api_clients
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_api_clients"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_client",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_client"),
        sa.UniqueConstraint("name", name="uq_api_client_name"),
        sa.UniqueConstraint("token_hash", name="uq_api_client_token_hash"),
    )
    op.add_column("referral", sa.Column("api_client_id", sa.String(64), nullable=True))
    op.create_index("ix_referral_api_client_id", "referral", ["api_client_id"])
    op.add_column("referral", sa.Column("external_ref", sa.String(300), nullable=True))
    op.create_index("ix_referral_external_ref", "referral", ["external_ref"])
    if op.get_bind().dialect.name != "sqlite":  # SQLite does not enforce VARCHAR lengths
        op.alter_column("referral", "source", type_=sa.String(60), existing_type=sa.String(20))


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("referral", "source", type_=sa.String(20), existing_type=sa.String(60))
    op.drop_index("ix_referral_external_ref", table_name="referral")
    op.drop_column("referral", "external_ref")
    op.drop_index("ix_referral_api_client_id", table_name="referral")
    op.drop_column("referral", "api_client_id")
    op.drop_table("api_client")
