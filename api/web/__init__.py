"""The HTTP API (``/api/v1``): FastAPI routes over the ledger, the record view and the audit
tools, behind bearer tokens for users with roles scoped to education areas."""
