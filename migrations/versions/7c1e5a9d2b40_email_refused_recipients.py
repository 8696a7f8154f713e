"""email refused recipients

Revision ID: 7c1e5a9d2b40
Revises: 2fb8ddb22742
Create Date: 2026-11-30 12:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '7c1e5a9d2b40'
down_revision: Union[str, Sequence[str], None] = '2fb8ddb22742'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Per-recipient outcome of a notice: the refused addresses and the relay's replies."""
    with op.batch_alter_table('email') as batch:
        batch.add_column(sa.Column('refused', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('email') as batch:
        batch.drop_column('refused')
