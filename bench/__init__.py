"""Energrid's benchmark: `python -m bench.run --size tiny|full` (see docs/performance.md)."""
