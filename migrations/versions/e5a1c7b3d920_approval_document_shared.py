"""approval document number shared by the alliances it recognises

Revision ID: e5a1c7b3d920
Revises: b3d9e1f0a6c2
Create Date: 2026-11-30 16:00:00

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = 'e5a1c7b3d920'
down_revision: Union[str, Sequence[str], None] = 'b3d9e1f0a6c2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# SQLite keeps the constraint unnamed; named by this convention, batch mode can drop it.
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    """Staff record the approval document (9.5), and one 批复文件 may recognise several
    alliances: its number is no longer unique to one certificate."""
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('certificate', naming_convention=SQLITE_NAMES) as batch:
            batch.drop_constraint('uq_certificate_approval_document_number', type_='unique')
    else:
        op.drop_constraint(
            'certificate_approval_document_number_key', 'certificate', type_='unique'
        )


def downgrade() -> None:
    with op.batch_alter_table('certificate') as batch:
        batch.create_unique_constraint(
            'uq_certificate_approval_document_number', ['approval_document_number']
        )
