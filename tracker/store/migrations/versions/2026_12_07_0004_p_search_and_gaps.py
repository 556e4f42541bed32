"""SQLite: a search index (FTS5 trigram over release titles and artifact names) and per-lab gap
statistics (``release_gaps``), both kept by triggers.

Revision ID: 0004p
Revises: 0003
Create Date: 2026-12-07 17:00:00

PostgreSQL already answers ``q`` from its pg_trgm GIN indexes (revision 0002) and computes the
gaps in one ordered-set aggregate pass: nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

from tracker.store import fts, gap_stats

revision: str = "0004p"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    fts.create(op.get_bind())
    gap_stats.create(op.get_bind())


def downgrade() -> None:
    gap_stats.drop(op.get_bind())
    fts.drop(op.get_bind())
