"""How many houses the retained house list (energrid/<n>/state/houses) holds under Mosquitto's
message_size_limit (262144 bytes in the shipped mosquitto.conf).

    .venv/bin/python bench/houses_payload.py

Builds the payload with the server's own function for houses numbered 1..N, once as they are
after newHouse (default names, automatic layout) and once with every house named and placed by
setHouse (the worst case), and finds by bisection the first N whose payload passes the limit.
"""

from __future__ import annotations

from collections.abc import Callable

from energrid_core.model import House
from energrid_core.state.payloads import houses_message

LIMIT_BYTES = 262_144  # message_size_limit in mosquitto.conf and mosquitto-secure.conf


def plain(number: int) -> House:
    return House(number)


def named_and_placed(number: int) -> House:
    return House(number, name=f"Maison {number}", x_m=-1234.5 + number, y_m=987.25)


def size(count: int, make: Callable[[int], House]) -> int:
    return len(houses_message(0, [make(n) for n in range(1, count + 1)])[1])


def first_too_big(make: Callable[[int], House]) -> int:
    low, high = 1, 1_000_000
    while low < high:
        middle = (low + high) // 2
        if size(middle, make) > LIMIT_BYTES:
            high = middle
        else:
            low = middle + 1
    return low


def main() -> None:
    for label, make in (("as built", plain), ("all named and placed", named_and_placed)):
        print(
            f"{label}: {size(1000, make):,} bytes at 1,000 houses; "
            f"passes {LIMIT_BYTES:,} bytes at {first_too_big(make):,} houses"
        )


if __name__ == "__main__":
    main()
