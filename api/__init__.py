"""Interfaces: the ``tabien`` command line (and, later, the HTTP API)."""
