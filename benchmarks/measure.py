"""The timing loop: warm up, then run until the sample is big enough for a stable p99.

Fast calls run thousands of times, slow ones at least `min_iters` times, and no row runs
longer than `max_seconds` once it has `floor` samples. Each sample is one call timed with
time.perf_counter_ns. The garbage collector stays on: its pauses are part of what a person
waits for.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    seconds: float = 2.0  # keep sampling at least this long (once min_iters is reached)
    min_iters: int = 200
    max_iters: int = 20_000
    max_seconds: float = 30.0  # stop here whatever the count, once `floor` samples are in
    floor: int = 20
    warmup_seconds: float = 0.3
    warmup_iters: int = 5

    def scaled(self, factor: float) -> Budget:
        return Budget(
            seconds=self.seconds * factor,
            min_iters=max(self.floor, int(self.min_iters * factor)),
            max_iters=max(self.floor, int(self.max_iters * factor)),
            max_seconds=self.max_seconds * factor,
            floor=self.floor,
            warmup_seconds=self.warmup_seconds * factor,
            warmup_iters=self.warmup_iters,
        )


@dataclass(frozen=True)
class Stats:
    n: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    calls: int = 0  # every call made, warm-up included

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "p50_ms": round(self.p50_ms, 4),
            "p99_ms": round(self.p99_ms, 4),
            "mean_ms": round(self.mean_ms, 4),
            "max_ms": round(self.max_ms, 4),
        }


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest rank: the value below which q of the samples fall."""
    if not sorted_values:
        return float("nan")
    rank = min(len(sorted_values), max(1, math.ceil(q * len(sorted_values) - 1e-9)))
    return sorted_values[rank - 1]


def stats(samples_ns: list[int], calls: int = 0) -> Stats:
    values = sorted(v / 1e6 for v in samples_ns)
    return Stats(
        calls=calls or len(values),
        n=len(values),
        p50_ms=percentile(values, 0.50),
        p99_ms=percentile(values, 0.99),
        mean_ms=sum(values) / len(values) if values else float("nan"),
        max_ms=values[-1] if values else float("nan"),
    )


def _warm(calls: list[Callable[[], object]], budget: Budget) -> int:
    clock = time.perf_counter
    start, n = clock(), 0
    while n < budget.warmup_iters or (clock() - start < budget.warmup_seconds and n < 1000):
        for call in calls:
            call()
        n += 1
    return n


def _done(n: int, elapsed: float, budget: Budget) -> bool:
    if n >= budget.max_iters:
        return True
    if elapsed >= budget.max_seconds and n >= budget.floor:
        return True
    return n >= budget.min_iters and elapsed >= budget.seconds


def run(call: Callable[[], object], budget: Budget) -> Stats:
    """Time one call over and over."""
    return run_together([call], budget)[0]


def run_together(calls: list[Callable[[], object]], budget: Budget) -> list[Stats]:
    """Time several calls interleaved (a, b, a, b, ...), so a ratio between them is taken
    under the same machine load, in the same run."""
    warm = _warm(calls, budget)
    ns = time.perf_counter_ns
    samples: list[list[int]] = [[] for _ in calls]
    start = ns()
    n = 0
    while not _done(n, (ns() - start) / 1e9, budget):
        for i, call in enumerate(calls):
            t = ns()
            call()
            samples[i].append(ns() - t)
        n += 1
    return [stats(s, warm + len(s)) for s in samples]
