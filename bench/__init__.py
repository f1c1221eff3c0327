"""Benchmarks: ``make bench`` runs each and prints one JSON document (see docs/benchmarks.md)."""
