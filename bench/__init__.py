"""Benchmarks of the alliance system on a real (local) Temporal server; see each module."""
