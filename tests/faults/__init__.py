"""Killed processes, lost Redis or database, racing requests: real processes on the test database
(marker ``faults``, run once in CI on PostgreSQL + Redis)."""
