"""A throw-away state directory: a benchmark must never load or change an operator's grid."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path


def scratch_state_dir() -> Path:
    """A new empty directory, removed when the benchmark process exits."""
    directory = Path(tempfile.mkdtemp(prefix="energrid-bench-state-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory
