"""`energrid view --help` and `energrid watch --help` list only the settings they use.

A reviewer found both listing all ~45 server settings (shedding, InfluxDB, history...), and
`view` describing --ws-port as the port of a broker Energrid starts, where it is the port the
page connects to. The flags they leave out are still accepted: command lines that worked go on.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from energrid import cli

ROOT = Path(__file__).resolve().parent.parent
SERVER_ONLY = ("--shed-margin-pct", "--influx-url", "--history-raw-keep-s", "--alarm-min-s")


def help_of(subcommand: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "energrid", subcommand, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("subcommand", ["view", "watch"])
def test_help_lists_only_the_settings_the_subcommand_uses(subcommand: str) -> None:
    text = help_of(subcommand)
    for flag in SERVER_ONLY:
        assert flag not in text, flag
    assert "--mqtt-host" in text and "--neighborhood" in text
    flags = [word for word in text.split() if word.startswith("--") and word[2:3].isalpha()]
    assert len(set(flags)) < 20, sorted(set(flags))


def test_view_says_ws_port_is_the_port_the_page_connects_to() -> None:
    text = " ".join(help_of("view").split())
    assert "--ws-port WS_PORT the broker's websockets port, the one the page connects to" in text
    assert "a broker that Energrid starts" not in text


def test_flags_left_out_of_the_help_are_still_accepted() -> None:
    args = cli.build_parser().parse_args(["view", "--shed-step-s", "3", "--ws-port", "9002"])
    assert args.shed_step_s == 3.0 and args.ws_port == 9002
