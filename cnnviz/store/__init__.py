"""What the server keeps for each student: workspaces and their records."""
