"""alliance portal: membership and contact change requests, files attached to submissions

Revision ID: e3c9a7b5d1f2
Revises: b7d2f4a9c1e3
Create Date: 2026-12-10 10:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


# revision identifiers, used by Alembic.
revision: str = 'e3c9a7b5d1f2'
down_revision: Union[str, Sequence[str], None] = 'b7d2f4a9c1e3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    """Change requests an alliance proposes for staff to decide, and the files it attaches
    to a report, assessment materials or a rectification report in the portal."""
    op.create_table(
        'portal_change_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('alliance_code', _TEXT(length=64), nullable=False),
        sa.Column('request_id', _TEXT(length=64), nullable=False),
        sa.Column('status', _TEXT(), nullable=False),
        sa.Column('members', sa.JSON(), nullable=True),
        sa.Column('contacts', sa.JSON(), nullable=True),
        sa.Column('note', _TEXT(), nullable=False),
        sa.Column('requested_by', _TEXT(), nullable=False),
        sa.Column('requested_by_email', _TEXT(), nullable=False),
        sa.Column('requested_at', _TIME(), nullable=False),
        sa.Column('decided_by', _TEXT(), nullable=False),
        sa.Column('decided_at', _TIME(), nullable=True),
        sa.Column('reason', _TEXT(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('request_id'),
    )
    op.create_index(
        'ix_portal_change_request_alliance_code', 'portal_change_request', ['alliance_code']
    )
    op.create_table(
        'portal_attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('alliance_code', _TEXT(length=64), nullable=False),
        sa.Column('subject', _TEXT(), nullable=False),
        sa.Column('request_id', _TEXT(length=64), nullable=False),
        sa.Column('sha256', _TEXT(length=64), nullable=False),
        sa.Column('filename', _TEXT(), nullable=False),
        sa.Column('submitted_by', _TEXT(), nullable=False),
        sa.Column('submitted_at', _TIME(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_portal_attachment_alliance_code', 'portal_attachment', ['alliance_code'])


def downgrade() -> None:
    op.drop_index('ix_portal_attachment_alliance_code', 'portal_attachment')
    op.drop_table('portal_attachment')
    op.drop_index('ix_portal_change_request_alliance_code', 'portal_change_request')
    op.drop_table('portal_change_request')
