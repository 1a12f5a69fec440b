"""Periodic: the rounds' thread never dies from a round, and stop() undoes in the order asked."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from energrid_core.periodic import Periodic

DEADLINE_S = 5.0


def wait_for(condition) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def test_a_round_that_raises_is_one_line_and_the_next_round_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds: list[int] = []

    def work() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("a bug")

    log = logging.getLogger("energrid.test-periodic")
    periodic = Periodic("energrid-test", lambda: 0.001, work, log, "test round failed")
    with caplog.at_level(logging.WARNING, logger="energrid.test-periodic"):
        periodic.start()
        try:
            wait_for(lambda: len(rounds) >= 3)
        finally:
            periodic.stop()
    failures = [r for r in caplog.records if r.getMessage() == "test round failed"]
    assert len(failures) == 1 and failures[0].exc_info is not None


@pytest.mark.parametrize("undo_after_join", [False, True])
def test_stop_undoes_before_or_after_the_last_round(undo_after_join: bool) -> None:
    in_round = threading.Event()
    release = threading.Event()
    seen: list[str] = []

    def work() -> None:
        in_round.set()
        release.wait(DEADLINE_S)
        seen.append("round ended")

    periodic = Periodic(
        "energrid-test",
        lambda: 0.001,
        work,
        logging.getLogger("energrid.test-periodic"),
        "test round failed",
        undo_after_join=undo_after_join,
    )
    periodic.start([lambda: seen.append("undone")])
    assert in_round.wait(DEADLINE_S)
    stopping = threading.Thread(target=periodic.stop)
    stopping.start()
    if not undo_after_join:
        wait_for(lambda: "undone" in seen)
    release.set()
    stopping.join(DEADLINE_S)
    assert not stopping.is_alive()
    want = ["round ended", "undone"] if undo_after_join else ["undone", "round ended"]
    assert seen == want


def test_without_the_thread_only_the_subscriptions_are_kept() -> None:
    rounds: list[int] = []
    undone: list[int] = []
    periodic = Periodic(
        "energrid-test",
        lambda: 0.001,
        lambda: rounds.append(1),
        logging.getLogger("energrid.test-periodic"),
        "test round failed",
    )
    periodic.start([lambda: undone.append(1)], thread=False)
    assert not any(t.name == "energrid-test" for t in threading.enumerate())
    periodic.stop()
    assert rounds == [] and undone == [1]
