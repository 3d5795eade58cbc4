"""web accounts and listing upkeep: app_user, organization_keeper, listing_edit, problem_report

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 17:05:07.853877
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('app_user',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('session_epoch', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('email', name=op.f('uq_app_user_email'))
    )
    op.create_table('organization_keeper',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=False),
    sa.Column('assigned_by', sa.String(length=200), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_organization_keeper_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_organization_keeper_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_keeper')),
    sa.UniqueConstraint('user_id', 'organization_id', name='uq_organization_keeper_user_org')
    )
    op.create_index(op.f('ix_organization_keeper_organization_id'), 'organization_keeper', ['organization_id'], unique=False)
    op.create_index(op.f('ix_organization_keeper_user_id'), 'organization_keeper', ['user_id'], unique=False)

    op.create_table('listing_edit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('service_id', sa.String(length=64), nullable=False),
    sa.Column('proposed_by', sa.String(length=200), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reviewed_by', sa.String(length=200), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_listing_edit_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_edit'))
    )
    op.create_index(op.f('ix_listing_edit_service_id'), 'listing_edit', ['service_id'], unique=False)
    op.create_index(op.f('ix_listing_edit_status'), 'listing_edit', ['status'], unique=False)

    op.create_table('problem_report',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('service_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('resolved_by', sa.String(length=200), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_problem_report_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problem_report'))
    )
    op.create_index(op.f('ix_problem_report_service_id'), 'problem_report', ['service_id'], unique=False)
    op.create_index(op.f('ix_problem_report_status'), 'problem_report', ['status'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_problem_report_status'), table_name='problem_report')
    op.drop_index(op.f('ix_problem_report_service_id'), table_name='problem_report')
    op.drop_table('problem_report')
    op.drop_index(op.f('ix_listing_edit_status'), table_name='listing_edit')
    op.drop_index(op.f('ix_listing_edit_service_id'), table_name='listing_edit')
    op.drop_table('listing_edit')
    op.drop_index(op.f('ix_organization_keeper_user_id'), table_name='organization_keeper')
    op.drop_index(op.f('ix_organization_keeper_organization_id'), table_name='organization_keeper')
    op.drop_table('organization_keeper')
    op.drop_table('app_user')
