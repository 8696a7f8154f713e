"""the staff console at scale: indexes for the list's default order, the inbox and the
dashboard

Revision ID: a9d4e6f1c2b8
Revises: f6a2d8c4b1e9
Create Date: 2026-12-12 12:00:00

"""

from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = 'a9d4e6f1c2b8'
down_revision: Union[str, Sequence[str], None] = 'f6a2d8c4b1e9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The alliance list opens newest change first; the inbox finds reports awaiting review
    and what the signed-in user has done; the dashboard sums reports by status."""
    op.create_index('ix_alliance_updated_at', 'alliance', ['updated_at'])
    op.create_index('ix_annual_report_status', 'annual_report', ['status'])
    op.create_index('ix_audit_log_actor_at', 'audit_log', ['actor', 'at'])


def downgrade() -> None:
    op.drop_index('ix_audit_log_actor_at', table_name='audit_log')
    op.drop_index('ix_annual_report_status', table_name='annual_report')
    op.drop_index('ix_alliance_updated_at', table_name='alliance')
