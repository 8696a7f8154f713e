"""the staff's time limit of each alliance, written by its workflow, for the inbox

Revision ID: e7a3c9d1f4b2
Revises: d5b8f2c6a9e1
Create Date: 2026-12-01 09:10:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = 'e7a3c9d1f4b2'
down_revision: Union[str, Sequence[str], None] = 'd5b8f2c6a9e1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Empty for the alliances already registered: their workflows write the limit from
    their next run on (1.2), and until then the inbox reads it from the workflows."""
    with op.batch_alter_table('alliance') as batch:
        batch.add_column(sa.Column('next_deadline', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('deadline_as_of', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alliance') as batch:
        batch.drop_column('deadline_as_of')
        batch.drop_column('next_deadline')
