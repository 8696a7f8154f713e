"""objections: the signed letter, a tracking number for the objector, who resolved it

Revision ID: a9e4b2c7d1f5
Revises: d8f3a1b9c2e4
Create Date: 2026-11-30 18:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'a9e4b2c7d1f5'
down_revision: Union[str, Sequence[str], None] = 'd8f3a1b9c2e4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """A public objection carries its signed letter (kept in uploaded_file) and a tracking
    number the objector looks it up by; the registry keeps who resolved it, and when."""
    with op.batch_alter_table('objection') as batch:
        batch.add_column(
            sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                      server_default='')
        )
        batch.add_column(
            sa.Column('resolved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column('tracking_number', sqlmodel.sql.sqltypes.AutoString(length=32),
                      nullable=True)
        )
        batch.add_column(
            sa.Column('letter_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                      server_default='')
        )
        batch.add_column(
            sa.Column('letter_sha256', sqlmodel.sql.sqltypes.AutoString(length=64),
                      nullable=False, server_default='')
        )
        batch.create_index('ix_objection_tracking_number', ['tracking_number'], unique=True)
        batch.create_index('ix_objection_letter_sha256', ['letter_sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('objection') as batch:
        batch.drop_index('ix_objection_letter_sha256')
        batch.drop_index('ix_objection_tracking_number')
        batch.drop_column('letter_sha256')
        batch.drop_column('letter_name')
        batch.drop_column('tracking_number')
        batch.drop_column('resolved_at')
        batch.drop_column('resolved_by')
