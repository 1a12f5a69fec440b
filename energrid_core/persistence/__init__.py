"""What survives a restart: the SQLite store, statistics snapshots, management tables."""
