"""README's settings table lists every setting of energrid_core/config.py, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from energrid_core import config

README = Path(__file__).resolve().parent.parent / "README.md"


def table_rows() -> list[str]:
    """The rows of the table under '## Configuration' (its header and rule left out)."""
    section = README.read_text(encoding="utf-8").split("## Configuration", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows, "no settings table under ## Configuration"
    return rows


def test_the_settings_table_names_every_setting_with_its_variable_and_flag() -> None:
    settings = set(config._field_types())
    variables = {f"ENERGRID_{name.upper()}" for name in settings}
    named: set[str] = set()
    flags: set[str] = set()
    for row in table_rows():
        first_cell = row.split("|")[1]
        named |= set(re.findall(r"ENERGRID_[A-Z_]+", first_cell))
        flags |= set(re.findall(r"--([a-z][a-z-]*)", first_cell))
    assert sorted(variables - named) == [], "settings missing from README's table"
    assert sorted(named - variables) == [], "README's table names settings that do not exist"
    # Each flag written in full is a real one (the calibration's row abbreviates with '…').
    # A switch also has its --no- form (argparse's BooleanOptionalAction).
    types = config._field_types()
    real_flags = {name.replace("_", "-") for name in settings}
    real_flags |= {"no-" + name.replace("_", "-") for name in settings if types[name] is bool}
    assert sorted(flags - real_flags) == []
    for name in settings - {"cal_amps_per_raw", "cal_on_threshold_raw"}:
        assert name.replace("_", "-") in flags, f"--{name.replace('_', '-')} is not in the table"
