"""A school's calendar as data: its terms and its closure days (bank holidays are automatic).

Hours stay in school_hours (kind `school` = office hours, `contact` = the SENCO's hours).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('school_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.CheckConstraint('starts_on <= ends_on', name=op.f('ck_school_terms_starts_before_ends')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_school_terms_school_id_schools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_terms'))
    )
    op.create_index(op.f('ix_school_terms_school_id'), 'school_terms', ['school_id'], unique=False)

    op.create_table('school_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_school_closures_school_id_schools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_closures')),
    sa.UniqueConstraint('school_id', 'day', name='uq_school_closures_school_day')
    )


def downgrade() -> None:
    op.drop_table('school_closures')
    op.drop_index(op.f('ix_school_terms_school_id'), table_name='school_terms')
    op.drop_table('school_terms')
