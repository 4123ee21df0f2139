"""Benchmarks, load tests and the bulk data they run on (not part of the portal package)."""
