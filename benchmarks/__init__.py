"""Benchmarks: timed runs at county scale, recorded in BENCHMARKS.md (not part of the tests)."""
