"""Commands: what registrars and administrators do, on top of the ledger."""
