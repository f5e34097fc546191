"""Initial records schema: schools and their hours, children, parents, links, plans, reviews,
link codes, channel bindings, verification attempts, the audit log and messages for the SENCO.

Times are UTC (timezone-aware on PostgreSQL; naive UTC text on SQLite).

Revision ID: 0001
Revises:
Create Date: 2026-11-23 13:04:01.329865
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', TIMESTAMP, nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('actor_key', sa.String(length=64), nullable=True),
    sa.Column('binding_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('child_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('link_code_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_index(op.f('ix_audit_log_child_id'), 'audit_log', ['child_id'], unique=False)
    op.create_index(op.f('ix_audit_log_parent_id'), 'audit_log', ['parent_id'], unique=False)

    op.create_table('parents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parents'))
    )
    op.create_table('schools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_role', sa.String(length=100), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schools')),
    sa.UniqueConstraint('ref', name=op.f('uq_schools_ref'))
    )
    op.create_table('verification_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('identity_key', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('attempted_at', TIMESTAMP, nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.CheckConstraint("outcome IN ('success', 'wrong', 'locked')", name=op.f('ck_verification_attempts_outcome')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_attempts'))
    )
    op.create_index(op.f('ix_verification_attempts_key_at'), 'verification_attempts', ['identity_key', 'attempted_at'], unique=False)

    op.create_table('children',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_children_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_children')),
    sa.UniqueConstraint('ref', name=op.f('uq_children_ref'))
    )
    op.create_index(op.f('ix_children_school_id'), 'children', ['school_id'], unique=False)

    op.create_table('link_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('expires_at', TIMESTAMP, nullable=False),
    sa.Column('used_at', TIMESTAMP, nullable=True),
    sa.Column('revoked_at', TIMESTAMP, nullable=True),
    sa.Column('used_by_binding_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['parents.id'], name=op.f('fk_link_codes_parent_id_parents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_link_codes_code_hash'))
    )
    op.create_index(op.f('ix_link_codes_parent_id'), 'link_codes', ['parent_id'], unique=False)

    op.create_table('school_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Time(), nullable=False),
    sa.Column('closes', sa.Time(), nullable=False),
    sa.CheckConstraint("kind IN ('school', 'contact')", name=op.f('ck_school_hours_kind')),
    sa.CheckConstraint('opens < closes', name=op.f('ck_school_hours_opens_before_closes')),
    sa.CheckConstraint('weekday >= 0 AND weekday <= 6', name=op.f('ck_school_hours_weekday_range')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_school_hours_school_id_schools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_hours'))
    )
    op.create_index(op.f('ix_school_hours_school_kind'), 'school_hours', ['school_id', 'kind'], unique=False)

    op.create_table('channel_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('identity_key', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=False),
    sa.Column('link_code_id', sa.Integer(), nullable=True),
    sa.Column('bound_at', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['link_code_id'], ['link_codes.id'], name=op.f('fk_channel_identities_link_code_id_link_codes')),
    sa.ForeignKeyConstraint(['parent_id'], ['parents.id'], name=op.f('fk_channel_identities_parent_id_parents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_identities')),
    sa.UniqueConstraint('identity_key', name=op.f('uq_channel_identities_identity_key'))
    )
    op.create_index(op.f('ix_channel_identities_parent_id'), 'channel_identities', ['parent_id'], unique=False)

    op.create_table('parent_child_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('relationship_to_child', sa.String(length=50), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('ended_at', TIMESTAMP, nullable=True),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_parent_child_links_child_id_children')),
    sa.ForeignKeyConstraint(['parent_id'], ['parents.id'], name=op.f('fk_parent_child_links_parent_id_parents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parent_child_links')),
    sa.UniqueConstraint('parent_id', 'child_id', name='uq_parent_child_links_parent_child')
    )
    op.create_index(op.f('ix_parent_child_links_child_id'), 'parent_child_links', ['child_id'], unique=False)
    op.create_index(op.f('ix_parent_child_links_parent_id'), 'parent_child_links', ['parent_id'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('scheduled_at', TIMESTAMP, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.CheckConstraint("status IN ('scheduled', 'held', 'cancelled')", name=op.f('ck_reviews_status')),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_reviews_child_id_children')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews'))
    )
    op.create_index(op.f('ix_reviews_child_scheduled'), 'reviews', ['child_id', 'scheduled_at'], unique=False)

    op.create_table('senco_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('handled_at', TIMESTAMP, nullable=True),
    sa.Column('urgent_flag', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_senco_messages_child_id_children')),
    sa.ForeignKeyConstraint(['parent_id'], ['parents.id'], name=op.f('fk_senco_messages_parent_id_parents')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_senco_messages_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_senco_messages')),
    sa.UniqueConstraint('reference', name=op.f('uq_senco_messages_reference'))
    )
    op.create_index(op.f('ix_senco_messages_parent_id'), 'senco_messages', ['parent_id'], unique=False)
    op.create_index(op.f('ix_senco_messages_school_id'), 'senco_messages', ['school_id'], unique=False)

    op.create_table('support_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcomes', sa.Text(), nullable=False),
    sa.Column('last_updated', TIMESTAMP, nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.CheckConstraint("status IN ('draft', 'active', 'under_review', 'ended')", name=op.f('ck_support_plans_status')),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_support_plans_child_id_children')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_plans'))
    )
    op.create_index(op.f('ix_support_plans_child_id'), 'support_plans', ['child_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_support_plans_child_id'), table_name='support_plans')

    op.drop_table('support_plans')
    op.drop_index(op.f('ix_senco_messages_school_id'), table_name='senco_messages')
    op.drop_index(op.f('ix_senco_messages_parent_id'), table_name='senco_messages')

    op.drop_table('senco_messages')
    op.drop_index(op.f('ix_reviews_child_scheduled'), table_name='reviews')

    op.drop_table('reviews')
    op.drop_index(op.f('ix_parent_child_links_parent_id'), table_name='parent_child_links')
    op.drop_index(op.f('ix_parent_child_links_child_id'), table_name='parent_child_links')

    op.drop_table('parent_child_links')
    op.drop_index(op.f('ix_channel_identities_parent_id'), table_name='channel_identities')

    op.drop_table('channel_identities')
    op.drop_index(op.f('ix_school_hours_school_kind'), table_name='school_hours')

    op.drop_table('school_hours')
    op.drop_index(op.f('ix_link_codes_parent_id'), table_name='link_codes')

    op.drop_table('link_codes')
    op.drop_index(op.f('ix_children_school_id'), table_name='children')

    op.drop_table('children')
    op.drop_index(op.f('ix_verification_attempts_key_at'), table_name='verification_attempts')

    op.drop_table('verification_attempts')
    op.drop_table('schools')
    op.drop_table('parents')
    op.drop_index(op.f('ix_audit_log_parent_id'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_child_id'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')

    op.drop_table('audit_log')
