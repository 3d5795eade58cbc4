"""Alembic environment: the schema is every table the registry (directory.tables) loads."""
from alembic import context

from directory import db
from directory.tables import import_all_models

config = context.config
target_metadata = import_all_models()


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url") or db.default_url(), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    url = config.get_main_option("sqlalchemy.url") or db.default_url()
    connectable = db.make_engine(url)
    with connectable.connect() as connection:
        # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
