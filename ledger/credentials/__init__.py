"""Offline-verifiable certificates (DESIGN.md decision 12): pure functions, no database."""
