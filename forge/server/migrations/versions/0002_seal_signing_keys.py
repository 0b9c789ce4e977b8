"""seal the projects' signing keys (AES-256-GCM under the server's sealing key)

Revision ID: 0002
Revises: 0001

Rows made before this revision hold the raw private key: they are sealed with the sealing key
`db.upgrade` is given, and the raw column is dropped. Downgrading opens them again.
"""

import sqlalchemy as sa
from alembic import context, op
from rune.forge.server.sealing import SEALED_BYTES, SealingError, SealingKey

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_projects = sa.table('projects', sa.column('id', sa.Integer),
                     sa.column('public_key', sa.LargeBinary),
                     sa.column('private_key', sa.LargeBinary),
                     sa.column('private_key_sealed', sa.LargeBinary),
                     sa.column('sealing_key_id', sa.String))


def _sealing_key() -> SealingKey | None:
    """The key, checked before any DDL: SQLite does not roll back an ALTER TABLE."""
    rows = op.get_bind().scalar(sa.select(sa.func.count()).select_from(_projects))
    key = context.config.attributes.get('sealing_key')
    if rows and key is None:
        raise SealingError(f"migration 0002 must (un)seal {rows} projects' signing keys: run it "
                           "through `forge serve`, `forge worker` or `forge db upgrade`, which "
                           "pass the sealing key")
    return key


def upgrade() -> None:
    key = _sealing_key()
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_key_sealed', sa.LargeBinary(length=SEALED_BYTES),
                                      nullable=True))
        batch_op.add_column(sa.Column('sealing_key_id', sa.String(length=16), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(_projects.c.id, _projects.c.public_key,
                                  _projects.c.private_key)).all()
    for row in rows:
        assert key is not None  # _sealing_key refused a missing key when rows exist
        conn.execute(_projects.update().where(_projects.c.id == row.id).values(
            private_key_sealed=key.seal(row.private_key, row.public_key), sealing_key_id=key.id))
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.alter_column('private_key_sealed', existing_type=sa.LargeBinary(SEALED_BYTES),
                              nullable=False)
        batch_op.alter_column('sealing_key_id', existing_type=sa.String(16), nullable=False)
        batch_op.drop_column('private_key')


def downgrade() -> None:
    key = _sealing_key()
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_key', sa.LargeBinary(length=32), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(_projects.c.id, _projects.c.public_key,
                                  _projects.c.private_key_sealed)).all()
    for row in rows:
        assert key is not None  # _sealing_key refused a missing key when rows exist
        conn.execute(_projects.update().where(_projects.c.id == row.id).values(
            private_key=key.unseal(row.private_key_sealed, row.public_key)))
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.alter_column('private_key', existing_type=sa.LargeBinary(32), nullable=False)
        batch_op.drop_column('sealing_key_id')
        batch_op.drop_column('private_key_sealed')
