"""Add subscriptions, deliveries, Slack threads, lineage, release papers, download snapshots.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:07:26.106345
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: One ``release_changes`` row per transaction that changes the releases' history (statement
#: trigger: once per statement, ON CONFLICT keeps one row per transaction; no lock is shared
#: between writers since each transaction has its own txid).
RELEASE_CHANGE_FUNCTION = """
CREATE FUNCTION note_release_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO release_changes (txid) VALUES (txid_current()) ON CONFLICT (txid) DO NOTHING;
    RETURN NULL;
END
$$
"""
RELEASE_CHANGE_TRIGGER = """
CREATE TRIGGER releases_changed
AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF lab_id, kind, released_at ON releases
FOR EACH STATEMENT EXECUTE FUNCTION note_release_change()
"""


def upgrade() -> None:

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=500), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=16), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("channel", name=op.f("uq_subscriptions_channel")),
    )
    op.create_table(
        "slack_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=500), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("variant_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], name=op.f("fk_slack_threads_release_id_releases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_threads")),
        sa.UniqueConstraint("release_id", "channel", name="uq_slack_threads_release_channel"),
    )
    with op.batch_alter_table("slack_threads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slack_threads_release_id"), ["release_id"], unique=False)

    op.create_table(
        "artifact_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=True),
        sa.Column("base_repo_id", sa.String(length=300), nullable=False),
        sa.Column("base_artifact_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["artifact_id"], ["artifacts.id"], name=op.f("fk_artifact_links_artifact_id_artifacts")
        ),
        sa.ForeignKeyConstraint(
            ["base_artifact_id"], ["artifacts.id"], name=op.f("fk_artifact_links_base_artifact_id_artifacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifact_links")),
        sa.UniqueConstraint("artifact_id", "base_repo_id", name="uq_artifact_links_artifact_base"),
    )
    with op.batch_alter_table("artifact_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_artifact_links_artifact_id"), ["artifact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_artifact_links_base_artifact_id"), ["base_artifact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_artifact_links_base_repo_id"), ["base_repo_id"], unique=False)

    op.create_table(
        "download_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=True),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["artifact_id"], ["artifacts.id"], name=op.f("fk_download_snapshots_artifact_id_artifacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_download_snapshots")),
    )
    with op.batch_alter_table("download_snapshots", schema=None) as batch_op:
        batch_op.create_index("ix_download_snapshots_artifact_id_taken_at", ["artifact_id", "taken_at"], unique=False)

    op.create_table(
        "release_papers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["artifacts.id"], name=op.f("fk_release_papers_paper_id_artifacts")),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], name=op.f("fk_release_papers_release_id_releases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_papers")),
        sa.UniqueConstraint("release_id", "paper_id", name="uq_release_papers_release_paper"),
    )
    with op.batch_alter_table("release_papers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_release_papers_paper_id"), ["paper_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_release_papers_release_id"), ["release_id"], unique=False)

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("external_ref", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_deliveries_event_id_events")),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["subscriptions.id"], name=op.f("fk_deliveries_subscription_id_subscriptions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_deliveries_idempotency_key")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deliveries_event_id"), ["event_id"], unique=False)
        batch_op.create_index("ix_deliveries_status_next_attempt_at", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_deliveries_subscription_id"), ["subscription_id"], unique=False)

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_events_dispatched_at"), ["dispatched_at"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_events_dedupe_key"), ["dedupe_key"])

    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("significance", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("derivative", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("new_base", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("adoption_count", sa.Integer(), nullable=True))
        batch_op.create_index("ix_releases_lab_id_released_at_id", ["lab_id", "released_at", "id"], unique=False)
        batch_op.create_index("ix_releases_kind_lab_id_released_at", ["kind", "lab_id", "released_at"], unique=False)
        batch_op.create_index("ix_releases_baseline_released_at_id", ["baseline", "released_at", "id"], unique=False)

    # Trigram indexes for ``q`` (ILIKE '%x%'); pg_trgm exists only on PostgreSQL, where
    # the indexes are GIN; on SQLite they are plain b-trees (same names, so no autogenerate drift)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_releases_title_trgm",
        "releases",
        ["title"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_artifacts_name_trgm",
        "artifacts",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )

    # A stamp of the releases' history for the cadence cache (models.ReleaseChange);
    # the trigger exists on PostgreSQL only (SQLite computes the cadence on every request)
    op.create_table(
        "release_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_changes")),
        sa.UniqueConstraint("txid", name=op.f("uq_release_changes_txid")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(RELEASE_CHANGE_FUNCTION)
        op.execute(RELEASE_CHANGE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS releases_changed ON releases")
        op.execute("DROP FUNCTION IF EXISTS note_release_change()")
    op.drop_table("release_changes")
    op.drop_index("ix_artifacts_name_trgm", table_name="artifacts")
    op.drop_index("ix_releases_title_trgm", table_name="releases")
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_index("ix_releases_baseline_released_at_id")
        batch_op.drop_index("ix_releases_kind_lab_id_released_at")
        batch_op.drop_index("ix_releases_lab_id_released_at_id")
        batch_op.drop_column("adoption_count")
        batch_op.drop_column("new_base")
        batch_op.drop_column("derivative")
        batch_op.drop_column("significance")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_events_dedupe_key"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_events_dispatched_at"))
        batch_op.drop_column("dispatched_at")
        batch_op.drop_column("dedupe_key")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_subscription_id"))
        batch_op.drop_index("ix_deliveries_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_deliveries_event_id"))

    op.drop_table("deliveries")
    with op.batch_alter_table("release_papers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_papers_release_id"))
        batch_op.drop_index(batch_op.f("ix_release_papers_paper_id"))

    op.drop_table("release_papers")
    with op.batch_alter_table("download_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_download_snapshots_artifact_id_taken_at")

    op.drop_table("download_snapshots")
    with op.batch_alter_table("artifact_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_artifact_links_base_repo_id"))
        batch_op.drop_index(batch_op.f("ix_artifact_links_base_artifact_id"))
        batch_op.drop_index(batch_op.f("ix_artifact_links_artifact_id"))

    op.drop_table("artifact_links")
    with op.batch_alter_table("slack_threads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_threads_release_id"))

    op.drop_table("slack_threads")
    op.drop_table("subscriptions")
