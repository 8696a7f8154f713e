"""rate limits counted in the registry, shared by every web process

Revision ID: f1b7c3d9e2a4
Revises: c4f8a2d6e1b7
Create Date: 2026-12-08 10:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


# revision identifiers, used by Alembic.
revision: str = 'f1b7c3d9e2a4'
down_revision: Union[str, Sequence[str], None] = 'c4f8a2d6e1b7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Sign-in attempts, failed sign-ins and objections counted per key and window, so
    several web processes allow each limit once between them, not once each."""
    op.create_table(
        'rate_limit_window',
        sa.Column('bucket', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('window_start', sa.BigInteger(), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('bucket', 'key', 'window_start'),
    )
    op.create_index('ix_rate_limit_window_window_start', 'rate_limit_window', ['window_start'])


def downgrade() -> None:
    op.drop_index('ix_rate_limit_window_window_start', 'rate_limit_window')
    op.drop_table('rate_limit_window')
