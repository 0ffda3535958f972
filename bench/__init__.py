"""Benchmarks for ediary, run with ``make bench`` (``python -m bench --help``).

Never run as tests: every figure is a ratio against a baseline measured in the same run,
in interleaved rounds, because absolute timings on a shared machine mean little. What is
tested is the benchmarks' own logic, untimed (``test_*.py`` here, collected by ``make test``).
Benchmarks and tests never import each other (``tests/test_layout.py``); what both need, a
WebSocket client and the client documents, is in ``clients/``."""
