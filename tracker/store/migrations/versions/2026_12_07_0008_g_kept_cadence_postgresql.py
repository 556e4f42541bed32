"""PostgreSQL: the per-lab gap statistics and weekly counts (``release_gaps``, ``release_weeks``)
kept by a trigger on ``releases``, as SQLite has had since revision 0004p.

The cadence's median and longest gap were a window pass over the whole history on every first
request after a change; the kept rows answer them by index walks. SQLite: nothing to do.

Revision ID: 0008g
Revises: 0007p
Create Date: 2026-12-07 21:30:00
"""

from collections.abc import Sequence

from alembic import op

from tracker.store import gap_stats_pg

revision: str = "0008g"
down_revision: str | None = "0007p"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    gap_stats_pg.create(op.get_bind())


def downgrade() -> None:
    gap_stats_pg.drop(op.get_bind())
