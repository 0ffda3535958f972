"""The process's edge (``edge/``): settings and the production start, logging, metrics, request
ids, rate limits, database sessions, and the one clock everything reads."""
