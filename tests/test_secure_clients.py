"""Energrid's own clients in the secure profile: `energrid watch` logs in with an account,
`energrid sim` and startDemo() connect each board as its house's account (or refuse in one line),
and a board the broker refuses is reported once."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from grid_helpers import running
from helpers import TIMEOUT_S, wait_for
from secure_site import SecureSite

from energrid import cli
from energrid.demo import Demo
from energrid.shell.invocation import pasteable
from energrid.shell.session import build_namespace
from energrid.simulator.board import SimHouse
from energrid.simulator.clock import SimClock
from energrid.simulator.fleet import BoardFleet, FleetOptions
from energrid_core import auth
from energrid_core.model import Neighborhood


def keep_house_passwords(site: SecureSite, *houses: int) -> None:
    """`energrid credentials add house <h> --keep-password`, then the broker reloads."""
    for house in houses:
        account = auth.account("house", str(house))
        site.passwords[account.username] = site.credentials.add(account, keep=True)
    site.credentials.reload_broker()


# --- energrid watch ------------------------------------------------------------------------------


def test_watch_logs_in_with_a_client_account(
    site: SecureSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "vr1.password"
    secret.write_text(site.passwords["client-vr1"] + "\n")
    state_dir = str(site.settings.state_dir)
    argv = ["--state-dir", state_dir, "watch", f"--mqtt-port={site.port}", "--once"]
    argv += ["--mqtt-username", "client-vr1", "--timeout-s=2"]
    with running(site.server_settings()) as server:
        server.new_houses(1)

        def watched_the_house() -> bool:
            # Until the server has published its new house, a watch may find the grid as it was
            # before (no house, whole by itself): it is asked again.
            code = cli.main([*argv, f"--mqtt-password-file={secret}"])
            return code == 0 and "the 1 house topics add up" in capsys.readouterr().out

        wait_for(watched_the_house, "a watch of the new house")
        secret.write_text("not-the-password\n")
        assert cli.main([*argv, f"--mqtt-password-file={secret}"]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"energrid watch: the broker at 127.0.0.1:{site.port} refused the")
        assert "Not authorized" in err and "check --mqtt-username" in err
        assert err.count("\n") == 1 and "could not connect" not in err
    assert cli.main(argv) == 2  # no password file: said before connecting
    err = capsys.readouterr().err
    assert err.startswith("energrid: no password for client-vr1:")
    hint = pasteable("`energrid credentials add client vr1 --keep-password`")
    assert hint in err and err.count("\n") == 1


# --- energrid credentials --keep-password --------------------------------------------------------


def test_keep_password_keeps_it_private_and_a_new_one_replaces_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--state-dir", str(tmp_path), "credentials"]
    assert cli.main([*base, "add", "house", "3", "--keep-password"]) == 0
    printed = capsys.readouterr().out
    kept = auth.password_file_of(tmp_path, "house-3")
    assert f"password: {kept.read_text().strip()}" in printed and str(kept) in printed
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert cli.main([*base, "add", "house", "3"]) == 0  # a new password, not kept: the old goes
    assert not kept.exists()
    assert cli.main([*base, "add", "house", "3", "--keep-password"]) == 0
    assert cli.main([*base, "remove", "house", "3"]) == 0
    assert not kept.exists()


# --- energrid sim ---------------------------------------------------------------------------------


def sim(site: SecureSite, *flags: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "energrid", "--state-dir", str(site.settings.state_dir)]
    command += ["sim", f"--mqtt-port={site.port}", "--period=0.05", *flags]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=TIMEOUT_S, check=False
    )


def test_sim_secure_connects_every_house_as_its_own_account(site: SecureSite) -> None:
    keep_house_passwords(site, 1, 2)
    with running(site.server_settings()) as server:
        server.new_houses(2)
        for house in (1, 2):
            server.new_consumers(house, 1, "Lampe")
        result = sim(site, "--secure", "--count=3", "--consumers=1", "--suppliers=0")
        assert result.returncode == 0, result.stderr
        for house in (1, 2):
            wait_for(
                lambda h=house: server.grid.house(h).consumer(1).current_a.count == 3,
                f"house {house}'s readings",
            )
        assert server.stats.rejected_total == 0


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--secure"], "--secure: houses 1 and 2 have no password file in {credentials}: run `for "
                       "h in 1 2; do energrid credentials add house $h --keep-password; done`"),
        (["--secure", "--houses-per-client=2"], "--secure needs --houses-per-client 1"),
        (["--mqtt-username=energrid-server"], "energrid-server is the server's account"),
        (["--mqtt-username=house-1"], "--mqtt-username house-1: a board connects as its own"),
        (["--mqtt-username=house-1", "--houses=1"], "no password for house-1: "),
    ],
)  # fmt: skip
def test_sim_refuses_missing_or_wrong_accounts_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    """Before connecting anything: no broker is needed to be told."""
    argv = ["--state-dir", str(tmp_path), "sim", "--mqtt-port=1", *flags, "--count=1"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    expected = pasteable(message.format(credentials=tmp_path / "credentials"))
    assert err.startswith(f"energrid: {expected}")
    assert err.count("\n") == 1


def test_a_refused_board_is_reported_once_not_at_every_retry(
    site: SecureSite, caplog: pytest.LogCaptureFixture
) -> None:
    houses = [SimHouse(h, ["Lampe"], [], neighborhood=0) for h in (1, 2)]
    wrong = {1: ("house-1", "not-it"), 2: ("house-2", "not-it-either")}
    options = FleetOptions(port=site.port, accounts=wrong)
    fleet = BoardFleet(houses, SimClock(), options)
    try:
        assert not fleet.start(TIMEOUT_S)  # ends as soon as both are refused
        assert len(fleet.refused) == 2
        wait_for(lambda: all(c.refusals >= 2 for c in fleet.clients), "a retry refused too")
    finally:
        fleet.stop()
    refusals = [r.getMessage() for r in caplog.records if "refused board" in r.getMessage()]
    assert sorted(refusals) == [
        f"broker refused board house-{h}: Not authorized (check its account: "
        f"`energrid credentials add house {h} --keep-password`)"
        for h in (1, 2)
    ]


# --- startDemo() -------------------------------------------------------------------------------


def test_startdemo_without_board_accounts_refuses_before_building_anything(
    site: SecureSite, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with running(site.server_settings()) as server:
        demo = Demo(server, pause_s=0.0)
        namespace = build_namespace(server, demo)
        capsys.readouterr()
        namespace["startDemo"]()
        said = capsys.readouterr().out
        assert said.startswith("error: startDemo(): the server connects with a broker account")
        assert "houses 1 and 2 have no password file in" in said and said.count("\n") == 1
        assert not server.grid.houses and not demo.running
        saved = Neighborhood(0, 1)
        server.store.load_grid(saved)
        assert not saved.houses  # nothing was saved either
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_startdemo_connects_its_boards_with_their_house_accounts(
    site: SecureSite, capsys: pytest.CaptureFixture[str]
) -> None:
    keep_house_passwords(site, 1, 2)
    with running(site.server_settings()) as server:
        demo = Demo(server, pause_s=0.0, period_s=0.2)
        try:
            demo.start("en")
            for house in (1, 2):
                wait_for(lambda h=house: server.grid.house(h).meter_a.count >= 2, "readings")
            assert sorted(c.client_id for c in demo.fleet.clients) == ["house-1", "house-2"]
        finally:
            demo.close()
    said = capsys.readouterr().out
    assert "refuse" not in said and "does not answer" not in said
