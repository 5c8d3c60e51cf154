"""pytest-amigo benchmarks against the bundled emulator (``python -m bench``, bench/README.md).

harness: sizes, the children's environment, the pytest command, the emulator's admin endpoints
and sessions started together; worlds: the emulator worlds; one module per measurement (wall: a,
api_requests: b, collection: c, download: d, startup: e, concurrency: f1-f3, load: f4-f5,
compare: g, shards: h), each returning typed rows (rows.Row); report: goals and tables.
"""
