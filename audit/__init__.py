"""The auditor's side: verification of the whole ledger against its hashes, chain, signatures
and checkpoints."""
