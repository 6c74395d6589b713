"""Read models rebuilt from the ledger (ก.ค.ศ.16, positions, payroll, reports)."""
