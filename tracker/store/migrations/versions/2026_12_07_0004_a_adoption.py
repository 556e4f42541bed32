"""Adoption: third-party derivatives, their counts over time, all-time downloads.

Revision ID: 0004a
Revises: 0004n
Create Date: 2026-12-07 16:19:25.325855
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004a"
down_revision: str | None = "0004n"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "derivative_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quantized", sa.Integer(), nullable=False),
        sa.Column("finetune", sa.Integer(), nullable=False),
        sa.Column("adapter", sa.Integer(), nullable=False),
        sa.Column("merge", sa.Integer(), nullable=False),
        sa.Column("other", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"], ["artifacts.id"], name=op.f("fk_derivative_counts_artifact_id_artifacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derivative_counts")),
    )
    with op.batch_alter_table("derivative_counts", schema=None) as batch_op:
        batch_op.create_index("ix_derivative_counts_artifact_id_taken_at", ["artifact_id", "taken_at"], unique=False)

    op.create_table(
        "derivatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repo_id", sa.String(length=300), nullable=False),
        sa.Column("org", sa.String(length=200), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=True),
        sa.Column("base_artifact_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["base_artifact_id"], ["artifacts.id"], name=op.f("fk_derivatives_base_artifact_id_artifacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derivatives")),
        sa.UniqueConstraint("repo_id", "base_artifact_id", name="uq_derivatives_repo_base"),
    )
    with op.batch_alter_table("derivatives", schema=None) as batch_op:
        batch_op.create_index(
            "ix_derivatives_base_artifact_id_created_at", ["base_artifact_id", "created_at"], unique=False
        )

    with op.batch_alter_table("download_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("downloads_all_time", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("download_snapshots", schema=None) as batch_op:
        batch_op.drop_column("downloads_all_time")

    with op.batch_alter_table("derivatives", schema=None) as batch_op:
        batch_op.drop_index("ix_derivatives_base_artifact_id_created_at")

    op.drop_table("derivatives")
    with op.batch_alter_table("derivative_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_derivative_counts_artifact_id_taken_at")

    op.drop_table("derivative_counts")
