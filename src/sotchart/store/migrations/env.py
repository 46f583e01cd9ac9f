"""Alembic environment: runs migrations on the engine sotchart hands it (no alembic.ini)."""

from alembic import context

from sotchart.store.tables import metadata

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
connection.close()
