"""Benchmarks: run by ``scripts/bench-ledger`` (not part of the test suite)."""
