"""a console account's email address, for system alerts to administrators

Revision ID: c4f8a2d6e1b7
Revises: a9e4b2c7d1f5
Create Date: 2026-11-30 18:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


# revision identifiers, used by Alembic.
revision: str = 'c4f8a2d6e1b7'
down_revision: Union[str, Sequence[str], None] = 'a9e4b2c7d1f5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Administrators with an address get the yearly holiday-schedule reminder."""
    with op.batch_alter_table('staff_user') as batch:
        batch.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff_user') as batch:
        batch.drop_column('email')
