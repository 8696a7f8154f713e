"""article 8.6's rank stored with each application version, for the inbox

Revision ID: d5b8f2c6a9e1
Revises: a9d4e6f1c2b8
Create Date: 2026-12-01 05:00:00

"""

import logging
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from pydantic import ValidationError

from registry.tables import early_results_priority_of


# revision identifiers, used by Alembic.
revision: str = 'd5b8f2c6a9e1'
down_revision: Union[str, Sequence[str], None] = 'a9d4e6f1c2b8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_BATCH = 500
_versions = sa.table(
    'applicationversion',
    sa.column('id', sa.Integer()),
    sa.column('payload', sa.JSON()),
    sa.column('early_results_priority', sa.Integer()),
)


def upgrade() -> None:
    """The inbox sorts by article 8.6 (优先认定) from this column instead of reading each
    waiting application; the versions stored before get their rank from the same rule
    (NULL for a membership change), a batch of rows at a time."""
    with op.batch_alter_table('applicationversion') as batch:
        batch.add_column(sa.Column('early_results_priority', sa.Integer(), nullable=True))
    connection = op.get_bind()
    unread: list[int] = []

    def rank(id_: int, payload: dict) -> int | None:
        # A version stored under older input rules may no longer read as an application:
        # it stays unranked rather than stopping the upgrade.
        try:
            return early_results_priority_of(payload)
        except ValidationError:
            unread.append(id_)
            return None

    after = 0
    while rows := connection.execute(
        sa.select(_versions.c.id, _versions.c.payload)
        .where(_versions.c.id > after)
        .order_by(_versions.c.id)
        .limit(_BATCH)
    ).all():
        connection.execute(
            _versions.update()
            .where(_versions.c.id == sa.bindparam('row_id'))
            .values(early_results_priority=sa.bindparam('rank')),
            [{'row_id': id_, 'rank': rank(id_, payload)} for id_, payload in rows],
        )
        after = rows[-1].id
    if unread:
        logging.getLogger('alembic.runtime.migration').warning(
            'article 8.6 not ranked for %d application versions that no longer read as an '
            'application (applicationversion.id %s)',
            len(unread),
            ', '.join(map(str, unread)),
        )


def downgrade() -> None:
    with op.batch_alter_table('applicationversion') as batch:
        batch.drop_column('early_results_priority')
