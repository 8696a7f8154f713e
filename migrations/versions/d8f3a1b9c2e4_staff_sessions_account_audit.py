"""console sessions held on the server; account changes audited

Revision ID: d8f3a1b9c2e4
Revises: c4d2e8f1a7b3
Create Date: 2026-12-02 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = 'd8f3a1b9c2e4'
down_revision: Union[str, Sequence[str], None] = 'c4d2e8f1a7b3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """A signed-in session is a row (signing out or disabling the account deletes it);
    administrators' changes to accounts are kept in their own append-only log."""
    op.create_table(
        'staff_session',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_staff_session_user_id', 'staff_session', ['user_id'])
    op.create_table(
        'account_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_account_audit_username', 'account_audit', ['username'])


def downgrade() -> None:
    op.drop_index('ix_account_audit_username', 'account_audit')
    op.drop_table('account_audit')
    op.drop_index('ix_staff_session_user_id', 'staff_session')
    op.drop_table('staff_session')
