"""Random identifiers for the data plane (``shipyard.core.ids``)."""

from __future__ import annotations

import os
import re

from shipyard.core.ids import random_hex


def test_identifiers_are_128_random_bits_and_never_repeat() -> None:
    ids = [random_hex() for _ in range(20_000)]  # many refills of the pool
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_a_forked_child_never_hands_out_its_parents_identifiers() -> None:
    random_hex()  # the pool holds identifiers the parent will hand out next
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.write(write, random_hex().encode())
        finally:
            os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    parent = random_hex()
    assert re.fullmatch(r"[0-9a-f]{32}", child)
    assert child != parent
