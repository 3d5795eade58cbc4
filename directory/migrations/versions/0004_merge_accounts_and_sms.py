"""Join the two branches made in parallel (0002 staff accounts, 0003 SMS gateway) into one head.

Revision ID: 0004
Revises: 0002, 0003
"""
revision = "0004"
down_revision = ("0002", "0003")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
