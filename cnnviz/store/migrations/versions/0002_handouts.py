"""Hand-outs: what a teacher sends to the whole class (issue 19).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handouts",
        sa.Column("handout_id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("teacher_name", sa.String(200), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("dataset_bytes", sa.LargeBinary, nullable=True),
        sa.PrimaryKeyConstraint("handout_id", name="pk_handouts"),
    )


def downgrade() -> None:
    op.drop_table("handouts")
