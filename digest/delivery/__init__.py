"""Digests and alerts: who is due, what each one holds, building the message, the send ledger, preview."""
