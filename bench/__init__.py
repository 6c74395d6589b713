"""Benchmarks for the ledger: every figure printed beside a plain baseline from the same run.

Performance is measured here and never asserted in tests: the machine is shared and noisy, so
absolute times drift while the ratio to a baseline doing the same work in the same run holds.
Run ``python -m bench`` (or ``tabien bench``); ``--quick`` shrinks every size about tenfold.
"""
