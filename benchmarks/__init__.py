"""`make bench`: the hot paths of issue 9, measured on generated firms (see README).

- datasets.py: the generated databases, cached under data/bench/ by scale, generator version
  and schema revision; a PostgreSQL cluster on loopback for the PostgreSQL runs.
- measure.py: the timing loop (warm-up, adaptive iteration counts, median and p99).
- rows.py: the data-layer rows, called the way the page states call the service layer.
- websocket.py: the event rows, over real websockets against the app in production mode.
- report.py: the printed table, benchmarks/results.md and benchmarks/results.json.
- profiling.py: `python -m benchmarks --profile ROW` under pyinstrument.
"""
