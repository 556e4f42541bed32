"""Launch trust: waves, withdrawals, release dating, deferred events, paper candidates.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("released_at_source", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("family_release_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attrs", sa.JSON(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_releases_family_release_id_releases"), "releases", ["family_release_id"], ["id"]
        )
        batch.create_foreign_key(op.f("fk_releases_merged_into_id_releases"), "releases", ["merged_into_id"], ["id"])
        batch.create_index(op.f("ix_releases_family_release_id"), ["family_release_id"], unique=False)
        batch.create_index(op.f("ix_releases_merged_into_id"), ["merged_into_id"], unique=False)
    # History recorded before this revision: live detections were dated by first sight, baseline
    # history by the source's createdAt/published.
    op.execute("UPDATE releases SET released_at_source = 'first_seen' WHERE baseline = false")
    op.execute("UPDATE releases SET released_at_source = 'published' WHERE baseline = true AND kind = 'paper'")
    op.execute("UPDATE releases SET released_at_source = 'created_at' WHERE released_at_source IS NULL")
    op.execute("UPDATE releases SET attrs = '{}'")
    with op.batch_alter_table("releases") as batch:
        batch.alter_column("attrs", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "paper_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["artifact_id"], ["artifacts.id"], name=op.f("fk_paper_candidates_artifact_id_artifacts")
        ),
        sa.ForeignKeyConstraint(["lab_id"], ["labs.id"], name=op.f("fk_paper_candidates_lab_id_labs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_candidates")),
        sa.UniqueConstraint("lab_id", "arxiv_id", name="uq_paper_candidates_lab_id_arxiv_id"),
    )
    op.create_index(op.f("ix_paper_candidates_lab_id"), "paper_candidates", ["lab_id"], unique=False)
    op.create_index(op.f("ix_paper_candidates_arxiv_id"), "paper_candidates", ["arxiv_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_paper_candidates_arxiv_id"), table_name="paper_candidates")
    op.drop_index(op.f("ix_paper_candidates_lab_id"), table_name="paper_candidates")
    op.drop_table("paper_candidates")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("cancelled_at")
        batch.drop_column("not_before")
    with op.batch_alter_table("releases") as batch:
        batch.drop_index(op.f("ix_releases_merged_into_id"))
        batch.drop_index(op.f("ix_releases_family_release_id"))
        batch.drop_constraint(op.f("fk_releases_merged_into_id_releases"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_releases_family_release_id_releases"), type_="foreignkey")
        batch.drop_column("attrs")
        batch.drop_column("updated_at")
        batch.drop_column("withdrawn_at")
        batch.drop_column("merged_into_id")
        batch.drop_column("family_release_id")
        batch.drop_column("released_at_source")
