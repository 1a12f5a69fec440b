"""The state directory is the operator's alone: 0700, its database and logs 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from test_broker import local_settings

from energrid.broker.start import ManagedBroker
from energrid_core.persistence.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_state_directory_and_its_database_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, which would make them 0755 and 0644
    try:
        store = Store.in_state_dir(tmp_path / "state", 0)
        store.add_houses([1])
        store.close()
    finally:
        os.umask(old)
    state = tmp_path / "state"
    assert mode(state) == 0o700
    assert mode(state / "grid.sqlite3") == 0o600
    assert mode(state / "grid.lock") == 0o600
    for extra in state.glob("grid.sqlite3-*"):  # WAL files, while they exist
        assert mode(extra) == 0o600, extra


def test_an_existing_state_directory_is_tightened(tmp_path: Path) -> None:
    state = tmp_path / "state"
    Store.in_state_dir(state, 0).close()
    os.chmod(state, 0o755)
    for name in ("grid.sqlite3", "grid.lock"):
        os.chmod(state / name, 0o644)
    store = Store.in_state_dir(state, 0)
    try:
        assert mode(state) == 0o700
        assert mode(state / "grid.sqlite3") == 0o600
        assert mode(state / "grid.lock") == 0o600
        assert store.calibration() == {}  # still the same, readable database
    finally:
        store.close()


def test_the_broker_s_directory_and_log_are_private(tmp_path: Path) -> None:
    settings = local_settings(tmp_path / "state")
    old = os.umask(0o022)
    try:
        with ManagedBroker(settings) as broker:
            assert mode(broker.directory) == 0o700
            assert mode(broker.log_path) == 0o600
        with ManagedBroker(settings) as broker:  # a restart rotates the log: both private
            assert mode(broker.log_path) == 0o600
            assert mode(broker.log_path.with_name("mosquitto.log.1")) == 0o600
    finally:
        os.umask(old)
