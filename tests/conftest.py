"""Shared fixtures: real Mosquitto brokers on loopback, and a guard against callback exceptions."""

from __future__ import annotations

import itertools
import logging
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from helpers import TestClient, unique
from mosquitto_fixture import MosquittoProcess, free_port

from energrid.shell import words
from energrid.shell.invocation import Invocation
from energrid_core.config import Settings
from energrid_core.server import GridServer

__all__ = ["free_port"]

# pytester runs a small test suite inside a test (used to test the fixtures themselves);
# state_fixtures: a server on the test broker with a probe checking docs/asyncapi.yaml;
# secure_site: the secure profile's broker with accounts (fixture `site`).
pytest_plugins = ["pytester", "state_fixtures", "secure_site"]

MakeBroker = Callable[..., MosquittoProcess]

# Each test's server gets a neighborhood of its own on the shared broker: no cross-talk.
_neighborhoods = itertools.count(100)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoProcess]:
    """One Mosquitto for the whole run. Tests that stop or reconfigure a broker use make_broker."""
    process = MosquittoProcess(tmp_path_factory.mktemp("mosquitto-session"))
    process.start()
    yield process
    process.stop()


@pytest.fixture
def make_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MakeBroker]:
    """Factory for a test's own brokers, started; all of them are stopped after the test.

    make_broker(extra_config=["max_queued_messages 10"], persistence=True, port=None)
    """
    started: list[MosquittoProcess] = []

    def make(
        extra_config: Sequence[str] = (),
        persistence: bool = False,
        port: int | None = None,
        log_all: bool = True,
    ) -> MosquittoProcess:
        process = MosquittoProcess(
            tmp_path_factory.mktemp("mosquitto"),
            port=port,
            extra_config=extra_config,
            persistence=persistence,
            log_all=log_all,
        )
        started.append(process)
        process.start()
        return process

    yield make
    for process in started:
        process.stop()


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test's default state directory is its own: the grid database of one test (or
    of the operator's real ~/.local/state) never leaks into another."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    for name in list(os.environ):
        if name.startswith("ENERGRID_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def forget_invocation() -> Iterator[None]:
    """cli.main() remembers its settings for the commands hints print: not past its test."""
    yield
    Invocation.settings = None


@pytest.fixture(autouse=True)
def english_shell() -> Iterator[None]:
    """The shell's language is one per process: a test that starts the (French) demo or calls
    setLanguage('fr') leaves English behind for the next."""
    yield
    words.set_language("en")


@pytest.fixture(autouse=True)
def paho_callback_errors(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Fail a test when an energrid logger reported an exception (as a guarded callback does).

    After Home Assistant's test harness: a callback guard that logs and carries on keeps the
    server alive, but in a test it hides a bug. Mark a test that provokes one on purpose with
    @pytest.mark.allow_callback_errors.
    """
    yield
    if request.node.get_closest_marker("allow_callback_errors"):
        return
    logged = [
        record
        for when in ("setup", "call")
        for record in caplog.get_records(when)
        if record.levelno >= logging.ERROR
        and record.exc_info is not None
        and record.name.startswith("energrid")
    ]
    if logged:
        lines = [f"{r.name}: {r.getMessage()} ({r.exc_info[1]!r})" for r in logged]
        pytest.fail("exception logged during the test:\n" + "\n".join(lines), pytrace=False)


@pytest.fixture
def settings(broker: MosquittoProcess, tmp_path) -> Settings:  # noqa: ANN001
    """Settings for a server on the session broker, in a neighborhood of its own."""
    return Settings(
        mqtt_host=broker.host,
        mqtt_port=broker.port,
        client_id=unique("energrid-test"),
        neighborhood=next(_neighborhoods),
        state_dir=tmp_path / "state",
        start_broker=False,
    )


MakeOfflineServer = Callable[..., GridServer]


@pytest.fixture
def make_offline_server(tmp_path: Path) -> Iterator[MakeOfflineServer]:
    """make_offline_server(clock=..., **settings) -> a GridServer never started: enough for
    building the grid and feeding ingest by hand. Every one made is stopped after the test
    (its store closed, its state directory released), whatever the test did with it."""
    made: list[GridServer] = []

    def make(clock: Callable[[], float] | None = None, **changes: object) -> GridServer:
        # A port nothing listens on: nothing it does can reach a broker on this machine.
        settings = Settings(
            state_dir=tmp_path / f"offline-{len(made)}", mqtt_port=free_port(), start_broker=False
        )
        for name, value in changes.items():
            setattr(settings, name, value)
        server = GridServer(settings) if clock is None else GridServer(settings, clock=clock)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


@pytest.fixture
def server(settings: Settings) -> Iterator[GridServer]:
    """A GridServer connected to the session broker."""
    grid_server = GridServer(settings)
    assert grid_server.start(5.0), "the server did not connect to the test broker"
    yield grid_server
    grid_server.stop()


@pytest.fixture
def mqtt_client(broker: MosquittoProcess) -> Iterator[TestClient]:
    client = TestClient(broker.port, broker.host)
    yield client
    client.close()


@pytest.fixture
def headless_leaves_no_trace() -> Iterator[None]:
    """run_headless sets signal handlers and the 'energrid' logger: put them back."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    logger = logging.getLogger("energrid")
    saved = (list(logger.handlers), logger.propagate, logger.level)
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    logger.handlers[:], logger.propagate, logger.level = saved[0], saved[1], saved[2]
