"""Staff account security: TOTP secrets encrypted at rest (with PHONE_ENCRYPTION_KEY, as phone
numbers), and referral_access, the trail of who opened or exported which referral.

Revision ID: 0008
Revises: 0007_api_clients
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007_api_clients"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":  # SQLite keeps any length; elsewhere a Fernet token needs the room
        op.alter_column("app_user", "totp_secret", type_=sa.String(255), existing_type=sa.String(64),
                        existing_nullable=True)
    from directory.people import phones
    users = sa.table("app_user", sa.column("id", sa.String), sa.column("totp_secret", sa.String))
    for user_id, secret in bind.execute(sa.select(users.c.id, users.c.totp_secret)
                                        .where(users.c.totp_secret.is_not(None))).all():
        if secret and not phones.is_token(secret):
            bind.execute(users.update().where(users.c.id == user_id)
                         .values(totp_secret=phones.encrypt_text(secret)))

    op.create_table(
        "referral_access",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("user_email", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("referral_id", sa.String(length=64), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_referral_access"),
    )
    op.create_index("ix_referral_access_at", "referral_access", ["at"])
    op.create_index("ix_referral_access_user_email", "referral_access", ["user_email"])
    op.create_index("ix_referral_access_referral_id", "referral_access", ["referral_id"])


def downgrade():
    op.drop_index("ix_referral_access_referral_id", table_name="referral_access")
    op.drop_index("ix_referral_access_user_email", table_name="referral_access")
    op.drop_index("ix_referral_access_at", table_name="referral_access")
    op.drop_table("referral_access")
    from directory.people import phones
    bind = op.get_bind()
    users = sa.table("app_user", sa.column("id", sa.String), sa.column("totp_secret", sa.String))
    for user_id, secret in bind.execute(sa.select(users.c.id, users.c.totp_secret)
                                        .where(users.c.totp_secret.is_not(None))).all():
        if phones.is_token(secret):
            bind.execute(users.update().where(users.c.id == user_id)
                         .values(totp_secret=phones.decrypt_text(secret)))
    if bind.dialect.name != "sqlite":
        op.alter_column("app_user", "totp_secret", type_=sa.String(64), existing_type=sa.String(255),
                        existing_nullable=True)
