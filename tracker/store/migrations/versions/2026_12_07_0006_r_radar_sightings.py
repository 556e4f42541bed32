"""Radar sightings: the repos seen in global listings, their counter snapshots and derivatives.

Revision ID: 0006r
Revises: 0005r
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006r"
down_revision: str | None = "0005r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "radar_repos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repo_key", sa.String(length=300), nullable=False),
        sa.Column("repo_id", sa.String(length=300), nullable=False),
        sa.Column("org_key", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.Column("downloads", sa.Integer(), nullable=True),
        sa.Column("trending_rank", sa.Integer(), nullable=True),
        sa.Column("trending_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("base_repo_id", sa.String(length=300), nullable=True),
        sa.Column("arxiv_id", sa.String(length=32), nullable=True),
        sa.Column("custom_code", sa.Boolean(), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radar_repos")),
        sa.UniqueConstraint("repo_key", name=op.f("uq_radar_repos_repo_key")),
    )
    op.create_index("ix_radar_repos_org_key", "radar_repos", ["org_key"], unique=False)
    op.create_index("ix_radar_repos_name_key", "radar_repos", ["name_key"], unique=False)
    op.create_table(
        "radar_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repo_key", sa.String(length=300), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.Column("downloads", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radar_snapshots")),
    )
    op.create_index("ix_radar_snapshots_repo_key_taken_at", "radar_snapshots", ["repo_key", "taken_at"], unique=False)
    op.create_table(
        "radar_derivatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base_key", sa.String(length=300), nullable=False),
        sa.Column("base_org_key", sa.String(length=200), nullable=False),
        sa.Column("repo_key", sa.String(length=300), nullable=False),
        sa.Column("org_key", sa.String(length=200), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radar_derivatives")),
        sa.UniqueConstraint("base_key", "repo_key", name="uq_radar_derivatives_base_key_repo_key"),
    )
    op.create_index("ix_radar_derivatives_base_org_key", "radar_derivatives", ["base_org_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_radar_derivatives_base_org_key", table_name="radar_derivatives")
    op.drop_table("radar_derivatives")
    op.drop_index("ix_radar_snapshots_repo_key_taken_at", table_name="radar_snapshots")
    op.drop_table("radar_snapshots")
    op.drop_index("ix_radar_repos_name_key", table_name="radar_repos")
    op.drop_index("ix_radar_repos_org_key", table_name="radar_repos")
    op.drop_table("radar_repos")
