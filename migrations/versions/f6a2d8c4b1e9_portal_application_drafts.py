"""alliance portal: applications filled in online and saved as drafts

Revision ID: f6a2d8c4b1e9
Revises: e3c9a7b5d1f2
Create Date: 2026-12-10 12:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


# revision identifiers, used by Alembic.
revision: str = 'f6a2d8c4b1e9'
down_revision: Union[str, Sequence[str], None] = 'e3c9a7b5d1f2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    """One draft per portal user and subject (a new application, or the correction of a
    returned one); its files are held in draft_upload under the draft's id."""
    op.create_table(
        'portal_draft',
        sa.Column('id', _TEXT(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('subject', _TEXT(length=64), nullable=False),
        sa.Column('form', sa.JSON(), nullable=True),
        sa.Column('saved_at', _TIME(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['portal_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'subject'),
    )
    op.create_index('ix_portal_draft_user_id', 'portal_draft', ['user_id'])


def downgrade() -> None:
    op.drop_index('ix_portal_draft_user_id', 'portal_draft')
    op.drop_table('portal_draft')
