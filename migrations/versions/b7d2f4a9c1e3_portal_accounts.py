"""alliance portal: users, memberships, single-use links, sessions and audit

Revision ID: b7d2f4a9c1e3
Revises: f1b7c3d9e2a4
Create Date: 2026-12-09 10:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


# revision identifiers, used by Alembic.
revision: str = 'b7d2f4a9c1e3'
down_revision: Union[str, Sequence[str], None] = 'f1b7c3d9e2a4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    """Alliance secretariat accounts, apart from the console's: who serves which alliance,
    the links sent by email (only their hashes), signed-in sessions and an audit log."""
    op.create_table(
        'portal_user',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', _TEXT(length=254), nullable=False),
        sa.Column('name', _TEXT(), nullable=False),
        sa.Column('password_hash', _TEXT(), nullable=False),
        sa.Column('created_at', _TIME(), nullable=False),
        sa.Column('activated_at', _TIME(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('email'),
    )
    op.create_table(
        'portal_membership',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('alliance_code', _TEXT(length=64), nullable=False),
        sa.Column('role', _TEXT(), nullable=False),
        sa.Column('added_by', _TEXT(), nullable=False),
        sa.Column('added_at', _TIME(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['portal_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'alliance_code'),
    )
    op.create_index('ix_portal_membership_user_id', 'portal_membership', ['user_id'])
    op.create_index('ix_portal_membership_alliance_code', 'portal_membership', ['alliance_code'])
    op.create_table(
        'portal_token',
        sa.Column('id', _TEXT(length=64), nullable=False),
        sa.Column('purpose', _TEXT(length=16), nullable=False),
        sa.Column('email', _TEXT(length=254), nullable=False),
        sa.Column('alliance_code', _TEXT(length=64), nullable=True),
        sa.Column('role', _TEXT(), nullable=True),
        sa.Column('notice_key', _TEXT(), nullable=False),
        sa.Column('created_at', _TIME(), nullable=False),
        sa.Column('expires_at', _TIME(), nullable=False),
        sa.Column('used_at', _TIME(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_portal_token_email', 'portal_token', ['email'])
    op.create_index('ix_portal_token_alliance_code', 'portal_token', ['alliance_code'])
    op.create_table(
        'portal_session',
        sa.Column('id', _TEXT(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', _TIME(), nullable=False),
        sa.Column('last_seen_at', _TIME(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['portal_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_portal_session_user_id', 'portal_session', ['user_id'])
    op.create_table(
        'portal_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', _TIME(), nullable=False),
        sa.Column('user_name', _TEXT(), nullable=False),
        sa.Column('email', _TEXT(), nullable=False),
        sa.Column('alliance_code', _TEXT(length=64), nullable=True),
        sa.Column('action', _TEXT(), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_portal_audit_alliance_code', 'portal_audit', ['alliance_code'])


def downgrade() -> None:
    op.drop_index('ix_portal_audit_alliance_code', 'portal_audit')
    op.drop_table('portal_audit')
    op.drop_index('ix_portal_session_user_id', 'portal_session')
    op.drop_table('portal_session')
    op.drop_index('ix_portal_token_alliance_code', 'portal_token')
    op.drop_index('ix_portal_token_email', 'portal_token')
    op.drop_table('portal_token')
    op.drop_index('ix_portal_membership_alliance_code', 'portal_membership')
    op.drop_index('ix_portal_membership_user_id', 'portal_membership')
    op.drop_table('portal_membership')
    op.drop_table('portal_user')
