"""Create labs, releases, artifacts, events (outbox) and source_states.

Revision ID: 0001
Revises:
Create Date: 2026-11-29 08:41:30.023711
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "labs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labs")),
        sa.UniqueConstraint("slug", name=op.f("uq_labs_slug")),
    )
    with op.batch_alter_table("labs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_labs_country"), ["country"], unique=False)

    op.create_table(
        "source_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("lab_slug", sa.String(length=64), nullable=False),
        sa.Column("baseline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_states")),
        sa.UniqueConstraint("source", "lab_slug", name="uq_source_states_source_lab"),
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=300), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["lab_id"], ["labs.id"], name=op.f("fk_releases_lab_id_labs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
    )
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_lab_id"), ["lab_id"], unique=False)
        batch_op.create_index("ix_releases_lab_id_family", ["lab_id", "family"], unique=False)
        batch_op.create_index("ix_releases_released_at_id", ["released_at", "id"], unique=False)

    op.create_table(
        "artifacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("org", sa.String(length=200), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("size_label", sa.String(length=64), nullable=True),
        sa.Column("params_total_b", sa.Float(), nullable=True),
        sa.Column("params_active_b", sa.Float(), nullable=True),
        sa.Column("quantization", sa.String(length=32), nullable=True),
        sa.Column("attrs", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["lab_id"], ["labs.id"], name=op.f("fk_artifacts_lab_id_labs")),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], name=op.f("fk_artifacts_release_id_releases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifacts")),
        sa.UniqueConstraint("source", "external_id", name="uq_artifacts_source_external_id"),
    )
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_artifacts_lab_id"), ["lab_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_artifacts_release_id"), ["release_id"], unique=False)
        batch_op.create_index("ix_artifacts_source_org", ["source", "org"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("artifact_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["artifact_id"], ["artifacts.id"], name=op.f("fk_events_artifact_id_artifacts")),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], name=op.f("fk_events_release_id_releases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_type"), ["type"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_type"))
        batch_op.drop_index(batch_op.f("ix_events_release_id"))

    op.drop_table("events")
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.drop_index("ix_artifacts_source_org")
        batch_op.drop_index(batch_op.f("ix_artifacts_release_id"))
        batch_op.drop_index(batch_op.f("ix_artifacts_lab_id"))

    op.drop_table("artifacts")
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_index("ix_releases_released_at_id")
        batch_op.drop_index("ix_releases_lab_id_family")
        batch_op.drop_index(batch_op.f("ix_releases_lab_id"))
        batch_op.drop_index(batch_op.f("ix_releases_kind"))

    op.drop_table("releases")
    op.drop_table("source_states")
    with op.batch_alter_table("labs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_labs_country"))

    op.drop_table("labs")
