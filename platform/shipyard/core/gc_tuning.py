"""Garbage-collector settings for the data plane's long-running, allocation-heavy processes."""

from __future__ import annotations

import gc

#: net allocations between young-generation collections (CPython's default is 700)
YOUNG_THRESHOLD = 20_000


def tune_for_serving() -> None:
    """Move what start-up loaded out of the collector's sight (``gc.freeze``) and collect the
    young generation every 20,000 net allocations instead of 700.

    A served request allocates a few hundred short-lived objects that reference counting frees
    on its own; with the default threshold the collector ran every few requests and found next to
    nothing (5.5 % of the gateway's CPU under load). Cycles are still collected, only less often.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 50, 100)
