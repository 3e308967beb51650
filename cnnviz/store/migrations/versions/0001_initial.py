"""The first schema: servers, workspaces, runs and blobs.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "servers",
        sa.Column("server_id", sa.String(32), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("heartbeat_at", sa.Float, nullable=False),
        sa.Column("stopped_at", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("server_id", name="pk_servers"),
    )
    op.create_table(
        "workspaces",
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("changed_at", sa.Float, nullable=False),
        sa.Column("last_visit", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_workspaces"),
    )
    op.create_index("ix_workspaces_last_visit", "workspaces", ["last_visit"])
    op.create_table(
        "runs",
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("epochs_done", sa.Integer, nullable=False),
        sa.Column("test_accuracy", sa.Float, nullable=True),
        sa.Column("server_id", sa.String(32), nullable=True),
        sa.Column("heartbeat_at", sa.Float, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.workspace_id"],
            name="fk_runs_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "run_id", name="pk_runs"),
    )
    op.create_index("ix_runs_server_id", "runs", ["server_id"])
    op.create_table(
        "blobs",
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.workspace_id"],
            name="fk_blobs_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "name", name="pk_blobs"),
    )


def downgrade() -> None:
    op.drop_table("blobs")
    op.drop_index("ix_runs_server_id", table_name="runs")
    op.drop_table("runs")
    op.drop_index("ix_workspaces_last_visit", table_name="workspaces")
    op.drop_table("workspaces")
    op.drop_table("servers")
