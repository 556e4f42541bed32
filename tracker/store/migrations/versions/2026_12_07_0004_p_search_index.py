"""Search index on SQLite: FTS5 (trigram) over release titles and artifact names, kept by triggers.

Revision ID: 0004p
Revises: 0003
Create Date: 2026-12-07 17:00:00

PostgreSQL already answers ``q`` from its pg_trgm GIN indexes (revision 0002): nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

from tracker.store import fts

revision: str = "0004p"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    fts.create(op.get_bind())


def downgrade() -> None:
    fts.drop(op.get_bind())
