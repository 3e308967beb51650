"""The store's tables, as SQLAlchemy Core: one MetaData that the migrations and queries share.

Times are Float epoch seconds (time.time), JSON is Text. A change here needs a new migration
under cnnviz/store/migrations/versions/ (the migration test compares the two).
"""

from __future__ import annotations

import sqlalchemy as sa

# Names for constraints, so that migrations can refer to them on every database.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Workspace ids and blob names are checked (settings-free) in cnnviz.store.blobs; 64 and 200
# characters are their limits there.
ID_LENGTH = 64
NAME_LENGTH = 200

servers = sa.Table(
    "servers",
    metadata,
    sa.Column("server_id", sa.String(32), primary_key=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("heartbeat_at", sa.Float, nullable=False),
    # Set by a clean stop; a server killed keeps None and is known by its old heartbeat.
    sa.Column("stopped_at", sa.Float, nullable=True),
)

workspaces = sa.Table(
    "workspaces",
    metadata,
    sa.Column("workspace_id", sa.String(ID_LENGTH), primary_key=True),
    # A display name for the teacher's class view (issue 19).
    sa.Column("name", sa.String(NAME_LENGTH), nullable=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("changed_at", sa.Float, nullable=False),
    sa.Column("last_visit", sa.Float, nullable=False, index=True),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column(
        "workspace_id",
        sa.String(ID_LENGTH),
        sa.ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("epochs_done", sa.Integer, nullable=False),
    sa.Column("test_accuracy", sa.Float, nullable=True),
    # Which server trains it, and when it last said so; both None when it is not training.
    # Not a foreign key: a server's row may be gone while its runs still name it.
    sa.Column("server_id", sa.String(32), nullable=True, index=True),
    sa.Column("heartbeat_at", sa.Float, nullable=True),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# Files kept in the database itself (any database but SQLite, so replicas share no disk).
blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column(
        "workspace_id",
        sa.String(ID_LENGTH),
        sa.ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(NAME_LENGTH), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# What a teacher sent to the whole class (issue 19): kept, so a student who joins later gets it.
handouts = sa.Table(
    "handouts",
    metadata,
    sa.Column("handout_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.Float, nullable=False),
    # The name the teacher gave on the Teacher page (plain text, shown escaped).
    sa.Column("teacher_name", sa.String(NAME_LENGTH), nullable=False),
    # JSON: {"title", "spec", "settings" (or null), "dataset" (a data set's name, or null)}.
    sa.Column("content", sa.Text, nullable=False),
    # An uploaded .npz data set handed out with it, or None.
    sa.Column("dataset_bytes", sa.LargeBinary, nullable=True),
)

# The class's own settings (issue 20): the challenge, the classroom controls. One row per kind,
# its value JSON, so that every app server of the class reads the same settings.
class_settings = sa.Table(
    "class_settings",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
