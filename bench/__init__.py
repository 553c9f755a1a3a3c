"""Benchmarks. `python -m bench` measures performance against its own seeded Dovecot
(bench/harness.py); run each other benchmark as `python -m bench.NAME`."""
