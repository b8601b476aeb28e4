"""What the app does for itself while it runs."""

from __future__ import annotations

import gc
import logging
import time

from portal import upkeep


def test_a_long_collection_is_logged_and_a_short_one_is_not(caplog):
    caplog.set_level(logging.WARNING, logger="portal.upkeep")
    upkeep._time_collections("start", {"generation": 0})
    upkeep._time_collections("stop", {"generation": 0, "collected": 3})
    upkeep._time_collections("start", {"generation": 2})
    time.sleep(0.02)
    upkeep._time_collections("stop", {"generation": 2, "collected": 41})
    [record] = caplog.records
    assert "generation 2, 41 collected" in record.getMessage()
    assert "ms of it collecting" in record.getMessage()
    assert float(record.getMessage().split("for ")[1].split(" ms")[0]) >= 20


def test_tuning_times_every_collection_once():
    before = list(gc.callbacks)
    thresholds = gc.get_threshold()
    try:
        upkeep.tune_garbage_collection()
        upkeep.tune_garbage_collection()
        assert gc.callbacks.count(upkeep._time_collections) == 1
        assert gc.get_threshold()[0] >= 1_000
    finally:
        gc.callbacks[:] = before
        gc.set_threshold(*thresholds)
        gc.unfreeze()
