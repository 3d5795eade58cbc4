"""search_entry.card: each listing's result-line JSON (directory/catalog/cards.py), written by directory.catalog.index.

Existing rows keep a NULL card; searches build those on the spot until `flask --app web directory
reindex` writes them.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: recreating search_entry on SQLite would drop its R*Tree triggers.
def upgrade():
    op.add_column("search_entry", sa.Column("card", sa.Text(), nullable=True))


def downgrade():
    op.drop_column("search_entry", "card")
