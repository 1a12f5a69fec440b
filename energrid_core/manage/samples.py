"""A sweep's samples of one house, packed into one block of bytes.

The energy sweep integrates every device's new reading each second; the history keeps those
samples and the InfluxDB export sends them. At 10,000 houses of 10 devices that is 110,000
samples a second: as a Python tuple each and a SQLite row each, they cost the server more CPU
(under the GIL the MQTT thread needs) than the ingest of the readings themselves. So a house's
samples of one sweep travel as one block: the sweep appends three numbers per sample to a list
and packs the list once per house; the history writes one row per house per sweep; only a
reader (a plot, a 1-minute mean, the InfluxDB export) unpacks.

A block is a little-endian array of 32-bit floats, three per sample: the series code
(device * 3 + kind: kind 0 the house's net draw with device 0, 1 a consumer, 2 a supplier),
the sample's time as an offset from the block's time (the sweep's, never earlier than its
samples), and the power in watts. 12 bytes a sample. 32-bit floats hold the codes exactly up
to 16 million, the offsets to a few microseconds, and watts to 7 significant digits (more than
a board measures); energy is integrated in 64-bit floats before packing and loses nothing.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Iterator

KINDS = ("house", "consumer", "supplier")  # a sample's kind code is its index here
HOUSE, CONSUMER, SUPPLIER = 0, 1, 2
SAMPLE_BYTES = 12

# house, kind code, device, time, watts: one sample unpacked.
Sample = tuple[int, int, int, float, float]
# house, the block's time, the packed samples: one house's samples of one sweep.
Block = tuple[int, float, bytes]

_SWAP = sys.byteorder != "little"


def code_of(kind: int, device: int) -> int:
    return device * 3 + kind


def pack(flat: list[float]) -> bytes:
    """[code, offset, watts, code, offset, watts, ...] as a block's bytes."""
    values = array("f", flat)
    if _SWAP:
        values.byteswap()
    return values.tobytes()


def values_of(blob: bytes) -> array:
    """A block's numbers (code, offset, watts, ...), as 32-bit floats."""
    values = array("f")
    values.frombytes(blob)
    if _SWAP:
        values.byteswap()
    return values


def unpack(block: Block) -> Iterator[Sample]:
    """A block's samples as tuples (house, kind, device, time, watts)."""
    house, t, blob = block
    values = values_of(blob)
    for i in range(0, len(values), 3):
        code = int(values[i])
        yield house, code % 3, code // 3, t + values[i + 1], values[i + 2]


def blocks_of(samples: Iterable[Sample]) -> list[Block]:
    """Samples as blocks, one per house and time (each sample at offset 0): what a sweep would
    have written for them. For tools, tests and the old history's migration, not the sweep."""
    flats: dict[tuple[int, float], list[float]] = {}
    for house, kind, device, t, watts in samples:
        flats.setdefault((house, t), []).extend((code_of(kind, device), 0.0, watts))
    return [(house, t, pack(flat)) for (house, t), flat in flats.items()]


def count(blocks: Iterable[Block]) -> int:
    return sum(len(blob) for _h, _t, blob in blocks) // SAMPLE_BYTES
