"""Download snapshots by time: the country download share reads one range of snapshots.

Without it the share walked every artifact of every lab and probed its snapshots (0.5 s at
1M artifacts with no snapshot in the range).

Revision ID: 0007p
Revises: 0006r
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007p"
down_revision: str | None = "0006r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_download_snapshots_taken_at", "download_snapshots", ["taken_at"])


def downgrade() -> None:
    op.drop_index("ix_download_snapshots_taken_at", table_name="download_snapshots")
