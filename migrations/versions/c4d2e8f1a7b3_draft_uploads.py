"""files held for a new-application form's draft

Revision ID: c4d2e8f1a7b3
Revises: e5a1c7b3d920
Create Date: 2026-11-30 18:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c4d2e8f1a7b3"
down_revision: str | Sequence[str] | None = "e5a1c7b3d920"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Files uploaded with a refused new-application form are held against the form's
    draft id, so the re-shown form keeps them; they move to `uploaded_file` when the
    application is submitted, and a draft left for a day is dropped."""
    op.create_table(
        "draft_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.String(length=64), nullable=False),
        sa.Column("form_field", sa.String(length=32), nullable=False),
        sa.Column("held_by", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draft_id", "form_field"),
    )
    op.create_index("ix_draft_upload_draft_id", "draft_upload", ["draft_id"])
    op.create_index("ix_draft_upload_held_at", "draft_upload", ["held_at"])


def downgrade() -> None:
    op.drop_index("ix_draft_upload_held_at", "draft_upload")
    op.drop_index("ix_draft_upload_draft_id", "draft_upload")
    op.drop_table("draft_upload")
