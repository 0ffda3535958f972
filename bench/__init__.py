"""Benchmarks for ediary, run with ``make bench`` (``python -m bench --help``).

Never run as tests: every figure is a ratio against a baseline measured in the same run,
in interleaved rounds, because absolute timings on a shared machine mean little."""
