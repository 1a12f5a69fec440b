"""The alarm history is kept without words (a message id and its values) and worded when shown,
in the shell's language; rows saved before (schema 5) keep the English line they were saved with."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest
from mosquitto_fixture import free_port

from energrid.shell import words
from energrid.shell.commands import ShellCommands
from energrid_core.config import Settings
from energrid_core.notes import note
from energrid_core.persistence.manage_store import HistoryRow, ManageStore
from energrid_core.persistence.store import MIGRATIONS, STORE_NAME, Store
from energrid_core.server import GridServer

OLD_LINE = "[alarm] Neighborhood over its limit: 5230 W drawn, limit 5000 W"
SHED = note(
    "shed.off",
    house=2,
    device=4,
    type="Relais",
    priority=1,
    power_w=2000.0,
    where=note("where.neighborhood"),
    draw_w=5230.0,
    target_w=4500.0,
)


def schema_5_database(state_dir: Path) -> None:
    """A grid database as Energrid wrote it before notes, with one alarm line in English."""
    state_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(state_dir / STORE_NAME)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version in range(1, 6):
        for statement in MIGRATIONS[version]:
            db.execute(statement)
    db.execute("INSERT INTO schema_version VALUES (5)")
    db.execute("INSERT INTO alarm_history VALUES (0, 100.0, 'limit/0', 'raised', ?)", (OLD_LINE,))
    db.commit()
    db.close()


def test_a_note_is_kept_without_words_and_read_back_whole(tmp_path: Path) -> None:
    schema_5_database(tmp_path)
    store = Store.in_state_dir(tmp_path, 0)
    try:
        manage = ManageStore(store, 0)
        manage.add_history(HistoryRow(200.0, "shed/2/4", "shed", SHED))
        old, new = manage.history()
        assert old == HistoryRow(100.0, "limit/0", "raised", OLD_LINE)
        assert new == HistoryRow(200.0, "shed/2/4", "shed", SHED)
    finally:
        store.close()
    db = sqlite3.connect(tmp_path / STORE_NAME)
    text, saved = db.execute("SELECT text, note FROM alarm_history WHERE at = 200.0").fetchone()
    db.close()
    assert text == ""
    assert orjson.loads(saved)["id"] == "shed.off"
    assert "switched" not in saved and "House" not in saved  # no English in the row


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_show_alarms_words_each_row_when_shown(
    tmp_path: Path, lang: str, capsys: pytest.CaptureFixture[str]
) -> None:
    schema_5_database(tmp_path / "state")
    settings = Settings(state_dir=tmp_path / "state", start_broker=False, mqtt_port=free_port())
    server = GridServer(settings)
    try:
        server.alarms.record("shed/2/4", "shed", SHED, 200.0)
        sh = ShellCommands(server).namespace()
        words.set_language(lang)
        capsys.readouterr()
        sh["showAlarms"]()
        shown = capsys.readouterr().out
    finally:
        server.stop()
    assert shown.count(OLD_LINE) == 1 and "[alarm] [alarm]" not in shown  # as it was saved
    if lang == "fr":
        assert (
            "[délestage] Maison 2 consommateur 4 (Relais, priorité 1, 2000 W) passé à OFF" in shown
        )
    else:
        assert (
            "[shedding] House 2 consumer 4 (Relais, priority 1, 2000 W) switched OFF: the" in shown
        )
