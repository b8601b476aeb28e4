"""`python -m benchmarks --profile ROW`: one row under pyinstrument, kept in profiles/."""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.datasets import Dataset, settings_for
from benchmarks.rows import calls, find_cast

PROFILES = Path(__file__).resolve().parent / "profiles"


def profile(row: str, dataset: Dataset, *, seconds: float = 10.0, log=print) -> Path:
    from pyinstrument import Profiler
    from sqlmodel import Session

    from portal.db import get_engine

    with settings_for(dataset.url, dataset.data_dir, dataset.document_dir):
        engine = get_engine()
        cast = find_cast(engine, dataset.firm_id)
        with Session(engine) as db_session:
            call = calls(engine, cast, db_session)[row]
            for _ in range(5):  # warm-up: caches, pools, compiled statements
                call()
            profiler = Profiler(interval=0.001)
            n = 0
            deadline = time.perf_counter() + seconds
            profiler.start()
            while time.perf_counter() < deadline:
                call()
                n += 1
            session = profiler.stop()
    PROFILES.mkdir(exist_ok=True)
    stem = PROFILES / f"{row}-{dataset.database}-{dataset.scale}"
    stem.with_suffix(".html").write_text(profiler.output_html())
    header = (
        f"{row} on {dataset.database} {dataset.scale}: {n} calls in {session.duration:.1f} s "
        f"({1000 * session.duration / max(1, n):.2f} ms each, profiler overhead included)\n"
        f"cast: {cast.describe()}\n\n"
    )
    stem.with_suffix(".txt").write_text(
        header + profiler.output_text(unicode=True, color=False, show_all=False)
    )
    log(f"{header.strip()}\nWritten: {stem}.html and {stem}.txt")
    return stem
