"""SMS gateway: the people who text (number encrypted, kept once) and the messages they sent.

Revision ID: 0003
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sms_person",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_person")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_sms_person_pseudonym")),
    )
    op.create_index(op.f("ix_sms_person_last_seen_at"), "sms_person", ["last_seen_at"], unique=False)
    op.create_table(
        "sms_inbound",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_sid", sa.String(length=64), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("num_media", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_inbound")),
        sa.UniqueConstraint("message_sid", name=op.f("uq_sms_inbound_message_sid")),
    )
    op.create_index(op.f("ix_sms_inbound_pseudonym"), "sms_inbound", ["pseudonym"], unique=False)
    op.create_index(op.f("ix_sms_inbound_received_at"), "sms_inbound", ["received_at"], unique=False)
    op.create_index(op.f("ix_sms_inbound_status"), "sms_inbound", ["status"], unique=False)


def downgrade():
    op.drop_table("sms_inbound")
    op.drop_table("sms_person")
