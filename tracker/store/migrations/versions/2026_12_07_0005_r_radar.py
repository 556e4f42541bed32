"""Radar: candidate labs found in the Hub's global listings, outside the watchlist.

Revision ID: 0005r
Revises: 0004a
Create Date: 2026-12-07 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005r"
down_revision: str | None = "0004a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "radar_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org", sa.String(length=200), nullable=False),
        sa.Column("org_key", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("crossed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("best_repo_id", sa.String(length=300), nullable=True),
        sa.Column("best_repo_likes", sa.Integer(), nullable=True),
        sa.Column("best_repo_downloads", sa.Integer(), nullable=True),
        sa.Column("trending_rank", sa.Integer(), nullable=True),
        sa.Column("repos", sa.Integer(), nullable=False),
        sa.Column("derivatives", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(length=32), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("excluded_reason", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radar_candidates")),
        sa.UniqueConstraint("org_key", name=op.f("uq_radar_candidates_org_key")),
    )
    op.create_index("ix_radar_candidates_score", "radar_candidates", ["score"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_radar_candidates_score", table_name="radar_candidates")
    op.drop_table("radar_candidates")
