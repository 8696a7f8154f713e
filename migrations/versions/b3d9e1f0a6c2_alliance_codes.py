"""alliance codes assigned by the registry

Revision ID: b3d9e1f0a6c2
Revises: 7c1e5a9d2b40
Create Date: 2026-11-30 15:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b3d9e1f0a6c2'
down_revision: Union[str, Sequence[str], None] = '7c1e5a9d2b40'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """联盟编号 (e.g. 2026-0007) replaces the lead unit's credit code as the alliance's
    code, so a unit may lead several alliances; the lead unit's code stays searchable.
    Rows written before keep their code, which was the lead unit's credit code."""
    op.create_table(
        'alliance_code',
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('lead_unit_code', sa.String(length=64), nullable=False),
        sa.Column('alliance_name', sa.String(), nullable=False),
        sa.Column('assigned_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('code'),
        sa.UniqueConstraint('lead_unit_code', 'alliance_name'),
    )
    op.create_index('ix_alliance_code_lead_unit_code', 'alliance_code', ['lead_unit_code'])
    with op.batch_alter_table('alliance') as batch:
        batch.add_column(
            sa.Column('lead_unit_code', sa.String(), nullable=False, server_default='')
        )
        batch.create_index('ix_alliance_lead_unit_code', ['lead_unit_code'])
    op.execute("UPDATE alliance SET lead_unit_code = code WHERE lead_unit_code = ''")


def downgrade() -> None:
    with op.batch_alter_table('alliance') as batch:
        batch.drop_index('ix_alliance_lead_unit_code')
        batch.drop_column('lead_unit_code')
    op.drop_index('ix_alliance_code_lead_unit_code', 'alliance_code')
    op.drop_table('alliance_code')
