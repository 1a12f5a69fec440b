"""The server's long passes leave the GIL to the MQTT thread while it has readings waiting
(energrid_core.lock_slices), and the receive path says when it has (a read that filled the
buffer)."""

from __future__ import annotations

import threading

from test_fast_receive import Message, Receiver, encode

from energrid_core.lock_slices import IngestFirst, ingest_first, locked_slices
from energrid_core.mqtt import receive


class Behind:
    """Behind for the first `times` questions, then caught up."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.asked = 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.asked <= self.times


def test_a_pass_waits_while_the_ingest_is_behind_then_goes_on() -> None:
    first = IngestFirst()
    behind = Behind(3)
    first.follow(behind)
    first.wait(max_wait_s=60.0)
    assert behind.asked == 4  # asked again after each sleep until it had caught up
    assert first.waits == 1


def test_a_pass_under_a_saturated_ingest_still_ends() -> None:
    first = IngestFirst()
    first.follow(lambda: True)
    first.wait(max_wait_s=0.01)
    assert first.waits == 1


def test_when_the_ingest_keeps_up_a_pass_only_yields() -> None:
    first = IngestFirst()
    behind = Behind(0)
    first.follow(behind)
    first.wait()
    assert (behind.asked, first.waits) == (1, 0)


def test_forget_only_undoes_its_own_follow() -> None:
    first = IngestFirst()
    mine, theirs = Behind(0), Behind(0)
    first.follow(mine)
    first.forget(theirs)  # another server stopping: this one's stays
    assert first.behind is mine
    first.forget(mine)
    assert first.behind is not mine


def test_locked_slices_wait_between_slices_while_behind() -> None:
    behind = Behind(1000)
    ingest_first.follow(behind)
    try:
        before = ingest_first.waits
        slices = list(locked_slices(threading.RLock(), list(range(10)), 4))
        assert slices == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
        assert ingest_first.waits - before == 3
    finally:
        ingest_first.forget(behind)


def test_the_receive_path_is_behind_while_a_read_fills_its_buffer() -> None:
    rx = Receiver()
    try:
        count = 3 * receive.RECV_BYTES * receive.REFILLS_PER_LOOP // 100
        sent = [Message("t", b"%05d" % n + b"." * 90, 0) for n in range(count)]
        rx.theirs.sendall(b"".join(encode(m) for m in sent))
        rx.client.loop_read()  # four full reads, more waiting
        assert rx.client.behind
        rx.read_all()  # the last read took what was left
        assert not rx.client.behind
        assert rx.got == sent
    finally:
        rx.close()
